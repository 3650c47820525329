package salesforce

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// TestAPIPathsGolden pins the describe, search and not-mocked answers
// byte for byte.
func TestAPIPathsGolden(t *testing.T) {
	const v = "/services/data/v67.0/"
	forbidden := []mockprovider.Rule{{Name: "forbidden", Match: mockprovider.Match{Endpoint: mockprovider.EndpointAPI}, Respond: mockprovider.Respond{Error: "API_DISABLED_FOR_ORG"}}}
	tests := []struct {
		name  string
		cfg   mockprovider.Config
		paths []string
		anon  bool
	}{
		{name: "api_describe", paths: []string{v + "sobjects", v + "sobjects/Contact/describe", v + "sobjects/Widget__c/describe"}},
		{name: "api_search", paths: []string{
			v + "search?q=" + url.QueryEscape("FIND {united*} IN NAME FIELDS RETURNING Account(Id, Name, BillingCity LIMIT 2), Contact(Name, Email)"),
			v + "search?q=" + url.QueryEscape("FIND {gonzalez} RETURNING Contact(Id, Email) LIMIT 5"),
			v + "search?q=" + url.QueryEscape("FIND {falcon}"),
			v + "search?q=" + url.QueryEscape("FIND united"),
			v + "search?q=" + url.QueryEscape("FIND {x}"),
			v + "search?q=" + url.QueryEscape("FIND {acme} RETURNING Widget__c"),
			v + "search",
			v + "parameterizedSearch?q=harbor&sobject=Account&Account.fields=Id,Name,Industry&Account.limit=5",
			v + "parameterizedSearch?q=ripley&in=NAME&sobject=Contact&fields=Id,Name,Title",
		}},
		{name: "api_unmocked", paths: []string{
			v + "chatter/users/me",
			v + "sobjects/Case/describe",
			v + "sobjects/Account/updated?start=2024-01-01T00:00:00Z&end=2024-01-02T00:00:00Z",
			"/services/apexrest/orders",
		}},
		{name: "api_tokenless", cfg: mockprovider.Config{Rules: forbidden}, anon: true, paths: []string{v + "limits", v + "sobjects/Account/describe"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, Options{}, tc.cfg)
			at := m.p.Initial().Access.Value
			if tc.anon {
				at = ""
			}
			for _, p := range tc.paths {
				m.get(p, at)
			}
			m.golden(tc.name)
		})
	}
}

// TestUnmockedJournaled checks that only paths the mock does not serve
// are marked unmocked in the journal, and only after the session check.
func TestUnmockedJournaled(t *testing.T) {
	m := newMock(t, Options{}, mockprovider.Config{})
	at := m.p.Initial().Access.Value
	const v = "/services/data/v67.0/"
	for _, tc := range []struct {
		path     string
		token    string
		status   int
		unmocked bool
	}{
		{v + "limits", at, 200, false},
		{v + "sobjects/Account/001000000000000AAA", at, 404, false},
		{v + "sobjects/Nope__c", at, 404, false},
		{"/services/data/v99.0/limits", at, 404, false},
		{v + "sobjects/Task/describe", at, 404, true},
		{v + "analytics/reports", at, 404, true},
		{v + "analytics/reports", "", 401, false},
	} {
		resp, body := m.get(tc.path, tc.token)
		es := m.p.Journal().Entries(mockprovider.Filter{})
		e := es[len(es)-1]
		if resp.StatusCode != tc.status || e.Unmocked != tc.unmocked {
			t.Errorf("%s: status %d unmocked %v, want %d %v (%s)", tc.path, resp.StatusCode, e.Unmocked, tc.status, tc.unmocked, body)
		}
	}
}

// TestSearchFindsCreated checks that search sees a record created in the
// run, as SOSL's index does after a moment.
func TestSearchFindsCreated(t *testing.T) {
	m := newMock(t, Options{}, mockprovider.Config{})
	at := m.p.Initial().Access.Value
	req := m.newRequest(http.MethodPost, "/services/data/v67.0/sobjects/Account", `{"Name":"Zephyr Robotics"}`, "Authorization", "Bearer "+at, "Content-Type", "application/json")
	if resp, body := m.do(req); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	resp, body := m.get("/services/data/v67.0/search?q="+url.QueryEscape("FIND {zephyr} RETURNING Account(Name)"), at)
	if resp.StatusCode != 200 || string(body) != `{"searchRecords":[{"attributes":{"type":"Account","url":"/services/data/v67.0/sobjects/Account/`+m.d.data().records["Account"][len(m.d.data().records["Account"])-1].id+`"},"Name":"Zephyr Robotics"}]}` {
		t.Errorf("search: %d %s", resp.StatusCode, body)
	}
}
