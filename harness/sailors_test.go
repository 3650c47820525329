package harness_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
	"github.com/refreshproof/refreshproof/suites"
)

// sailorsDir holds one directory per sailor release, each the same small
// component (../component, a compliant Microsoft Graph action) with its own
// package.json and lock file pinning that release.
var sailorsDir = filepath.Join("testdata", "sailors")

// matrixScenarios are few on purpose: the matrix runs in CI on two cores.
var matrixScenarios = []string{"valid-token", "expired-access-token", "rotation"}

// sailorVersions lists the release directories under testdata/sailors.
func sailorVersions(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(sailorsDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "component" {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// traceFacts is what must not depend on the sailor release: per message
// its outcome and events, every token, API and platform exchange in order
// (method, path, status, the token presented), the keys the platform ended
// with, and each rule's verdict.
func traceFacts(tr harness.Trace) []string {
	var out []string
	for _, m := range tr.Messages {
		var events []string
		for _, e := range m.Events {
			name := e.Name
			if e.AfterEnd {
				name += "(after end)"
			}
			if !e.Settled {
				name += "(unsettled)"
			}
			events = append(events, name)
		}
		out = append(out, fmt.Sprintf("message %d: %s [%s] in container %d", m.Index, m.Outcome, strings.Join(events, ","), m.Container))
	}
	for _, e := range tr.Journal {
		line := fmt.Sprintf("%s %s %s -> %d", e.Kind, e.Method, e.Path, e.Status)
		if e.Grant != "" {
			line += " grant=" + e.Grant
		}
		if e.Presented != nil {
			line += fmt.Sprintf(" presented=%s(%s)", e.Presented.Label, e.Presented.State)
		}
		out = append(out, line)
	}
	out = append(out, "final keys: "+keyShape(tr.FinalKeys), fmt.Sprintf("containers: %d, key updates: %d", len(tr.Containers), len(tr.KeyUpdates)))
	for _, v := range suites.Judge(tr, tr.Component.Strategy) {
		out = append(out, fmt.Sprintf("%s %s", v.Rule, v.Status))
	}
	return out
}

// keyShape renders stored keys as their fields, with the token labels
// (AT#2, RT#1) the redacted trace holds; other values (an id_token with its
// issue time) differ from run to run and are shown by name only.
func keyShape(raw json.RawMessage) string {
	var keys map[string]map[string]any
	if err := json.Unmarshal(raw, &keys); err != nil {
		return "not an object of objects: " + string(raw)
	}
	var out []string
	for field, kv := range keys {
		for k, v := range kv {
			if s, ok := v.(string); ok && strings.HasPrefix(s, "[") {
				out = append(out, field+"."+k+"="+s)
			} else {
				out = append(out, field+"."+k)
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// TestSailorMatrix runs the same component on every sailor release in
// testdata/sailors and asserts that the traces agree: the harness drives
// each release, unpatched, to the same behaviour, and records the
// release it ran.
func TestSailorMatrix(t *testing.T) {
	needNode(t)
	versions := sailorVersions(t)
	if len(versions) < 6 {
		t.Fatalf("only %d sailor releases in %s", len(versions), sailorsDir)
	}
	var mu sync.Mutex
	facts := map[string]map[string][]string{} // scenario → version → facts
	t.Run("run", func(t *testing.T) {
		for _, v := range versions {
			for _, name := range matrixScenarios {
				t.Run(v+"/"+name, func(t *testing.T) {
					t.Parallel()
					c, err := harness.LoadComponent(filepath.Join(sailorsDir, v))
					if err != nil {
						t.Fatal(err)
					}
					c.Provider, c.Function = "microsoft", "listMessages"
					if err := c.Resolve(); err != nil {
						t.Fatalf("%v (make deps runs npm ci in every fixture with a lock file)", err)
					}
					sc, err := scenarios.Builtin("microsoft", name)
					if err != nil {
						t.Fatal(err)
					}
					tr, err := harness.Runner{}.Run(context.Background(), c, sc)
					if err != nil {
						t.Fatalf("sailor %s, %s: %v", v, name, err)
					}
					if tr.Component.SailorVersion != v {
						t.Errorf("trace records sailor %q, want the installed %s", tr.Component.SailorVersion, v)
					}
					if len(tr.Problems) > 0 {
						t.Errorf("problems: %v", tr.Problems)
					}
					for _, n := range tr.Network {
						if n.Event != "redirected" {
							t.Errorf("network: %+v", n)
						}
					}
					checkMatrixTrace(t, name, tr)
					mu.Lock()
					if facts[name] == nil {
						facts[name] = map[string][]string{}
					}
					facts[name][v] = traceFacts(tr)
					mu.Unlock()
				})
			}
		}
	})
	// The newest release is the reference the others must match.
	ref := versions[len(versions)-1]
	for _, name := range matrixScenarios {
		want, ok := facts[name][ref]
		if !ok {
			continue // its run failed above
		}
		for _, v := range versions[:len(versions)-1] {
			got, ok := facts[name][v]
			if !ok {
				continue
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s on sailor %s differs from sailor %s (-%s +%s):\n%s", name, v, ref, ref, v, d)
			}
		}
	}
}

// checkMatrixTrace asserts what the compliant component does, so that the
// matrix cannot pass by every release failing alike.
func checkMatrixTrace(t *testing.T, scenario string, tr harness.Trace) {
	t.Helper()
	var refreshes, api int
	for _, e := range tr.Journal {
		switch {
		case e.Kind == mockprovider.KindToken && e.Grant == "refresh_token":
			refreshes++
		case e.Kind == mockprovider.KindAPI:
			api++
		}
	}
	for _, m := range tr.Messages {
		if m.Outcome != harness.OutcomeOK {
			t.Errorf("message %d: %s %s", m.Index, m.Outcome, m.Detail)
		}
	}
	want := map[string][2]int{"valid-token": {0, 1}, "expired-access-token": {1, 2}, "rotation": {3, 7}}[scenario]
	if refreshes != want[0] || api != want[1] || len(tr.KeyUpdates) != want[0] {
		t.Errorf("refreshes=%d api=%d updates=%d, want %d, %d, %d", refreshes, api, len(tr.KeyUpdates), want[0], want[1], want[0])
	}
	for _, v := range suites.Judge(tr, tr.Component.Strategy) {
		if v.Status == suites.Failed {
			t.Errorf("%s failed: %v", v.Rule, v.Findings)
		}
	}
}

// TestSailorOutsideRange: a sailor the driver does not run is a set-up
// error that names the supported range and the version found.
func TestSailorOutsideRange(t *testing.T) {
	needNode(t)
	tests := []struct {
		version string
		ok      bool
	}{
		{"2.5.4", false},
		{"1.3.0", false},
		{"2.8.0", false},
		{"3.0.0", false},
		{"2.8.0-dev.1", false},
		{"not-a-version", false},
		{"2.6.0", true},
		{"2.6.1", true},
		{"2.7.8", true},
		{"2.7.99", true},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{
				"component.json": `{"title":"t","actions":{"a":{"main":"./a.js"}}}`,
				"a.js":           "exports.process = async () => ({ body: {} });\n",
				"node_modules/elasticio-sailor-nodejs/package.json": fmt.Sprintf(`{"name":"elasticio-sailor-nodejs","version":%q}`, tc.version),
			}
			for name, text := range files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c := &harness.Component{Dir: dir, Provider: "microsoft"}
			err := c.Resolve()
			if tc.ok {
				if err != nil {
					t.Fatalf("sailor %s refused: %v", tc.version, err)
				}
				return
			}
			var se *harness.SetupError
			if !errorsAs(err, &se) {
				t.Fatalf("sailor %s: error %v (%T), want a *SetupError", tc.version, err, err)
			}
			for _, want := range []string{harness.SupportedSailors, tc.version, "npm ci"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
		})
	}
}
