package mockprovider

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzAdminAPI sends arbitrary methods, endpoints, query strings, bodies
// and content types to the admin API of a fresh provider, from loopback:
// every answer is a 2xx or 4xx JSON document, every refusal an object
// with an error, and the provider still answers health, a refresh of the
// initial grant and the token list afterwards, whatever the request
// loaded, advanced or revoked. Seeds are the documented requests and the
// JSON Config a PUT scenario takes.
func FuzzAdminAPI(f *testing.F) {
	for _, s := range [][3]string{
		{"GET", "health", ""}, {"GET", "", ""}, {"GET", "journal?kind=token,api&since=1&limit=2&reveal=true", ""},
		{"GET", "journal?since=x", ""}, {"GET", "journal?limit=-1", ""}, {"POST", "reset", ""}, {"GET", "clock", ""},
		{"POST", "clock/advance", `{"by":"2h"}`}, {"POST", "clock/advance?by=90d", ""}, {"POST", "clock/advance", `{"by":"106751d"}`},
		{"POST", "clock/advance", `{"by":1}`}, {"POST", "clock/advance", `{"by":"1h"} {}`}, {"PUT", "scenario", `{"seed":7,"scope":"write","initialAccess":"expired"}`},
		{"PUT", "scenario", `{"policy":{"accessTokenLifetime":1},"clients":[{"id":"c","public":true}],"journalCap":1,"journalMaxBody":1,"maxRequestBody":1}`},
		{"PUT", "scenario", `{"rules":[{"name":"r","match":{"kind":"token"},"respond":{"error":"bad_grant"}}]}`},
		{"PUT", "scenario", `{"clients":[{"id":""}]}`}, {"GET", "config?reveal=1", ""}, {"GET", "tokens?reveal=true", ""}, {"GET", "families", ""},
		{"POST", "families", `{"clientId":"client-1","scope":"read"}`}, {"POST", "families", `{"clientId":"who"}`}, {"POST", "revoke", `{"token":"RT#1"}`},
		{"POST", "revoke", `{"family":"F#1"}`}, {"POST", "expire", `{"token":"AT#1"}`}, {"POST", "expire", `{"family":"F#1"}`},
		{"POST", "revoke", `{}`}, {"GET", "ca.pem", ""}, {"DELETE", "health", ""}, {"GET", "nope", ""},
	} {
		f.Add(s[0], s[1], s[2], "application/json")
	}
	f.Fuzz(func(t *testing.T, method, target, body, contentType string) {
		if method == "" || strings.ContainsAny(method, " \t\r\n") {
			t.Skip("not a request line")
		}
		p, err := New(fakeDialect{}, Config{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		path, query, _ := strings.Cut(target, "?")
		status, answer := adminCall(t, p, method, &url.URL{Path: AdminPrefix + path, RawQuery: query}, body, contentType)
		if status >= 300 && status < 400 || status >= 500 {
			t.Fatalf("%s %s: status %d: %s", method, target, status, answer)
		}
		if status >= 400 {
			var e struct {
				Error string `json:"error"`
			}
			if json.Unmarshal(answer, &e) != nil || e.Error == "" {
				t.Fatalf("%s %s: status %d without a JSON error: %s", method, target, status, answer)
			}
		}

		// The provider still works after whatever the request did.
		if status, answer := adminCall(t, p, http.MethodGet, &url.URL{Path: AdminPrefix + "health"}, "", ""); status != 200 {
			t.Fatalf("health after %s %s: %d %s", method, target, status, answer)
		}
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(refreshForm(p, p.Initial().Refresh.Value).Encode()))
		req.Host = "auth.fake.test"
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		p.ServeHTTP(w, req)
		if w.Code != 200 && w.Code != 400 && w.Code != 401 && w.Code != 413 {
			t.Fatalf("refresh after %s %s: %d %s", method, target, w.Code, w.Body.Bytes())
		}
		if status, answer := adminCall(t, p, http.MethodGet, &url.URL{Path: AdminPrefix + "tokens"}, "", ""); status != 200 {
			t.Fatalf("tokens after %s %s: %d %s", method, target, status, answer)
		}
	})
}

// adminCall sends one admin request from loopback and checks that the
// answer is JSON (ca.pem aside).
func adminCall(t *testing.T, p *Provider, method string, u *url.URL, body, contentType string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", strings.NewReader(body))
	req.Method, req.URL, req.Host, req.RemoteAddr = method, u, "127.0.0.1:8080", "127.0.0.1:40000"
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	p.ServeHTTP(w, req)
	b := w.Body.Bytes()
	if w.Code == 200 && strings.HasSuffix(u.Path, "/ca.pem") {
		return w.Code, b
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || !json.Valid(b) {
		t.Fatalf("%s %s: status %d, %q body is not JSON: %q", method, u, w.Code, ct, b)
	}
	return w.Code, b
}
