package mockprovider

import "testing"

// TestHugeJournalCapKeepsRedacting: a journal capacity near the int
// range (serve --journal-cap takes any) must not overflow the number of
// evicted token values the redactor keeps: a negative one made the first
// eviction index past the end of its queue and panic.
func TestHugeJournalCapKeepsRedacting(t *testing.T) {
	p, err := New(fakeDialect{}, Config{Seed: 1, JournalCap: 1 << 62})
	if err != nil {
		t.Fatal(err)
	}
	a := p.Authority()
	for range keepTokens { // two revoked tokens each: evicted past the store's bound
		g := a.Mint(p.Client().ID, "read")
		if err := a.RevokeFamily(g.Family); err != nil {
			t.Fatal(err)
		}
	}
	if a.redactKeep < 0 {
		t.Errorf("redactKeep %d", a.redactKeep)
	}
}
