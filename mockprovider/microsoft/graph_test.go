package microsoft_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/microsoft"
)

// graphRequest is a GET on Graph's host.
func graphRequest(path string, h http.Header) request {
	return request{host: microsoft.GraphHost, path: path, header: h}
}

// TestGraphWire pins Graph's answers byte for byte.
func TestGraphWire(t *testing.T) {
	throttle := []mockprovider.Rule{{Name: "throttle", Match: mockprovider.Match{Endpoint: mockprovider.EndpointAPI, Nth: 1}, Respond: mockprovider.Respond{Error: "TooManyRequests"}}}
	tests := []struct {
		name  string
		opts  microsoft.Options
		cfg   mockprovider.Config
		setup func(m *mock)
		req   func(m *mock) request
	}{
		{name: "me", req: func(m *mock) request { return graphRequest("/v1.0/me", bearer(m.p.Initial().Access.Value)) }},
		{name: "me-select", req: func(m *mock) request {
			return graphRequest("/v1.0/me?$select=displayName,mail", bearer(m.p.Initial().Access.Value))
		}},
		{name: "me-select-unknown", req: func(m *mock) request {
			return graphRequest("/v1.0/me?$select=shoeSize", bearer(m.p.Initial().Access.Value))
		}},
		{name: "me-client-request-id", req: func(m *mock) request {
			h := bearer(m.p.Initial().Access.Value)
			h.Set("client-request-id", "0f6b3c44-5a1e-4b52-9d2c-6e7f8a9b0c1d")
			return graphRequest("/v1.0/me", h)
		}},
		{name: "messages-select-top", req: func(m *mock) request {
			return graphRequest("/v1.0/me/messages?$select=sender,subject&$top=2", bearer(m.p.Initial().Access.Value))
		}},
		{name: "messages-last-page", req: func(m *mock) request {
			return graphRequest("/v1.0/me/messages?$select=subject&$skip=33", bearer(m.p.Initial().Access.Value))
		}},
		{name: "inbox-messages", req: func(m *mock) request {
			return graphRequest("/v1.0/me/mailFolders/inbox/messages?$select=subject,isRead&$top=3", bearer(m.p.Initial().Access.Value))
		}},
		{name: "mail-folders", req: func(m *mock) request {
			return graphRequest("/v1.0/me/mailFolders", bearer(m.p.Initial().Access.Value))
		}},
		{name: "unknown-folder", req: func(m *mock) request {
			return graphRequest("/v1.0/me/mailFolders/nosuchfolder/messages", bearer(m.p.Initial().Access.Value))
		}},
		{name: "unknown-message", req: func(m *mock) request {
			return graphRequest("/v1.0/me/messages/AAMkAGnope", bearer(m.p.Initial().Access.Value))
		}},
		{name: "unknown-segment", req: func(m *mock) request {
			return graphRequest("/v1.0/me/xyz", bearer(m.p.Initial().Access.Value))
		}},
		{name: "bad-top", req: func(m *mock) request {
			return graphRequest("/v1.0/me/messages?$top=lots", bearer(m.p.Initial().Access.Value))
		}},
		{name: "send-mail", req: func(m *mock) request {
			r := graphRequest("/v1.0/me/sendMail", bearer(m.p.Initial().Access.Value))
			r.method, r.body = http.MethodPost, `{"message":{"subject":"hi","toRecipients":[{"emailAddress":{"address":"a@example.com"}}]}}`
			r.header.Set("Content-Type", "application/json")
			return r
		}},
		{name: "send-mail-empty", req: func(m *mock) request {
			r := graphRequest("/v1.0/me/sendMail", bearer(m.p.Initial().Access.Value))
			r.method = http.MethodPost
			return r
		}},
		{name: "revoke-sign-in-sessions", req: func(m *mock) request {
			r := graphRequest("/v1.0/me/revokeSignInSessions", bearer(m.p.Initial().Access.Value))
			r.method = http.MethodPost
			return r
		}},
		{name: "401-missing", req: func(m *mock) request { return graphRequest("/v1.0/me", nil) }},
		{name: "401-query-token", req: func(m *mock) request {
			return graphRequest("/v1.0/me?access_token="+url.QueryEscape(m.p.Initial().Access.Value), nil)
		}},
		{name: "401-expired", setup: func(m *mock) { m.p.Clock().Advance(2 * time.Hour) },
			req: func(m *mock) request { return graphRequest("/v1.0/me", bearer(m.p.Initial().Access.Value)) }},
		{name: "401-expired-legacy", opts: microsoft.Options{ExpiredMessage: "legacy"}, setup: func(m *mock) { m.p.Clock().Advance(2 * time.Hour) },
			req: func(m *mock) request { return graphRequest("/v1.0/me/messages", bearer(m.p.Initial().Access.Value)) }},
		{name: "401-expired-unknown-path", setup: func(m *mock) { m.p.Clock().Advance(2 * time.Hour) },
			req: func(m *mock) request { return graphRequest("/v1.0/nothing/here", bearer(m.p.Initial().Access.Value)) }},
		{name: "401-revoked", setup: func(m *mock) {
			if err := m.p.Authority().RevokeFamily(m.p.Initial().Access.Value); err != nil {
				m.t.Fatal(err)
			}
		}, req: func(m *mock) request { return graphRequest("/v1.0/me", bearer(m.p.Initial().Access.Value)) }},
		{name: "401-garbage", req: func(m *mock) request { return graphRequest("/v1.0/me", bearer("garbage")) }},
		{name: "401-garbage-legacy", opts: microsoft.Options{ExpiredMessage: "legacy"},
			req: func(m *mock) request { return graphRequest("/v1.0/me", bearer("garbage")) }},
		{name: "401-refresh-token", req: func(m *mock) request { return graphRequest("/v1.0/me", bearer(m.p.Initial().Refresh.Value)) }},
		{name: "401-foreign-jwt", req: func(m *mock) request { return graphRequest("/v1.0/me", bearer("eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.")) }},
		{name: "429-scripted", cfg: mockprovider.Config{Rules: throttle},
			req: func(m *mock) request { return graphRequest("/v1.0/me", bearer(m.p.Initial().Access.Value)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMock(t, tt.opts, tt.cfg)
			if tt.setup != nil {
				tt.setup(m)
			}
			resp := m.do(tt.req(m))
			golden(t, "graph/"+tt.name, resp.dump())
			if resp.status == http.StatusUnauthorized {
				want := `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`
				if got := resp.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, want) {
					t.Errorf("WWW-Authenticate %q, want it to start with %q", got, want)
				}
			}
		})
	}
}

// TestGraphPaging follows @odata.nextLink to the end: every message once,
// the requested $select kept on every page.
func TestGraphPaging(t *testing.T) {
	for _, pageSize := range []int{0, 4} {
		m := newMock(t, microsoft.Options{PageSize: pageSize}, mockprovider.Config{})
		at := m.p.Initial().Access.Value
		seen := map[string]bool{}
		pages := 0
		path := "/v1.0/me/messages?$select=subject"
		for path != "" {
			r := m.do(graphRequest(path, bearer(at)))
			if r.status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, r.status, r.body)
			}
			var page struct {
				Value []map[string]any `json:"value"`
				Next  string           `json:"@odata.nextLink"`
			}
			if err := json.Unmarshal(r.body, &page); err != nil {
				t.Fatal(err)
			}
			for _, v := range page.Value {
				id := v["id"].(string)
				if seen[id] {
					t.Errorf("message %s listed twice", id)
				}
				seen[id] = true
				if _, ok := v["subject"]; !ok || len(v) != 3 {
					t.Errorf("message fields %v; want @odata.etag, id, subject", v)
				}
			}
			pages++
			path = ""
			if page.Next != "" {
				// The mock is not redirected, so links name the real host.
				if !strings.HasPrefix(page.Next, "https://graph.microsoft.com/v1.0/me/messages?$select=subject&$skip=") {
					t.Fatalf("nextLink %q", page.Next)
				}
				path = strings.TrimPrefix(page.Next, "https://graph.microsoft.com")
			}
		}
		wantPages := 4
		if pageSize == 4 {
			wantPages = 9
		}
		if len(seen) != 35 || pages != wantPages {
			t.Errorf("page size %d: %d messages in %d pages, want 35 in %d", pageSize, len(seen), pages, wantPages)
		}
	}
}

// TestRevokeSignInSessions checks that the revocation reaches the token
// endpoint and Graph.
func TestRevokeSignInSessions(t *testing.T) {
	m := newMock(t, microsoft.Options{}, mockprovider.Config{})
	init := m.p.Initial()
	r := graphRequest("/v1.0/me/revokeSignInSessions", bearer(init.Access.Value))
	r.method = http.MethodPost
	if got := m.do(r); got.status != http.StatusOK || !strings.Contains(string(got.body), `"value":true`) {
		t.Fatalf("revokeSignInSessions: %d %s", got.status, got.body)
	}
	rt := m.do(tokenRequest("common", refreshForm(init.Refresh.Value)))
	if rt.status != http.StatusBadRequest || !strings.Contains(string(rt.body), "AADSTS50173") {
		t.Errorf("refresh after revocation: %d %s; want AADSTS50173", rt.status, rt.body)
	}
	api := m.do(graphRequest("/v1.0/me", bearer(init.Access.Value)))
	if api.status != http.StatusUnauthorized || !strings.Contains(api.header.Get("WWW-Authenticate"), `error="insufficient_claims"`) {
		t.Errorf("API after revocation: %d %s %s; want the CAE challenge", api.status, api.header, api.body)
	}
}

// TestAppOnlyMe checks that an app-only token cannot call /me.
func TestAppOnlyMe(t *testing.T) {
	m := newMock(t, microsoft.Options{}, mockprovider.Config{})
	b := decodeToken(t, m.do(tokenRequest("common", url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"},
		"client_id": {microsoft.DefaultClientID}, "client_secret": {microsoft.DefaultClientSecret}})))
	r := m.do(graphRequest("/v1.0/me", bearer(b.AccessToken)))
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "only valid with delegated authentication flow") {
		t.Errorf("/me with an app-only token: %d %s", r.status, r.body)
	}
}

// TestRefreshedTokenCallsGraph is the cycle a component runs: the access
// token expires, the refresh issues a new one, Graph accepts it.
func TestRefreshedTokenCallsGraph(t *testing.T) {
	m := newMock(t, microsoft.Options{}, mockprovider.Config{})
	m.p.Clock().Advance(61 * time.Minute)
	if r := m.do(graphRequest("/v1.0/me", bearer(m.p.Initial().Access.Value))); r.status != http.StatusUnauthorized {
		t.Fatalf("expired token: status %d", r.status)
	}
	b := decodeToken(t, m.do(tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value))))
	if r := m.do(graphRequest("/v1.0/me", bearer(b.AccessToken))); r.status != http.StatusOK {
		t.Errorf("new token: status %d %s", r.status, r.body)
	}
}
