package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/internal/cli"
	"github.com/refreshproof/refreshproof/reports"
	"github.com/refreshproof/refreshproof/suites"
)

var examples = filepath.Join("..", "..", "examples")

func needExamples(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(examples, "sf-query-on401", "node_modules")); err != nil {
		t.Skip("examples not installed (make deps)")
	}
	if testing.Short() {
		t.Skip("runs the example components")
	}
}

func readRecord(t *testing.T, path string) reports.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rec, err := reports.ReadRecord(f)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func failedRules(rec reports.Record) []string {
	set := map[string]bool{}
	for _, r := range rec.Results {
		if r.Status == reports.Failed {
			set[r.RuleID] = true
		}
	}
	var ids []string
	for id := range set {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// verdictSet is a run's verdicts in short: each rule that failed as a
// root cause on some scenario ("R05"), each that failed as the consequence
// of another ("R06<R05"), and each warning ("warn:R07", "warn:R06<R05").
func verdictSet(rec reports.Record) []string {
	set := map[string]bool{}
	for _, r := range rec.Results {
		id := r.RuleID
		if r.CausedBy != "" {
			id += "<" + r.CausedBy
		}
		switch r.Status {
		case reports.Failed:
			set[id] = true
		case reports.Warned:
			set["warn:"+id] = true
		}
	}
	out := []string{}
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// TestCheckExamples runs check on every example component over the
// catalogue (less the slow timeout scenario) and asserts the exact
// verdicts of each: none for the compliant ones, its own mistake as the
// root cause for each broken one, and what follows from that mistake as
// its consequences.
func TestCheckExamples(t *testing.T) {
	needExamples(t)
	want := map[string][]string{
		"ms-graph-on401":              {},
		"ms-graph-every-call":         {},
		"sf-query-on401":              {},
		"sf-drops-refresh-token":      {"R06"},
		"ms-emits-access-token-only":  {"R05", "R06", "R06<R05"}, // R06 on its own where the provider left the refresh token out
		"ms-retries-twice":            {"R08"},
		"sf-loops-on-401":             {"R08"},
		"ms-swallows-refresh-failure": {"R09"},
		"sf-refreshes-on-403":         {"R11"},
		"ms-logs-token":               {"R14"},
		"sf-cfg-refresh-token":        {"R06<R07", "R07"},
		"ms-unbound-emit":             {"R05", "warn:R06<R05", "warn:R07<R05"},
		// One mistake each, judged as one finding with its consequences.
		"sf-emits-unusable-token-response": {"R02<R10", "R10"},
		// Every refresh it sends is refused; in concurrent-401 a call whose
		// 401 comes after the refusal starts a refresh of its own, or not,
		// as timing has it.
		"ms-refresh-json-body":        {"R03", "R09?", "R16?"},
		"ms-superseded-refresh-token": {"warn:R07"},
		// Whether a later refresh of the burst left after an earlier one's
		// answer came (and so presented a token it knew was superseded,
		// R07's warning) depends on timing.
		"ms-refresh-per-concurrent-401": {"R16", "warn:R07<R16?"},
		"ms-ignores-retry-after":        {"R19"},
		"ms-no-client-timeout":          {}, // see TestCheckClientTimeout
		// Credential layouts (refreshproof.yaml credentialField, credential).
		"ms-nested-credential": {},
		"ms-top-level-keys":    {},
		"ms-emits-keys-flat":   {"R05", "R06<R05"},
		// Secrets-mode components (strategy platform-secrets).
		"sf-secrets-query":         {},
		"ms-secrets-graph":         {},
		"sf-secrets-own-refresh":   {"R15<R20", "R20", "R22<R20"},
		"ms-secrets-update-keys":   {"R21"},
		"sf-secrets-cached-token":  {"R23"},
		"ms-secrets-loops":         {"R08", "R24<R08"},
		"sf-secrets-ignores-error": {"R09", "R25"},
		// Real client libraries, judged as they are (docs/real-clients.md).
		// jsforce loops on a moved instance; in which message the time limit
		// ends the loop (so whether R18 follows from it) depends on timing.
		"sf-jsforce":   {"R02", "R06", "R06<R07", "R06<R10", "R07", "R08", "R08<R15", "R10", "R15", "R18", "R18<R08", "R18<R10", "R18<R15?", "R19"},
		"ms-graph-sdk": {"R02", "R17"},
	}
	entries, err := os.ReadDir(examples)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := want[e.Name()]; !ok && e.IsDir() {
			t.Errorf("example %s has no expected result in this test", e.Name())
		}
	}
	for name, ids := range want {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// 10s ends the looping components sooner than the default
			// 30s; the Graph SDK honours Retry-After and retries 503s for
			// 16s, which a shorter limit would judge as a hang.
			limit := "10s"
			if name == "ms-graph-sdk" {
				limit = "30s"
			}
			record := filepath.Join(t.TempDir(), "run.json")
			code, out, errOut := runFor(t, 5*time.Minute, "check", filepath.Join(examples, name), "--label-filter", "!timeout", "--parallel", "1", "--timeout", limit, "--json-report", record)
			wantCode := cli.ExitOK
			if slices.ContainsFunc(ids, func(id string) bool { return !strings.HasPrefix(id, "warn:") }) {
				wantCode = cli.ExitFailed
			}
			// An entry ending in "?" may or may not be there.
			var required, optional []string
			for _, id := range ids {
				if o, ok := strings.CutSuffix(id, "?"); ok {
					optional = append(optional, o)
				} else {
					required = append(required, id)
				}
			}
			if code != wantCode {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, wantCode, out, lastLines(errOut, 20))
			}
			rec := readRecord(t, record)
			got := verdictSet(rec)
			if unexpected := slices.DeleteFunc(slices.Clone(got), func(id string) bool { return slices.Contains(required, id) || slices.Contains(optional, id) }); len(unexpected) > 0 ||
				slices.ContainsFunc(required, func(id string) bool { return !slices.Contains(got, id) }) {
				t.Errorf("verdicts %v, want %v\n%s", got, ids, out)
			}
			if len(rec.Traces) == 0 || len(rec.Errors) > 0 {
				t.Errorf("%d traces, errors %v", len(rec.Traces), rec.Errors)
			}
			for _, id := range required {
				if !strings.ContainsAny(id, "<:") && !strings.Contains(out, "--- FAIL "+id+" on ") {
					t.Errorf("output does not explain %s:\n%s", id, out)
				}
				if cause, ok := strings.CutPrefix(id, "warn:"); ok && !strings.Contains(cause, "<") && !strings.Contains(out, "--- WARN "+cause+" on ") {
					t.Errorf("output does not show the warning %s:\n%s", cause, out)
				}
			}
		})
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// TestCheckGate covers the exit codes, expected failures, --skip, the
// reports and re-rendering saved runs.
func TestCheckGate(t *testing.T) {
	needExamples(t)
	broken := filepath.Join(examples, "sf-drops-refresh-token")
	tmp := t.TempDir()
	scen := "--scenarios=expired-access-token,valid-token"

	t.Run("a failed rule is exit 1 with the reports written", func(t *testing.T) {
		files := map[string]string{"--junit-report": "j.xml", "--json-report": "r.json", "--markdown-report": "r.md", "--html-report": "r.html"}
		args := []string{"check", broken, scen}
		for flag, f := range files {
			args = append(args, flag, filepath.Join(tmp, f))
		}
		code, out, _ := run(t, args...)
		if code != cli.ExitFailed || !strings.Contains(out, "R06") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		for _, f := range files {
			if st, err := os.Stat(filepath.Join(tmp, f)); err != nil || st.Size() == 0 {
				t.Errorf("report %s: %v", f, err)
			}
		}
		j, _ := os.ReadFile(filepath.Join(tmp, "j.xml"))
		if !strings.Contains(string(j), "[R06] credentials-survive (salesforce/expired-access-token)") {
			t.Error("JUnit lacks the R06 test case")
		}
	})
	t.Run("skip", func(t *testing.T) {
		if code, out, _ := run(t, "check", broken, scen, "--skip", "credentials-survive"); code != cli.ExitOK {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})
	t.Run("expected failures", func(t *testing.T) {
		cfg := filepath.Join(tmp, "expect.yaml")
		_ = os.WriteFile(cfg, []byte(`provider: salesforce
function: query
body: {query: "SELECT Id, Name FROM Account LIMIT 10"}
expect:
  failures:
    - rule: R06
      reason: our platform fork merges keys
    - rule: R13
      scenario: valid-token
      reason: an old expectation
`), 0o644)
		record := filepath.Join(tmp, "expect.json")
		code, out, _ := run(t, "check", broken, scen, "--config", cfg, "--json-report", record)
		if code != cli.ExitOK || !strings.Contains(out, "expected failure") || !strings.Contains(out, "expected failure is now passing") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		rec := readRecord(t, record)
		var st []string
		for _, r := range rec.Results {
			if r.Status == reports.ExpectedFailure || r.Status == reports.UnexpectedPass {
				st = append(st, r.RuleID+" "+string(r.Status)+" "+r.Scenario)
			}
		}
		sort.Strings(st)
		wantSt := []string{"R06 expected-failure salesforce/expired-access-token", "R13 unexpected-pass salesforce/valid-token"}
		if !slices.Equal(st, wantSt) {
			t.Errorf("statuses %v, want %v", st, wantSt)
		}
	})
	t.Run("reports of a revealed run are the owner's only", func(t *testing.T) {
		record := filepath.Join(tmp, "revealed.json")
		// Also when it replaces a record others could read.
		if err := os.WriteFile(record, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, "check", broken, "--scenarios=valid-token", "--reveal", "--json-report", record)
		if st, err := os.Stat(record); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("a revealed run record: %v, mode %v, want 0600", err, st.Mode().Perm())
		}
	})
	t.Run("a report to stdout, the summary to stderr", func(t *testing.T) {
		code, out, errOut := run(t, "check", broken, "--scenarios=expired-access-token", "--json-report", "-")
		if code != cli.ExitFailed {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		rec, err := reports.ReadRecord(strings.NewReader(out))
		if err != nil || len(rec.Traces) != 1 {
			t.Fatalf("stdout is not the run record: %v\n%s", err, out)
		}
		if !strings.Contains(errOut, "--- FAIL R06 on salesforce/expired-access-token") || !strings.Contains(errOut, fmt.Sprintf("FAILED: 1 of %d rules failed", len(suites.Rules()))) {
			t.Errorf("the summary is not on stderr:\n%s", errOut)
		}
		// report with only --from prints the summary check printed.
		path := filepath.Join(tmp, "stdout.json")
		_ = os.WriteFile(path, []byte(out), 0o644)
		code, sumOut, _ := run(t, "report", "--from", path)
		if code != cli.ExitFailed || !strings.Contains(sumOut, "--- FAIL R06 on salesforce/expired-access-token") || !strings.Contains(sumOut, "RULE  NAME") {
			t.Errorf("report --from alone: exit %d\n%s", code, sumOut)
		}
	})
	t.Run("report re-renders and merges shards", func(t *testing.T) {
		a, b := filepath.Join(tmp, "a.json"), filepath.Join(tmp, "b.json")
		if code, out, _ := run(t, "check", broken, "--scenarios=valid-token", "--json-report", a); code != cli.ExitOK {
			t.Fatalf("shard a: %d %s", code, out)
		}
		if code, out, _ := run(t, "check", broken, "--scenarios=expired-access-token", "--json-report", b); code != cli.ExitFailed {
			t.Fatalf("shard b: %d %s", code, out)
		}
		merged, junit := filepath.Join(tmp, "m.json"), filepath.Join(tmp, "m.xml")
		code, _, errOut := run(t, "report", "--from", a, "--from", b, "--json-report", merged, "--junit-report", junit)
		if code != cli.ExitFailed {
			t.Fatalf("report exit %d: %s", code, errOut)
		}
		if rec := readRecord(t, merged); len(rec.Traces) != 2 || !slices.Equal(failedRules(rec), []string{"R06"}) {
			t.Errorf("merged %d traces, failed %v", len(rec.Traces), failedRules(rec))
		}
		x, _ := os.ReadFile(junit)
		if !strings.Contains(string(x), "(salesforce/valid-token)") || !strings.Contains(string(x), "(salesforce/expired-access-token)") {
			t.Error("merged JUnit lacks a shard")
		}
	})
}

func TestCheckUsage(t *testing.T) {
	bare := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not a component", []string{"check", bare}, "point refreshproof at an elastic.io component"},
		{"unknown skip", []string{"check", filepath.Join(examples, "sf-query-on401"), "--skip", "R99"}, "no such rule"},
		{"bad label filter", []string{"check", filepath.Join(examples, "sf-query-on401"), "--label-filter", "R05 &&"}, "--label-filter"},
		{"filter selects nothing", []string{"check", filepath.Join(examples, "sf-query-on401"), "--label-filter", "nosuchlabel"}, "selects no rule"},
		{"missing config", []string{"check", filepath.Join(examples, "sf-query-on401"), "--config", filepath.Join(bare, "nope.yaml")}, "--config"},
		{"report without from", []string{"report", "--junit-report", "x.xml"}, "--from is required"},
		{"report of a non-record", []string{"report", "--from", "check_test.go", "--junit-report", filepath.Join(bare, "x.xml")}, "run record"},
		{"unknown rule", []string{"rules", "R99"}, "no rule"},
		{"parallel 0", []string{"check", filepath.Join(examples, "sf-query-on401"), "--parallel", "0"}, "--parallel must be 1 or more"},
		{"negative timeout", []string{"check", filepath.Join(examples, "sf-query-on401"), "--timeout", "-5s"}, "--timeout must be above zero"},
		{"zero timeout for run", []string{"run", filepath.Join(examples, "sf-query-on401"), "--timeout", "0s"}, "--timeout must be above zero"},
		{"two reports to stdout", []string{"check", filepath.Join(examples, "sf-query-on401"), "--json-report", "-", "--junit-report", "-"}, "only one report"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !slices.Contains([]string{"not a component", "unknown rule", "parallel 0", "negative timeout", "zero timeout for run", "two reports to stdout"}, tc.name) && !strings.HasPrefix(tc.args[0], "report") {
				if _, err := exec.LookPath("node"); err != nil {
					t.Skip("node is not installed")
				}
				if _, err := os.Stat(filepath.Join(examples, "sf-query-on401", "node_modules")); err != nil {
					t.Skip("examples not installed")
				}
			}
			code, out, errOut := run(t, tc.args...)
			if code != cli.ExitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q, want 2 and %q; stdout %q", code, errOut, tc.want, out)
			}
		})
	}
}

func TestRules(t *testing.T) {
	code, out, _ := run(t, "rules")
	if code != cli.ExitOK || strings.Count(out, "\n[R") != len(suites.Rules())-1 || !strings.Contains(out, "[R05] entire-update-keys") || !strings.Contains(out, "Fix: ") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "rules", "-o", "json", "credentials-survive")
	var rules []map[string]any
	if code != cli.ExitOK || json.Unmarshal([]byte(out), &rules) != nil || len(rules) != 1 || rules[0]["id"] != "R06" {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// Each rule lists the strategies it applies to, all of them spelled
	// out for a rule that applies to every strategy.
	for id, want := range map[string]string{
		"R06": "on-401,every-call,before-expiry",
		"R08": "on-401,every-call,before-expiry,platform-secrets",
		"R22": "platform-secrets",
	} {
		code, out, _ = run(t, "rules", "-o", "json", id)
		var rs []struct {
			Strategies []string `json:"strategies"`
		}
		if code != cli.ExitOK || json.Unmarshal([]byte(out), &rs) != nil || len(rs) != 1 || strings.Join(rs[0].Strategies, ",") != want {
			t.Errorf("rules -o json %s: exit %d, strategies %v, want %s", id, code, rs, want)
		}
	}
}

// TestCheckNotExercised: a Microsoft component whose component.json does
// not name its provider (its OAuth URLs come from its credentials), checked
// against the Salesforce mock, calls only Microsoft's hosts, which are
// blocked. Nothing was judged, so nothing passes: exit 2, and the output
// says which provider the component called. With component.json naming
// Microsoft, --provider salesforce is refused before anything runs.
func TestCheckNotExercised(t *testing.T) {
	needExamples(t)
	src, _ := filepath.Abs(filepath.Join(examples, "ms-graph-on401"))
	code, _, errOut := run(t, "check", src, "--provider", "salesforce", "--scenarios", "valid-token")
	if code != cli.ExitUsage || !strings.Contains(errOut, "the component talks to microsoft") || !strings.Contains(errOut, "pass --provider microsoft") {
		t.Fatalf("a provider component.json contradicts: exit %d\n%s", code, errOut)
	}

	dir := t.TempDir()
	for _, f := range []string{"lib", "node_modules", "package.json"} {
		if err := os.Symlink(filepath.Join(src, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(filepath.Join(src, "component.json"))
	if err != nil {
		t.Fatal(err)
	}
	var desc map[string]any
	_ = json.Unmarshal(raw, &desc)
	delete(desc["credentials"].(map[string]any), "oauth2")
	raw, _ = json.Marshal(desc)
	_ = os.WriteFile(filepath.Join(dir, "component.json"), raw, 0o644)

	record := filepath.Join(t.TempDir(), "run.json")
	code, out, errOut := run(t, "check", dir, "--provider", "salesforce", "--action", "listMessages", "--scenarios", "valid-token", "--json-report", record)
	if code != cli.ExitUsage {
		t.Fatalf("exit %d, want 2\n%s\n%s", code, out, errOut)
	}
	for _, s := range []string{"the component called graph.microsoft.com, which is Microsoft; this run mocks Salesforce (--provider microsoft)", "NOT EXERCISED"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if !strings.Contains(errOut, "no scenario exercised the component") {
		t.Errorf("stderr: %s", errOut)
	}
	rec := readRecord(t, record)
	if len(rec.NotExercised) != 1 {
		t.Fatalf("notExercised %+v", rec.NotExercised)
	}
	for _, r := range rec.Results {
		if r.Status == reports.Passed {
			t.Errorf("%s passed on a scenario that judged nothing", r.RuleID)
		}
	}
}

// TestCheckClientTimeout: in token-endpoint-timeout the mock holds the
// first refresh past the time limit. A component with no client timeout is
// cut short by the harness: a warning with the fix, not a failure of its
// own making, unless --strict; the compliant example times out itself and
// passes clean.
func TestCheckClientTimeout(t *testing.T) {
	needExamples(t)
	args := func(name string, more ...string) []string {
		return append([]string{"check", filepath.Join(examples, name), "--scenarios", "token-endpoint-timeout", "--timeout", "5s"}, more...)
	}
	code, out, _ := run(t, args("ms-no-client-timeout")...)
	if code != cli.ExitOK || !strings.Contains(out, "--- WARN R18 on microsoft/token-endpoint-timeout") || !strings.Contains(out, "set a timeout on token and API requests") {
		t.Fatalf("exit %d, want 0 with an R18 warning\n%s", code, out)
	}
	if code, out, _ := run(t, args("ms-no-client-timeout", "--strict")...); code != cli.ExitFailed || !strings.Contains(out, "--- FAIL R18") {
		t.Fatalf("--strict: exit %d, want 1\n%s", code, out)
	}
	// Its own 10 s timeout is shorter than the default 30 s limit.
	if code, out, _ := run(t, "check", filepath.Join(examples, "ms-graph-on401"), "--scenarios", "token-endpoint-timeout"); code != cli.ExitOK || strings.Contains(out, "--- WARN") {
		t.Fatalf("the compliant example: exit %d\n%s", code, out)
	}
}

// TestCheckNotReady: a component whose code cannot load is not judged:
// check exits 2 with the cause (the file and line Node printed) and no
// rule passes or fails.
func TestCheckNotReady(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node component; skipped with -short")
	}
	dir := filepath.Join("..", "..", "harness", "testdata", "notready")
	code, stdout, stderr := run(t, "check", dir, "--provider", "salesforce", "--action", "syntaxError", "-s", "expired-access-token")
	if code != 2 {
		t.Fatalf("exit code %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	out := stdout + stderr
	if !strings.Contains(out, "syntaxError.js") {
		t.Errorf("the cause does not name the file:\n%s", out)
	}
	if strings.Contains(out, "FAIL R") || strings.Contains(out, "PASSED") {
		t.Errorf("a component that never ran was judged:\n%s", out)
	}
}
