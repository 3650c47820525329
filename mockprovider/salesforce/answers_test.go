package salesforce

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// TestQueryAnswersFollowRecords: a query asked again is answered from
// the rendered answer, and every change to a record (create, update,
// delete, reset) shows in the next answer.
func TestQueryAnswersFollowRecords(t *testing.T) {
	m := newMock(t, Options{}, mockprovider.Config{})
	at := m.p.Initial().Access.Value
	query := func(soql string) string {
		t.Helper()
		resp, body := m.get("/services/data/v67.0/query?q="+url.QueryEscape(soql), at)
		if resp.StatusCode != 200 {
			t.Fatalf("query %q: %d %s", soql, resp.StatusCode, body)
		}
		return string(body)
	}
	send := func(method, path, body string) []byte {
		t.Helper()
		resp, b := m.do(m.newRequest(method, path, body, "Authorization", "Bearer "+at, "Content-Type", "application/json"))
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return b
	}
	const soql = "SELECT Id, Name, Phone FROM Account WHERE BillingCity = 'Tucson'"
	const count = "SELECT COUNT() FROM Account"
	first, firstCount := query(soql), query(count)
	if !strings.Contains(first, "University of Arizona") || !strings.Contains(firstCount, `"totalSize":25`) {
		t.Fatalf("seeded answers: %s %s", first, firstCount)
	}
	m.d.mu.Lock()
	kept := len(m.d.data().answers)
	m.d.mu.Unlock()
	if kept != 2 {
		t.Errorf("%d answers kept after two queries, want 2", kept)
	}
	if again := query(soql); again != first {
		t.Errorf("the same query answered differently:\n%s\n%s", first, again)
	}

	base := "/services/data/v67.0/sobjects/Account"
	var created struct{ ID string }
	if err := json.Unmarshal(send("POST", base, `{"Name":"Tucson Solar","BillingCity":"Tucson"}`), &created); err != nil {
		t.Fatal(err)
	}
	if got := query(soql); !strings.Contains(got, "Tucson Solar") || !strings.Contains(query(count), `"totalSize":26`) {
		t.Errorf("after a create: %s", got)
	}
	send("PATCH", base+"/"+created.ID, `{"Phone":"(520) 555-0142"}`)
	if got := query(soql); !strings.Contains(got, "(520) 555-0142") {
		t.Errorf("after an update: %s", got)
	}
	send("DELETE", base+"/"+created.ID, "")
	if diff := cmp.Diff(first, query(soql)); diff != "" {
		t.Errorf("after a delete (-first +now):\n%s", diff)
	}
	send("POST", base, `{"Name":"Tucson Wind","BillingCity":"Tucson"}`)
	m.p.Reset()
	at = m.p.Initial().Access.Value
	if diff := cmp.Diff(first, query(soql)); diff != "" {
		t.Errorf("after a reset (-first +now):\n%s", diff)
	}
}

// TestQueryAnswerPages: an answer of more than one page registers a
// cursor each time and is not kept.
func TestQueryAnswerPages(t *testing.T) {
	m := newMock(t, Options{}, mockprovider.Config{})
	at := m.p.Initial().Access.Value
	target := "/services/data/v67.0/query?q=" + url.QueryEscape("SELECT Id FROM Contact")
	var links []string
	for range 2 {
		_, body := m.get(target, at, "Sforce-Query-Options", "batchSize=10")
		var v struct{ NextRecordsURL string }
		if err := json.Unmarshal(body, &v); err != nil || v.NextRecordsURL == "" {
			t.Fatalf("first page: %v %s", err, body)
		}
		links = append(links, v.NextRecordsURL)
	}
	if links[0] == links[1] {
		t.Errorf("both first pages name the same cursor %s", links[0])
	}
	m.d.mu.Lock()
	n := len(m.d.data().answers)
	m.d.mu.Unlock()
	if n != 0 {
		t.Errorf("%d paged answers kept", n)
	}
}

func TestSplitVersionPath(t *testing.T) {
	cases := []struct {
		path, ver, rest string
		ok              bool
	}{
		{"/services/data/v67.0", "67.0", "", true},
		{"/services/data/v67.0/", "67.0", "/", true},
		{"/services/data/v31.0/query", "31.0", "/query", true},
		{"/services/data/v100.10/sobjects/Account/001", "100.10", "/sobjects/Account/001", true},
		{"/services/data/v67", "", "", false},
		{"/services/data/v67.", "", "", false},
		{"/services/data/v.0", "", "", false},
		{"/services/data/v67.0x", "", "", false},
		{"/services/data/67.0", "", "", false},
		{"/services/data/v67.0query", "", "", false},
		{"/services/apexrest/v1.0", "", "", false},
	}
	for _, tc := range cases {
		ver, rest, ok := splitVersionPath(tc.path)
		if ver != tc.ver || rest != tc.rest || ok != tc.ok {
			t.Errorf("splitVersionPath(%q) = %q, %q, %v; want %q, %q, %v", tc.path, ver, rest, ok, tc.ver, tc.rest, tc.ok)
		}
	}
}

// TestRecordsSeededOnFirstUse: a dialect made or reset seeds its org's
// records only when a request needs them.
func TestRecordsSeededOnFirstUse(t *testing.T) {
	m := newMock(t, Options{}, mockprovider.Config{})
	seeded := func() bool { m.d.mu.Lock(); defer m.d.mu.Unlock(); return m.d.org != nil }
	if seeded() {
		t.Error("records seeded before any request")
	}
	at := m.p.Initial().Access.Value
	if resp, body := m.get("/services/data/v67.0/sobjects/Account", at); resp.StatusCode != 200 || !strings.Contains(string(body), `"recentItems":[{`) {
		t.Fatalf("describe: %d %s", resp.StatusCode, body)
	}
	if !seeded() {
		t.Error("records not kept after a request")
	}
	m.p.Reset()
	if seeded() {
		t.Error("records still seeded after Reset")
	}
}
