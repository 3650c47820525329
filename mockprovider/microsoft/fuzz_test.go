package microsoft_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/microsoft"
)

// FuzzTokenEndpoint sends arbitrary bodies, content types, tenants and
// Authorization headers to the token endpoint: the answer is always JSON
// with a status the service uses, never a panic.
func FuzzTokenEndpoint(f *testing.F) {
	p, err := mockprovider.New(microsoft.New(microsoft.Options{}), mockprovider.Config{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	rt := p.Initial().Refresh.Value
	f.Add(refreshForm(rt).Encode(), "application/x-www-form-urlencoded", "common", "")
	f.Add(refreshForm(rt, "scope", "Mail.Send").Encode(), "application/x-www-form-urlencoded; charset=utf-8", "contoso.onmicrosoft.com", "")
	f.Add("grant_type=refresh_token&refresh_token="+url.QueryEscape(rt), "application/x-www-form-urlencoded", "dcd219dd-bc68-4b9b-bf0b-4a33a796be35", basic(microsoft.DefaultClientID, microsoft.DefaultClientSecret))
	f.Add("grant_type=authorization_code&code=x&redirect_uri=y&client_id="+microsoft.DefaultClientID, "application/x-www-form-urlencoded", "organizations", "")
	f.Add("grant_type=client_credentials&scope=.default", "application/x-www-form-urlencoded", "consumers", "Basic Og==")
	f.Add(`{"grant_type":"refresh_token"}`, "application/json", "common", "Bearer x")
	f.Add("%zz&&==;", "application/x-www-form-urlencoded", "not a tenant", "Basic !!!")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, body, contentType, tenant, authorization string) {
		if tenant == "" || strings.Contains(tenant, "/") {
			t.Skip("not a token endpoint path")
		}
		req := httptest.NewRequest(http.MethodPost, "/"+url.PathEscape(tenant)+"/oauth2/v2.0/token", strings.NewReader(body))
		req.Host = microsoft.LoginHost
		req.Header["Content-Type"] = []string{contentType}
		req.Header["Authorization"] = []string{authorization}
		w := httptest.NewRecorder()
		p.ServeHTTP(w, req)
		if w.Code < 200 || w.Code > 599 {
			t.Fatalf("status %d", w.Code)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("status %d, body is not JSON: %q", w.Code, w.Body.Bytes())
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Fatalf("Content-Type %q", ct)
		}
		switch w.Code {
		case 200, 400, 401:
		default:
			t.Fatalf("status %d is not one the token endpoint uses", w.Code)
		}
	})
}

// TestExpiredRefreshIsJSON covers the path the fuzz seeds cannot reach:
// a refresh with the clock far ahead.
func TestExpiredRefreshIsJSON(t *testing.T) {
	m := newMock(t, microsoft.Options{}, mockprovider.Config{})
	m.p.Clock().Advance(100 * 24 * time.Hour)
	r := m.do(tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value)))
	if r.status != http.StatusBadRequest || !json.Valid(r.body) {
		t.Errorf("expired refresh: %d %s", r.status, r.body)
	}
}

// FuzzGraphPaths sends arbitrary methods, paths, query strings and bodies
// to Graph with a valid token: the answer is never a panic, and any
// error is Graph's JSON envelope.
func FuzzGraphPaths(f *testing.F) {
	p, err := mockprovider.New(microsoft.New(microsoft.Options{}), mockprovider.Config{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("GET", "/v1.0/me/events", "$filter=start/dateTime le '2025-03-17T09:30:00Z' and end/dateTime ge '2025-03-17T09:30:00Z'", "")
	f.Add("GET", "/v1.0/me/contacts", "$orderby=lastModifiedDateTime desc&$top=3&$skip=2", "")
	f.Add("GET", "/v1.0/me/mailFolders/inbox/messages", "$filter=isRead eq false or subject eq 'it''s'", "")
	f.Add("GET", "/v1.0/drives/"+microsoft.DriveID+"/root:/reports:/children", "$skiptoken=!!&$filter=name eq", "")
	f.Add("PUT", "/v1.0/me/drive/root:/a/b/c.txt:/content", "", "bytes")
	f.Add("POST", "/v1.0/me/drive/items/x/children", "", `{"name":"n","folder":{}}`)
	f.Add("POST", "/v1.0/me/events", "", `{"start":{"dateTime":7}}`)
	f.Add("PATCH", "/v1.0/me/events/x", "", `[]`)
	f.Add("DELETE", "/v1.0/me/drive/root:/:", "", "")
	f.Fuzz(func(t *testing.T, method, path, query, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(method, " \t\r\n") || method == "" {
			t.Skip("not a request line")
		}
		p.Reset() // each input against the drive and calendar a run starts with
		at := p.Initial().Access.Value
		req := httptest.NewRequest(http.MethodGet, "/", strings.NewReader(body))
		req.Method = method
		req.URL = &url.URL{Path: path, RawQuery: query}
		req.Host = microsoft.GraphHost
		req.Header.Set("Authorization", "Bearer "+at)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		p.ServeHTTP(w, req)
		if w.Code < 200 || w.Code > 599 {
			t.Fatalf("status %d", w.Code)
		}
		if w.Code >= 400 && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("status %d, body is not JSON: %q", w.Code, w.Body.Bytes())
		}
	})
}
