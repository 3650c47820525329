package harness_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

// secretsPlatform is the mock platform of a built-in Secrets scenario,
// in process, with its provider.
func secretsPlatform(t *testing.T, provider, name string, edit func(*scenarios.Scenario)) (*harness.Platform, *mockprovider.Provider) {
	t.Helper()
	sc, err := scenarios.Builtin(provider, name)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(sc)
	}
	d, cfg, err := sc.Build()
	if err != nil {
		t.Fatal(err)
	}
	p, err := mockprovider.New(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := harness.NewPlatform(p, sc, "oauth")
	if err != nil {
		t.Fatal(err)
	}
	return pl, p
}

type secretAnswer struct {
	Data struct {
		ID         string `json:"id"`
		Type       string `json:"type"`
		Attributes struct {
			State       string         `json:"state"`
			Error       string         `json:"error"`
			Credentials map[string]any `json:"credentials"`
		} `json:"attributes"`
	} `json:"data"`
}

func call(t *testing.T, pl *harness.Platform, method, path string, auth bool) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, "http://127.0.0.1"+path, nil)
	if auth {
		req.SetBasicAuth(pl.Credentials())
	}
	w := httptest.NewRecorder()
	pl.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

func decodeSecret(t *testing.T, body string) secretAnswer {
	t.Helper()
	var a secretAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("not a secret: %v\n%s", err, body)
	}
	return a
}

func TestSecretsServiceAccess(t *testing.T) {
	pl, _ := secretsPlatform(t, "salesforce", "secrets-valid", nil)
	path := pl.SecretPath()
	ws := strings.Split(path, "/")[3]
	for _, tc := range []struct {
		name, method, path string
		auth               bool
		want               int
	}{
		{"no credentials", "GET", path, false, http.StatusUnauthorized},
		{"another workspace", "GET", strings.Replace(path, ws, "workspace_2", 1), true, http.StatusNotFound},
		{"another secret", "GET", path[:strings.LastIndex(path, "/")] + "/000000000000000000000000", true, http.StatusNotFound},
		{"refresh with GET", "GET", path + "/refresh", true, http.StatusMethodNotAllowed},
		{"read", "GET", path, true, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if st, body := call(t, pl, tc.method, tc.path, tc.auth); st != tc.want {
				t.Errorf("%s %s: %d, want %d\n%s", tc.method, tc.path, st, tc.want, body)
			}
		})
	}
	cfg := pl.StepConfig()
	if cfg["secretId"] == nil || cfg["oauth"] != nil {
		t.Errorf("step cfg %v: want secretId and no oauth", cfg)
	}
}

// TestSecretsServiceRefresh: the platform's refresh is a real grant at
// the provider, journaled as the platform's, and its answer carries the
// new tokens with Salesforce's extras under undefined_params.
func TestSecretsServiceRefresh(t *testing.T) {
	pl, p := secretsPlatform(t, "salesforce", "secrets-rotation", nil)
	_, body := call(t, pl, "GET", pl.SecretPath(), true)
	before := decodeSecret(t, body).Data.Attributes.Credentials
	und, _ := before["undefined_params"].(map[string]any)
	for _, k := range []string{"instance_url", "id", "issued_at", "signature"} {
		if und[k] == nil {
			t.Errorf("undefined_params lacks %s: %v", k, und)
		}
	}
	st, body := call(t, pl, "POST", pl.SecretPath()+"/refresh", true)
	after := decodeSecret(t, body)
	if st != 200 || after.Data.Attributes.State != "ready" {
		t.Fatalf("refresh: %d %s", st, body)
	}
	c := after.Data.Attributes.Credentials
	if c["access_token"] == before["access_token"] || c["refresh_token"] == before["refresh_token"] {
		t.Errorf("the refresh did not rotate the tokens: %v → %v", before, c)
	}
	var grants []mockprovider.Entry
	for _, e := range p.Journal().Entries(mockprovider.Filter{Kinds: []mockprovider.Kind{mockprovider.KindToken}}) {
		grants = append(grants, e)
	}
	if len(grants) != 1 || grants[0].Caller != mockprovider.CallerPlatform || grants[0].Grant != "refresh_token" || grants[0].Status != 200 {
		t.Fatalf("token requests %+v: want one refresh_token grant by the platform", grants)
	}
	// The second refresh presents the rotated refresh token: no reuse.
	if st, body := call(t, pl, "POST", pl.SecretPath()+"/refresh", true); st != 200 || decodeSecret(t, body).Data.Attributes.State != "ready" {
		t.Fatalf("second refresh: %d %s", st, body)
	}
}

func TestSecretsServiceRefreshRefused(t *testing.T) {
	pl, _ := secretsPlatform(t, "microsoft", "secrets-refresh-rejected", nil)
	st, body := call(t, pl, "POST", pl.SecretPath()+"/refresh", true)
	a := decodeSecret(t, body)
	if st != 200 || a.Data.Attributes.State != "error" || !strings.Contains(a.Data.Attributes.Error, "invalid_grant") {
		t.Fatalf("refused refresh: %d %s", st, body)
	}
	if _, body := call(t, pl, "GET", pl.SecretPath(), true); decodeSecret(t, body).Data.Attributes.State != "error" {
		t.Errorf("the secret is not in state error after the refused refresh: %s", body)
	}

	pl, _ = secretsPlatform(t, "microsoft", "secrets-refresh-rejected", func(sc *scenarios.Scenario) { sc.Secrets.RefreshFailureStatus = 400 })
	if st, body := call(t, pl, "POST", pl.SecretPath()+"/refresh", true); st != 400 || !strings.Contains(body, "AADSTS70008") {
		t.Errorf("refreshFailureStatus 400: %d %s", st, body)
	}
}

func TestSecretsServiceOptions(t *testing.T) {
	pl, _ := secretsPlatform(t, "microsoft", "secrets-valid", func(sc *scenarios.Scenario) {
		sc.Secrets.ArrayData, sc.Secrets.WithOAuth = true, true
	})
	_, body := call(t, pl, "GET", pl.SecretPath(), true)
	var arr struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &arr); err != nil || len(arr.Data) != 1 {
		t.Errorf("arrayData: %v %s", err, body)
	}
	if pl.StepConfig()["oauth"] == nil {
		t.Error("withOAuth: no oauth in the step cfg")
	}
}

// TestSecretsBackgroundRefresh: when the clock passes a minute before
// expiry the platform refreshes on its own; before that it does not.
func TestSecretsBackgroundRefresh(t *testing.T) {
	pl, p := secretsPlatform(t, "microsoft", "secrets-background-refresh", nil)
	_, body := call(t, pl, "GET", pl.SecretPath(), true)
	first := decodeSecret(t, body).Data.Attributes.Credentials["access_token"]
	p.Clock().Advance(30 * time.Minute)
	pl.ClockAdvanced(context.Background())
	if n := p.Journal().Counts().ByKind[mockprovider.KindToken]; n != 0 {
		t.Fatalf("refreshed %d times half an hour in", n)
	}
	p.Clock().Advance(3 * time.Hour)
	pl.ClockAdvanced(context.Background())
	_, body = call(t, pl, "GET", pl.SecretPath(), true)
	if now := decodeSecret(t, body).Data.Attributes.Credentials["access_token"]; now == first {
		t.Errorf("the secret still holds the first access token after the clock passed its expiry")
	}
	if n := p.Journal().Counts().ByKind[mockprovider.KindToken]; n != 1 {
		t.Errorf("%d token requests, want the one background refresh", n)
	}
}

// TestSecretsRun runs the compliant Secrets-mode example through a
// scenario with a 401: the component reads the secret, asks the platform
// to refresh, and the only token request is the platform's.
func TestSecretsRun(t *testing.T) {
	c := component(t, "sf-secrets-query")
	sc, err := scenarios.Builtin("salesforce", "secrets-expired-access-token")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := harness.Run(context.Background(), c, sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Messages) != 1 || tr.Messages[0].Outcome != harness.OutcomeOK {
		t.Fatalf("messages %+v", tr.Messages)
	}
	var reads, refreshes, tokens int
	for _, e := range tr.Journal {
		switch {
		case e.Kind == mockprovider.KindToken:
			tokens++
			if e.Caller != mockprovider.CallerPlatform {
				t.Errorf("token request #%d not by the platform", e.Seq)
			}
		case e.Kind == mockprovider.KindPlatform && e.Note == harness.NoteSecretRead:
			reads++
		case e.Kind == mockprovider.KindPlatform && e.Note == harness.NoteSecretRefresh:
			refreshes++
		}
	}
	if reads != 1 || refreshes != 1 || tokens != 1 {
		t.Errorf("reads %d, refreshes %d, token requests %d; want 1 each", reads, refreshes, tokens)
	}
	if filepath.Base(tr.Component.Dir) != "sf-secrets-query" || tr.Component.Strategy != harness.StrategyPlatformSecrets {
		t.Errorf("component %+v", tr.Component)
	}
}
