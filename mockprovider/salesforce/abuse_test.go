package salesforce

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// TestRepeatedTokenParameter: a token request that gives a parameter
// twice is refused before anything is redeemed, as RFC 6749 §3.2 and §5.2
// say (Salesforce's own answer is undocumented).
func TestRepeatedTokenParameter(t *testing.T) {
	for _, param := range []string{"grant_type", "refresh_token", "client_id", "scope"} {
		t.Run(param, func(t *testing.T) {
			m := newMock(t, Options{}, mockprovider.Config{})
			form := m.refreshForm(m.p.Initial().Refresh.Value)
			second := map[string]string{"grant_type": "password", "refresh_token": "5Aep861other", "client_id": "other", "scope": "api"}[param]
			for len(form[param]) < 2 {
				form[param] = append(form[param], second)
			}
			issued := m.p.Authority().Issued()
			resp, body := m.post(pathToken, form)
			var e struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			_ = json.Unmarshal(body, &e)
			if resp.StatusCode != 400 || e.Error != "invalid_request" || e.Description != "duplicate parameter: "+param {
				t.Fatalf("%d %s, want 400 invalid_request naming %s", resp.StatusCode, body, param)
			}
			if got := m.p.Authority().Issued(); got != issued {
				t.Fatalf("a refused request issued %d tokens", got-issued)
			}
		})
	}
}

// TestRepeatedParameterIsNoRefreshInFlight: the refused request does not
// hold the refresh token in flight, so the component's corrected retry
// right after it is answered, even with a concurrent-refresh window.
func TestRepeatedParameterIsNoRefreshInFlight(t *testing.T) {
	m := newMock(t, Options{}, mockprovider.Config{Policy: &mockprovider.Policy{RejectConcurrentRefresh: true, ConcurrentRefreshWindow: time.Hour}})
	form := m.refreshForm(m.p.Initial().Refresh.Value)
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad["refresh_token"] = append(bad["refresh_token"], form.Get("refresh_token"))
	if resp, body := m.post(pathToken, bad); resp.StatusCode != 400 {
		t.Fatalf("repeated refresh_token: %d %s", resp.StatusCode, body)
	}
	if resp, body := m.post(pathToken, form); resp.StatusCode != 200 {
		t.Fatalf("the corrected refresh: %d %s, want 200", resp.StatusCode, body)
	}
}

// TestOversizedRequestInSalesforceFormat: a body over the limit gets the
// error shape of the endpoint it was sent to, not a plain-text page.
func TestOversizedRequestInSalesforceFormat(t *testing.T) {
	m := newMock(t, Options{}, mockprovider.Config{MaxRequestBody: 1024})
	big := strings.Repeat("a", 4096)

	resp, body := m.do(m.newRequest(http.MethodPost, pathToken, "grant_type=refresh_token&x="+big, "Content-Type", "application/x-www-form-urlencoded"))
	var oauth struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &oauth); err != nil || resp.StatusCode != 413 || oauth.Error != "invalid_request" || !strings.Contains(oauth.Description, "1024 bytes") {
		t.Fatalf("token endpoint: %d %s (%v), want 413 and an OAuth error object", resp.StatusCode, body, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("token endpoint Content-Type %q", ct)
	}

	at := m.p.Initial().Access.Value
	resp, body = m.do(m.newRequest(http.MethodPost, "/services/data/v67.0/sobjects/Account", `{"Name":"`+big+`"}`, "Content-Type", "application/json", "Authorization", "Bearer "+at))
	var api []struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
	}
	if err := json.Unmarshal(body, &api); err != nil || resp.StatusCode != 413 || len(api) != 1 || api[0].ErrorCode != "EXCEEDED_MAX_SIZE_REQUEST" {
		t.Fatalf("API: %d %s (%v), want 413 and a JSON array of {message, errorCode}", resp.StatusCode, body, err)
	}

	kinds := []mockprovider.Kind{}
	for _, e := range m.p.Journal().Entries(mockprovider.Filter{}) {
		kinds = append(kinds, e.Kind)
		if !strings.Contains(e.Note, "over 1024 bytes") {
			t.Errorf("journal note %q", e.Note)
		}
	}
	if len(kinds) != 2 || kinds[0] != mockprovider.KindToken || kinds[1] != mockprovider.KindAPI {
		t.Errorf("journal kinds %v, want token then api", kinds)
	}
}
