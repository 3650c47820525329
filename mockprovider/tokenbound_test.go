package mockprovider

import (
	"testing"
	"time"
)

// checkStoreBounded fails when any part of the token store is past its
// bound.
func checkStoreBounded(t *testing.T, a *Authority, when string) {
	t.Helper()
	if n := len(a.tokens); n > a.keep+2*a.keepFam {
		t.Errorf("%s: %d tokens kept, bound %d", when, n, a.keep+2*a.keepFam)
	}
	if len(a.families) > a.keepFam || len(a.order) > a.keepFam {
		t.Errorf("%s: %d families (%d in order), bound %d", when, len(a.families), len(a.order), a.keepFam)
	}
	if n := len(a.retired); n > a.keepRet {
		t.Errorf("%s: %d retired records, bound %d", when, n, a.keepRet)
	}
	fp := 0
	for _, f := range a.order {
		fp += len(f.rotatedOut)
	}
	if fp != a.fingerprints || fp > a.keepFp {
		t.Errorf("%s: %d fingerprints (counted %d), bound %d", when, fp, a.fingerprints, a.keepFp)
	}
	if n := len(a.queue) - a.qHead; n > 2*len(a.tokens)+1024+16 {
		t.Errorf("%s: eviction queue of %d for %d tokens", when, n, len(a.tokens))
	}
}

// TestTokenStoreBoundedUnderSignIns: every sign-in starts a family whose
// newest tokens were never evicted, so a load of sign-ins kept every
// token. Families are bounded now; the counts stay exact.
func TestTokenStoreBoundedUnderSignIns(t *testing.T) {
	a := NewAuthority(fixedClock(), Policy{Rotation: RotateReuseDetection}, nil, 1)
	a.keep, a.keepFam = 64, 32
	first := a.Mint("c", "")
	// 1,500 families evicted retire 3,000 tokens, within keepRetired:
	// the first family's records are still there to bring it back.
	for i := range 1500 {
		g := a.Mint("c", "")
		if i%3 == 0 {
			if err := a.RevokeFamily(g.Family); err != nil {
				t.Fatal(err)
			}
		}
	}
	checkStoreBounded(t, a, "after 1,501 sign-ins")
	if a.Issued() != 2*1501 || a.famN != 1501 || a.famEvicted != 1501-len(a.order) {
		t.Errorf("issued %d, families %d, evicted %d, kept %d", a.Issued(), a.famN, a.famEvicted, len(a.order))
	}
	// The first family was evicted alive: its refresh token still works,
	// and brings the family back.
	g, err := a.Refresh(first.Refresh.Value, "c")
	if err != nil {
		t.Fatalf("the refresh token of an evicted live family: %v", err)
	}
	if g.Family != "F#1" || a.families["F#1"] == nil {
		t.Errorf("family %s not kept again", g.Family)
	}
	checkStoreBounded(t, a, "after the first family came back")
}

// TestReuseDetectedAfterManyRotations: a refresh token rotated out
// 12,000 rotations ago, long past the retired records, is still
// recognised from its family's fingerprint: presenting it is reuse and
// revokes the family. The store stays bounded meanwhile.
func TestReuseDetectedAfterManyRotations(t *testing.T) {
	a := NewAuthority(fixedClock(), Policy{Rotation: RotateReuseDetection}, nil, 1)
	a.keep, a.keepRet, a.keepFam = 64, 256, 8
	g := a.Mint("c", "")
	first := g.Refresh.Value
	other := a.Mint("c", "")
	rt := g.Refresh.Value
	for i := range 12000 { // within keepFingerprints
		ng, err := a.Refresh(rt, "c")
		if err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
		rt = ng.Refresh.Value
		if i%5000 == 0 {
			checkStoreBounded(t, a, "rotating")
		}
	}
	checkStoreBounded(t, a, "after 12,000 rotations")
	if _, kept := a.retired[a.hash(first)]; kept {
		t.Fatal("the first refresh token still has its full record; the test proves nothing")
	}
	if tok, ok := a.Inspect(first); !ok || tok.State != StateRotated || tok.Label != "RT#1" {
		t.Errorf("Inspect of a fingerprinted token: %+v %v", tok, ok)
	}
	_, err := a.Refresh(first, "c")
	if f := refreshFailure(t, err); f != FailReuseDetected {
		t.Fatalf("presenting RT#1 after 12,000 rotations: %s, want %s", f, FailReuseDetected)
	}
	if _, err := a.Refresh(rt, "c"); refreshFailure(t, err) != FailRevoked {
		t.Errorf("the family's newest refresh token after reuse: %v", err)
	}
	if a.fingerprints != 0 {
		t.Errorf("%d fingerprints kept for a revoked family", a.fingerprints)
	}
	if _, err := a.Refresh(other.Refresh.Value, "c"); err != nil {
		t.Errorf("the other family: %v", err)
	}
	if a.Issued() != 2+2+2*12000+2 {
		t.Errorf("issued %d", a.Issued())
	}
}

// TestDeadFamiliesEvictedFirst: beyond the bound, a revoked or expired
// family goes before an older live one.
func TestDeadFamiliesEvictedFirst(t *testing.T) {
	clock := fixedClock()
	a := NewAuthority(clock, Policy{}, nil, 1)
	a.keepFam = 3
	live := a.Mint("c", "")
	dead := a.Mint("c", "")
	if err := a.RevokeFamily(dead.Family); err != nil {
		t.Fatal(err)
	}
	a.Mint("c", "")
	a.Mint("c", "") // the fourth: one must go
	if a.families[dead.Family] != nil || a.families[live.Family] == nil {
		t.Errorf("kept %v", a.Families())
	}
	clock.Advance(3 * time.Hour) // every access token expired; refresh tokens do not
	if _, ok := a.Authenticate(live.Access.Value); !ok {
		t.Error("the live family's access token is unknown")
	}
}
