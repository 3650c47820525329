package harness

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// FuzzUpdateKeys sends arbitrary bodies to the mock platform's account
// endpoint, where the sailor's updateKeys lands (PUT or PATCH
// /v1/accounts/{id}), under each keys policy. The answer is JSON; a
// refusal is a 400 {"error": ...} that changes nothing; an accepted body
// is recorded once, with its journal entry, and the stored keys are what
// the policy makes of the emitted object: replace stores it as sent,
// shallow and deep keep every stored field it does not name and take
// every field it names (deep merging objects at every level).
func FuzzUpdateKeys(f *testing.F) {
	for _, s := range []string{
		`{"keys":{"oauth":{"access_token":"AT2","refresh_token":"RT2","instance_url":"https://x.my.salesforce.com","expires_in":3600}}}`,
		`{"keys":{"oauth":{"access_token":"AT2"}},"extra":[1,2,{"a":null}]}`,
		`{"id":"acc","keys":{}}`,
		`{"keys":null}`,
		`{"keys":[1]}`,
		`{"keys":{"oauth":{"nested":{"deeper":{"x":1e308}}},"other":-0.0}}`,
		`{"keys":{"a":1,"a":2}}`,
		`{"keys":{"\ud800":"\u0000"}}`,
		`{"keys":{"big":123456789012345678901234567890}}`,
		`not json`,
		``,
	} {
		for policy := range uint8(3) {
			f.Add([]byte(s), policy, policy == 1)
		}
	}
	policies := []KeysPolicy{KeysReplace, KeysShallow, KeysDeep}
	f.Fuzz(func(t *testing.T, body []byte, policy uint8, patch bool) {
		start := map[string]any{"oauth": map[string]any{"access_token": "AT1", "refresh_token": "RT1", "nested": map[string]any{"keep": true}}, "other": "kept"}
		pl := &platform{accountID: "acc", user: "u", key: "k", policy: policies[int(policy)%len(policies)],
			journal: mockprovider.NewJournal(0, 0, 0), clock: &mockprovider.Clock{}, message: 0, keys: start}
		before := decodeAny(t, pl.currentKeys())
		method := http.MethodPut
		if patch {
			method = http.MethodPatch
		}
		req := httptest.NewRequest(method, "/v1/accounts/acc", bytes.NewReader(body))
		req.SetBasicAuth("u", "k")
		w := httptest.NewRecorder()
		pl.ServeHTTP(w, req)

		if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Fatalf("Content-Type %q", ct)
		}
		var answer map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil {
			t.Fatalf("status %d, body is not a JSON object: %q", w.Code, w.Body.Bytes())
		}
		after := decodeAny(t, pl.currentKeys())
		updates := pl.keyUpdates()
		switch w.Code {
		case http.StatusBadRequest:
			if s, _ := answer["error"].(string); s == "" {
				t.Fatalf("400 without an error: %s", w.Body.Bytes())
			}
			if len(updates) != 0 || !reflect.DeepEqual(before, after) {
				t.Fatalf("a refused body changed the keys or was recorded: %v -> %v, %d updates", before, after, len(updates))
			}
			return
		case http.StatusOK:
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body.Bytes())
		}
		if len(updates) != 1 || updates[0].JournalSeq != pl.journal.Last() || updates[0].JournalSeq == 0 {
			t.Fatalf("one accepted body gave %d updates (journal at %d): %+v", len(updates), pl.journal.Last(), updates)
		}
		if !json.Valid(updates[0].Keys) {
			t.Fatalf("recorded keys are not JSON: %q", updates[0].Keys)
		}
		if !reflect.DeepEqual(answer["keys"], after) {
			t.Fatalf("answered keys %v, stored %v", answer["keys"], after)
		}
		var req2 struct {
			Keys map[string]any `json:"keys"`
		}
		if err := json.Unmarshal(body, &req2); err != nil {
			t.Fatalf("accepted a body that is not JSON: %v", err)
		}
		sent := decodeAny(t, mustJSON(t, req2.Keys)) // as JSON numbers decode, like the stored keys
		switch pl.policy {
		case KeysReplace:
			if !reflect.DeepEqual(after, sent) {
				t.Fatalf("replace stored %v, sent %v", after, sent)
			}
		default:
			checkMerged(t, pl.policy == KeysDeep, "keys", before, sent, after)
		}
	})
}

// checkMerged fails t unless merged keeps every field of old that upd
// does not name and holds every field of upd, merging objects found on
// both sides when deep.
func checkMerged(t *testing.T, deep bool, path string, old, upd, merged any) {
	t.Helper()
	o, _ := old.(map[string]any)
	u, _ := upd.(map[string]any)
	m, ok := merged.(map[string]any)
	if !ok {
		t.Fatalf("%s: merged into %v, not an object", path, merged)
	}
	for k, v := range o {
		if _, named := u[k]; !named && !reflect.DeepEqual(m[k], v) {
			t.Fatalf("%s.%s: stored %v was lost (now %v)", path, k, v, m[k])
		}
	}
	for k, v := range u {
		_, oldObj := o[k].(map[string]any)
		_, updObj := v.(map[string]any)
		if deep && oldObj && updObj {
			checkMerged(t, deep, path+"."+k, o[k], v, m[k])
			continue
		}
		if !reflect.DeepEqual(m[k], v) {
			t.Fatalf("%s.%s: sent %v, stored %v", path, k, v, m[k])
		}
	}
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return v
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
