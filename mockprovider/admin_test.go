package mockprovider

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func adminDo(t *testing.T, c *http.Client, method, u, body, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if method == http.MethodPost || method == http.MethodPut {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAdminAPI(t *testing.T) {
	p, s := newFake(t, Config{})
	c := s.Client()
	admin := s.URL + AdminPrefix
	g := p.Initial()
	if _, _, err := postForm(t, c, s.URL+"/token", refreshForm(p, g.Refresh.Value)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, method, path, body string
		wantStatus               int
		want, notWant            string
	}{
		{"health", "GET", "health", "", 200, `"provider": "fake"`, ""},
		{"journal redacted", "GET", "journal?kind=token", "", 200, "[RT#1]", g.Refresh.Value},
		{"journal revealed", "GET", "journal?kind=token&reveal=true", "", 200, g.Refresh.Value, ""},
		{"journal bad since", "GET", "journal?since=x", "", 400, "must be a sequence number", ""},
		{"advance by body", "POST", "clock/advance", `{"by":"2h"}`, 200, `"offset": "2h0m0s"`, ""},
		{"advance by query", "POST", "clock/advance?by=1d", "", 200, `"offset": "26h0m0s"`, ""},
		{"advance bad", "POST", "clock/advance", `{"by":"soon"}`, 400, "bad duration", ""},
		{"advance bad json", "POST", "clock/advance", `{"by":`, 400, "bad JSON", ""},
		{"advance unknown field", "POST", "clock/advance", `{"bye":"1h"}`, 400, "unknown field", ""},
		{"tokens redacted", "GET", "tokens", "", 200, `"value": "[AT#1]"`, g.Access.Value},
		{"config redacted", "GET", "config", "", 200, "[CLIENT_SECRET#1]", "s3cret-value"},
		{"mint family", "POST", "families", `{"scope":"write"}`, 201, `"family": "F#2"`, ""},
		{"mint unknown client", "POST", "families", `{"clientId":"who"}`, 400, "unknown client", ""},
		{"families", "GET", "families", "", 200, `"id": "F#2"`, ""},
		{"revoke by label", "POST", "revoke", `{"token":"AT#1"}`, 200, "ok", ""},
		{"revoke family", "POST", "revoke", `{"family":"F#2"}`, 200, "ok", ""},
		{"revoke unknown", "POST", "revoke", `{"token":"AT#99"}`, 404, "unknown token", ""},
		{"revoke nothing", "POST", "revoke", `{}`, 400, "name a token", ""},
		{"expire", "POST", "expire", `{"token":"AT#2"}`, 200, "ok", ""},
		{"load config", "PUT", "scenario", `{"scope":"x","policy":{"rotation":"keep-old"}}`, 200, "loaded", ""},
		{"load bad config", "PUT", "scenario", `{"policy":{"rotation":"sometimes"}}`, 400, "unknown rotation", ""},
		{"ca without tls", "GET", "ca.pem", "", 404, "does not serve TLS", ""},
		{"wrong method", "DELETE", "journal", "", 405, "not allowed", ""},
		{"unknown path", "GET", "nope", "", 404, "POST clock/advance", ""},
		{"reset", "POST", "reset", "", 200, "reset", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, body := adminDo(t, c, tc.method, admin+tc.path, tc.body, "")
			if st != tc.wantStatus || !strings.Contains(body, tc.want) || (tc.notWant != "" && strings.Contains(body, tc.notWant)) {
				t.Fatalf("%s %s: %d %s", tc.method, tc.path, st, body)
			}
		})
	}
	if p.Config().Policy.Rotation != RotateKeepOld || p.Clock().Offset() != 0 {
		t.Fatalf("loaded config or reset not applied: %+v offset %v", p.Config().Policy, p.Clock().Offset())
	}
	// Mutations are journaled as admin exchanges (the reset emptied the
	// journal, so only itself remains).
	if es := p.Journal().Entries(Filter{Kinds: []Kind{KindAdmin}}); len(es) != 1 || !strings.HasSuffix(es[0].Path, "/reset") {
		t.Fatalf("admin journal: %+v", es)
	}
}

func TestAdminToken(t *testing.T) {
	p, s := newFake(t, Config{})
	p.AdminToken = "let-me-in"
	st, body := adminDo(t, s.Client(), "GET", s.URL+AdminPrefix+"health", "", "")
	if st != 401 || !strings.Contains(body, "Bearer") {
		t.Fatalf("no token: %d %s", st, body)
	}
	if st, _ := adminDo(t, s.Client(), "GET", s.URL+AdminPrefix+"health", "", "wrong"); st != 401 {
		t.Fatalf("wrong token: %d", st)
	}
	if st, _ := adminDo(t, s.Client(), "GET", s.URL+AdminPrefix+"health", "", "let-me-in"); st != 200 {
		t.Fatalf("right token: %d", st)
	}
}

func TestAdminRefusesRemoteWithoutToken(t *testing.T) {
	p, _ := New(fakeDialect{}, Config{})
	req := httptest.NewRequest("GET", AdminPrefix+"health", nil)
	req.RemoteAddr = "192.0.2.7:4000"
	w := httptest.NewRecorder()
	p.ServeHTTP(w, req)
	if w.Code != 403 {
		t.Fatalf("remote admin without token: %d", w.Code)
	}
	if _, err := NewUnstartedServer(p, "0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "admin token") {
		t.Fatalf("listening on all interfaces without a token: %v", err)
	}
}

func TestTLSWithGeneratedCA(t *testing.T) {
	p, err := New(fakeDialect{}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := NewTLSServer(p)
	defer s.Close()
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") {
		t.Fatalf("URL %s", s.URL)
	}
	// The client trusts the CA and reaches the real host name through the
	// mock, with certificate checks on.
	c := s.Client()
	for _, u := range []string{"https://auth.fake.test/token", s.URL + "/token", "https://x.api.fake.test/api/y"} {
		resp, err := c.Post(u, "application/x-www-form-urlencoded", strings.NewReader(refreshForm(p, p.Initial().Refresh.Value).Encode()))
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		resp.Body.Close()
	}
	// A client without the CA refuses the certificate.
	plain := &http.Client{Timeout: 5 * time.Second}
	if _, err := plain.Get(s.URL + AdminPrefix + "health"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted client: %v", err)
	}
	// Hosts that are not the provider's are refused before any packet.
	if _, err := c.Get("https://example.com/"); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("foreign host: %v", err)
	}
	st, pemText := adminDo(t, c, "GET", s.URL+AdminPrefix+"ca.pem", "", "")
	if st != 200 || !strings.Contains(pemText, "BEGIN CERTIFICATE") || strings.Contains(pemText, "PRIVATE") {
		t.Fatalf("ca.pem: %d %s", st, pemText)
	}
	// The leaf names every provider host.
	conn, err := tls.Dial("tcp", s.Listener.Addr().String(), &tls.Config{RootCAs: s.CA.Pool(), ServerName: "deep.api.fake.test"})
	if err != nil {
		t.Fatalf("wildcard host: %v", err)
	}
	conn.Close()
}

func TestHTTPMockAdapter(t *testing.T) {
	p, err := New(fakeDialect{}, Config{Rules: []Rule{{Name: "drop-2nd", Match: Match{Endpoint: EndpointRefresh, Nth: 2}, Respond: Respond{Drop: true}}, {Name: "cut-3rd", Match: Match{Endpoint: EndpointRefresh, Nth: 3}, Respond: Respond{Truncate: true}}}})
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: Transport(p)}
	form := refreshForm(p, p.Initial().Refresh.Value)
	resp, body, err := postForm(t, c, "https://auth.fake.test/token", form)
	if err != nil || resp.StatusCode != 200 || !strings.Contains(body, `"url":"https://a.api.fake.test"`) {
		t.Fatalf("in-process refresh: %v %v %s", resp, err, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal([]byte(body), &tok)
	req, _ := http.NewRequest("GET", "https://tenant.api.fake.test/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if resp, err := c.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("in-process API: %v %v", resp, err)
	}
	if _, _, err := postForm(t, c, "https://auth.fake.test/token", form); err == nil {
		t.Fatal("dropped connection gave no error")
	}
	if _, _, err := postForm(t, c, "https://auth.fake.test/token", form); err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Fatalf("truncated body: %v", err)
	}
	if _, err := c.Get("https://login.example.org/token"); err == nil || !strings.Contains(err.Error(), "refusing to reach login.example.org") {
		t.Fatalf("unknown host: %v", err)
	}
	if got := p.Journal().Counts().ByKind[KindToken]; got != 3 {
		t.Fatalf("%d token exchanges journaled, want 3", got)
	}
	// Two transports share nothing.
	p2, _ := New(fakeDialect{}, Config{})
	c2 := &http.Client{Transport: Transport(p2)}
	if resp, _, err := postForm(t, c2, "https://auth.fake.test/token", refreshForm(p2, p2.Initial().Refresh.Value)); err != nil || resp.StatusCode != 200 {
		t.Fatalf("second transport: %v", err)
	}
	if p.Journal().Counts().ByKind[KindToken] != 3 {
		t.Fatal("the second transport reached the first provider")
	}
}
