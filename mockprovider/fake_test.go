package mockprovider

import (
	"encoding/json"
	"net/http"
	"strings"
)

// fakeDialect is a minimal provider for testing the core without a real
// dialect: POST /token (refresh_token grant) and GET /api/... with a bearer.
type fakeDialect struct{}

func (fakeDialect) Name() string { return "fake" }
func (fakeDialect) Info() Info {
	return Info{Name: "fake", Title: "Fake", AuthSchemes: []string{"bearer"}, TokenPath: "/token", APIBase: "/api"}
}
func (fakeDialect) Hosts() []string { return []string{"auth.fake.test", "*.api.fake.test"} }
func (fakeDialect) Defaults() Config {
	return Config{Policy: &Policy{AccessTokenLifetime: 3600e9}, Clients: []Client{{ID: "client-1", Secret: "s3cret-value"}}, Scope: "read"}
}
func (fakeDialect) TokenFormat() TokenFormat {
	return func(kind TokenKind, n int, rnd func(int) string) string {
		return string(kind[:1]) + "tok-" + rnd(20)
	}
}
func (fakeDialect) Reset() {}

func (fakeDialect) Classify(x *Exchange) {
	switch {
	case x.Path == "/token":
		x.Kind = KindToken
		x.ReadTokenForm()
	case strings.HasPrefix(x.Path, "/api/"):
		x.Kind = KindAPI
		x.Token, x.TokenWhere = x.BearerToken("Bearer")
	}
}

func jsonResp(status int, v any) *Response {
	b, _ := json.Marshal(v)
	return &Response{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: b}
}

func (d fakeDialect) Serve(x *Exchange) *Response {
	switch x.Kind {
	case KindToken:
		id, check := x.CheckClient()
		if check != ClientOK {
			r, _ := d.Error("bad_client", x)
			return r
		}
		if x.Grant != "refresh_token" {
			return jsonResp(400, map[string]string{"error": "unsupported_grant_type"})
		}
		err := x.RefreshBusy
		if err == nil {
			var g Grant
			g, err = x.Provider.Authority().Refresh(x.Token, id)
			if err == nil {
				x.Issued = append(x.Issued, g.Access.Label)
				body := map[string]any{"access_token": g.Access.Value, "token_type": "Bearer", "url": x.URL("a.api.fake.test")}
				if g.RefreshIssued {
					x.Issued = append(x.Issued, g.Refresh.Label)
					body["refresh_token"] = g.Refresh.Value
				}
				return jsonResp(200, body)
			}
		}
		x.Note = err.Error()
		r, _ := d.Error("bad_grant", x)
		return r
	case KindAPI:
		t, ok := x.Provider.Authority().Authenticate(x.Token)
		if !ok || t.State != StateValid || t.Kind != AccessToken {
			r, _ := d.Error("unauthorized", x)
			return r
		}
		if x.Path == "/api/unmocked" {
			x.Unmocked = true
			return jsonResp(404, map[string]string{"error": "no such path"})
		}
		return jsonResp(200, map[string]any{"ok": true, "host": x.Host})
	}
	return jsonResp(404, map[string]string{"error": "not found"})
}

func (fakeDialect) Error(name string, x *Exchange) (*Response, bool) {
	switch name {
	case "bad_grant":
		return jsonResp(400, map[string]string{"error": "invalid_grant"}), true
	case "bad_client":
		return jsonResp(401, map[string]string{"error": "invalid_client"}), true
	case "unauthorized":
		return jsonResp(401, map[string]string{"error": "unauthorized"}), true
	}
	return nil, false
}

func (fakeDialect) Errors() []ErrorInfo {
	return []ErrorInfo{{Name: "bad_grant", Status: 400, Endpoint: KindToken}, {Name: "bad_client", Status: 401, Endpoint: KindToken}, {Name: "unauthorized", Status: 401, Endpoint: KindAPI}}
}
