package microsoft_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/microsoft"
)

// TestTokenEndpointWire pins the token endpoint's answers byte for byte.
func TestTokenEndpointWire(t *testing.T) {
	spaPolicy := &mockprovider.Policy{AccessTokenLifetime: time.Hour, RefreshTokenIdle: 90 * 24 * time.Hour, FamilyLifetime: 24 * time.Hour, Rotation: mockprovider.RotateKeepOld}
	other := mockprovider.Client{ID: "0a7c52f4-9e13-4b8d-a6f0-2d5e8c1b7a93", Secret: "Zt48Q~other.secret_value_for_tests_00000"}
	tests := []struct {
		name  string
		opts  microsoft.Options
		cfg   mockprovider.Config
		setup func(m *mock)
		req   func(m *mock) request
	}{
		{
			name: "refresh-success",
			req:  func(m *mock) request { return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value)) },
		},
		{
			name: "refresh-basic-auth",
			req: func(m *mock) request {
				r := tokenRequest("organizations", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {m.p.Initial().Refresh.Value}})
				r.header.Set("Authorization", basic(microsoft.DefaultClientID, microsoft.DefaultClientSecret))
				return r
			},
		},
		{
			name: "refresh-scope-subset",
			req: func(m *mock) request {
				return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value, "scope", "https://graph.microsoft.com/mail.read offline_access"))
			},
		},
		{
			name: "refresh-scope-superset",
			req: func(m *mock) request {
				return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value, "scope", "https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/Mail.Send"))
			},
		},
		{
			name: "refresh-scope-other-resource",
			req: func(m *mock) request {
				return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value, "scope", "api://contoso-api/read"))
			},
		},
		{
			name: "refresh-no-id-token",
			opts: microsoft.Options{NoIDToken: true},
			req:  func(m *mock) request { return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value)) },
		},
		{
			name: "bad-secret",
			req: func(m *mock) request {
				return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value, "client_secret", "wrong"))
			},
		},
		{
			name: "bad-secret-basic",
			req: func(m *mock) request {
				r := tokenRequest("common", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {m.p.Initial().Refresh.Value}})
				r.header.Set("Authorization", basic(microsoft.DefaultClientID, "wrong"))
				return r
			},
		},
		{
			name: "missing-secret",
			req: func(m *mock) request {
				return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value, "client_secret", ""))
			},
		},
		{
			name: "unknown-client",
			req: func(m *mock) request {
				return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value, "client_id", "11111111-2222-3333-4444-555555555555"))
			},
		},
		{
			name:  "expired-refresh-token",
			setup: func(m *mock) { m.p.Clock().Advance(91 * 24 * time.Hour) },
			req:   func(m *mock) request { return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value)) },
		},
		{
			name:  "spa-family-deadline",
			opts:  microsoft.Options{SPA: true},
			cfg:   mockprovider.Config{Policy: spaPolicy},
			setup: func(m *mock) { m.p.Clock().Advance(25 * time.Hour) },
			req: func(m *mock) request {
				return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value, "client_secret", ""))
			},
		},
		{
			name: "spa-secret-not-allowed",
			opts: microsoft.Options{SPA: true},
			cfg:  mockprovider.Config{Policy: spaPolicy},
			req:  func(m *mock) request { return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value)) },
		},
		{
			name: "revoked-family",
			setup: func(m *mock) {
				m.p.Clock().Advance(10 * time.Minute)
				if err := m.p.Authority().RevokeFamily(m.p.Initial().Refresh.Value); err != nil {
					m.t.Fatal(err)
				}
			},
			req: func(m *mock) request { return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value)) },
		},
		{
			name: "garbage-refresh-token",
			req:  func(m *mock) request { return tokenRequest("common", refreshForm("not-a-token")) },
		},
		{
			name: "access-token-as-refresh-token",
			req:  func(m *mock) request { return tokenRequest("common", refreshForm(m.p.Initial().Access.Value)) },
		},
		{
			name: "wrong-client",
			cfg:  mockprovider.Config{Clients: []mockprovider.Client{{ID: microsoft.DefaultClientID, Secret: microsoft.DefaultClientSecret}, other}},
			req: func(m *mock) request {
				return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value, "client_id", other.ID, "client_secret", other.Secret))
			},
		},
		{
			name: "missing-refresh-token",
			req:  func(m *mock) request { return tokenRequest("common", refreshForm("")) },
		},
		{
			name: "missing-grant-type",
			req: func(m *mock) request {
				return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value, "grant_type", ""))
			},
		},
		{
			name: "missing-client-id",
			req: func(m *mock) request {
				return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value, "client_id", ""))
			},
		},
		{
			name: "unsupported-grant-type",
			req: func(m *mock) request {
				return tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value, "grant_type", "password"))
			},
		},
		{
			name: "unknown-tenant",
			opts: microsoft.Options{Tenants: []string{"contoso.onmicrosoft.com"}},
			req: func(m *mock) request {
				return tokenRequest("fabrikam.onmicrosoft.com", refreshForm(m.p.Initial().Refresh.Value))
			},
		},
		{
			name: "malformed-tenant",
			req: func(m *mock) request {
				return tokenRequest("not_a_tenant", refreshForm(m.p.Initial().Refresh.Value))
			},
		},
		{
			name: "client-request-id-echoed",
			req: func(m *mock) request {
				r := tokenRequest("common", refreshForm("garbage"))
				r.header.Set("client-request-id", "5f0ad1f6-0c8e-4a6b-9d57-2b1f3c4e5a69")
				return r
			},
		},
		{
			name: "json-body",
			req: func(m *mock) request {
				body, _ := json.Marshal(map[string]string{"grant_type": "refresh_token", "refresh_token": m.p.Initial().Refresh.Value})
				return request{method: http.MethodPost, path: "/common/oauth2/v2.0/token", header: http.Header{"Content-Type": {"application/json"}}, body: string(body)}
			},
		},
		{
			name: "get-token-endpoint",
			req: func(m *mock) request {
				return request{method: http.MethodGet, path: "/common/oauth2/v2.0/token?grant_type=refresh_token"}
			},
		},
		{
			name: "client-credentials",
			req: func(m *mock) request {
				return tokenRequest("contoso.onmicrosoft.com", url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"},
					"client_id": {microsoft.DefaultClientID}, "client_secret": {microsoft.DefaultClientSecret}})
			},
		},
		{
			name: "client-credentials-bad-scope",
			req: func(m *mock) request {
				return tokenRequest("contoso.onmicrosoft.com", url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/Mail.Read"},
					"client_id": {microsoft.DefaultClientID}, "client_secret": {microsoft.DefaultClientSecret}})
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMock(t, tt.opts, tt.cfg)
			if tt.setup != nil {
				tt.setup(m)
			}
			resp := m.do(tt.req(m))
			golden(t, "token/"+tt.name, resp.dump())
			if resp.status == http.StatusUnauthorized && resp.header.Get("WWW-Authenticate") != "" {
				t.Errorf("401 from the token endpoint has WWW-Authenticate %q; the service sends none", resp.header.Get("WWW-Authenticate"))
			}
		})
	}
}

// tokenBody is the part of a token response the tests read.
type tokenBody struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

func decodeToken(t *testing.T, r response) tokenBody {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", r.status, r.body)
	}
	var b tokenBody
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
	return b
}

// TestRefreshRotatesAndKeepsOld checks the service's rotation: a new
// refresh token on every refresh, and every old one still redeemable.
func TestRefreshRotatesAndKeepsOld(t *testing.T) {
	m := newMock(t, microsoft.Options{}, mockprovider.Config{})
	rt0 := m.p.Initial().Refresh.Value
	seen := map[string]bool{rt0: true}
	rt := rt0
	for i := range 3 {
		b := decodeToken(t, m.do(tokenRequest("common", refreshForm(rt))))
		if b.RefreshToken == "" || seen[b.RefreshToken] {
			t.Fatalf("refresh %d: refresh_token %q is missing or not new", i+1, b.RefreshToken)
		}
		if b.ExpiresIn != 3600 || b.ExtExpiresIn != 3600 {
			t.Errorf("refresh %d: expires_in %d, ext_expires_in %d; want 3600", i+1, b.ExpiresIn, b.ExtExpiresIn)
		}
		seen[b.RefreshToken] = true
		rt = b.RefreshToken
	}
	// The first refresh token, superseded three times, still works.
	b := decodeToken(t, m.do(tokenRequest("common", refreshForm(rt0))))
	if b.RefreshToken == "" {
		t.Error("refresh with the oldest token returned no refresh_token")
	}
	if got := m.p.Authority().Families(); len(got) != 1 || got[0].Revoked {
		t.Errorf("families after refreshing with an old token: %+v; want one, not revoked", got)
	}
}

// TestRefreshJSONShape checks key order and number types apart from the
// golden file, so that a failure names the rule broken.
func TestRefreshJSONShape(t *testing.T) {
	m := newMock(t, microsoft.Options{}, mockprovider.Config{})
	r := m.do(tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value)))
	dec := json.NewDecoder(strings.NewReader(string(r.body)))
	dec.UseNumber()
	var keys []string
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if k == "expires_in" || k == "ext_expires_in" {
			if _, ok := v.(json.Number); !ok {
				t.Errorf("%s is %T, want a JSON number", k, v)
			}
		}
	}
	want := []string{"token_type", "scope", "expires_in", "ext_expires_in", "access_token", "refresh_token", "id_token"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("key order (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(r.body), `"scope":"openid profile https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read"`) {
		t.Errorf("scope is not the grant's without offline_access: %s", r.body)
	}
}

// TestIDToken decodes the id_token payload.
func TestIDToken(t *testing.T) {
	m := newMock(t, microsoft.Options{}, mockprovider.Config{})
	b := decodeToken(t, m.do(tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value))))
	parts := strings.Split(b.IDToken, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token has %d parts, want 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload is not base64url: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	want := map[string]any{
		"aud": microsoft.DefaultClientID, "iss": "https://login.microsoftonline.com/dcd219dd-bc68-4b9b-bf0b-4a33a796be35/v2.0",
		"iat": float64(fixed.Unix()), "nbf": float64(fixed.Unix()), "exp": float64(fixed.Add(time.Hour).Unix()),
		"name": "Megan Bowen", "oid": "48d31887-5fad-4d73-a9f5-3c356e68a038", "preferred_username": "MeganB@M365x214355.onmicrosoft.com",
		"sub": claims["sub"], "tid": "dcd219dd-bc68-4b9b-bf0b-4a33a796be35", "ver": "2.0",
	}
	if diff := cmp.Diff(want, claims); diff != "" {
		t.Errorf("id_token claims (-want +got):\n%s", diff)
	}
	if strings.Contains(b.Scope, "openid") && b.IDToken == "" {
		t.Error("openid granted but no id_token")
	}
}

// TestRefreshScopeVariants checks the scope a refresh response names: the
// OpenID scopes asked for (all granted ones when none), then every
// granted Graph permission; no openid, no id_token.
func TestRefreshScopeVariants(t *testing.T) {
	tests := []struct {
		name, scope, wantScope string
		wantIDToken            bool
	}{
		{"omitted", "", "openid profile https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read", true},
		{"openid only", "openid", "openid https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read", true},
		{"bare graph name", "User.Read", "https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read", false},
		{"default", "https://graph.microsoft.com/.default offline_access", "https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMock(t, microsoft.Options{}, mockprovider.Config{})
			b := decodeToken(t, m.do(tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value, "scope", tt.scope))))
			if b.Scope != tt.wantScope {
				t.Errorf("scope %q, want %q", b.Scope, tt.wantScope)
			}
			if (b.IDToken != "") != tt.wantIDToken {
				t.Errorf("id_token present = %v, want %v", b.IDToken != "", tt.wantIDToken)
			}
		})
	}
}

// TestAuthorizationCodeFlow signs in through /authorize and redeems the
// code once; the second redemption is AADSTS54005.
func TestAuthorizationCodeFlow(t *testing.T) {
	m := newMock(t, microsoft.Options{}, mockprovider.Config{})
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	challenge := "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" // RFC 7636 appendix B
	q := url.Values{
		"client_id": {microsoft.DefaultClientID}, "response_type": {"code"}, "redirect_uri": {"https://app.example.com/cb"},
		"scope": {"openid offline_access https://graph.microsoft.com/Mail.Read"}, "state": {"xyz"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	// The 302 leads to the app, which does not exist: do not follow it.
	req, _ := http.NewRequest(http.MethodGet, m.srv.URL+"/common/oauth2/v2.0/authorize?"+q.Encode(), nil)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize status %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != "https://app.example.com/cb" {
		t.Errorf("redirected to %s", got)
	}
	if loc.Query().Get("state") != "xyz" || loc.Query().Get("session_state") == "" {
		t.Errorf("redirect query %q lacks state or session_state", loc.RawQuery)
	}
	if !strings.HasPrefix(loc.RawQuery, "code=") {
		t.Errorf("redirect query %q does not start with code", loc.RawQuery)
	}
	// A code is a credential until redeemed: redactions replace it.
	if code := loc.Query().Get("code"); !strings.Contains(m.p.Redactor().String(loc.RawQuery), "code=[CODE#1]") {
		t.Errorf("redacted query %q still holds code %.20s", m.p.Redactor().String(loc.RawQuery), code)
	}
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {"https://app.example.com/cb"},
		"client_id": {microsoft.DefaultClientID}, "client_secret": {microsoft.DefaultClientSecret}, "code_verifier": {verifier},
	}
	b := decodeToken(t, m.do(tokenRequest("common", form)))
	if b.RefreshToken == "" || b.IDToken == "" {
		t.Errorf("code redemption lacks refresh_token or id_token: %+v", b)
	}
	if b.Scope != "openid https://graph.microsoft.com/Mail.Read" {
		t.Errorf("scope %q", b.Scope)
	}
	again := m.do(tokenRequest("common", form))
	if again.status != http.StatusBadRequest || !strings.Contains(string(again.body), "AADSTS54005") {
		t.Errorf("second redemption: %d %s; want 400 AADSTS54005", again.status, again.body)
	}
	// The new family's refresh token works.
	if got := decodeToken(t, m.do(tokenRequest("common", refreshForm(b.RefreshToken)))); got.AccessToken == "" {
		t.Error("refresh with the code's refresh token returned no access token")
	}
}

// TestAuthorizationCodeErrors covers PKCE and expiry.
func TestAuthorizationCodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		advance time.Duration
		edit    func(url.Values)
		want    string
	}{
		{"wrong verifier", 0, func(v url.Values) { v.Set("code_verifier", "nope") }, "AADSTS501481"},
		{"missing verifier", 0, func(v url.Values) { v.Del("code_verifier") }, "AADSTS900144"},
		{"expired code", 11 * time.Minute, func(url.Values) {}, "AADSTS70008"},
		{"other redirect", 0, func(v url.Values) { v.Set("redirect_uri", "https://evil.example.com/cb") }, "AADSTS70000"},
		{"unknown code", 0, func(v url.Values) { v.Set("code", "1.AVEAbogus") }, "AADSTS9002313"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMock(t, microsoft.Options{}, mockprovider.Config{})
			q := url.Values{"client_id": {microsoft.DefaultClientID}, "response_type": {"code"}, "redirect_uri": {"http://localhost/cb"},
				"scope": {"offline_access Mail.Read"}, "code_challenge": {"abc"}}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Get(m.srv.URL + "/common/oauth2/v2.0/authorize?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc, _ := url.Parse(resp.Header.Get("Location"))
			m.p.Clock().Advance(tt.advance)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {"http://localhost/cb"},
				"client_id": {microsoft.DefaultClientID}, "client_secret": {microsoft.DefaultClientSecret}, "code_verifier": {"abc"}}
			tt.edit(form)
			r := m.do(tokenRequest("common", form))
			if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), tt.want+":") {
				t.Errorf("got %d %s; want 400 %s", r.status, r.body, tt.want)
			}
		})
	}
}

// TestMalformedTokenRequests sends what a broken component might; every
// answer is the service's JSON error, never a panic.
func TestMalformedTokenRequests(t *testing.T) {
	tests := []struct {
		name       string
		req        request
		wantStatus int
		wantCode   string
	}{
		{"json body", request{method: "POST", path: "/common/oauth2/v2.0/token", header: http.Header{"Content-Type": {"application/json"}}, body: `{"grant_type":"refresh_token"}`}, 400, "AADSTS900144"},
		{"get", request{method: "GET", path: "/common/oauth2/v2.0/token"}, 400, "AADSTS900561"},
		{"put", request{method: "PUT", path: "/common/oauth2/v2.0/token", body: "grant_type=refresh_token"}, 400, "AADSTS900561"},
		{"empty body", request{method: "POST", path: "/common/oauth2/v2.0/token", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}, 400, "AADSTS900144"},
		{"no content type", request{method: "POST", path: "/common/oauth2/v2.0/token", body: "grant_type=refresh_token&refresh_token=x"}, 400, "AADSTS900144"},
		{"garbage form", request{method: "POST", path: "/common/oauth2/v2.0/token", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, body: "%zz%%;;&&=="}, 400, "AADSTS900144"},
		{"binary", request{method: "POST", path: "/common/oauth2/v2.0/token", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, body: "\x00\xff\xfe grant_type"}, 400, "AADSTS900144"},
		{"bad basic header", request{method: "POST", path: "/common/oauth2/v2.0/token", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {"Basic !!!"}}, body: "grant_type=refresh_token&refresh_token=x"}, 400, "AADSTS900144"},
		{"upper-case path", request{method: "POST", path: "/Common/OAuth2/V2.0/Token", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, body: "grant_type=refresh_token"}, 400, "AADSTS900144"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMock(t, microsoft.Options{}, mockprovider.Config{})
			r := m.do(tt.req)
			if r.status != tt.wantStatus {
				t.Errorf("status %d, want %d", r.status, tt.wantStatus)
			}
			var e struct {
				Error      string `json:"error"`
				ErrorCodes []int  `json:"error_codes"`
				Desc       string `json:"error_description"`
			}
			if err := json.Unmarshal(r.body, &e); err != nil {
				t.Fatalf("body is not JSON: %v: %q", err, r.body)
			}
			if !strings.HasPrefix(e.Desc, tt.wantCode+":") {
				t.Errorf("error_description %q does not start with %s", e.Desc, tt.wantCode)
			}
		})
	}
}

// TestHostRouting checks that each real host serves only its own paths.
func TestHostRouting(t *testing.T) {
	tests := []struct {
		name       string
		req        request
		wantStatus int
		wantKind   mockprovider.Kind
	}{
		{"token on login", request{method: "POST", host: "login.microsoftonline.com", path: "/common/oauth2/v2.0/token"}, 400, mockprovider.KindToken},
		{"token on graph", request{method: "POST", host: "graph.microsoft.com", path: "/common/oauth2/v2.0/token"}, 400, mockprovider.KindUnknown},
		{"graph on login", request{host: "login.microsoftonline.com", path: "/v1.0/me"}, 404, mockprovider.KindUnknown},
		{"graph on graph", request{host: "graph.microsoft.com", path: "/v1.0/me"}, 401, mockprovider.KindAPI},
		{"beta on loopback", request{path: "/beta/me"}, 401, mockprovider.KindAPI},
		{"authorize on loopback", request{path: "/common/oauth2/v2.0/authorize"}, 400, mockprovider.KindAuthorize},
		{"unknown host", request{host: "example.com", path: "/v1.0/me"}, 404, mockprovider.KindUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMock(t, microsoft.Options{}, mockprovider.Config{})
			r := m.do(tt.req)
			if r.status != tt.wantStatus {
				t.Errorf("status %d, want %d; body %s", r.status, tt.wantStatus, r.body)
			}
			e := m.p.Journal().Entries(mockprovider.Filter{})
			if len(e) != 1 || e[0].Kind != tt.wantKind {
				t.Errorf("journal %+v; want one %s entry", e, tt.wantKind)
			}
		})
	}
}

// TestConcurrentRefreshRejected checks the mapping of a refresh the
// policy refuses because another one with the same token is in flight;
// the service itself never refuses, so only a scenario asks for it.
func TestConcurrentRefreshRejected(t *testing.T) {
	policy := testPolicy()
	policy.RejectConcurrentRefresh = true
	slow := mockprovider.Rule{Name: "slow", Match: mockprovider.Match{Endpoint: mockprovider.EndpointRefresh, Nth: 1}, Respond: mockprovider.Respond{Delay: 300 * time.Millisecond}}
	m := newMock(t, microsoft.Options{}, mockprovider.Config{Policy: policy, Rules: []mockprovider.Rule{slow}})
	first := make(chan int, 1)
	go func() {
		// Not m.do: t.Fatal must not be called from this goroutine.
		resp, err := m.srv.Client().PostForm(m.srv.URL+"/common/oauth2/v2.0/token", refreshForm(m.p.Initial().Refresh.Value))
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond)
	second := m.do(tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value)))
	if second.status != http.StatusBadRequest || !strings.Contains(string(second.body), "AADSTS50196:") {
		t.Errorf("concurrent refresh: %d %s; want 400 AADSTS50196", second.status, second.body)
	}
	if status := <-first; status != http.StatusOK {
		t.Errorf("first refresh: status %d, want 200", status)
	}
}
