package mockprovider

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestListenAddressNeedsToken decides every address form without
// listening: a test must not open a port on another interface.
func TestListenAddressNeedsToken(t *testing.T) {
	tests := []struct {
		addr     string
		loopback bool   // allowed without a token
		why      string // in the refusal
	}{
		{"127.0.0.1:0", true, ""},
		{"127.0.0.2:8080", true, ""},
		{"[::1]:0", true, ""},
		{"localhost:8080", true, ""},
		{"LOCALHOST:8080", true, ""},
		{":8080", false, "every interface: the host is empty"},
		{"0.0.0.0:8080", false, "every interface"},
		{"[::]:8080", false, "every interface"},
		{"192.0.2.10:8080", false, "other machines"},
		{"[2001:db8::1]:8080", false, "other machines"},
		{"devbox.example:8080", false, "a host name"},
		{"localhost.example:8080", false, "a host name"},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			if err := checkListenAddr(tc.addr, true); err != nil {
				t.Fatalf("with a token: %v, want allowed", err)
			}
			err := checkListenAddr(tc.addr, false)
			if tc.loopback {
				if err != nil {
					t.Fatalf("loopback without a token: %v", err)
				}
				return
			}
			var ae *AddressError
			if !errors.As(err, &ae) {
				t.Fatalf("without a token: %v, want an *AddressError", err)
			}
			for _, want := range []string{tc.addr, tc.why, "admin token", "127.0.0.1:8080"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
	if err := checkListenAddr("8080", false); err == nil || !strings.Contains(err.Error(), "want HOST:PORT") {
		t.Errorf("no port: %v", err)
	}
}

// TestNewUnstartedServerRefusesAllInterfaces: the refusal happens before
// any socket is opened, for each form of "every interface".
func TestNewUnstartedServerRefusesAllInterfaces(t *testing.T) {
	p, err := New(fakeDialect{}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0"} {
		s, err := NewUnstartedServer(p, addr)
		var ae *AddressError
		if !errors.As(err, &ae) {
			if s != nil {
				s.Listener.Close()
			}
			t.Fatalf("%s without an admin token: %v, want refused", addr, err)
		}
	}
	s, err := NewUnstartedServer(p, "localhost:0")
	if err != nil {
		t.Fatalf("localhost without an admin token: %v", err)
	}
	s.Listener.Close()
}

// TestAdminBodyTypesCoverMutations: every admin endpoint that is not a
// read names the body types it accepts, so a new one cannot skip the
// check.
func TestAdminBodyTypesCoverMutations(t *testing.T) {
	for _, route := range adminPaths {
		if strings.HasPrefix(route, "GET ") {
			continue
		}
		if _, ok := adminBodyTypes[route]; !ok {
			t.Errorf("%s changes state but has no entry in adminBodyTypes", route)
		}
	}
}

// TestAdminGuard sends each request over a real socket from loopback,
// so RemoteAddr is what a browser on this machine would have.
func TestAdminGuard(t *testing.T) {
	json := map[string]string{"Content-Type": "application/json"}
	with := func(h map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range h {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name, method, path string
		host               string // "" keeps the server's address
		header             map[string]string
		token              string // the server's admin token
		want               int
		wantBody           string
	}{
		{"loopback address", "GET", "tokens", "", nil, "", 200, "tokens"},
		{"localhost with port", "GET", "health", "localhost:1234", nil, "", 200, "ok"},
		{"localhost without port", "GET", "health", "localhost", nil, "", 200, "ok"},
		{"other 127/8 address", "GET", "health", "127.1.2.3:80", nil, "", 200, "ok"},
		{"IPv6 loopback", "GET", "health", "[::1]:9", nil, "", 200, "ok"},
		{"IPv6 loopback without port", "GET", "health", "[::1]", nil, "", 200, "ok"},
		{"rebinding host", "GET", "tokens?reveal=true", "evil.example", nil, "", 403, "loopback host only"},
		{"rebinding host with port", "GET", "tokens?reveal=true", "evil.example:8080", nil, "", 403, "DNS rebinding"},
		{"provider host", "GET", "tokens", "auth.fake.test", nil, "", 403, "loopback host only"},
		{"foreign origin", "POST", "reset", "", with(json, "Origin", "https://evil.example"), "", 403, "another origin"},
		{"null origin", "POST", "reset", "", with(json, "Origin", "null"), "", 403, "another origin"},
		{"loopback origin", "POST", "reset", "", with(json, "Origin", "http://localhost:3000"), "", 200, "reset"},
		{"loopback IP origin", "POST", "reset", "", with(json, "Origin", "http://127.0.0.1:3000"), "", 200, "reset"},
		{"cross-site fetch", "GET", "tokens", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", 403, "another site"},
		{"text/plain post", "POST", "reset", "", map[string]string{"Content-Type": "text/plain"}, "", 415, "POST reset needs Content-Type: application/json"},
		{"form post", "POST", "clock/advance?by=1h", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "", 415, "application/json"},
		{"no content type", "POST", "reset", "", nil, "", 415, "got none"},
		{"json with charset", "POST", "reset", "", map[string]string{"Content-Type": "application/json; charset=utf-8"}, "", 200, "reset"},
		{"yaml scenario", "PUT", "scenario", "", map[string]string{"Content-Type": "application/yaml"}, "", 400, ""},
		{"text scenario", "PUT", "scenario", "", map[string]string{"Content-Type": "text/plain"}, "", 415, "application/yaml"},
		{"yaml elsewhere", "POST", "revoke", "", map[string]string{"Content-Type": "text/yaml"}, "", 415, "POST revoke needs"},
		{"unknown path keeps its 404", "POST", "nope", "", nil, "", 404, "no admin endpoint"},
		// With a token, the bearer decides whatever the Host and Origin.
		{"token, foreign host", "GET", "health", "mock.example", map[string]string{"Authorization": "Bearer t0k", "Origin": "https://evil.example"}, "t0k", 200, "ok"},
		{"token, wrong bearer", "GET", "health", "", map[string]string{"Authorization": "Bearer nope"}, "t0k", 401, "Bearer"},
		{"token, still a body type", "POST", "reset", "", map[string]string{"Authorization": "Bearer t0k", "Content-Type": "text/plain"}, "t0k", 415, "application/json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, s := newFake(t, Config{})
			p.AdminToken = tc.token
			req, err := http.NewRequest(tc.method, s.URL+AdminPrefix+tc.path, strings.NewReader("{"))
			if err != nil {
				t.Fatal(err)
			}
			if tc.host != "" {
				req.Host = tc.host
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.want || !strings.Contains(string(b), tc.wantBody) {
				t.Fatalf("%s %s (Host %q): %d %s, want %d with %q", tc.method, tc.path, req.Host, resp.StatusCode, b, tc.want, tc.wantBody)
			}
		})
	}
}

// TestAdminGuardInProcess: a request that did not come over a network
// (the httpmock adapter) has the provider's host and no remote address;
// it reaches the admin API as before.
func TestAdminGuardInProcess(t *testing.T) {
	p, err := New(fakeDialect{}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "https://auth.fake.test"+AdminPrefix+"health", nil)
	req.RemoteAddr = ""
	w := httptest.NewRecorder()
	p.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("in-process admin request: %d %s", w.Code, w.Body)
	}
}
