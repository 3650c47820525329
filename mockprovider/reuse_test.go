package mockprovider

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestReuseWinsOverInFlight: a rotated-out refresh token presented again
// while its successor is being redeemed is reuse, not a concurrent
// refresh. The concurrent-refresh window is an hour, so the rotated-out
// token is within it however slowly the test runs; nothing waits on time.
func TestReuseWinsOverInFlight(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rotation Rotation
		want     RefreshFailure
		revoked  bool // the family is revoked afterwards
	}{
		{"reuse detection revokes the family", RotateReuseDetection, FailReuseDetected, true},
		{"revoke-old refuses the rotated-out token", RotateRevokeOld, FailRotated, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := NewAuthority(fixedClock(), Policy{Rotation: tc.rotation, RejectConcurrentRefresh: true, ConcurrentRefreshWindow: time.Hour}, nil, 1)
			g1 := a.Mint("c", "")
			done, err := a.BeginRefresh(g1.Refresh.Value)
			if err != nil {
				t.Fatal(err)
			}
			g2, err := a.Refresh(g1.Refresh.Value, "c")
			done()
			if err != nil {
				t.Fatal(err)
			}
			// The successor's refresh is in flight: the client received
			// the first answer, so the first refresh is over for certain.
			held, err := a.BeginRefresh(g2.Refresh.Value)
			if err != nil {
				t.Fatalf("successor's refresh: %v", err)
			}
			defer held()
			done, err = a.BeginRefresh(g1.Refresh.Value)
			if err != nil {
				t.Fatalf("rotated-out token with its successor in flight: %v, want it judged as a rotated-out token, not in flight", err)
			}
			_, err = a.Refresh(g1.Refresh.Value, "c")
			done()
			if got := refreshFailure(t, err); got != tc.want {
				t.Fatalf("refresh with the rotated-out token: %s, want %s", got, tc.want)
			}
			rt2, _ := a.Inspect(g2.Refresh.Value)
			if got := rt2.State == StateRevoked; got != tc.revoked {
				t.Fatalf("successor %s after the reuse: %s (revoked %v, want %v)", rt2.Label, rt2.State, got, tc.revoked)
			}
		})
	}
}

// TestInFlightWindowKeptForUnseenSuccessor: within the window, a second
// refresh with a token another refresh just rotated out still counts as
// concurrent as long as nobody has presented the successor, which is what
// the window stands for (the first refresh still being answered, as on a
// real server); the concurrent-401 scenarios rely on it.
func TestInFlightWindowKeptForUnseenSuccessor(t *testing.T) {
	a := NewAuthority(fixedClock(), Policy{Rotation: RotateReuseDetection, RejectConcurrentRefresh: true, ConcurrentRefreshWindow: time.Hour}, nil, 1)
	g1 := a.Mint("c", "")
	done, err := a.BeginRefresh(g1.Refresh.Value)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := a.Refresh(g1.Refresh.Value, "c")
	done()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.BeginRefresh(g1.Refresh.Value); refreshFailure(t, err) != FailInFlight {
		t.Fatalf("second refresh within the window, successor unseen: %v, want in-flight", err)
	}
	if rt2, _ := a.Inspect(g2.Refresh.Value); rt2.State != StateValid {
		t.Fatalf("successor after an in-flight refusal: %s, want valid", rt2.State)
	}
}

// TestReuseAfterSuccessorRedeemed: once the successor has been redeemed,
// the rotated-out token is reuse within the window too.
func TestReuseAfterSuccessorRedeemed(t *testing.T) {
	a := NewAuthority(fixedClock(), Policy{Rotation: RotateReuseDetection, RejectConcurrentRefresh: true, ConcurrentRefreshWindow: time.Hour}, nil, 1)
	g1 := a.Mint("c", "")
	refresh := func(rt string) (Grant, error) {
		done, err := a.BeginRefresh(rt)
		if err != nil {
			return Grant{}, err
		}
		defer done()
		return a.Refresh(rt, "c")
	}
	g2, err := refresh(g1.Refresh.Value)
	if err != nil {
		t.Fatal(err)
	}
	g3, err := refresh(g2.Refresh.Value)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := refresh(g1.Refresh.Value); refreshFailure(t, err) != FailReuseDetected {
		t.Fatalf("first token after its successor was redeemed: %v, want reuse detected", err)
	}
	if rt3, _ := a.Inspect(g3.Refresh.Value); rt3.State != StateRevoked {
		t.Fatalf("newest refresh token after the reuse: %s, want revoked", rt3.State)
	}
}

// TestReuseDuringSuccessorRefreshOverHTTP is TestReuseWinsOverInFlight
// through the server: the successor's refresh is held by a scripted delay
// until the provider is closed, and the rotated-out token arrives
// meanwhile.
func TestReuseDuringSuccessorRefreshOverHTTP(t *testing.T) {
	p, s := newFake(t, Config{
		Policy: &Policy{Rotation: RotateReuseDetection, RejectConcurrentRefresh: true, ConcurrentRefreshWindow: time.Hour},
		Rules:  []Rule{{Name: "hold-2nd", Match: Match{Endpoint: EndpointRefresh, Nth: 2}, Respond: Respond{Delay: time.Hour}}},
	})
	c := s.Client()
	rt1 := p.Initial().Refresh.Value
	resp, body, err := postForm(t, c, s.URL+"/token", refreshForm(p, rt1))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("first refresh: %v %v %s", resp, err, body)
	}
	var tok struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.RefreshToken == "" {
		t.Fatalf("first refresh issued no refresh token: %s", body)
	}
	held := make(chan int, 1)
	go func() {
		resp, _, err := postForm(t, c, s.URL+"/token", refreshForm(p, tok.RefreshToken))
		if err != nil {
			held <- 0
			return
		}
		held <- resp.StatusCode
	}()
	// Wait for the authority to count the successor's refresh in flight
	// (a condition, not a duration).
	a := p.Authority()
	for deadline := time.Now().Add(10 * time.Second); ; {
		a.mu.Lock()
		n := a.inflight[tok.RefreshToken]
		a.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the successor's refresh never became in flight")
		}
		time.Sleep(time.Millisecond)
	}
	resp, body, err = postForm(t, c, s.URL+"/token", refreshForm(p, rt1))
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("rotated-out token: %v %v %s, want 400", resp, err, body)
	}
	if fams := a.Families(); !fams[0].Revoked {
		t.Fatalf("family after the rotated-out token came back: %+v, want revoked", fams[0])
	}
	p.Close() // ends the held delay
	if got := <-held; got != 400 {
		t.Fatalf("the held successor's refresh, answered after the family was revoked: %d, want 400", got)
	}
	var notes []string
	for _, e := range p.Journal().Entries(Filter{Kinds: []Kind{KindToken}}) {
		notes = append(notes, e.Note)
	}
	if len(notes) != 3 || !strings.Contains(notes[1], string(FailReuseDetected)) {
		t.Fatalf("journal notes %q: want the second answered exchange refused as %s", notes, FailReuseDetected)
	}
}
