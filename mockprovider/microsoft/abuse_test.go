package microsoft_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/microsoft"
)

// TestRepeatedTokenParameter: the token endpoint refuses a body that
// gives a parameter twice with AADSTS9000411, as captured for a repeated
// scope, before anything is redeemed.
func TestRepeatedTokenParameter(t *testing.T) {
	for _, param := range []string{"grant_type", "refresh_token", "client_id", "scope"} {
		t.Run(param, func(t *testing.T) {
			m := newMock(t, microsoft.Options{}, mockprovider.Config{})
			form := refreshForm(m.p.Initial().Refresh.Value)
			for len(form[param]) < 2 {
				form[param] = append(form[param], map[string]string{"grant_type": "client_credentials", "refresh_token": "1.AUoAother", "client_id": "other", "scope": "offline_access Mail.Read"}[param])
			}
			issued := m.p.Authority().Issued()
			r := m.do(tokenRequest("common", form))
			var e struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
				Codes       []int  `json:"error_codes"`
			}
			if err := json.Unmarshal(r.body, &e); err != nil || r.status != 400 || e.Error != "invalid_request" || len(e.Codes) != 1 || e.Codes[0] != 9000411 ||
				!strings.HasPrefix(e.Description, "AADSTS9000411: The request is not properly formatted. The parameter '"+param+"' is duplicated.") {
				t.Fatalf("%d %s (%v), want 400 invalid_request AADSTS9000411 naming %s", r.status, r.body, err, param)
			}
			if got := m.p.Authority().Issued(); got != issued {
				t.Fatalf("a refused request issued %d tokens", got-issued)
			}
			if param == "grant_type" {
				golden(t, "token/duplicate-parameter", r.dump())
			}
		})
	}
}

// TestOversizedRequestInMicrosoftFormat: a body over the limit gets the
// identity platform's error object at the token endpoint and Graph's
// envelope on Graph, not a plain-text page.
func TestOversizedRequestInMicrosoftFormat(t *testing.T) {
	m := newMock(t, microsoft.Options{}, mockprovider.Config{MaxRequestBody: 1024})
	big := strings.Repeat("a", 4096)

	tok := m.do(request{method: http.MethodPost, path: "/common/oauth2/v2.0/token", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, body: "grant_type=refresh_token&x=" + big})
	var aad struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Codes       []int  `json:"error_codes"`
		TraceID     string `json:"trace_id"`
	}
	if err := json.Unmarshal(tok.body, &aad); err != nil || tok.status != 413 || aad.Error != "invalid_request" || len(aad.Codes) != 1 || aad.TraceID == "" {
		t.Fatalf("token endpoint: %d %s (%v), want 413 and the identity platform's error object", tok.status, tok.body, err)
	}
	golden(t, "token/oversized-body", tok.dump())

	graph := m.do(request{method: http.MethodPost, host: microsoft.GraphHost, path: "/v1.0/me/sendMail", header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + m.p.Initial().Access.Value}}, body: `{"message":"` + big + `"}`})
	var g struct {
		Error struct {
			Code       string         `json:"code"`
			Message    string         `json:"message"`
			InnerError map[string]any `json:"innerError"`
		} `json:"error"`
	}
	if err := json.Unmarshal(graph.body, &g); err != nil || graph.status != 413 || g.Error.Code == "" || g.Error.Message == "" || g.Error.InnerError["request-id"] == nil {
		t.Fatalf("Graph: %d %s (%v), want 413 and Graph's error envelope", graph.status, graph.body, err)
	}
	golden(t, "graph/oversized-body", graph.dump())
}
