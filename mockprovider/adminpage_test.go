package mockprovider

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

type pageAnswer struct {
	Counts   *Counts  `json:"counts"`
	Entries  []Entry  `json:"entries"`
	Tokens   []Token  `json:"tokens"`
	Families []Family `json:"families"`
	Next     *int64   `json:"next"`
}

func getPage(t *testing.T, p *Provider, target string) (int, pageAnswer, []byte) {
	t.Helper()
	u, err := url.Parse(AdminPrefix + target)
	if err != nil {
		t.Fatal(err)
	}
	st, b := adminCall(t, p, "GET", u, "", "")
	var a pageAnswer
	if st == 200 {
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
	}
	return st, a, b
}

// TestAdminJournalPages: the journal is read page by page with after=SEQ
// and the answer's next, with no exchange skipped or repeated, even as
// new ones come between pages.
func TestAdminJournalPages(t *testing.T) {
	p, err := New(fakeDialect{}, Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	j := p.Journal()
	for i := range 25 {
		j.Append(Entry{Kind: KindAPI, Path: fmt.Sprintf("/api/%d", i)})
	}
	var seen []int64
	target := "journal?limit=10"
	for pages := 0; target != ""; pages++ {
		if pages > 5 {
			t.Fatal("no end of pages")
		}
		st, a, b := getPage(t, p, target)
		if st != 200 || a.Counts == nil || len(a.Entries) > 10 {
			t.Fatalf("%s: %d %.300s", target, st, b)
		}
		for _, e := range a.Entries {
			seen = append(seen, e.Seq)
		}
		if pages == 0 {
			j.Append(Entry{Kind: KindAPI, Path: "/api/late"}) // a 26th, while paging
		}
		target = ""
		if a.Next != nil {
			target = "journal?limit=10&after=" + strconv.FormatInt(*a.Next, 10)
		}
	}
	if len(seen) != 26 {
		t.Fatalf("read %d entries: %v", len(seen), seen)
	}
	for i, s := range seen {
		if s != int64(i+1) {
			t.Fatalf("entry %d has seq %d: %v", i, s, seen)
		}
	}
	// The last page names no next; a full page with nothing after it
	// does not either.
	if _, a, b := getPage(t, p, "journal?after=16&limit=10"); a.Next != nil || len(a.Entries) != 10 {
		t.Fatalf("last page: %.300s", b)
	}
	// A kind filter pages over the matching entries only.
	j.Append(Entry{Kind: KindToken, Grant: "refresh_token"})
	if _, a, b := getPage(t, p, "journal?kind=token&limit=1"); len(a.Entries) != 1 || a.Next != nil || a.Entries[0].Kind != KindToken {
		t.Fatalf("kind page: %.300s", b)
	}
	// since is the same cursor as after.
	if _, a, _ := getPage(t, p, "journal?since=20"); len(a.Entries) != 7 || a.Entries[0].Seq != 21 {
		t.Fatalf("since=20: %d entries", len(a.Entries))
	}
}

// TestAdminPagesBounded: without a limit a page holds the default, and
// no limit beyond the maximum is served.
func TestAdminPagesBounded(t *testing.T) {
	p, err := New(fakeDialect{}, Config{Seed: 1, JournalCap: 3 * adminPageDefault})
	if err != nil {
		t.Fatal(err)
	}
	for range adminPageDefault + 5 {
		p.Journal().Append(Entry{Kind: KindAPI})
	}
	_, a, _ := getPage(t, p, "journal")
	if len(a.Entries) != adminPageDefault || a.Next == nil || *a.Next != adminPageDefault {
		t.Fatalf("default page: %d entries, next %v", len(a.Entries), a.Next)
	}
	if _, a, _ := getPage(t, p, fmt.Sprintf("journal?limit=%d", adminPageMax)); len(a.Entries) != adminPageDefault+5 || a.Next != nil {
		t.Fatalf("maximum page: %d entries, next %v", len(a.Entries), a.Next)
	}
	for _, target := range []string{
		fmt.Sprintf("journal?limit=%d", adminPageMax+1), "journal?limit=0", "journal?limit=-1", "journal?limit=x",
		"journal?after=-1", "journal?after=x", "journal?after=1&since=2",
		fmt.Sprintf("tokens?limit=%d", adminPageMax+1), "tokens?offset=-1", "tokens?offset=x", "families?limit=0", "families?offset=x",
	} {
		st, _, b := getPage(t, p, target)
		var e adminError
		if st != 400 || json.Unmarshal(b, &e) != nil || e.Error == "" {
			t.Errorf("%s: %d %s", target, st, b)
		}
	}
}

// TestAdminTokenAndFamilyPages: tokens and families page by offset.
func TestAdminTokenAndFamilyPages(t *testing.T) {
	p, err := New(fakeDialect{}, Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a := p.Authority()
	for range 9 {
		a.Mint(p.Client().ID, "read") // 10 families, 20 tokens
	}
	var labels []string
	for offset := "0"; offset != ""; {
		st, ans, b := getPage(t, p, "tokens?limit=7&offset="+offset)
		if st != 200 || len(ans.Tokens) > 7 {
			t.Fatalf("tokens page %s: %d %.300s", offset, st, b)
		}
		for _, tok := range ans.Tokens {
			if !strings.HasPrefix(tok.Value, "[") {
				t.Fatalf("value not redacted: %s", tok.Value)
			}
			labels = append(labels, tok.Label)
		}
		offset = ""
		if ans.Next != nil {
			offset = strconv.FormatInt(*ans.Next, 10)
		}
	}
	want := a.Tokens()
	if len(labels) != len(want) || len(labels) != 20 {
		t.Fatalf("paged %d tokens, store has %d", len(labels), len(want))
	}
	for i := range want {
		if labels[i] != want[i].Label {
			t.Fatalf("token %d: %s, want %s", i, labels[i], want[i].Label)
		}
	}
	_, ans, _ := getPage(t, p, "families?limit=4&offset=8")
	if len(ans.Families) != 2 || ans.Families[0].ID != "F#9" || ans.Next != nil {
		t.Fatalf("families page: %+v next %v", ans.Families, ans.Next)
	}
	if _, ans, _ := getPage(t, p, "families?limit=4"); len(ans.Families) != 4 || ans.Next == nil || *ans.Next != 4 {
		t.Fatalf("first families page: %d next %v", len(ans.Families), ans.Next)
	}
}
