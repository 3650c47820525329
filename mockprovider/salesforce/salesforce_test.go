package salesforce

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/refreshproof/refreshproof/mockprovider"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixedNow is the pinned virtual time of every test.
var fixedNow = time.Date(2025, 3, 14, 15, 9, 26, 535000000, time.UTC)

// mock is a provider with the Salesforce dialect behind an httptest
// server, recording a transcript of the exchanges a test makes.
type mock struct {
	t   *testing.T
	d   *Dialect
	p   *mockprovider.Provider
	srv *httptest.Server
	out strings.Builder
}

func newMock(t *testing.T, opts Options, cfg mockprovider.Config) *mock {
	t.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	d := New(opts)
	p, err := mockprovider.New(d, cfg)
	if err != nil {
		t.Fatalf("mockprovider.New: %v", err)
	}
	p.Clock().Base = func() time.Time { return fixedNow }
	p.Reset() // mint the initial grant on the pinned clock
	srv := httptest.NewServer(p)
	t.Cleanup(func() { p.Close(); srv.Close() })
	return &mock{t: t, d: d, p: p, srv: srv}
}

// refreshForm is a refresh request with the client's credentials in the
// body.
func (m *mock) refreshForm(rt string) url.Values {
	c := m.p.Client()
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {c.ID}, "client_secret": {c.Secret}}
}

func (m *mock) newRequest(method, target string, body string, header ...string) *http.Request {
	m.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, m.srv.URL+target, r)
	if err != nil {
		m.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

func (m *mock) post(target string, form url.Values, header ...string) (*http.Response, []byte) {
	m.t.Helper()
	header = append([]string{"Content-Type", "application/x-www-form-urlencoded"}, header...)
	return m.do(m.newRequest(http.MethodPost, target, form.Encode(), header...))
}

func (m *mock) get(target, token string, header ...string) (*http.Response, []byte) {
	m.t.Helper()
	if token != "" {
		header = append([]string{"Authorization", "Bearer " + token}, header...)
	}
	return m.do(m.newRequest(http.MethodGet, target, "", header...))
}

// do sends req and appends both to the transcript.
func (m *mock) do(req *http.Request) (*http.Response, []byte) {
	m.t.Helper()
	var reqBody []byte
	if req.GetBody != nil {
		rc, _ := req.GetBody()
		reqBody, _ = io.ReadAll(rc)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		m.t.Fatal(err)
	}
	m.record(req, reqBody, resp, body)
	return resp, body
}

var (
	browserID = regexp.MustCompile(`BrowserId=[A-Za-z0-9]{22};`)
	cookieExp = regexp.MustCompile(`Expires=[^;]+;`)
)

func (m *mock) record(req *http.Request, reqBody []byte, resp *http.Response, body []byte) {
	fmt.Fprintf(&m.out, "> %s %s\n", req.Method, req.URL.RequestURI())
	if req.Host != "" && !strings.HasPrefix(req.Host, "127.0.0.1") {
		fmt.Fprintf(&m.out, "> Host: %s\n", req.Host)
	}
	for _, k := range []string{"Accept", "Authorization", "Content-Type", "Sforce-Query-Options"} {
		if v := req.Header.Get(k); v != "" {
			fmt.Fprintf(&m.out, "> %s: %s\n", k, v)
		}
	}
	if len(reqBody) > 0 {
		fmt.Fprintf(&m.out, ">\n> %s\n", reqBody)
	}
	fmt.Fprintf(&m.out, "< HTTP %d\n", resp.StatusCode)
	var keys []string
	for k := range resp.Header {
		if k != "Date" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			if k == "Set-Cookie" {
				v = cookieExp.ReplaceAllString(browserID.ReplaceAllString(v, "BrowserId=<22 chars>;"), "Expires=<date>;")
			}
			fmt.Fprintf(&m.out, "< %s: %s\n", k, v)
		}
	}
	fmt.Fprintf(&m.out, "<\n%s\n\n", body)
}

// golden compares the transcript with testdata/{name}.golden.
func (m *mock) golden(name string) {
	m.t.Helper()
	path := filepath.Join("testdata", name+".golden")
	got := m.out.String()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			m.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		m.t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		m.t.Errorf("transcript differs from %s (-want +got):\n%s", path, diff)
	}
}

// decode parses a JSON object body, keeping its key order.
func decode(t *testing.T, body []byte) (map[string]any, []string) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, body)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	var keys []string
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			continue
		case json.Delim('}'), json.Delim(']'):
			depth--
			continue
		}
		if s, ok := tok.(string); ok && depth == 1 && len(keys) < len(v) {
			if _, isKey := v[s]; isKey && !slices.Contains(keys, s) {
				keys = append(keys, s)
				var skip json.RawMessage
				_ = dec.Decode(&skip)
			}
		}
	}
	return v, keys
}

// checkSignature recomputes the signature of a token response.
func checkSignature(t *testing.T, v map[string]any, secret string) {
	t.Helper()
	want := Signature(secret, v["id"].(string), v["issued_at"].(string))
	if v["signature"] != want {
		t.Errorf("signature = %v, want HMAC-SHA256(secret, id+issued_at) = %s", v["signature"], want)
	}
}

func TestTokenEndpointGolden(t *testing.T) {
	rotation := &mockprovider.Policy{AccessTokenLifetime: 2 * time.Hour, SlidingAccess: true, Rotation: mockprovider.RotateReuseDetection, RejectConcurrentRefresh: true}
	tests := []struct {
		name string
		opts Options
		cfg  mockprovider.Config
		run  func(t *testing.T, m *mock)
	}{
		{
			name: "refresh",
			run: func(t *testing.T, m *mock) {
				resp, body := m.post(pathToken, m.refreshForm(m.p.Initial().Refresh.Value))
				if resp.StatusCode != 200 {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				v, keys := decode(t, body)
				if diff := cmp.Diff([]string{"access_token", "signature", "scope", "instance_url", "id", "token_type", "issued_at"}, keys); diff != "" {
					t.Errorf("keys (-want +got):\n%s", diff)
				}
				checkSignature(t, v, m.p.Client().Secret)
				if got, want := v["issued_at"], fmt.Sprint(fixedNow.UnixMilli()); got != want {
					t.Errorf("issued_at = %v, want %s", got, want)
				}
				// Without rotation the old refresh token keeps working.
				if resp, body := m.post(pathToken, m.refreshForm(m.p.Initial().Refresh.Value)); resp.StatusCode != 200 {
					t.Errorf("second refresh: status %d: %s", resp.StatusCode, body)
				}
			},
		},
		{
			name: "refresh_rotation",
			cfg:  mockprovider.Config{Policy: rotation},
			run: func(t *testing.T, m *mock) {
				_, body := m.post(pathToken, m.refreshForm(m.p.Initial().Refresh.Value))
				v, keys := decode(t, body)
				if diff := cmp.Diff([]string{"access_token", "refresh_token", "signature", "scope", "instance_url", "id", "token_type", "issued_at"}, keys); diff != "" {
					t.Errorf("keys (-want +got):\n%s", diff)
				}
				checkSignature(t, v, m.p.Client().Secret)
			},
		},
		{
			name: "refresh_urlencoded",
			run: func(t *testing.T, m *mock) {
				form := m.refreshForm(m.p.Initial().Refresh.Value)
				form.Set("format", "urlencoded")
				_, body := m.post(pathToken, form)
				v, err := url.ParseQuery(string(body))
				if err != nil || v.Get("access_token") == "" {
					t.Fatalf("body is not a form with access_token: %v\n%s", err, body)
				}
				if got, want := v.Get("signature"), Signature(m.p.Client().Secret, v.Get("id"), v.Get("issued_at")); got != want {
					t.Errorf("signature = %s, want %s", got, want)
				}
			},
		},
		{
			name: "refresh_xml",
			run: func(t *testing.T, m *mock) {
				m.post(pathToken, m.refreshForm(m.p.Initial().Refresh.Value), "Accept", "application/xml")
			},
		},
		{
			name: "refresh_basic_auth",
			run: func(t *testing.T, m *mock) {
				c := m.p.Client()
				form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {m.p.Initial().Refresh.Value}}
				req := m.newRequest(http.MethodPost, pathToken, form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
				resp, body := m.do(req)
				if resp.StatusCode != 200 {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				// A wrong secret in the header fails as in the body.
				req = m.newRequest(http.MethodPost, pathToken, form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(c.ID, "wrong")
				m.do(req)
			},
		},
		{
			name: "error_unknown_client",
			run: func(t *testing.T, m *mock) {
				form := m.refreshForm(m.p.Initial().Refresh.Value)
				form.Set("client_id", "3MVG9unknown")
				m.post(pathToken, form)
			},
		},
		{
			name: "error_bad_secret",
			run: func(t *testing.T, m *mock) {
				form := m.refreshForm(m.p.Initial().Refresh.Value)
				form.Set("client_secret", "1234")
				m.post(pathToken, form)
				form.Del("client_secret")
				m.post(pathToken, form)
			},
		},
		{
			name: "error_reuse_revokes_family",
			cfg:  mockprovider.Config{Policy: rotation},
			run: func(t *testing.T, m *mock) {
				rt1 := m.p.Initial().Refresh.Value
				_, body := m.post(pathToken, m.refreshForm(rt1))
				v, _ := decode(t, body)
				rt2, at2 := v["refresh_token"].(string), v["access_token"].(string)
				if resp, _ := m.post(pathToken, m.refreshForm(rt1)); resp.StatusCode != 400 {
					t.Errorf("reusing the rotated-out token: status %d, want 400", resp.StatusCode)
				}
				if resp, _ := m.post(pathToken, m.refreshForm(rt2)); resp.StatusCode != 400 {
					t.Errorf("the newest refresh token after reuse: status %d, want 400", resp.StatusCode)
				}
				if resp, _ := m.get("/services/data/v67.0/limits", at2); resp.StatusCode != 401 {
					t.Errorf("the newest access token after reuse: status %d, want 401", resp.StatusCode)
				}
			},
		},
		{
			name: "error_in_flight",
			cfg: mockprovider.Config{Rules: []mockprovider.Rule{{
				Name:    "slow",
				Match:   mockprovider.Match{Endpoint: mockprovider.EndpointRefresh, Nth: 1},
				Respond: mockprovider.Respond{Delay: 300 * time.Millisecond},
			}}},
			run: func(t *testing.T, m *mock) {
				form := m.refreshForm(m.p.Initial().Refresh.Value)
				first := make(chan func(), 1)
				go func() {
					req := m.newRequest(http.MethodPost, pathToken, form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						first <- func() { t.Errorf("first refresh: %v", err) }
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					first <- func() { m.record(req, []byte(form.Encode()), resp, body) }
				}()
				waitInFlight(t, m.p, m.p.Initial().Refresh.Value)
				resp, body := m.post(pathToken, form)
				if resp.StatusCode != 400 || !strings.Contains(string(body), "token request is already being processed") {
					t.Errorf("concurrent refresh: %d %s, want 400 token request is already being processed", resp.StatusCode, body)
				}
				(<-first)()
			},
		},
		{
			name: "revoke",
			run: func(t *testing.T, m *mock) {
				g := m.p.Initial()
				m.post(pathRevoke, url.Values{"token": {g.Refresh.Value}})
				if resp, _ := m.post(pathToken, m.refreshForm(g.Refresh.Value)); resp.StatusCode != 400 {
					t.Errorf("refresh with a revoked token: status %d, want 400", resp.StatusCode)
				}
				if resp, _ := m.get("/services/data/v67.0/limits", g.Access.Value); resp.StatusCode != 401 {
					t.Errorf("API with an access token of a revoked grant: status %d, want 401", resp.StatusCode)
				}
				m.post(pathRevoke, url.Values{"token": {"00Dunknown"}})
			},
		},
		{
			name: "api_expired",
			run: func(t *testing.T, m *mock) {
				at := m.p.Initial().Access.Value
				if resp, _ := m.get("/services/data/v67.0/limits", at); resp.StatusCode != 200 {
					t.Fatalf("fresh token: status %d", resp.StatusCode)
				}
				// The session timeout is idle time: 1h59m after the last use
				// it is still valid, and that use extends it again.
				m.p.Clock().Advance(119 * time.Minute)
				if resp, _ := m.get("/services/data/v67.0/limits", at); resp.StatusCode != 200 {
					t.Fatalf("token used within its idle timeout: status %d", resp.StatusCode)
				}
				m.p.Clock().Advance(3 * time.Hour)
				m.get("/services/data/v67.0/limits", at)
				m.get("/services/data/v67.0/limits", "")
				m.get("/services/data/v67.0/limits", "", "Authorization", "Bearer")
			},
		},
		{
			name: "api_paging",
			run: func(t *testing.T, m *mock) {
				at := m.p.Initial().Access.Value
				next := "/services/data/v67.0/query?q=" + url.QueryEscape("SELECT Id, Name, AnnualRevenue FROM Account ORDER BY Name LIMIT 24")
				var names []string
				for pages := 0; next != ""; pages++ {
					if pages > 5 {
						t.Fatal("paging does not end")
					}
					resp, body := m.get(next, at, "Sforce-Query-Options", "batchSize=10")
					if resp.StatusCode != 200 {
						t.Fatalf("status %d: %s", resp.StatusCode, body)
					}
					var page struct {
						TotalSize      int
						Done           bool
						NextRecordsURL string
						Records        []struct{ Name string }
					}
					if err := json.Unmarshal(body, &page); err != nil {
						t.Fatal(err)
					}
					for _, r := range page.Records {
						names = append(names, r.Name)
					}
					if page.Done != (page.NextRecordsURL == "") {
						t.Errorf("done = %v with nextRecordsUrl %q", page.Done, page.NextRecordsURL)
					}
					next = page.NextRecordsURL
				}
				// SOQL orders text without case.
				sorted := slices.IsSortedFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
				if len(names) != 24 || !sorted {
					t.Errorf("got %d names (sorted: %v), want 24 sorted", len(names), sorted)
				}
			},
		},
		{
			name: "identity",
			run: func(t *testing.T, m *mock) {
				g := m.p.Initial()
				m.get("/id/"+DefaultOrgID+"/"+DefaultUserID, g.Access.Value)
				m.get("/services/oauth2/userinfo", "00D5g000004CKZ1!unknown")
				m.get("/id/"+DefaultOrgID+"/"+DefaultUserID+"?access_token="+url.QueryEscape(g.Refresh.Value), "")
			},
		},
		{
			name: "moved_instance",
			opts: Options{MoveInstanceAfterRefresh: 1},
			run: func(t *testing.T, m *mock) {
				_, body := m.post(pathToken, m.refreshForm(m.p.Initial().Refresh.Value))
				v, _ := decode(t, body)
				if got := v["instance_url"]; got != "https://"+DefaultMovedInstanceHost {
					t.Errorf("instance_url = %v, want the moved instance", got)
				}
				at := v["access_token"].(string)
				old := m.newRequest(http.MethodGet, "/services/data/v67.0/limits", "", "Authorization", "Bearer "+at)
				old.Host = DefaultInstanceHost
				if resp, _ := m.do(old); resp.StatusCode != 401 {
					t.Errorf("API on the old instance: status %d, want 401", resp.StatusCode)
				}
				moved := m.newRequest(http.MethodGet, "/services/data/v67.0/limits", "", "Authorization", "Bearer "+at)
				moved.Host = DefaultMovedInstanceHost
				if resp, _ := m.do(moved); resp.StatusCode != 200 {
					t.Errorf("API on the new instance: status %d, want 200", resp.StatusCode)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, tc.opts, tc.cfg)
			tc.run(t, m)
			m.golden(tc.name)
		})
	}
}

// waitInFlight waits until a refresh with rt is being answered, which the
// authority tells by refusing to begin another one.
func waitInFlight(t *testing.T, p *mockprovider.Provider, rt string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		done, err := p.Authority().BeginRefresh(rt)
		done()
		if err != nil {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no refresh became in flight")
}
