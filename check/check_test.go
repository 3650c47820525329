package check_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/check"
	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/reports"
	"github.com/refreshproof/refreshproof/scenarios"
)

func component(t *testing.T, dir string) *harness.Component {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a node component; skipped with -short")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	c, err := harness.LoadComponent(filepath.Join("..", "examples", dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Resolve(); err != nil {
		t.Fatal(err)
	}
	return c
}

func builtin(t *testing.T, provider string, names ...string) []*scenarios.Scenario {
	t.Helper()
	var out []*scenarios.Scenario
	for _, n := range names {
		sc, err := scenarios.Builtin(provider, n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sc)
	}
	return out
}

func result(rec reports.Record, rule, scenario string) reports.Result {
	for _, r := range rec.Results {
		if r.RuleID == rule && r.Scenario == scenario {
			return r
		}
	}
	return reports.Result{}
}

// TestRunRootCause runs a component that emits only the access token: R05
// is the root cause, R06 (the stored keys lost the refresh token) its
// consequence, listed after it; an expectation for R05 covers both.
func TestRunRootCause(t *testing.T) {
	c := component(t, "ms-emits-access-token-only")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o := check.Options{Component: c, Scenarios: builtin(t, "microsoft", "expired-access-token"), Tool: "refreshproof test"}
	rec, err := check.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	const sc = "microsoft/expired-access-token"
	r05, r06 := result(rec, "R05", sc), result(rec, "R06", sc)
	if r05.Status != reports.Failed || r05.CausedBy != "" || !r05.Primary() {
		t.Errorf("R05: %s caused by %q, want a failed root cause\n%s", r05.Status, r05.CausedBy, r05.Message)
	}
	if r06.Status != reports.Failed || r06.CausedBy != "R05" {
		t.Errorf("R06: %s caused by %q, want failed as a consequence of R05\n%s", r06.Status, r06.CausedBy, r06.Message)
	}
	if rec.Results[0].RuleID != "R05" {
		t.Errorf("the record does not list the root cause first: %s", rec.Results[0].RuleID)
	}
	if code := reports.ExitCode(rec); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}

	c.Expect.Failures = []harness.ExpectedFailure{{Rule: "entire-update-keys", Reason: "tracked"}}
	rec, err = check.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if r := result(rec, "R05", sc); r.Status != reports.ExpectedFailure {
		t.Errorf("R05 expected by name: %s", r.Status)
	}
	if r := result(rec, "R06", sc); r.Status != reports.ExpectedFailure {
		t.Errorf("R06, a consequence of an expected failure: %s (%s)", r.Status, r.Reason)
	}
	if code := reports.ExitCode(rec); code != 0 {
		t.Errorf("exit code %d with every failure expected, want 0", code)
	}
}

func TestSelect(t *testing.T) {
	list := builtin(t, "salesforce", "rotation", "api-forbidden")
	f, err := scenarios.ParseLabelFilter("R11")
	if err != nil {
		t.Fatal(err)
	}
	p, err := check.Select(list, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Scenarios) != 2 || !p.Selected(list[1], "R11") || p.Selected(list[1], "R05") {
		t.Errorf("plan %+v", p)
	}
	f, _ = scenarios.ParseLabelFilter("R11 && rotation && api-error")
	if _, err := check.Select(list, f); err == nil {
		t.Error("a filter that selects nothing is not an error")
	}
}

func TestValidateSkipsAndExpectations(t *testing.T) {
	if err := check.ValidateSkips([]string{"R14", "secrets-stay-secret"}); err != nil {
		t.Error(err)
	}
	if err := check.ValidateSkips([]string{"R99"}); err == nil {
		t.Error("--skip R99 accepted")
	}
	if err := check.ValidateExpectations([]harness.ExpectedFailure{{Rule: "R5x"}}); err == nil {
		t.Error("an expectation of no rule accepted")
	}
}

// TestRunBoundsALoop runs a component that refreshes and retries 50
// times on repeated 401s: the record keeps the loop's first and last
// exchanges and every exchange a verdict cites, and says exactly how many
// it left out, so the counts still add up to the journal's.
func TestRunBoundsALoop(t *testing.T) {
	c := component(t, "sf-loops-on-401")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rec, err := check.Run(ctx, check.Options{Component: c, Scenarios: builtin(t, "salesforce", "repeated-401"), Tool: "refreshproof test"})
	if err != nil {
		t.Fatal(err)
	}
	r08 := result(rec, "R08", "salesforce/repeated-401")
	if r08.Status != reports.Failed {
		t.Fatalf("R08: %s, want failed", r08.Status)
	}
	tr := rec.Traces[0]
	left := 0
	for _, o := range tr.Omitted {
		if o.What == "journal" {
			left += o.Count
		}
	}
	if left == 0 {
		t.Fatalf("a %d-exchange loop was recorded whole: %+v", tr.Counts.Total, tr.Omitted)
	}
	if got := len(tr.Journal) + left; int64(got) != tr.Counts.Total-tr.Counts.Evicted {
		t.Errorf("kept %d + left out %d = %d exchanges, the journal counted %d", len(tr.Journal), left, got, tr.Counts.Total)
	}
	if n := len(tr.Journal); n > 2*harness.DefaultCompactKeep+3*len(r08.Evidence)+3 {
		t.Errorf("the record keeps %d exchanges", n)
	}
	kept := map[int64]bool{}
	for _, e := range tr.Journal {
		kept[e.Seq] = true
	}
	for _, r := range rec.Results {
		for _, seq := range r.Evidence {
			if !kept[seq] {
				t.Errorf("%s cites #%d, which the record left out", r.RuleID, seq)
			}
		}
	}
	if got := tr.Messages[0].Exchanges.ByGrant["refresh_token"]; got < 50 {
		t.Errorf("the message counts %d refresh requests, want the loop's 50 or more", got)
	}
}
