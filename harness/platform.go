package harness

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// platform is the mock elastic.io platform API the sailor talks to
// (platform.md §7.2): the step configuration, the account store that
// updateKeys writes to, and the startup-hook data. Every call lands in
// the provider's journal, so provider and platform exchanges share one
// sequence.
type platform struct {
	flowID, stepID, accountID string
	user, key                 string
	policy                    KeysPolicy
	stepFields                map[string]any
	journal                   *mockprovider.Journal
	clock                     *mockprovider.Clock
	inflight                  atomic.Int64
	// secret is the Secrets service of a Secrets-mode scenario; nil
	// otherwise.
	secret *secretStore

	mu       sync.Mutex
	keys     map[string]any
	updates  []KeyUpdate
	message  int // index of the message running, -1 between messages
	hookData []byte
}

const maxPlatformBody = 10 << 20

func (pl *platform) currentKeys() json.RawMessage {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	b, _ := json.Marshal(pl.keys)
	return b
}

func (pl *platform) setMessage(i int) {
	pl.mu.Lock()
	pl.message = i
	pl.mu.Unlock()
}

func (pl *platform) keyUpdates() []KeyUpdate {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return append([]KeyUpdate(nil), pl.updates...)
}

// stepConfig is the cfg a container starts with: the step's fields, the
// account's stored keys over them, and _account.
func (pl *platform) stepConfig() map[string]any {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	cfg := map[string]any{}
	for k, v := range pl.stepFields {
		cfg[k] = v
	}
	for k, v := range pl.keys {
		cfg[k] = v
	}
	cfg["_account"] = pl.accountID
	if pl.secret != nil {
		cfg["secretId"] = secretID
	}
	return cfg
}

func (pl *platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pl.inflight.Add(1)
	defer pl.inflight.Add(-1)
	start := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPlatformBody+1))
	e := mockprovider.Entry{Time: start, VirtualTime: pl.clock.Now(), Host: r.Host, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body), Kind: mockprovider.KindPlatform}
	status, resp, note := pl.route(r, body, err)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(resp)
	e.Status, e.ResponseHeader, e.ResponseBody, e.Note = status, w.Header().Clone(), string(resp), note
	e.Duration = time.Since(start)
	e = pl.journal.Append(e)
	if note == "updateKeys" {
		pl.mu.Lock()
		pl.updates[len(pl.updates)-1].JournalSeq = e.Seq
		pl.mu.Unlock()
	}
}

func jsonBody(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func errBody(msg string) []byte { return jsonBody(map[string]string{"error": msg}) }

func (pl *platform) route(r *http.Request, body []byte, readErr error) (int, []byte, string) {
	if readErr != nil || len(body) > maxPlatformBody {
		return http.StatusRequestEntityTooLarge, errBody("request body too large"), "body over the platform's limit"
	}
	user, key, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user+":"+key), []byte(pl.user+":"+pl.key)) != 1 {
		return http.StatusUnauthorized, errBody("Unauthorized"), "missing or wrong API credentials"
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 5 && parts[0] == "v1" && parts[1] == "tasks" && parts[3] == "steps" && r.Method == http.MethodGet:
		if parts[2] != pl.flowID || parts[4] != pl.stepID {
			return http.StatusNotFound, errBody("Step not found"), "unknown flow or step"
		}
		step := map[string]any{"id": pl.stepID, "config": pl.stepConfig(), "snapshot": map[string]any{}, "variables": map[string]any{}, "is_passthrough": false}
		return http.StatusOK, jsonBody(step), "step configuration"
	case len(parts) == 3 && parts[0] == "v1" && parts[1] == "accounts" && (r.Method == http.MethodPut || r.Method == http.MethodPatch):
		if parts[2] != pl.accountID {
			return http.StatusNotFound, errBody("Account not found"), fmt.Sprintf("account %q is not the step's account", parts[2])
		}
		var req struct {
			Keys json.RawMessage `json:"keys"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return http.StatusBadRequest, errBody("Invalid JSON"), "body is not JSON"
		}
		var keys map[string]any
		if err := json.Unmarshal(req.Keys, &keys); err != nil || keys == nil {
			return http.StatusBadRequest, errBody("keys must be an object"), "keys is not an object"
		}
		pl.mu.Lock()
		before, _ := json.Marshal(pl.keys)
		pl.keys = applyKeys(pl.policy, pl.keys, keys)
		after, _ := json.Marshal(pl.keys)
		pl.updates = append(pl.updates, KeyUpdate{Message: pl.message, Time: time.Now(), Keys: compact(req.Keys), Before: before, After: after})
		pl.mu.Unlock()
		return http.StatusOK, jsonBody(map[string]any{"id": pl.accountID, "keys": json.RawMessage(after)}), "updateKeys"
	case (len(parts) == 5 || len(parts) == 6) && parts[0] == "v2" && parts[1] == "workspaces" && parts[3] == "secrets":
		return pl.serveSecret(r, parts)
	case len(parts) == 7 && parts[0] == "sailor-support" && parts[1] == "hooks" && parts[5] == "startup" && parts[6] == "data":
		pl.mu.Lock()
		defer pl.mu.Unlock()
		switch r.Method {
		case http.MethodPost:
			if pl.hookData != nil {
				return http.StatusConflict, errBody("Startup data already exists"), "startup data"
			}
			pl.hookData = append([]byte(nil), body...)
			return http.StatusCreated, []byte("{}"), "startup data"
		case http.MethodGet:
			if pl.hookData == nil {
				return http.StatusNotFound, errBody("Not found"), "startup data"
			}
			return http.StatusOK, pl.hookData, "startup data"
		case http.MethodDelete:
			pl.hookData = nil
			return http.StatusNoContent, nil, "startup data"
		}
	}
	return http.StatusNotFound, errBody("Not found"), "not a platform endpoint the harness serves"
}

func compact(b []byte) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return append(json.RawMessage(nil), b...)
	}
	return buf.Bytes()
}

// applyKeys stores an updateKeys body by policy.
func applyKeys(p KeysPolicy, old, upd map[string]any) map[string]any {
	switch p {
	case KeysShallow:
		out := map[string]any{}
		for k, v := range old {
			out[k] = v
		}
		for k, v := range upd {
			out[k] = v
		}
		return out
	case KeysDeep:
		return deepMerge(old, upd)
	}
	return upd
}

func deepMerge(old, upd map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range old {
		out[k] = v
	}
	for k, v := range upd {
		if om, ok := out[k].(map[string]any); ok {
			if um, ok := v.(map[string]any); ok {
				out[k] = deepMerge(om, um)
				continue
			}
		}
		out[k] = v
	}
	return out
}
