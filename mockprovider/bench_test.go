package mockprovider_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/microsoft"
	"github.com/refreshproof/refreshproof/mockprovider/salesforce"
)

type dialectCase struct {
	name     string
	dialect  func() mockprovider.Dialect
	rotation mockprovider.Rotation
	token    string
	api      string
}

var benchDialects = []dialectCase{
	{"salesforce", func() mockprovider.Dialect { return salesforce.New(salesforce.Options{}) }, mockprovider.RotateReuseDetection,
		"/services/oauth2/token", "/services/data/v67.0/query?q=" + url.QueryEscape("SELECT Id, Name FROM Account LIMIT 5")},
	{"microsoft", func() mockprovider.Dialect { return microsoft.New(microsoft.Options{}) }, mockprovider.RotateKeepOld,
		"/common/oauth2/v2.0/token", "/v1.0/me"},
}

func newBenchProvider(b *testing.B, dc dialectCase) *mockprovider.Provider {
	b.Helper()
	d := dc.dialect()
	pol := *d.Defaults().Policy
	pol.Rotation = dc.rotation
	pol.RejectConcurrentRefresh = false // each goroutine has its own family anyway
	p, err := mockprovider.New(d, mockprovider.Config{Policy: &pol, JournalCap: 1024})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkRefreshRotation measures a refresh with rotation through the
// provider's handler, in parallel: each goroutine chains refreshes on a
// token family of its own, always presenting the newest refresh token.
func BenchmarkRefreshRotation(b *testing.B) {
	for _, dc := range benchDialects {
		b.Run(dc.name, func(b *testing.B) {
			p := newBenchProvider(b, dc)
			c := p.Client()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				rt := p.Authority().Mint(c.ID, p.Config().Scope).Refresh.Value
				for pb.Next() {
					form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {c.ID}, "client_secret": {c.Secret}}
					req := httptest.NewRequest(http.MethodPost, dc.token, strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.RemoteAddr, req.Host = "127.0.0.1:1", "127.0.0.1"
					w := httptest.NewRecorder()
					p.ServeHTTP(w, req)
					if w.Code != 200 {
						b.Fatalf("refresh: %d %s", w.Code, w.Body)
					}
					var body struct {
						RefreshToken string `json:"refresh_token"`
					}
					if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.RefreshToken == "" {
						b.Fatalf("no rotated refresh token: %v %s", err, w.Body)
					}
					rt = body.RefreshToken
				}
			})
		})
	}
}

// BenchmarkAPICall measures an authenticated API call through the
// provider's handler, in parallel, each goroutine with its own token.
func BenchmarkAPICall(b *testing.B) {
	for _, dc := range benchDialects {
		b.Run(dc.name, func(b *testing.B) {
			p := newBenchProvider(b, dc)
			c := p.Client()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				at := p.Authority().Mint(c.ID, p.Config().Scope).Access.Value
				for pb.Next() {
					req := httptest.NewRequest(http.MethodGet, dc.api, nil)
					req.Header.Set("Authorization", "Bearer "+at)
					req.RemoteAddr, req.Host = "127.0.0.1:1", "127.0.0.1"
					w := httptest.NewRecorder()
					p.ServeHTTP(w, req)
					if w.Code != 200 {
						b.Fatalf("api: %d %s", w.Code, w.Body)
					}
				}
			})
		})
	}
}
