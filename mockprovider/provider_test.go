package mockprovider

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func newFake(t *testing.T, cfg Config) (*Provider, *Server) {
	t.Helper()
	p, err := New(fakeDialect{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(p)
	t.Cleanup(s.Close)
	return p, s
}

func refreshForm(p *Provider, rt string) url.Values {
	c := p.Client()
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {c.ID}, "client_secret": {c.Secret}}
}

func postForm(t *testing.T, c *http.Client, u string, v url.Values) (*http.Response, string, error) {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func TestScriptedFaults(t *testing.T) {
	tests := []struct {
		name      string
		respond   Respond
		wantErr   bool
		wantCode  int
		wantBody  string // substring
		notInBody string
		fault     string
	}{
		{name: "catalogue error", respond: Respond{Error: "bad_grant"}, wantCode: 400, wantBody: "invalid_grant", fault: "error"},
		{name: "custom status", respond: Respond{Status: 503, Body: "down", Header: map[string]string{"Retry-After": "3"}}, wantCode: 503, wantBody: "down", fault: "status"},
		{name: "html page", respond: Respond{HTML: true}, wantCode: 200, wantBody: "<!DOCTYPE html>", fault: "html"},
		{name: "non-json", respond: Respond{NonJSON: true}, wantCode: 200, wantBody: "upstream connect error", fault: "non-json"},
		{name: "omit field", respond: Respond{Omit: []string{"access_token"}}, wantCode: 200, wantBody: "token_type", notInBody: "access_token", fault: "omit"},
		{name: "drop", respond: Respond{Drop: true}, wantErr: true, fault: "drop"},
		{name: "truncate", respond: Respond{Truncate: true}, wantErr: true, fault: "truncate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, s := newFake(t, Config{Rules: []Rule{{Name: "r1", Match: Match{Endpoint: EndpointRefresh, Nth: 1}, Respond: tc.respond}}})
			resp, body, err := postForm(t, s.Client(), s.URL+"/token", refreshForm(p, p.Initial().Refresh.Value))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %d %q, want a transport error", resp.StatusCode, body)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != tc.wantCode || !strings.Contains(body, tc.wantBody) || (tc.notInBody != "" && strings.Contains(body, tc.notInBody)) {
					t.Fatalf("got %d %q", resp.StatusCode, body)
				}
			}
			// The second refresh is not matched by the rule.
			resp, body, err = postForm(t, s.Client(), s.URL+"/token", refreshForm(p, p.Initial().Refresh.Value))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("second refresh: %v %v %s", err, resp, body)
			}
			es := p.Journal().Entries(Filter{Kinds: []Kind{KindToken}})
			if len(es) != 2 || es[0].Rule != "r1" || es[0].FaultText() != tc.fault || es[1].Rule != "" || es[0].Ordinal != 1 || es[1].Ordinal != 2 {
				t.Fatalf("journal: %+v", es)
			}
			if tc.respond.Error != "" || tc.respond.Drop || tc.respond.HTML {
				if len(es[0].Issued) != 0 {
					t.Fatalf("a replaced answer issued tokens: %v", es[0].Issued)
				}
			}
		})
	}
}

func TestRuleMatching(t *testing.T) {
	p, s := newFake(t, Config{Rules: []Rule{
		{Name: "after-2", Match: Match{Endpoint: EndpointAPI, After: 2}, Respond: Respond{Error: "unauthorized"}, Times: 2},
		{Name: "stale", Match: Match{Endpoint: EndpointAPI, TokenState: StateNone}, Respond: Respond{Status: 418}},
	}})
	c := s.Client()
	get := func(tok string) int {
		req, _ := http.NewRequest("GET", s.URL+"/api/x", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	at := p.Initial().Access.Value
	got := []int{get(at), get(at), get(at), get(at), get(at), get("")}
	want := []int{200, 200, 401, 401, 200, 418}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
}

// TestTokenlessFailsTokenCheckFirst pins that a rule without tokenState
// does not answer a request that carries no token: the provider's 401
// does, as on the real services; a rule for tokenState none still
// applies.
func TestTokenlessFailsTokenCheckFirst(t *testing.T) {
	p, s := newFake(t, Config{Rules: []Rule{
		{Name: "forbidden", Match: Match{Endpoint: EndpointAPI}, Respond: Respond{Status: 403}, Times: 2},
		{Name: "none", Match: Match{Endpoint: EndpointAPI, TokenState: StateNone}, Respond: Respond{Status: 418}, Times: 1},
	}})
	c := s.Client()
	get := func(tok string) int {
		req, _ := http.NewRequest("GET", s.URL+"/api/x", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	at := p.Initial().Access.Value
	got := []int{get(""), get(""), get(at), get(at), get("")}
	want := []int{418, 401, 403, 403, 401}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
	for _, e := range p.Journal().Entries(Filter{}) {
		if e.Presented == nil && e.Rule == "forbidden" {
			t.Errorf("#%d without a token was answered by rule %q", e.Seq, e.Rule)
		}
	}
}

// TestUnmockedReachesJournal pins that a dialect's Unmocked mark is
// copied to the journal entry, and only for that exchange.
func TestUnmockedReachesJournal(t *testing.T) {
	p, s := newFake(t, Config{})
	c := s.Client()
	for _, path := range []string{"/api/x", "/api/unmocked"} {
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+p.Initial().Access.Value)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	es := p.Journal().Entries(Filter{})
	if len(es) != 2 || es[0].Unmocked || !es[1].Unmocked {
		t.Fatalf("unmocked marks %v, want [false true]", func() []bool {
			var out []bool
			for _, e := range es {
				out = append(out, e.Unmocked)
			}
			return out
		}())
	}
	b, _ := json.Marshal(es[1])
	if !strings.Contains(string(b), `"unmocked":true`) {
		t.Errorf("entry JSON %s lacks \"unmocked\":true", b)
	}
}

func TestRuleValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule Rule
		want string
	}{
		{"unknown endpoint", Rule{Match: Match{Endpoint: "apii"}, Respond: Respond{Status: 500}}, `unknown endpoint "apii"`},
		{"suggests error", Rule{Match: Match{Endpoint: EndpointAPI}, Respond: Respond{Error: "unauthorised"}}, `did you mean "unauthorized"`},
		{"nth and after", Rule{Match: Match{Endpoint: EndpointAPI, Nth: 1, After: 1}, Respond: Respond{Status: 500}}, "exclude each other"},
		{"does nothing", Rule{Match: Match{Endpoint: EndpointAPI}}, "does nothing"},
		{"replace and modify", Rule{Match: Match{Endpoint: EndpointAPI}, Respond: Respond{Drop: true, Truncate: true}}, "cannot be combined"},
		{"bad status", Rule{Match: Match{Endpoint: EndpointAPI}, Respond: Respond{Status: 42}}, "not an HTTP status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rule.Validate(fakeDialect{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDelayEndsWhenServerCloses(t *testing.T) {
	p, err := New(fakeDialect{}, Config{Rules: []Rule{{Name: "slow", Match: Match{Endpoint: EndpointRefresh}, Respond: Respond{Delay: time.Hour}}}})
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(p)
	errc := make(chan error, 1)
	go func() {
		_, _, err := postForm(t, s.Client(), s.URL+"/token", refreshForm(p, p.Initial().Refresh.Value))
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	s.Close()
	select {
	case <-errc:
	case <-time.After(10 * time.Second):
		t.Fatal("a delayed request outlived Close")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("Close waited for the scripted delay")
	}
}

func TestDelayEndsWhenClientGoesAway(t *testing.T) {
	p, s := newFake(t, Config{Rules: []Rule{{Name: "slow", Match: Match{Endpoint: EndpointRefresh}, Respond: Respond{Delay: time.Hour}}}})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/token", strings.NewReader(refreshForm(p, p.Initial().Refresh.Value).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, err := s.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the client's deadline", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Journal().Counts().Total == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the server kept waiting after the client left")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOversizedBody(t *testing.T) {
	p, s := newFake(t, Config{MaxRequestBody: 1024})
	resp, _, err := postForm(t, s.Client(), s.URL+"/token", url.Values{"x": {strings.Repeat("a", 5000)}})
	if err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("got %v %v", resp, err)
	}
	if e := p.Journal().Entries(Filter{})[0]; !strings.Contains(e.Note, "over 1024 bytes") {
		t.Fatalf("journal note %q", e.Note)
	}
}

func TestHostRouting(t *testing.T) {
	p, s := newFake(t, Config{})
	// The server advertises real-host URLs for wildcard hosts under the
	// /__host/ prefix, and the dialect sees that host.
	resp, body, err := postForm(t, s.Client(), s.URL+"/token", refreshForm(p, p.Initial().Refresh.Value))
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(err, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		URL         string `json:"url"`
	}
	_ = json.Unmarshal([]byte(body), &tok)
	if want := s.URL + "/__host/a.api.fake.test"; tok.URL != want {
		t.Fatalf("advertised %q, want %q", tok.URL, want)
	}
	req, _ := http.NewRequest("GET", tok.URL+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"host":"a.api.fake.test"`) {
		t.Fatalf("dialect saw %s", b)
	}
	// A host the dialect does not serve is unknown, whatever the path.
	req, _ = http.NewRequest("GET", s.URL+"/__host/evil.example/api/me", nil)
	resp, err = s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if es := p.Journal().Entries(Filter{Limit: 1}); es[0].Kind != KindUnknown {
		t.Fatalf("kind %s for a foreign host", es[0].Kind)
	}
}

func TestJournalBounded(t *testing.T) {
	j := NewJournal(3, 10, 0)
	for i := 0; i < 5; i++ {
		j.Append(Entry{Kind: KindAPI, Body: strings.Repeat("x", 20)})
	}
	j.Append(Entry{Kind: KindToken})
	es := j.Entries(Filter{})
	if len(es) != 3 || es[0].Seq != 4 || es[2].Seq != 6 {
		t.Fatalf("kept %+v", es)
	}
	if len(es[0].Body) != 10 || !es[0].BodyTruncated || es[0].BodySize != 20 {
		t.Fatalf("body not cut: %q %v %d", es[0].Body, es[0].BodyTruncated, es[0].BodySize)
	}
	if j.Last() != 6 {
		t.Fatalf("Last() = %d, want 6", j.Last())
	}
	c := j.Counts()
	if c.Total != 6 || c.Evicted != 3 || c.ByKind[KindAPI] != 5 || c.ByKind[KindToken] != 1 {
		t.Fatalf("counts %+v", c)
	}
	if got := j.Entries(Filter{Kinds: []Kind{KindToken}}); len(got) != 1 {
		t.Fatalf("filter by kind: %d", len(got))
	}
	if got := j.Entries(Filter{Since: 5}); len(got) != 1 {
		t.Fatalf("filter since: %d", len(got))
	}
}

func TestRedaction(t *testing.T) {
	p, s := newFake(t, Config{})
	g := p.Initial()
	// A redactor made before the refresh must not be reused after it.
	if p.Redactor() != p.Redactor() {
		t.Error("the redactor is rebuilt although no token was issued")
	}
	_, _, err := postForm(t, s.Client(), s.URL+"/token", refreshForm(p, g.Refresh.Value))
	if err != nil {
		t.Fatal(err)
	}
	// A wrong secret in a Basic header is still a secret.
	req, _ := http.NewRequest("POST", s.URL+"/token", strings.NewReader("grant_type=refresh_token&refresh_token=guess-that-is-long&client_secret=wrong-secret"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("client-1", "another-wrong-secret")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	req, _ = http.NewRequest("GET", s.URL+"/api/x?access_token=query-guess-token", nil)
	req.Header.Set("Authorization", "Bearer bearer-guess-token")
	if resp, err = s.Client().Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	red := p.Redactor()
	out, _ := json.Marshal(func() []Entry {
		es := p.Journal().Entries(Filter{})
		for i := range es {
			es[i] = red.Entry(es[i])
		}
		return es
	}())
	text := string(out)
	for _, secret := range []string{g.Refresh.Value, g.Access.Value, p.Client().Secret, "wrong-secret", "guess-that-is-long", "query-guess-token", "bearer-guess-token"} {
		if strings.Contains(text, secret) {
			t.Fatalf("redacted journal still holds %q:\n%s", secret, text)
		}
	}
	for _, label := range []string{"[RT#1]", "[AT#2]", "[CLIENT_SECRET#1]", "[redacted]", "Basic [client-1:[redacted]]"} {
		if !strings.Contains(text, label) {
			t.Fatalf("redacted journal lacks %q:\n%s", label, text)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	_, err := New(fakeDialect{}, Config{InitialAccess: "stale", Clients: []Client{{ID: ""}}, Rules: []Rule{{Name: "x", Match: Match{Endpoint: "nope"}, Respond: Respond{Status: 500}}}})
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"initial access token state", "has no id", "unknown endpoint"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestInitialAccessState(t *testing.T) {
	for _, st := range []TokenState{StateValid, StateExpired, StateRevoked} {
		p, err := New(fakeDialect{}, Config{InitialAccess: st})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Initial().Access.State; got != st {
			t.Errorf("initial %s: got %s", st, got)
		}
	}
}

func TestOmitFieldsKeepsOrder(t *testing.T) {
	got, ok := omitFields([]byte(`{"b":1,"a":{"x":[1,2]},"c":"s"}`), []string{"c"})
	if !ok || string(got) != `{"b":1,"a":{"x":[1,2]}}` {
		t.Fatalf("%s %v", got, ok)
	}
	if _, ok := omitFields([]byte(`[1]`), []string{"a"}); ok {
		t.Fatal("array body accepted")
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "1.5h": 90 * time.Minute, "0.5d": 12 * time.Hour} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "d", "-1d", "3x", "1e9d"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestRefreshInFlightDuringDelay: a refresh held back by a scripted delay
// is in flight, so a concurrent one with the same token is refused when
// the policy says so.
func TestRefreshInFlightDuringDelay(t *testing.T) {
	p, s := newFake(t, Config{
		Policy: &Policy{RejectConcurrentRefresh: true},
		Rules:  []Rule{{Name: "slow", Match: Match{Endpoint: EndpointRefresh, Nth: 1}, Respond: Respond{Delay: 400 * time.Millisecond}}},
	})
	form := refreshForm(p, p.Initial().Refresh.Value)
	first := make(chan int, 1)
	go func() {
		resp, _, err := postForm(t, s.Client(), s.URL+"/token", form)
		if err != nil {
			first <- 0
			return
		}
		first <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond)
	resp, body, err := postForm(t, s.Client(), s.URL+"/token", form)
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("concurrent refresh: %v %v %s, want 400", resp, err, body)
	}
	if got := <-first; got != 200 {
		t.Fatalf("delayed refresh: %d, want 200", got)
	}
	resp, _, err = postForm(t, s.Client(), s.URL+"/token", form)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("refresh after both ended: %v %v", resp, err)
	}
}
