package microsoft_test

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/microsoft"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixed is the virtual time tests pin the clock to.
var fixed = time.Date(2025, time.March, 17, 9, 30, 0, 0, time.UTC)

// testPolicy gives access tokens exactly one hour, so expires_in does not
// depend on the jitter.
func testPolicy() *mockprovider.Policy {
	return &mockprovider.Policy{AccessTokenLifetime: time.Hour, RefreshTokenIdle: 90 * 24 * time.Hour, Rotation: mockprovider.RotateKeepOld}
}

// mock is a provider served over loopback HTTP.
type mock struct {
	t   *testing.T
	p   *mockprovider.Provider
	srv *httptest.Server
}

// newMock starts a provider with seed 1, the test policy unless cfg sets
// one, and the clock pinned to fixed.
func newMock(t *testing.T, o microsoft.Options, cfg mockprovider.Config) *mock {
	t.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Policy == nil {
		cfg.Policy = testPolicy()
	}
	p, err := mockprovider.New(microsoft.New(o), cfg)
	if err != nil {
		t.Fatalf("mockprovider.New: %v", err)
	}
	p.Clock().Base = func() time.Time { return fixed }
	p.Reset() // mint the initial grant at the pinned time
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return &mock{t: t, p: p, srv: srv}
}

// request is one HTTP request to the mock.
type request struct {
	method string
	// host, when set, is the Host header: the real service the request
	// was meant for.
	host   string
	path   string
	header http.Header
	body   string
}

// response is what came back.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (m *mock) do(r request) response {
	m.t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	req, err := http.NewRequest(r.method, m.srv.URL+r.path, strings.NewReader(r.body))
	if err != nil {
		m.t.Fatalf("new request: %v", err)
	}
	if r.host != "" {
		req.Host = r.host
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	resp, err := m.srv.Client().Do(req)
	if err != nil {
		m.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		m.t.Fatalf("reading the body: %v", err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// tokenRequest is a form POST to the token endpoint of tenant.
func tokenRequest(tenant string, form url.Values) request {
	return request{
		method: http.MethodPost,
		path:   "/" + tenant + "/oauth2/v2.0/token",
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		body:   form.Encode(),
	}
}

// refreshForm is a refresh with the default client's credentials in the
// body.
func refreshForm(rt string, extra ...string) url.Values {
	v := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {rt},
		"client_id":     {microsoft.DefaultClientID},
		"client_secret": {microsoft.DefaultClientSecret},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			v.Del(extra[i])
		} else {
			v.Set(extra[i], extra[i+1])
		}
	}
	return v
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

// dump renders a response for a golden file: status, headers sorted
// (Date dropped, as it is the only real-time value), body as sent.
func (r response) dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", r.status)
	keys := make([]string, 0, len(r.header))
	for k := range r.header {
		if k != "Date" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range r.header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	b.Write(r.body)
	if len(r.body) > 0 && !bytes.HasSuffix(r.body, []byte("\n")) {
		b.WriteString("\n")
	}
	return b.String()
}

// golden compares got with testdata/name.golden, or rewrites it under
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", path, diff)
	}
}
