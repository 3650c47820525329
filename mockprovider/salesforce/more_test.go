package salesforce

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/refreshproof/refreshproof/mockprovider"
)

func TestCatalogue(t *testing.T) {
	m := newMock(t, Options{}, mockprovider.Config{})
	x := &mockprovider.Exchange{Request: httptest.NewRequest(http.MethodGet, "/", nil), Provider: m.p}
	// Scenarios refer to these names; renaming one breaks them.
	want := []string{
		"invalid_grant", "invalid_grant_token_validity", "invalid_grant_authentication_failure",
		"invalid_grant_inactive_user", "invalid_grant_in_flight", "invalid_client_id", "invalid_client",
		"unsupported_grant_type", "invalid_app_access", "invalid_request",
		"INVALID_SESSION_ID", "INVALID_SESSION_ID_REST_NOT_ALLOWED", "INVALID_AUTH_HEADER",
		"INVALID_OPERATION_WITH_EXPIRED_PASSWORD", "REQUEST_LIMIT_EXCEEDED", "API_DISABLED_FOR_ORG",
		"NOT_FOUND", "UNKNOWN_EXCEPTION", "SERVER_UNAVAILABLE", "Bad_OAuth_Token",
	}
	names := mockprovider.ErrorNames(m.d)
	for _, n := range want {
		if !slices.Contains(names, n) {
			t.Errorf("catalogue lacks %s", n)
		}
	}
	seen := map[string]bool{}
	for _, e := range m.d.Errors() {
		t.Run(e.Name, func(t *testing.T) {
			if seen[e.Name] {
				t.Fatalf("%s listed twice", e.Name)
			}
			seen[e.Name] = true
			resp, ok := m.d.Error(e.Name, x)
			if !ok {
				t.Fatalf("Error(%q) not found", e.Name)
			}
			if resp.Status != e.Status {
				t.Errorf("status %d, documented %d", resp.Status, e.Status)
			}
			if e.Description == "" {
				t.Error("no description")
			}
			ct := resp.Header.Get("Content-Type")
			switch e.Endpoint {
			case mockprovider.KindToken, mockprovider.KindRevoke:
				var v map[string]string
				if err := json.Unmarshal(resp.Body, &v); err != nil || v["error"] == "" || v["error_description"] == "" || len(v) != 2 {
					t.Errorf("body %s is not {error, error_description} (%v)", resp.Body, err)
				}
				if resp.Header.Get("Cache-Control") != "no-store" || ct != contentTypeJSON {
					t.Errorf("headers %v", resp.Header)
				}
			case mockprovider.KindAPI:
				var v []map[string]string
				if err := json.Unmarshal(resp.Body, &v); err != nil || len(v) != 1 || v[0]["errorCode"] == "" || v[0]["message"] == "" {
					t.Errorf("body %s is not [{message, errorCode}] (%v)", resp.Body, err)
				}
				if ct != contentTypeJSON || resp.Header.Get("Cache-Control") != cacheControlLong {
					t.Errorf("headers %v", resp.Header)
				}
				if got := resp.Header[hdrWWWAuthenticate]; (resp.Status == 401) != (len(got) == 1) {
					t.Errorf("WWW-Authenticate %q on status %d", got, resp.Status)
				}
			case mockprovider.KindIdentity:
				if string(resp.Body) != e.Name || ct != contentTypeText {
					t.Errorf("body %q, content type %q; want plain text %q", resp.Body, ct, e.Name)
				}
			default:
				t.Errorf("endpoint %q", e.Endpoint)
			}
		})
	}
	if _, ok := m.d.Error("invalid_grnat", x); ok {
		t.Error("Error found a name missing from the catalogue")
	}
	// The catalogue is what scripts validate against.
	err := mockprovider.Rule{Name: "r", Match: mockprovider.Match{Endpoint: mockprovider.EndpointRefresh}, Respond: mockprovider.Respond{Error: "invalid_grnat"}}.Validate(m.d)
	if err == nil || !strings.Contains(err.Error(), `did you mean "invalid_grant"`) {
		t.Errorf("Validate = %v, want a suggestion", err)
	}
}

func TestNoWWWAuthenticate(t *testing.T) {
	m := newMock(t, Options{NoWWWAuthenticate: true}, mockprovider.Config{})
	resp, _ := m.get("/services/data/v67.0/sobjects", "00Dbad")
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("status %d, WWW-Authenticate %q; want 401 without it", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

// TestHeaderSpelling checks the raw header keys, which Go's client would
// canonicalize away.
func TestHeaderSpelling(t *testing.T) {
	m := newMock(t, Options{}, mockprovider.Config{})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/services/data/v67.0/sobjects", nil)
	req.Host = DefaultInstanceHost
	req.Header.Set("Authorization", "Bearer 00Dunknown")
	m.p.ServeHTTP(rec, req)
	if _, ok := rec.Header()["WWW-Authenticate"]; !ok {
		t.Errorf("headers %v lack WWW-Authenticate spelled as Salesforce does", rec.Header())
	}
	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodPost, pathToken, strings.NewReader(m.refreshForm(m.p.Initial().Refresh.Value).Encode()))
	req.Host = LoginHost
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	m.p.ServeHTTP(rec, req)
	if _, ok := rec.Header()["X-XSS-Protection"]; !ok {
		t.Errorf("headers %v lack X-XSS-Protection spelled as Salesforce does", rec.Header())
	}
}

func TestMalformedTokenRequests(t *testing.T) {
	m := newMock(t, Options{}, mockprovider.Config{})
	c := m.p.Client()
	rt := m.p.Initial().Refresh.Value
	good := m.refreshForm(rt).Encode()
	tests := []struct {
		name, method, contentType, body string
		wantStatus                      int
		wantError                       string
	}{
		{"json body", "POST", "application/json", `{"grant_type":"refresh_token","refresh_token":"` + rt + `"}`, 400, "unsupported_grant_type"},
		{"empty body", "POST", "application/x-www-form-urlencoded", "", 400, "unsupported_grant_type"},
		{"no content type", "POST", "", good, 400, "unsupported_grant_type"},
		{"garbage form", "POST", "application/x-www-form-urlencoded", "grant_type=%zz&%%%", 400, "unsupported_grant_type"},
		{"binary body", "POST", "application/x-www-form-urlencoded", "\x00\xff\xfe=\x01", 400, "unsupported_grant_type"},
		{"multipart", "POST", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nrefresh_token\r\n--x--", 400, "unsupported_grant_type"},
		{"GET", "GET", "", "", 400, "invalid_request"},
		{"PUT", "PUT", "application/x-www-form-urlencoded", good, 400, "invalid_request"},
		{"unknown grant", "POST", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=" + url.QueryEscape(c.ID) + "&client_secret=" + c.Secret, 400, "unsupported_grant_type"},
		{"no client", "POST", "application/x-www-form-urlencoded", "grant_type=refresh_token&refresh_token=" + rt, 400, "invalid_client_id"},
		{"no refresh token", "POST", "application/x-www-form-urlencoded", "grant_type=refresh_token&client_id=" + url.QueryEscape(c.ID) + "&client_secret=" + c.Secret, 400, "invalid_request"},
		{"access token as refresh token", "POST", "application/x-www-form-urlencoded", m.refreshForm(m.p.Initial().Access.Value).Encode(), 400, "invalid_grant"},
		{"unknown refresh token", "POST", "application/x-www-form-urlencoded", m.refreshForm("5Aep861nope").Encode(), 400, "invalid_grant"},
		{"no code", "POST", "application/x-www-form-urlencoded", "grant_type=authorization_code&client_id=" + url.QueryEscape(c.ID) + "&client_secret=" + c.Secret, 400, "invalid_grant"},
		{"bad password", "POST", "application/x-www-form-urlencoded", "grant_type=password&username=u%40example.com&password=nope&client_id=" + url.QueryEscape(c.ID) + "&client_secret=" + c.Secret, 400, "invalid_grant"},
		{"charset suffix", "POST", "application/x-www-form-urlencoded; charset=UTF-8", good, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := m.newRequest(tc.method, pathToken, tc.body)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, body := m.do(req)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
			}
			var v map[string]any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, body)
			}
			if tc.wantError != "" && v["error"] != tc.wantError {
				t.Errorf("error %v, want %s", v["error"], tc.wantError)
			}
		})
	}
}

func TestAuthorizationCodeFlow(t *testing.T) {
	m := newMock(t, Options{}, mockprovider.Config{})
	c := m.p.Client()
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {"https://app.example.com/callback"},
		"state": {"xyz"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	req := m.newRequest(http.MethodGet, pathAuthorize+"?"+q.Encode(), "")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Host != "app.example.com" {
		t.Fatalf("authorize: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	code := loc.Query().Get("code")
	if !strings.HasPrefix(code, "aPrx") || loc.Query().Get("state") != "xyz" {
		t.Fatalf("redirect %s lacks an aPrx code or the state", loc)
	}
	// A code is a credential until redeemed: redactions replace it, also
	// in the redirect's query.
	if got := m.p.Redactor().String(resp.Header.Get("Location")); strings.Contains(got, code[:20]) || !strings.Contains(got, "[CODE#1]") {
		t.Errorf("redacted Location: %s", got)
	}
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {c.ID}, "client_secret": {c.Secret}, "redirect_uri": {"https://app.example.com/callback"}, "code_verifier": {"wrong"}}
	if _, body := m.post(pathToken, exchange); !strings.Contains(string(body), "invalid code verifier") {
		t.Errorf("wrong verifier: %s", body)
	}
	exchange.Set("code_verifier", verifier)
	resp, body := m.post(pathToken, exchange)
	v, keys := decode(t, body)
	if resp.StatusCode != 200 {
		t.Fatalf("exchange: %d %s", resp.StatusCode, body)
	}
	if diff := cmp.Diff([]string{"access_token", "refresh_token", "signature", "scope", "instance_url", "id", "token_type", "issued_at"}, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	checkSignature(t, v, c.Secret)
	// The new grant works.
	if resp, _ := m.post(pathToken, m.refreshForm(v["refresh_token"].(string))); resp.StatusCode != 200 {
		t.Errorf("refresh with the new grant: %d", resp.StatusCode)
	}
	// A code is redeemed once.
	if _, body := m.post(pathToken, exchange); !strings.Contains(string(body), "expired authorization code") {
		t.Errorf("second use of a code: %s", body)
	}
	// Unknown clients get an error page, not a redirect.
	q.Set("client_id", "3MVG9nope")
	req = m.newRequest(http.MethodGet, pathAuthorize+"?"+q.Encode(), "")
	if resp, err := http.DefaultTransport.RoundTrip(req); err != nil || resp.StatusCode != 400 {
		t.Errorf("unknown client: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

func TestPasswordFlowAndOpenID(t *testing.T) {
	m := newMock(t, Options{Sandbox: true}, mockprovider.Config{Scope: "openid api refresh_token"})
	c := m.p.Client()
	form := url.Values{"grant_type": {"password"}, "username": {"user@example.com"}, "password": {"passwordXXXXSECURITYTOKEN"}, "client_id": {c.ID}, "client_secret": {c.Secret}}
	resp, body := m.post(pathToken, form)
	v, keys := decode(t, body)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	// No refresh token in this flow; id_token with openid; sandbox login host.
	if diff := cmp.Diff([]string{"access_token", "signature", "scope", "id_token", "instance_url", "id", "token_type", "issued_at"}, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(v["id"].(string), "https://test.salesforce.com/id/") {
		t.Errorf("id %v not on the sandbox login host", v["id"])
	}
	if parts := strings.Split(v["id_token"].(string), "."); len(parts) != 3 {
		t.Errorf("id_token %v is not a JWT", v["id_token"])
	}
	checkSignature(t, v, c.Secret)
	// It names the user: every redaction replaces it.
	if got := m.p.Redactor().String("id_token=" + v["id_token"].(string)); got != "id_token=[ID_TOKEN#1]" {
		t.Errorf("redacted id_token: %.80s", got)
	}
}

func TestRouting(t *testing.T) {
	m := newMock(t, Options{}, mockprovider.Config{})
	at := m.p.Initial().Access.Value
	tests := []struct {
		name, host, path string
		want             int
	}{
		{"API on the instance", DefaultInstanceHost, "/services/data/v67.0/sobjects", 200},
		{"API on loopback", "", "/services/data/v67.0/sobjects", 200},
		{"API on the login host", LoginHost, "/services/data/v67.0/sobjects", 404},
		{"API on another org", "other.my.salesforce.com", "/services/data/v67.0/sobjects", 401},
		{"token on My Domain", DefaultInstanceHost, pathToken, 400},
		{"identity on the login host", LoginHost, "/id/" + DefaultOrgID + "/" + DefaultUserID, 200},
		{"identity for another user", LoginHost, "/id/" + DefaultOrgID + "/005000000000000AAA", 403},
		{"unknown host", "example.com", "/services/oauth2/token", 404},
		{"unknown path", LoginHost, "/nope", 404},
		{"versions need no session", LoginHost, "/services/data", 404},
		{"newer version", "", "/services/data/v68.0/sobjects", 404},
		{"retired version", "", "/services/data/v20.0/sobjects", 404},
		{"malformed version", "", "/services/data/v67/sobjects", 404},
		{"apexrest", "", "/services/apexrest/foo", 404},
		{"unknown sobject", "", "/services/data/v67.0/sobjects/Nope", 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := m.newRequest(http.MethodGet, tc.path, "", "Authorization", "OAuth "+at)
			req.Host = tc.host
			if resp, body := m.do(req); resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
		})
	}
	// The versions list answers without a session.
	resp, body := m.get("/services/data/", "")
	var versions []struct{ Label, URL, Version string }
	if err := json.Unmarshal(body, &versions); err != nil || resp.StatusCode != 200 || len(versions) == 0 {
		t.Fatalf("versions: %d %s", resp.StatusCode, body)
	}
	if last := versions[len(versions)-1]; last.Version != "67.0" || last.Label != "Summer '26" || last.URL != "/services/data/v67.0" {
		t.Errorf("newest version %+v", last)
	}
}

func TestRecords(t *testing.T) {
	m := newMock(t, Options{}, mockprovider.Config{})
	at := m.p.Initial().Access.Value
	base := "/services/data/v67.0/sobjects/Account"
	send := func(method, path, body string) (*http.Response, []byte) {
		return m.do(m.newRequest(method, path, body, "Authorization", "Bearer "+at, "Content-Type", "application/json"))
	}
	resp, body := send("POST", base, `{"Name":"Zenith & Co","NumberOfEmployees":12,"AnnualRevenue":1500}`)
	var created struct {
		ID      string
		Success bool
		Errors  []any
	}
	if err := json.Unmarshal(body, &created); err != nil || resp.StatusCode != 201 || !created.Success || len(created.ID) != 18 || !strings.HasPrefix(created.ID, "001") {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	if resp, body := send("PATCH", base+"/"+created.ID, `{"Phone":"(415) 555-0100"}`); resp.StatusCode != 204 || len(body) != 0 {
		t.Errorf("update: %d %s", resp.StatusCode, body)
	}
	_, body = send("GET", base+"/"+created.ID+"?fields=Name,Phone,AnnualRevenue", "")
	want := `{"attributes":{"type":"Account","url":"/services/data/v67.0/sobjects/Account/` + created.ID + `"},"Name":"Zenith & Co","Phone":"(415) 555-0100","AnnualRevenue":1500.0}`
	if diff := cmp.Diff(want, string(body)); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	q := "/services/data/v67.0/query?q=" + url.QueryEscape("SELECT Id, Name FROM Account WHERE Name = 'zenith & co'")
	if _, body := send("GET", q, ""); !strings.Contains(string(body), `"totalSize":1,`) {
		t.Errorf("query for the created record: %s", body)
	}
	if resp, _ := send("DELETE", base+"/"+created.ID, ""); resp.StatusCode != 204 {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if resp, body := send("GET", base+"/"+created.ID, ""); resp.StatusCode != 404 || string(body) != `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]` {
		t.Errorf("deleted record: %d %s", resp.StatusCode, body)
	}
	errs := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"missing required", "POST", base, `{"Phone":"1"}`, 400, "REQUIRED_FIELD_MISSING"},
		{"read-only field", "POST", base, `{"Name":"x","Id":"001"}`, 400, "INVALID_FIELD_FOR_INSERT_UPDATE"},
		{"unknown field", "POST", base, `{"Nope":"x"}`, 400, "INVALID_FIELD"},
		{"not JSON", "POST", base, `Name=x`, 400, "JSON_PARSER_ERROR"},
		{"PUT", "PUT", base, `{}`, 405, "METHOD_NOT_ALLOWED"},
		{"no query", "GET", "/services/data/v67.0/query", "", 400, "MALFORMED_QUERY"},
		{"bad query", "GET", "/services/data/v67.0/query?q=DELETE+FROM+Account", "", 400, "MALFORMED_QUERY"},
		{"unknown object", "GET", "/services/data/v67.0/query?q=SELECT+Id+FROM+Widget", "", 400, "INVALID_TYPE"},
		{"unknown column", "GET", "/services/data/v67.0/query?q=SELECT+Nope+FROM+Account", "", 400, "INVALID_FIELD"},
		{"unknown locator", "GET", "/services/data/v67.0/query/01gNOPE-2000", "", 400, "INVALID_QUERY_LOCATOR"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := send(tc.method, tc.path, tc.body)
			var v []map[string]any
			if err := json.Unmarshal(body, &v); err != nil || resp.StatusCode != tc.status || len(v) != 1 || v[0]["errorCode"] != tc.code {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
		})
	}
	// Reset brings the seeded data back and forgets the created record.
	m.p.Reset()
	if got := len(m.d.data().records["Account"]); got != 25 {
		t.Errorf("%d accounts after Reset, want 25", got)
	}
}

func TestVersionLabel(t *testing.T) {
	for v, want := range map[int]string{31: "Summer '14", 62: "Winter '25", 65: "Winter '26", 66: "Spring '26", 67: "Summer '26", 68: "Winter '27"} {
		if got := versionLabel(v); got != want {
			t.Errorf("versionLabel(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestTokenFormat(t *testing.T) {
	d := New(Options{})
	n := 0
	rnd := func(k int) string {
		n++
		return strings.Repeat(string(rune('a'+n%26)), k)
	}
	at := d.TokenFormat()(mockprovider.AccessToken, 1, rnd)
	if !strings.HasPrefix(at, "00D5g000004CKZ1!") || len(at) < 100 || strings.Trim(at[16:], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._") != "" {
		t.Errorf("access token %q", at)
	}
	rt := d.TokenFormat()(mockprovider.RefreshToken, 1, rnd)
	if !strings.HasPrefix(rt, "5Aep861") || len(rt) != 87 {
		t.Errorf("refresh token %q (%d chars)", rt, len(rt))
	}
	if got := id18(id15(DefaultOrgID)); got != DefaultOrgID {
		t.Errorf("default org ID checksum: %s", got)
	}
	if got := id18(id15(DefaultUserID)); got != DefaultUserID {
		t.Errorf("default user ID checksum: %s", got)
	}
}

// FuzzTokenEndpoint feeds arbitrary bodies and content types to the token
// endpoint: it must answer every one with a JSON error or a well-formed
// success, never panic.
func FuzzTokenEndpoint(f *testing.F) {
	d := New(Options{})
	p, err := mockprovider.New(d, mockprovider.Config{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	c := p.Client()
	rt := p.Initial().Refresh.Value
	form := "application/x-www-form-urlencoded"
	f.Add("refresh_token="+rt+"&grant_type=refresh_token&client_id="+url.QueryEscape(c.ID)+"&client_secret="+c.Secret, form, "")
	f.Add("refresh_token="+rt+"&grant_type=refresh_token&client_id="+url.QueryEscape(c.ID)+"&client_secret="+c.Secret+"&format=xml", form, "")
	f.Add("grant_type=password&username=a&password=password&client_id="+url.QueryEscape(c.ID)+"&client_secret="+c.Secret, form, "application/x-www-form-urlencoded")
	f.Add(`{"grant_type":"refresh_token"}`, "application/json", "application/json")
	f.Add("", "", "")
	f.Add("grant_type=%zz", form, "application/xml")
	f.Add("grant_type=authorization_code&code=aPrx", form+"; charset=utf-8", "")
	f.Fuzz(func(t *testing.T, body, contentType, accept string) {
		req := httptest.NewRequest(http.MethodPost, pathToken, strings.NewReader(body))
		req.Host = LoginHost
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		b := rec.Body.Bytes()
		switch rec.Code {
		case http.StatusOK:
			mt, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type"))
			var ok bool
			switch mt {
			case "application/json":
				var v map[string]any
				ok = json.Unmarshal(b, &v) == nil && v["access_token"] != nil
			case "application/x-www-form-urlencoded":
				v, err := url.ParseQuery(string(b))
				ok = err == nil && v.Get("access_token") != ""
			case "application/xml":
				var v struct {
					AccessToken string `xml:"access_token"`
				}
				ok = xml.Unmarshal(b, &v) == nil && v.AccessToken != ""
			}
			if !ok {
				t.Errorf("success body of type %q does not parse: %s", mt, b)
			}
		case http.StatusBadRequest:
			var v map[string]string
			if err := json.Unmarshal(b, &v); err != nil || v["error"] == "" {
				t.Errorf("error body is not a JSON OAuth error: %s", b)
			}
		default:
			t.Errorf("status %d: %s", rec.Code, b)
		}
	})
}
