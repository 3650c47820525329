package harness_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

// examplesDir is where the example components live.
var examplesDir = filepath.Join("..", "examples")

// needNode skips a test on a machine without Node.js; CI has it.
func needNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
}

func component(t *testing.T, name string) *harness.Component {
	t.Helper()
	needNode(t)
	c, err := harness.LoadComponent(filepath.Join(examplesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Resolve(); err != nil {
		t.Fatalf("%v (the test set-up runs npm ci in each example; see .ci/run)", err)
	}
	return c
}

func runScenario(t *testing.T, c *harness.Component, name string) harness.Trace {
	t.Helper()
	sc, err := scenarios.Builtin(c.Provider, name)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := harness.Runner{}.Run(context.Background(), c, sc)
	if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return tr
}

// facts are what the assertions read off a trace.
type facts struct {
	refreshes     []mockprovider.Entry // token requests with grant refresh_token
	api           []mockprovider.Entry
	keyUpdates    int
	outcomes      []harness.Outcome
	stdout        string
	finalOAuth    map[string]any
	apiAfterFirst []mockprovider.Entry // API calls after the first refresh
}

func factsOf(t *testing.T, tr harness.Trace) facts {
	t.Helper()
	var f facts
	for _, e := range tr.Journal {
		switch {
		case e.Kind == mockprovider.KindToken && e.Grant == "refresh_token":
			f.refreshes = append(f.refreshes, e)
		case e.Kind == mockprovider.KindAPI:
			f.api = append(f.api, e)
			if len(f.refreshes) > 0 {
				f.apiAfterFirst = append(f.apiAfterFirst, e)
			}
		}
	}
	f.keyUpdates = len(tr.KeyUpdates)
	for _, m := range tr.Messages {
		f.outcomes = append(f.outcomes, m.Outcome)
	}
	for _, c := range tr.Containers {
		f.stdout += c.Stdout
	}
	var keys map[string]map[string]any
	if err := json.Unmarshal(tr.FinalKeys, &keys); err != nil {
		t.Fatalf("final keys: %v", err)
	}
	f.finalOAuth = keys["oauth"]
	return f
}

func eventNames(m harness.Message) string {
	var names []string
	for _, e := range m.Events {
		names = append(names, e.Name)
	}
	return strings.Join(names, ",")
}

// TestExamples runs the example components, one per HTTP client and
// mistake, through scenarios that show their behaviour, and asserts
// facts of the traces: refreshes, replays, what the platform stored,
// events in order.
func TestExamples(t *testing.T) {
	tests := []struct {
		component, scenario string
		check               func(t *testing.T, tr harness.Trace, f facts)
	}{
		{"ms-graph-on401", "valid-token", func(t *testing.T, tr harness.Trace, f facts) {
			if len(f.refreshes) != 0 || len(f.api) != 1 || f.keyUpdates != 0 {
				t.Errorf("refreshes=%d api=%d updates=%d, want 0, 1, 0", len(f.refreshes), len(f.api), f.keyUpdates)
			}
			if got := eventNames(tr.Messages[0]); got != "data,end" {
				t.Errorf("events %s, want data,end", got)
			}
		}},
		{"ms-graph-on401", "expired-access-token", func(t *testing.T, tr harness.Trace, f facts) {
			if len(f.refreshes) != 1 || len(f.api) != 2 || f.api[0].Status != 401 || f.api[1].Status != 200 {
				t.Fatalf("refreshes=%d api=%v", len(f.refreshes), statuses(f.api))
			}
			if f.api[1].Presented.Label != "AT#2" || f.api[1].Path != f.api[0].Path || f.api[1].Query != f.api[0].Query {
				t.Errorf("replay %s %s?%s with %s, want the same request with AT#2", f.api[1].Method, f.api[1].Path, f.api[1].Query, f.api[1].Presented.Label)
			}
			if got := eventNames(tr.Messages[0]); got != "updateKeys,data,end" {
				t.Errorf("events %s, want updateKeys,data,end", got)
			}
			// The platform stored the entire token response under oauth.
			var upd map[string]json.RawMessage
			_ = json.Unmarshal(tr.KeyUpdates[0].Keys, &upd)
			if string(upd["oauth"]) != f.refreshes[0].ResponseBody {
				t.Errorf("updateKeys oauth\n %s\nwant the token response\n %s", upd["oauth"], f.refreshes[0].ResponseBody)
			}
			if f.finalOAuth["refresh_token"] != "[RT#2]" {
				t.Errorf("stored refresh token %v, want [RT#2]", f.finalOAuth["refresh_token"])
			}
		}},
		{"ms-graph-on401", "concurrent-401", func(t *testing.T, tr harness.Trace, f facts) {
			if len(f.refreshes) != 1 || len(f.api) != 6 {
				t.Errorf("refreshes=%d api=%d, want one refresh for three concurrent 401s and three replays", len(f.refreshes), len(f.api))
			}
		}},
		{"ms-graph-every-call", "valid-token", func(t *testing.T, tr harness.Trace, f facts) {
			if len(f.refreshes) != len(f.api) || len(f.api) == 0 || f.keyUpdates != len(f.refreshes) {
				t.Errorf("refreshes=%d api=%d updates=%d, want a refresh and an updateKeys per API call", len(f.refreshes), len(f.api), f.keyUpdates)
			}
		}},
		{"ms-graph-every-call", "rotation", func(t *testing.T, tr harness.Trace, f facts) {
			for _, r := range f.refreshes {
				if r.Presented.State != mockprovider.StateValid {
					t.Errorf("refresh %d presented %s (%s), want the newest refresh token", r.Seq, r.Presented.Label, r.Presented.State)
				}
			}
		}},
		{"sf-query-on401", "refresh-token-omitted", func(t *testing.T, tr harness.Trace, f facts) {
			if f.finalOAuth["refresh_token"] != "[RT#1]" {
				t.Errorf("stored refresh token %v, want [RT#1] kept although the response omitted it", f.finalOAuth["refresh_token"])
			}
			if want := fmt.Sprintf("[AT#%d]", len(f.refreshes)+1); len(f.refreshes) == 0 || f.finalOAuth["access_token"] != want {
				t.Errorf("stored access token %v after %d refreshes, want %s", f.finalOAuth["access_token"], len(f.refreshes), want)
			}
		}},
		{"sf-query-on401", "rotation", func(t *testing.T, tr harness.Trace, f facts) {
			if len(f.refreshes) != 3 || len(tr.Containers) != 2 {
				t.Fatalf("refreshes=%d containers=%d, want 3 and 2", len(f.refreshes), len(tr.Containers))
			}
			for i, r := range f.refreshes {
				if want := "RT#" + string(rune('1'+i)); r.Presented.Label != want || r.Status != 200 {
					t.Errorf("refresh %d presented %s and got %d, want %s and 200", i+1, r.Presented.Label, r.Status, want)
				}
			}
			if tr.Families[0].Revoked {
				t.Error("family revoked")
			}
		}},
		{"sf-query-on401", "instance-url-moved", func(t *testing.T, tr harness.Trace, f facts) {
			for _, e := range f.apiAfterFirst {
				if !strings.HasPrefix(e.Host, "mockorg2.") {
					t.Errorf("API call after the refresh went to %s, want the moved instance", e.Host)
				}
			}
		}},
		{"sf-drops-refresh-token", "expired-access-token", func(t *testing.T, tr harness.Trace, f facts) {
			if _, ok := f.finalOAuth["refresh_token"]; ok || f.keyUpdates != 1 {
				t.Errorf("stored %v after %d updates, want the refresh token erased by one updateKeys", f.finalOAuth, f.keyUpdates)
			}
		}},
		{"sf-cfg-refresh-token", "rotation-reuse-detected", func(t *testing.T, tr harness.Trace, f facts) {
			if !tr.Families[0].Revoked {
				t.Error("the token family survived; the component should have presented a rotated-out token")
			}
			var rotated bool
			for _, r := range f.refreshes {
				rotated = rotated || r.Presented.State == mockprovider.StateRotated
			}
			if !rotated {
				t.Error("no refresh presented a rotated-out token")
			}
		}},
		{"sf-loops-on-401", "repeated-401", func(t *testing.T, tr harness.Trace, f facts) {
			if len(f.refreshes) < 10 || f.outcomes[0] != harness.OutcomeError {
				t.Errorf("refreshes=%d outcome=%s, want a loop that ends in an error", len(f.refreshes), f.outcomes[0])
			}
		}},
		{"ms-retries-twice", "repeated-401", func(t *testing.T, tr harness.Trace, f facts) {
			if len(f.refreshes) != 2 || len(f.api) != 3 {
				t.Errorf("refreshes=%d api=%d, want 2 and 3", len(f.refreshes), len(f.api))
			}
		}},
		{"ms-graph-on401", "repeated-401", func(t *testing.T, tr harness.Trace, f facts) {
			if len(f.refreshes) != 1 || len(f.api) != 2 || f.outcomes[0] != harness.OutcomeError {
				t.Errorf("refreshes=%d api=%d outcome=%s, want 1, 2, error", len(f.refreshes), len(f.api), f.outcomes[0])
			}
		}},
		{"ms-swallows-refresh-failure", "refresh-rejected-aadsts700082", func(t *testing.T, tr harness.Trace, f facts) {
			if f.outcomes[0] != harness.OutcomeOK || f.keyUpdates != 0 {
				t.Errorf("outcome=%s updates=%d, want a silent ok", f.outcomes[0], f.keyUpdates)
			}
		}},
		{"ms-graph-on401", "refresh-rejected-aadsts700082", func(t *testing.T, tr harness.Trace, f facts) {
			if f.outcomes[0] != harness.OutcomeError || f.keyUpdates != 0 || len(f.api) != 1 {
				t.Errorf("outcome=%s updates=%d api=%d, want error, 0, 1", f.outcomes[0], f.keyUpdates, len(f.api))
			}
			if got := eventNames(tr.Messages[0]); got != "error,end" {
				t.Errorf("events %s, want error,end", got)
			}
		}},
		{"sf-refreshes-on-403", "api-forbidden", func(t *testing.T, tr harness.Trace, f facts) {
			if len(f.refreshes) == 0 || f.api[0].Status != 403 {
				t.Errorf("refreshes=%d first API status %d, want a refresh after a 403", len(f.refreshes), f.api[0].Status)
			}
		}},
		{"sf-query-on401", "api-forbidden", func(t *testing.T, tr harness.Trace, f facts) {
			if len(f.refreshes) != 0 {
				t.Errorf("refreshed %d times on 403", len(f.refreshes))
			}
		}},
		{"ms-logs-token", "expired-access-token", func(t *testing.T, tr harness.Trace, f facts) {
			if !strings.Contains(f.stdout, "[AT#2]") || !strings.Contains(f.stdout, "[RT#2]") {
				t.Errorf("stdout does not show the logged tokens (as labels):\n%s", f.stdout)
			}
		}},
		{"ms-emits-access-token-only", "expired-access-token", func(t *testing.T, tr harness.Trace, f facts) {
			if _, ok := f.finalOAuth["refresh_token"]; ok || f.finalOAuth["access_token"] != "[AT#2]" {
				t.Errorf("stored %v, want the access token alone", f.finalOAuth)
			}
		}},
		{"ms-unbound-emit", "expired-access-token", func(t *testing.T, tr harness.Trace, f facts) {
			if len(f.refreshes) != 1 || f.keyUpdates != 0 {
				t.Errorf("refreshes=%d updates=%d, want a refresh whose keys never reach the platform", len(f.refreshes), f.keyUpdates)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.component+"/"+tc.scenario, func(t *testing.T) {
			t.Parallel()
			c := component(t, tc.component)
			tr := runScenario(t, c, tc.scenario)
			if len(tr.Problems) > 0 {
				t.Errorf("problems: %v", tr.Problems)
			}
			for _, n := range tr.Network {
				if n.Event != "redirected" {
					t.Errorf("network: %+v", n)
				}
			}
			tc.check(t, tr, factsOf(t, tr))
			if t.Failed() {
				b, _ := json.MarshalIndent(tr.Messages, "", "  ")
				t.Logf("messages: %s", b)
			}
		})
	}
}

func statuses(es []mockprovider.Entry) []int {
	var s []int
	for _, e := range es {
		s = append(s, e.Status)
	}
	return s
}

// TestTraceRedacted: no token or secret value the provider issued appears
// anywhere in a default trace.
func TestTraceRedacted(t *testing.T) {
	c := component(t, "ms-logs-token")
	sc, _ := scenarios.Builtin("microsoft", "expired-access-token")
	revealed, err := harness.Runner{Reveal: true}.Run(context.Background(), c, sc)
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, tok := range revealed.Tokens {
		secrets = append(secrets, tok.Value)
	}
	if len(secrets) < 4 {
		t.Fatalf("only %d tokens issued", len(secrets))
	}
	whole, _ := json.Marshal(revealed)
	if !strings.Contains(string(whole), secrets[0]) {
		t.Fatal("a revealed trace holds no token value; the test cannot tell redaction")
	}
	tr, err := harness.Runner{}.Run(context.Background(), c, sc)
	if err != nil {
		t.Fatal(err)
	}
	red, _ := json.Marshal(tr)
	for _, tok := range tr.Tokens {
		if !strings.HasPrefix(tok.Value, "[") {
			t.Fatalf("token value kept: %s", tok.Label)
		}
	}
	for _, s := range []string{"eyJ0eXAiOiJKV1QiLCJub25j", "1.AVEA"} {
		if strings.Contains(string(red), s) {
			t.Errorf("redacted trace contains %q", s)
		}
	}
	if !tr.Redacted || revealed.Redacted {
		t.Error("Redacted flag wrong")
	}
}

// TestSetupErrors: a component that cannot run gets a clear error that
// says what to do.
func TestSetupErrors(t *testing.T) {
	needNode(t)
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	resolve := func(c harness.Component) error {
		if c.Dir == "" {
			c.Dir = dir
		}
		return c.Resolve()
	}
	if err := resolve(harness.Component{Provider: "microsoft", Function: "x"}); err == nil || !strings.Contains(err.Error(), "no component.json") {
		t.Errorf("no component.json: %v", err)
	}
	write("component.json", `{"title":"t","actions":{"listMessages":{"main":"./lib/actions/list.js"}}}`)
	if err := resolve(harness.Component{Provider: "microsoft", Function: "listMesages"}); err == nil || !strings.Contains(err.Error(), `did you mean "listMessages"`) {
		t.Errorf("unknown function: %v", err)
	}
	if err := resolve(harness.Component{Provider: "microsoft", Function: "listMessages"}); err == nil || !strings.Contains(err.Error(), "main file ./lib/actions/list.js does not exist") {
		t.Errorf("missing main: %v", err)
	}
	write("lib/actions/list.js", `exports.process = async function () {}`)
	err := resolve(harness.Component{Provider: "microsoft", Function: "listMessages"})
	if err == nil || !strings.Contains(err.Error(), "run `npm ci`") {
		t.Errorf("missing sailor: %v", err)
	}
	var se *harness.SetupError
	if !errorsAs(err, &se) {
		t.Errorf("%T is not a *SetupError", err)
	}
	if err := resolve(harness.Component{Provider: "salesfroce"}); err == nil || !strings.Contains(err.Error(), `did you mean "salesforce"`) {
		t.Errorf("bad provider: %v", err)
	}
	write("refreshproof.yaml", "provider: microsoft\nfunktion: x\n")
	if _, err := harness.LoadComponent(dir); err == nil || !strings.Contains(err.Error(), "funktion") {
		t.Errorf("unknown field in refreshproof.yaml: %v", err)
	}
}
