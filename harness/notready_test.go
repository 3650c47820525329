package harness_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/scenarios"
)

// TestNotReady: a component whose container never becomes ready is a run
// that could not be made. Run returns a *NotReadyError that names the
// phase, the cause, the place in the component's code and a fix, with the
// trace of what happened; no message was processed and nothing is left
// running.
func TestNotReady(t *testing.T) {
	needNode(t)
	dir := filepath.Join("testdata", "notready")
	tests := []struct {
		function string
		timeout  time.Duration
		phase    string
		want     []string // in the error's text
		location string
	}{
		{"syntaxError", 0, "load", []string{"SyntaxError: Unexpected token", "exports.process = async function process(msg, cfg {", "correct the syntax error", "node --check lib/actions/syntaxError.js"}, "lib/actions/syntaxError.js:5"},
		{"missingModule", 0, "load", []string{"Cannot find module 'refreshproof-no-such-package'", "npm ci", `list "refreshproof-no-such-package" in its package.json`}, "lib/actions/missingModule.js:3"},
		{"throwsOnLoad", 0, "load", []string{"Error: REFRESHPROOF_FIXTURE_REGION is not set", "throws while it loads", "require('./lib/actions/throwsOnLoad.js')"}, "lib/actions/throwsOnLoad.js:6"},
		{"initFails", 0, "init", []string{"init could not warm its cache", "init hook failed"}, "lib/actions/initFails.js:5"},
		{"crashesOnLoad", 0, "exit", []string{"exited (code 4) before its sailor was ready: uncaughtException: Error: the cache warmer crashed"}, "lib/actions/crashesOnLoad.js:5"},
		{"exitsOnLoad", 0, "exit", []string{"exited (code 9) before its sailor was ready", "exitsOnLoad: no licence file, giving up"}, ""},
		{"slowStart", time.Second, "timeout", []string{"not ready within the start-up limit (1s)", "raise --start-timeout"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.function, func(t *testing.T) {
			t.Parallel()
			c, err := harness.LoadComponent(dir)
			if err != nil {
				t.Fatal(err)
			}
			c.Provider, c.Function, c.StartTimeout = "salesforce", tc.function, tc.timeout
			if err := c.Resolve(); err != nil {
				t.Fatalf("%v (make deps runs npm ci in harness/testdata/notready)", err)
			}
			sc, err := scenarios.Builtin("salesforce", "rotation") // several messages and a restart
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			tr, err := harness.Run(context.Background(), c, sc)
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("took %v", took)
			}
			var nr *harness.NotReadyError
			if !errorsAs(err, &nr) {
				t.Fatalf("error %v (%T), want a *NotReadyError", err, err)
			}
			if nr.Phase != tc.phase || nr.Location != tc.location || nr.SailorVersion != "2.6.27" {
				t.Errorf("phase %q at %q on sailor %q, want %q at %q on 2.6.27", nr.Phase, nr.Location, nr.SailorVersion, tc.phase, tc.location)
			}
			if nr.Fix == "" {
				t.Error("no fix")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%s", w, err)
				}
			}
			if tc.location != "" && !strings.Contains(err.Error(), "at "+tc.location) {
				t.Errorf("error does not give the place %s:\n%s", tc.location, err)
			}
			// The run stopped at the first message: one container, which
			// is gone, and no message was processed.
			if len(tr.Containers) != 1 || len(tr.Messages) != 1 || tr.Messages[0].Outcome != harness.OutcomeNotRun {
				t.Errorf("%d containers, %d messages (%v), want the run stopped at the first", len(tr.Containers), len(tr.Messages), tr.Messages)
			}
			for _, ct := range tr.Containers {
				if ct.PID > 0 && !gone(ct.PID) {
					t.Errorf("container process %d still runs", ct.PID)
				}
			}
			for _, e := range tr.Journal {
				if e.Kind != "platform" {
					t.Errorf("exchange %s %s with the provider although the component never ran", e.Method, e.Path)
				}
			}
		})
	}
}

// TestNotReadyLaterContainer: once a container was ready the component's
// code has run, so a later container that fails to start is a finding
// about the run (its message did not run), not a run that could not be
// made.
func TestNotReadyLaterContainer(t *testing.T) {
	needNode(t)
	c, err := harness.LoadComponent(filepath.Join("testdata", "notready"))
	if err != nil {
		t.Fatal(err)
	}
	c.Provider, c.Function = "salesforce", "slowStart"
	// The first container loads at once; the one after the restart takes
	// far longer than the start-up limit. The limit leaves the first
	// container's real start room on a loaded machine (2 s did not).
	c.Env = map[string]string{
		"REFRESHPROOF_FIXTURE_MARK":    filepath.Join(t.TempDir(), "started"),
		"REFRESHPROOF_FIXTURE_LOAD_MS": "60000",
	}
	c.StartTimeout = 5 * time.Second
	if err := c.Resolve(); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Parse("restart-slow.yaml", []byte(`name: restart-slow
provider: salesforce
steps:
  - message: {label: m1}
  - restart: true
  - message: {label: m2}
`))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := harness.Run(context.Background(), c, sc)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(tr.Messages) != 2 || tr.Messages[0].Outcome != harness.OutcomeOK || tr.Messages[1].Outcome != harness.OutcomeNotRun {
		t.Errorf("messages %+v, want ok then not-run", tr.Messages)
	}
}

// TestUnboundEmit: an emit called without the sailor's emitter as this is
// marked in the trace, detached (the sailor rejects it) or called on
// another object (no listener runs), and neither reaches the platform.
func TestUnboundEmit(t *testing.T) {
	needNode(t)
	c, err := harness.LoadComponent(filepath.Join("node", "testdata", "fixture"))
	if err != nil {
		t.Fatal(err)
	}
	c.Provider, c.Function = "microsoft", "unbound"
	if err := c.Resolve(); err != nil {
		t.Fatalf("%v (make deps runs npm ci in harness/node/testdata/fixture)", err)
	}
	sc, err := scenarios.Parse("unbound.yaml", []byte(`name: unbound
provider: microsoft
steps:
  - message: {label: detached, body: {mode: detached}}
  - message: {label: wrapper, body: {mode: wrapper}}
`))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := harness.Run(context.Background(), c, sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Messages) != 2 || len(tr.KeyUpdates) != 0 {
		t.Fatalf("%d messages, %d key updates, want 2 and none", len(tr.Messages), len(tr.KeyUpdates))
	}
	first := func(m harness.Message) harness.Event {
		for _, e := range m.Events {
			if e.Name == "updateKeys" {
				return e
			}
		}
		t.Fatalf("message %s has no updateKeys", m.Label)
		return harness.Event{}
	}
	if e := first(tr.Messages[0]); !e.Unbound || e.SettleError == "" || e.Unhandled {
		t.Errorf("detached emit %+v, want unbound and rejected", e)
	}
	if e := first(tr.Messages[1]); !e.Unbound || e.SettleError != "" || !e.Unhandled {
		t.Errorf("emit on another object %+v, want unbound and unhandled", e)
	}
	for _, e := range tr.Messages[1].Events {
		if e.Name == "data" && (e.Unbound || e.Unhandled) {
			t.Errorf("the executor's own data emit is marked: %+v", e)
		}
	}
}
