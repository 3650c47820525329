package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

// StrategyPlatformSecrets is a component whose tokens the platform's
// Secrets service keeps fresh (platform release 20.23 on): it reads the
// secret named by cfg.secretId and, when the API answers 401, asks the
// platform to refresh it. It never talks to the token endpoint itself.
const StrategyPlatformSecrets Strategy = "platform-secrets"

// Fixed ids of the Secrets objects, so that traces compare. workspaceID
// is the ELASTICIO_WORKSPACE_ID every container gets.
const (
	workspaceID  = "workspace_1"
	secretID     = "6180a8d0f0c4a100sec00001"
	authClientID = "6180a8d0f0c4a100cli00001"
)

// backgroundLead is how long before expiry the Secrets service refreshes
// a secret on its own: "updating them at last 1 minutes before the
// expiration" (the Secrets guide, platform.md §3.2).
const backgroundLead = time.Minute

// SecretPath returns the path of the secret endpoint of the mock
// platform, as a component builds it from ELASTICIO_WORKSPACE_ID and
// cfg.secretId: /v2/workspaces/{ws}/secrets/{id}.
func SecretPath() string { return "/v2/workspaces/" + workspaceID + "/secrets/" + secretID }

// Journal notes of the Secrets endpoints; the rules find the
// component's secret reads and refresh requests by them.
const (
	NoteSecretRead    = "secret read"
	NoteSecretRefresh = "secret refresh"
)

// secretStore is the mock platform's Secrets service for one auth-secret
// and the auth-client it belongs to. Its refresh is a real
// refresh_token grant against the mock provider, sent in process through
// the provider's handler, so rotation, reuse detection, scripted faults
// and the journal apply to it as to a component's own refresh; the
// journal marks those requests with Caller "platform".
type secretStore struct {
	opt      scenarios.SecretsOptions
	client   mockprovider.Client
	tokenURI string
	clock    *mockprovider.Clock
	http     *http.Client

	refreshing sync.Mutex // one refresh at a time, as one service would

	mu        sync.Mutex
	creds     map[string]any
	state     string // "ready" or "error"
	lastError string
	expiresAt time.Time // virtual time the secret's token expires, by its expires_in
	lifetime  time.Duration
}

// newSecretStore makes the secret from the sign-in token response.
func newSecretStore(p *mockprovider.Provider, opt scenarios.SecretsOptions, signIn map[string]any) *secretStore {
	info := p.Dialect().Info()
	host := ""
	for _, h := range p.Dialect().Hosts() {
		if !strings.HasPrefix(h, "*.") {
			host = h
			break
		}
	}
	s := &secretStore{
		opt: opt, client: p.Client(), tokenURI: "https://" + host + info.TokenPath, clock: p.Clock(),
		http:     &http.Client{Transport: mockprovider.Transport(p), Timeout: 60 * time.Second},
		state:    "ready",
		lifetime: p.Authority().Policy().AccessTokenLifetime,
	}
	if s.lifetime <= 0 {
		s.lifetime = 2 * time.Hour // the authority's default
	}
	s.creds = map[string]any{"additional_params": map[string]any{}, "undefined_params": map[string]any{}, "fields": map[string]any{}}
	s.adopt(signIn)
	return s
}

// adopt stores a token response: access_token, refresh_token (kept when
// the response has none) and expires_in as the secret's credentials,
// every other field under undefined_params, as the platform keeps
// Salesforce's instance_url, id, issued_at and signature.
func (s *secretStore) adopt(resp map[string]any) {
	und, _ := s.creds["undefined_params"].(map[string]any)
	next := map[string]any{}
	for k, v := range und {
		next[k] = v
	}
	for k, v := range resp {
		switch k {
		case "access_token", "refresh_token", "expires_in":
			s.creds[k] = v
		default:
			next[k] = v
		}
	}
	s.creds["undefined_params"] = next
	life := s.lifetime
	if n, ok := resp["expires_in"].(float64); ok && n > 0 {
		life = time.Duration(n) * time.Second
	} else {
		// Salesforce sends no expires_in; the auth-client's
		// token_expires_in stands in for it.
		s.creds["expires_in"] = int(s.lifetime / time.Second)
	}
	s.expiresAt = s.clock.Now().Add(life)
	s.state, s.lastError = "ready", ""
}

// body renders the secret as JSON:API, data a single object unless the
// scenario asks for the documentation's array form.
func (s *secretStore) body() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	attrs := map[string]any{"name": "refreshproof account", "state": s.state, "credentials": s.creds}
	if s.state == "error" {
		attrs["error"] = s.lastError
	}
	obj := map[string]any{
		"id": secretID, "type": "auth-secret", "attributes": attrs,
		"relationships": map[string]any{
			"auth_client": map[string]any{"data": map[string]any{"id": authClientID, "type": "auth-client"}},
			"workspace":   map[string]any{"data": map[string]any{"id": workspaceID, "type": "workspace"}},
		},
	}
	var data any = obj
	if s.opt.ArrayData {
		data = []any{obj}
	}
	return jsonBody(map[string]any{"data": data})
}

// refresh makes the platform's refresh_token grant and stores its
// outcome: new credentials, or state error with the provider's error.
func (s *secretStore) refresh(ctx context.Context) error {
	s.refreshing.Lock()
	defer s.refreshing.Unlock()
	s.mu.Lock()
	rt, _ := s.creds["refresh_token"].(string)
	s.mu.Unlock()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {s.client.ID}}
	if s.client.Secret != "" {
		form.Set("client_secret", s.client.Secret)
	}
	req, err := http.NewRequestWithContext(mockprovider.WithCaller(ctx, mockprovider.CallerPlatform), http.MethodPost, s.tokenURI, strings.NewReader(form.Encode()))
	if err != nil {
		return s.fail(fmt.Sprintf("refresh request: %v", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return s.fail(fmt.Sprintf("token endpoint unreachable: %v", err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return s.fail(fmt.Sprintf("token endpoint answer cut short: %v", err))
	}
	var obj map[string]any
	_ = json.Unmarshal(raw, &obj)
	if resp.StatusCode != http.StatusOK || obj == nil || obj["access_token"] == nil {
		return s.fail(providerError(resp.StatusCode, obj, raw))
	}
	s.mu.Lock()
	s.adopt(obj)
	s.mu.Unlock()
	return nil
}

func (s *secretStore) fail(msg string) error {
	s.mu.Lock()
	s.state, s.lastError = "error", msg
	s.mu.Unlock()
	return fmt.Errorf("harness: secret refresh failed: %s", msg)
}

// providerError words a failed token response as the platform's error:
// the provider's error and error_description when it gave them.
func providerError(status int, obj map[string]any, raw []byte) string {
	code, _ := obj["error"].(string)
	desc, _ := obj["error_description"].(string)
	switch {
	case code != "" && desc != "":
		return fmt.Sprintf("token refresh failed with status %d: %s: %s", status, code, desc)
	case code != "":
		return fmt.Sprintf("token refresh failed with status %d: %s", status, code)
	case status == http.StatusOK:
		return "token refresh answered without an access_token"
	}
	text := strings.TrimSpace(string(raw))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	return fmt.Sprintf("token refresh failed with status %d: %s", status, text)
}

// due tells whether the background refresh would have run by now.
func (s *secretStore) due() bool {
	if s.opt.BackgroundRefresh != nil && !*s.opt.BackgroundRefresh {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == "ready" && !s.clock.Now().Before(s.expiresAt.Add(-backgroundLead))
}

// serveSecret answers GET …/secrets/{id} and POST …/secrets/{id}/refresh.
// parts is the path split at "/": v2 workspaces {ws} secrets {id} [refresh].
func (pl *platform) serveSecret(r *http.Request, parts []string) (int, []byte, string) {
	if pl.secret == nil {
		return http.StatusNotFound, errBody("Not found"), "the scenario gives the component no secret (it is not a Secrets-mode scenario)"
	}
	refresh := len(parts) == 6
	if refresh && parts[5] != "refresh" {
		return http.StatusNotFound, errBody("Not found"), "not a platform endpoint the harness serves"
	}
	note := NoteSecretRead
	if refresh {
		note = NoteSecretRefresh
	}
	if parts[2] != workspaceID {
		return http.StatusNotFound, jsonAPIError(404, "Workspace not found"), fmt.Sprintf("%s: workspace %q is not the task's (%s)", note, parts[2], workspaceID)
	}
	if parts[4] != secretID {
		return http.StatusNotFound, jsonAPIError(404, "Secret not found"), fmt.Sprintf("%s: secret %q is not the step's secretId", note, parts[4])
	}
	switch {
	case !refresh && r.Method == http.MethodGet:
		return http.StatusOK, pl.secret.body(), note
	case refresh && r.Method == http.MethodPost:
		if err := pl.secret.refresh(r.Context()); err != nil && pl.secret.opt.RefreshFailureStatus != 0 && pl.secret.opt.RefreshFailureStatus != http.StatusOK {
			st := pl.secret.opt.RefreshFailureStatus
			pl.secret.mu.Lock()
			msg := pl.secret.lastError
			pl.secret.mu.Unlock()
			return st, jsonAPIError(st, msg), note + " (failed)"
		} else if err != nil {
			return http.StatusOK, pl.secret.body(), note + " (failed: the secret is in state error)"
		}
		return http.StatusOK, pl.secret.body(), note
	}
	return http.StatusMethodNotAllowed, jsonAPIError(405, "Method not allowed"), note + ": wrong method " + r.Method
}

// jsonAPIError is a JSON:API error document.
func jsonAPIError(status int, detail string) []byte {
	return jsonBody(map[string]any{"errors": []any{map[string]any{"status": fmt.Sprint(status), "title": http.StatusText(status), "detail": detail}}})
}

// enableSecrets turns the platform into one with the Secrets service for
// scenario options opt: cfg gets secretId and the account's keys hold
// the token response only when opt.WithOAuth asks for it.
func (pl *platform) enableSecrets(p *mockprovider.Provider, opt *scenarios.SecretsOptions, signIn map[string]any, credentialField string) {
	pl.secret = newSecretStore(p, *opt, signIn)
	pl.mu.Lock()
	if !opt.WithOAuth {
		delete(pl.keys, credentialField)
	}
	pl.mu.Unlock()
}

// clockAdvanced runs the Secrets service's background refresh when the
// virtual clock has passed its point (one minute before expiry).
func (pl *platform) clockAdvanced(ctx context.Context) {
	if pl.secret == nil || !pl.secret.due() {
		return
	}
	pl.inflight.Add(1)
	defer pl.inflight.Add(-1)
	_ = pl.secret.refresh(ctx) // a failure is the secret's state error, and in the journal
}
