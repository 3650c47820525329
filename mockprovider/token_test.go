package mockprovider

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func fixedClock() *Clock {
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	return &Clock{Base: func() time.Time { return t0 }}
}

func refreshFailure(t *testing.T, err error) RefreshFailure {
	t.Helper()
	var re *RefreshError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not a *RefreshError", err)
	}
	return re.Failure
}

func TestRotationPolicies(t *testing.T) {
	tests := []struct {
		name        string
		rotation    Rotation
		wantNewRT   bool
		oldAfter    TokenState     // state of the first RT after one refresh
		reuse       RefreshFailure // outcome of presenting the first RT again ("" = accepted)
		newestAfter TokenState     // state of the newest RT after the reuse attempt
		accessAfter TokenState     // state of the newest AT after the reuse attempt
	}{
		{"never", RotateNever, false, StateValid, "", StateValid, StateValid},
		{"keep-old", RotateKeepOld, true, StateSuperseded, "", StateValid, StateValid},
		{"revoke-old", RotateRevokeOld, true, StateRotated, FailRotated, StateValid, StateValid},
		{"reuse-detection", RotateReuseDetection, true, StateRevoked, FailReuseDetected, StateRevoked, StateRevoked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := NewAuthority(fixedClock(), Policy{Rotation: tc.rotation}, nil, 1)
			g0 := a.Mint("c", "s")
			g1, err := a.Refresh(g0.Refresh.Value, "c")
			if err != nil {
				t.Fatalf("first refresh: %v", err)
			}
			if g1.RefreshIssued != tc.wantNewRT {
				t.Fatalf("RefreshIssued = %v, want %v", g1.RefreshIssued, tc.wantNewRT)
			}
			if tc.wantNewRT == (g1.Refresh.Value == g0.Refresh.Value) {
				t.Fatalf("refresh token after refresh: %s (first was %s)", g1.Refresh.Label, g0.Refresh.Label)
			}
			old, _ := a.Inspect(g0.Refresh.Value)
			want := tc.oldAfter
			if tc.rotation == RotateReuseDetection {
				want = StateRotated // before the reuse
			}
			if old.State != want {
				t.Fatalf("old refresh token state = %s, want %s", old.State, want)
			}
			_, err = a.Refresh(g0.Refresh.Value, "c")
			if tc.reuse == "" {
				if err != nil {
					t.Fatalf("reusing the first refresh token: %v, want accepted", err)
				}
			} else if got := refreshFailure(t, err); got != tc.reuse {
				t.Fatalf("reuse failure = %s, want %s", got, tc.reuse)
			}
			if newest, _ := a.Inspect(g1.Refresh.Value); newest.State != tc.newestAfter && !(tc.rotation == RotateKeepOld && newest.State == StateSuperseded) {
				t.Fatalf("newest refresh token state = %s, want %s", newest.State, tc.newestAfter)
			}
			if at, _ := a.Inspect(g1.Access.Value); at.State != tc.accessAfter {
				t.Fatalf("access token state = %s, want %s", at.State, tc.accessAfter)
			}
			if tc.rotation == RotateReuseDetection {
				if old, _ := a.Inspect(g0.Refresh.Value); old.State != tc.oldAfter {
					t.Fatalf("old refresh token after reuse = %s, want %s", old.State, tc.oldAfter)
				}
			}
		})
	}
}

func TestExpiryByVirtualClock(t *testing.T) {
	c := fixedClock()
	a := NewAuthority(c, Policy{AccessTokenLifetime: time.Hour, RefreshTokenIdle: 90 * 24 * time.Hour}, nil, 1)
	g := a.Mint("c", "")
	if tok, _ := a.Authenticate(g.Access.Value); tok.State != StateValid {
		t.Fatalf("fresh access token: %s", tok.State)
	}
	c.Advance(time.Hour)
	if tok, _ := a.Authenticate(g.Access.Value); tok.State != StateExpired {
		t.Fatalf("access token after its lifetime: %s, want expired", tok.State)
	}
	c.Advance(90 * 24 * time.Hour)
	_, err := a.Refresh(g.Refresh.Value, "c")
	if f := refreshFailure(t, err); f != FailExpired {
		t.Fatalf("idle refresh token: %s, want expired", f)
	}
}

func TestSlidingAccess(t *testing.T) {
	c := fixedClock()
	a := NewAuthority(c, Policy{AccessTokenLifetime: time.Hour, SlidingAccess: true}, nil, 1)
	g := a.Mint("c", "")
	for i := 0; i < 3; i++ {
		c.Advance(50 * time.Minute)
		if tok, _ := a.Authenticate(g.Access.Value); tok.State != StateValid {
			t.Fatalf("use %d after 50 min idle: %s, want valid (sliding)", i, tok.State)
		}
	}
	c.Advance(61 * time.Minute)
	if tok, _ := a.Authenticate(g.Access.Value); tok.State != StateExpired {
		t.Fatalf("after 61 min idle: %s, want expired", tok.State)
	}
}

func TestFamilyLifetimeCapsEveryToken(t *testing.T) {
	c := fixedClock()
	a := NewAuthority(c, Policy{AccessTokenLifetime: time.Hour, FamilyLifetime: 24 * time.Hour, Rotation: RotateKeepOld}, nil, 1)
	g := a.Mint("c", "")
	c.Advance(23*time.Hour + 30*time.Minute)
	g2, err := a.Refresh(g.Refresh.Value, "c")
	if err != nil {
		t.Fatal(err)
	}
	if got := g2.Access.ExpiresAt.Sub(g.IssuedAt); got != 24*time.Hour {
		t.Fatalf("access token capped at %v after the family start, want 24h", got)
	}
	c.Advance(time.Hour)
	if _, err := a.Refresh(g2.Refresh.Value, "c"); refreshFailure(t, err) != FailExpired {
		t.Fatalf("refresh past the family deadline: %v", err)
	}
}

func TestRefreshChecks(t *testing.T) {
	a := NewAuthority(fixedClock(), Policy{}, nil, 1)
	g := a.Mint("c", "")
	for _, tc := range []struct {
		name  string
		token string
		cid   string
		want  RefreshFailure
	}{
		{"unknown", "nope", "c", FailUnknown},
		{"access token", g.Access.Value, "c", FailNotRefresh},
		{"other client", g.Refresh.Value, "d", FailWrongClient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Refresh(tc.token, tc.cid)
			if got := refreshFailure(t, err); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	if err := a.Revoke(g.Refresh.Label); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Refresh(g.Refresh.Value, "c"); refreshFailure(t, err) != FailRevoked {
		t.Fatalf("revoked: %v", err)
	}
	if at, _ := a.Inspect(g.Access.Value); at.State != StateRevoked {
		t.Fatalf("the access token of a revoked refresh token: %s, want revoked", at.State)
	}
}

func TestBeginRefreshRejectsConcurrent(t *testing.T) {
	a := NewAuthority(fixedClock(), Policy{RejectConcurrentRefresh: true}, nil, 1)
	g := a.Mint("c", "")
	done, err := a.BeginRefresh(g.Refresh.Value)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.BeginRefresh(g.Refresh.Value); refreshFailure(t, err) != FailInFlight {
		t.Fatalf("second BeginRefresh: %v, want in-flight", err)
	}
	done()
	done() // idempotent
	done2, err := a.BeginRefresh(g.Refresh.Value)
	if err != nil {
		t.Fatalf("after done: %v", err)
	}
	done2()
}

// TestConcurrentRefreshWindow: refreshes a client starts together reach
// the server a few milliseconds apart, each answered before the next
// arrives; within the window they still count as concurrent.
func TestConcurrentRefreshWindow(t *testing.T) {
	a := NewAuthority(fixedClock(), Policy{RejectConcurrentRefresh: true, ConcurrentRefreshWindow: 200 * time.Millisecond}, nil, 1)
	g := a.Mint("c", "")
	done, err := a.BeginRefresh(g.Refresh.Value)
	if err != nil {
		t.Fatal(err)
	}
	done() // answered already
	if _, err := a.BeginRefresh(g.Refresh.Value); refreshFailure(t, err) != FailInFlight {
		t.Fatalf("a refresh within the window: %v, want in-flight", err)
	}
	other := a.Mint("c", "")
	if done, err := a.BeginRefresh(other.Refresh.Value); err != nil {
		t.Fatalf("another family's refresh token: %v", err)
	} else {
		done()
	}
	time.Sleep(250 * time.Millisecond)
	done, err = a.BeginRefresh(g.Refresh.Value)
	if err != nil {
		t.Fatalf("after the window: %v", err)
	}
	done()
}

// TestConcurrentRefreshSameToken races many refreshes with one refresh
// token: under revoke-old exactly one wins; under reuse detection the
// losers revoke the family; under keep-old all win with distinct tokens.
func TestConcurrentRefreshSameToken(t *testing.T) {
	for _, rot := range []Rotation{RotateRevokeOld, RotateReuseDetection, RotateKeepOld, RotateNever} {
		t.Run(string(rot), func(t *testing.T) {
			a := NewAuthority(nil, Policy{Rotation: rot}, nil, 0)
			g := a.Mint("c", "")
			const n = 32
			var wg sync.WaitGroup
			grants := make([]Grant, n)
			errs := make([]error, n)
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					grants[i], errs[i] = a.Refresh(g.Refresh.Value, "c")
				}(i)
			}
			wg.Wait()
			wins := 0
			seen := map[string]bool{}
			for i := range grants {
				if errs[i] != nil {
					continue
				}
				wins++
				if seen[grants[i].Access.Value] {
					t.Fatalf("access token %s issued twice", grants[i].Access.Label)
				}
				seen[grants[i].Access.Value] = true
			}
			switch rot {
			case RotateRevokeOld, RotateReuseDetection:
				if wins != 1 {
					t.Fatalf("%d refreshes won, want exactly 1", wins)
				}
			default:
				if wins != n {
					t.Fatalf("%d refreshes won, want all %d", wins, n)
				}
			}
			fams := a.Families()
			if rot == RotateReuseDetection && !fams[0].Revoked {
				t.Fatal("reuse under rotation did not revoke the family")
			}
			if len(a.Tokens()) != 2+wins*map[bool]int{true: 1, false: 2}[rot == RotateNever] {
				t.Fatalf("%d tokens exist after %d accepted refreshes", len(a.Tokens()), wins)
			}
		})
	}
}

// TestConcurrentFamiliesChain has each goroutine chain refreshes on its own
// family: no refresh is lost, no token is issued twice.
func TestConcurrentFamiliesChain(t *testing.T) {
	a := NewAuthority(nil, Policy{Rotation: RotateReuseDetection}, nil, 0)
	const workers, chain = 16, 30 // 992 tokens: below the store's bound, so none is evicted
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]bool{}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := a.Mint("c", "")
			for i := 0; i < chain; i++ {
				next, err := a.Refresh(g.Refresh.Value, "c")
				if err != nil {
					t.Errorf("chain refresh %d: %v", i, err)
					return
				}
				mu.Lock()
				for _, v := range []string{next.Access.Value, next.Refresh.Value} {
					if seen[v] {
						t.Errorf("token issued twice")
					}
					seen[v] = true
				}
				mu.Unlock()
				g = next
			}
		}()
	}
	wg.Wait()
	if got, want := len(a.Tokens()), workers*(2+2*chain); got != want {
		t.Fatalf("%d tokens, want %d", got, want)
	}
	for _, f := range a.Families() {
		if f.Revoked {
			t.Fatalf("family %s revoked, though every refresh used the newest token", f.ID)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := (Policy{Rotation: "rotate"}).Validate(); err == nil {
		t.Fatal("unknown rotation accepted")
	}
	if err := (Policy{AccessTokenLifetime: -1}).Validate(); err == nil {
		t.Fatal("negative lifetime accepted")
	}
	if err := (Policy{Rotation: RotateKeepOld}).Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestEvictionKeepsReuseDetection: beyond the store's bound, tokens that
// are not their family's newest are evicted, counts stay exact, and a
// rotated-out refresh token presented again is still reuse.
func TestEvictionKeepsReuseDetection(t *testing.T) {
	a := NewAuthority(fixedClock(), Policy{Rotation: RotateReuseDetection}, nil, 1)
	a.keep, a.keepRet, a.redactKeep = 10, 1000, 0
	g := a.Mint("c", "")
	other := a.Mint("c", "") // a second family, untouched by the first's reuse
	rts := []string{g.Refresh.Value}
	for i := 0; i < 100; i++ {
		ng, err := a.Refresh(rts[len(rts)-1], "c")
		if err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
		rts = append(rts, ng.Refresh.Value)
	}
	if n := len(a.Tokens()); n > 10 {
		t.Errorf("%d tokens kept, want at most 10", n)
	}
	fams := a.Families()
	if fams[0].Tokens != 202 || fams[0].CurrentRefresh != "RT#102" {
		t.Errorf("family counts not exact after eviction: %+v", fams[0])
	}
	if got, want := a.Evicted(), int64(204-len(a.Tokens())); got != want {
		t.Errorf("Evicted() = %d, want %d", got, want)
	}
	old := rts[5] // RT#7: long evicted
	if tok, ok := a.Inspect(old); !ok || tok.State != StateRotated || tok.Label != "RT#7" || tok.ReplacedBy != "RT#8" {
		t.Errorf("Inspect of an evicted rotated-out token: %+v %v", tok, ok)
	}
	if red := a.Redactor().String(old); red != old {
		t.Errorf("an evicted value is still in the redactor (redactKeep 0): %q", red)
	}
	_, err := a.Refresh(old, "c")
	if f := refreshFailure(t, err); f != FailReuseDetected {
		t.Fatalf("presenting an evicted rotated-out token: %s, want %s", f, FailReuseDetected)
	}
	_, err = a.Refresh(rts[len(rts)-1], "c")
	if f := refreshFailure(t, err); f != FailRevoked {
		t.Errorf("the family's newest refresh token after reuse: %s, want %s", f, FailRevoked)
	}
	if tok, _ := a.Inspect(rts[10]); tok.State != StateRevoked {
		t.Errorf("an evicted token of a revoked family is %s, want revoked", tok.State)
	}
	if _, err := a.Refresh(other.Refresh.Value, "c"); err != nil {
		t.Errorf("the other family: %v", err)
	}
}

// TestEvictionBoundsRetired: the compact records and fingerprints are
// bounded too; a token evicted beyond them is unknown, which the
// documentation states.
func TestEvictionBoundsRetired(t *testing.T) {
	a := NewAuthority(fixedClock(), Policy{Rotation: RotateRevokeOld}, nil, 1)
	a.keep, a.keepRet, a.keepFp = 4, 20, 10
	g := a.Mint("c", "")
	rt := g.Refresh.Value
	first := rt
	for i := 0; i < 100; i++ {
		ng, err := a.Refresh(rt, "c")
		if err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
		rt = ng.Refresh.Value
	}
	if n := len(a.retired); n > 20 {
		t.Errorf("%d retired records, want at most 20", n)
	}
	if a.fingerprints > 10 || a.fingerprints == 0 {
		t.Errorf("%d fingerprints, want 1 to 10", a.fingerprints)
	}
	_, err := a.Refresh(first, "c")
	if f := refreshFailure(t, err); f != FailUnknown {
		t.Errorf("a token evicted beyond the records: %s, want %s", f, FailUnknown)
	}
}

// TestNoEvictionBelowBound: a run that issues fewer tokens than the bound
// keeps every one, so traces and rules see them all.
func TestNoEvictionBelowBound(t *testing.T) {
	a := NewAuthority(fixedClock(), Policy{Rotation: RotateReuseDetection}, nil, 1)
	rt := a.Mint("c", "").Refresh.Value
	for i := 0; i < 500; i++ {
		g, err := a.Refresh(rt, "c")
		if err != nil {
			t.Fatal(err)
		}
		rt = g.Refresh.Value
	}
	if n := len(a.Tokens()); n != 1002 || a.Evicted() != 0 {
		t.Errorf("kept %d tokens, evicted %d; want 1002 and 0", n, a.Evicted())
	}
	for _, tok := range a.Tokens() {
		if a.Redactor().String(tok.Value) != "["+tok.Label+"]" {
			t.Fatalf("%s is not redacted", tok.Label)
		}
	}
}

// TestEvictionAfterStatesAreFinal: a refresh token rotated out by the
// refresh that pushes the store over its bound is recorded as rotated.
// With every kept token a family's newest, the one just rotated out is
// the first that can go.
func TestEvictionAfterStatesAreFinal(t *testing.T) {
	a := NewAuthority(fixedClock(), Policy{Rotation: RotateReuseDetection}, nil, 1)
	a.keep = 8
	for i := 0; i < 50; i++ {
		first := a.Mint("c", "").Refresh.Value
		g, err := a.Refresh(first, "c")
		if err != nil {
			t.Fatal(i, err)
		}
		if _, err := a.Refresh(first, "c"); refreshFailure(t, err) != FailReuseDetected {
			t.Fatalf("family %d: presenting the rotated-out token again: %v", i, err)
		}
		if _, err := a.Refresh(g.Refresh.Value, "c"); refreshFailure(t, err) != FailRevoked {
			t.Fatalf("family %d: newest token after reuse: %v", i, err)
		}
	}
}

// TestEvictedValuesStayRedacted: the redactor keeps the values of the
// last redactKeep evicted tokens, which a journal may still hold, and
// never forgets a value presented again and kept since.
func TestEvictedValuesStayRedacted(t *testing.T) {
	a := NewAuthority(fixedClock(), Policy{Rotation: RotateReuseDetection}, nil, 1)
	a.keep, a.redactKeep = 4, 10
	other := a.Mint("c", "")
	g := a.Mint("c", "")
	var rts []string
	rt := g.Refresh.Value
	for i := 0; i < 30; i++ {
		ng, err := a.Refresh(rt, "c")
		if err != nil {
			t.Fatal(err)
		}
		rts = append(rts, rt)
		rt = ng.Refresh.Value
	}
	red := a.Redactor()
	recent := rts[len(rts)-3] // evicted, within the last 10
	if _, kept := a.tokens[recent]; kept {
		t.Fatal("test set-up: the token was not evicted")
	}
	if got := red.String(recent); got == recent {
		t.Errorf("a recently evicted value is not redacted")
	}
	if got := red.String(rts[0]); got != rts[0] {
		t.Errorf("a value evicted long ago is still in the redactor: %q", got)
	}
	// Presented again, the oldest is kept and known once more, and
	// stays so however many evictions follow.
	if _, err := a.Refresh(rts[1], "c"); refreshFailure(t, err) != FailReuseDetected {
		t.Fatalf("reuse: %v", err)
	}
	if got := red.String(rts[1]); got == rts[1] {
		t.Errorf("a value presented again is not redacted")
	}
	// When the queued removal of a value comes due while the value is
	// kept again, the redactor keeps it.
	ort := other.Refresh.Value
	a.mu.Lock()
	a.forgetLaterLocked(ort) // as if evicted earlier, and kept again since
	for i := 0; i < 20; i++ {
		a.forgetLaterLocked(fmt.Sprintf("some-other-evicted-value-%d", i))
	}
	a.mu.Unlock()
	if got := red.String(ort); got == ort {
		t.Errorf("a kept value was removed from the redactor")
	}
}
