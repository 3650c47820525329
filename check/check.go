// Package check is refreshproof's one pipeline: it selects the (rule,
// scenario) pairs to judge, runs the component through the scenarios,
// judges every trace with the rules (suites.Evaluate: skips, strictness,
// root causes), applies the expected failures a team declared, and
// produces the run record that every report renders. `refreshproof check`
// runs it from flags; `refreshproof report` and the Ginkgo entry points in
// suites/specs judge with the same policy, and reports.ExitCode decides every
// exit status.
package check

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/reports"
	"github.com/refreshproof/refreshproof/scenarios"
	"github.com/refreshproof/refreshproof/suites"
)

// Options say what a check runs and how it judges. Component must be
// resolved (harness.Component.Resolve) and Scenarios non-empty.
type Options struct {
	// Component is the component under test; its Strategy and Expect are
	// the ones judged with.
	Component *harness.Component
	// Scenarios are run in this order, which is also the order of the
	// traces and results in the record.
	Scenarios []*scenarios.Scenario
	// Filter selects (rule, scenario) pairs by the scenario's provider and
	// labels and the rule's ID and name; the zero filter selects all.
	Filter scenarios.LabelFilter
	// Skip lists rules (IDs or names) not to judge.
	Skip []string
	// Strict makes warnings fail.
	Strict bool
	// Runner runs the scenarios (parallelism, output bounds, reveal).
	Runner harness.Runner
	// Progress, when set, is called as each scenario finishes.
	Progress func(done, total int, res harness.Result)
	// Tool names the program for the record: "refreshproof v0.3.0".
	Tool string
}

// Plan is what a check will judge: the scenarios that have at least one
// selected rule, and for each the rules selected.
type Plan struct {
	Scenarios []*scenarios.Scenario
	rules     map[*scenarios.Scenario]map[string]bool
}

// Select applies the label filter to the scenarios and rules. It fails
// when the filter selects nothing, which is a usage error.
func Select(list []*scenarios.Scenario, filter scenarios.LabelFilter) (Plan, error) {
	p := Plan{rules: map[*scenarios.Scenario]map[string]bool{}}
	for _, sc := range list {
		sel := map[string]bool{}
		for _, r := range suites.Rules() {
			labels := append([]string{sc.Provider, r.ID, r.Name}, sc.Labels...)
			if filter.Match(labels...) {
				sel[r.ID] = true
			}
		}
		if len(sel) > 0 {
			p.Scenarios = append(p.Scenarios, sc)
			p.rules[sc] = sel
		}
	}
	if len(p.Scenarios) == 0 {
		return Plan{}, fmt.Errorf("check: the label filter selects no rule on any scenario")
	}
	return p, nil
}

// Selected tells whether the plan judges rule id on scenario sc.
func (p Plan) Selected(sc *scenarios.Scenario, id string) bool {
	return p.rules[sc][id]
}

// Run runs the check and returns its record. The error is non-nil only
// when the options are unusable or ctx was cancelled; a scenario that
// could not run is recorded in Record.Errors, and a rule that failed in
// Record.Results: reports.ExitCode says what they add up to.
func Run(ctx context.Context, o Options) (reports.Record, error) {
	if o.Component == nil {
		return reports.Record{}, fmt.Errorf("check: no component")
	}
	list := ForStrategy(o.Scenarios, o.Component.Strategy)
	if len(list) == 0 {
		if o.Component.Strategy == harness.StrategyPlatformSecrets {
			return reports.Record{}, fmt.Errorf("check: none of the %d scenarios is for strategy %s (Secrets-mode scenarios have a secrets block and the label secrets)", len(o.Scenarios), o.Component.Strategy)
		}
		return reports.Record{}, fmt.Errorf("check: all of the %d scenarios are Secrets-mode scenarios, which judge components of strategy %s only; pass --strategy %s or pick other scenarios", len(o.Scenarios), harness.StrategyPlatformSecrets, harness.StrategyPlatformSecrets)
	}
	plan, err := Select(list, o.Filter)
	if err != nil {
		return reports.Record{}, err
	}
	rec := NewRecord(o.Tool, o.Component, o.Strict)
	results := o.Runner.RunAll(ctx, o.Component, plan.Scenarios, o.Progress)
	if err := ctx.Err(); err != nil {
		return reports.Record{}, fmt.Errorf("check: interrupted: %w", err)
	}
	// The strategy is the one each trace records (the component's).
	policy := suites.Policy{Skip: o.Skip, Strict: o.Strict}
	for _, res := range results {
		if res.Err != nil {
			rec.Errors = append(rec.Errors, reports.ScenarioError{Scenario: res.Scenario.String(), Error: res.Err.Error()})
			continue
		}
		exercised, why := Exercised(res.Trace)
		if !exercised {
			rec.NotExercised = append(rec.NotExercised, reports.ScenarioError{Scenario: res.Scenario.String(), Error: why})
		} else if note := Unmocked(res.Trace); note != "" {
			rec.Notes = append(rec.Notes, reports.ScenarioError{Scenario: res.Scenario.String(), Error: note})
		}
		var cite []int64
		for _, r := range Judge(res.Trace, policy, o.Component.Expect.Failures) {
			if !plan.Selected(res.Scenario, r.RuleID) {
				continue
			}
			if !exercised && (r.Status == reports.Passed || r.Status == reports.UnexpectedPass) {
				// A run that judged nothing passes nothing.
				r = reports.Result{RuleID: r.RuleID, Scenario: r.Scenario, Status: reports.Skipped, Reason: "the scenario did not exercise the component: " + why}
			}
			rec.Results = append(rec.Results, r)
			cite = append(cite, r.Evidence...)
		}
		// Judged: the record keeps a loop's first and last exchanges, what
		// the verdicts cite, and exact counts of the rest.
		tr := res.Trace
		tr.Compact(harness.DefaultCompactKeep, cite)
		rec.Traces = append(rec.Traces, tr)
	}
	rec.Duration = time.Since(rec.Started)
	return rec, nil
}

// NewRecord starts the record of a check of c.
func NewRecord(tool string, c *harness.Component, strict bool) reports.Record {
	rec := reports.Record{
		Version: reports.RecordVersion, Tool: tool, Started: time.Now(), Strict: strict,
		Component: reports.Component{Dir: c.Dir, Name: c.Name, Version: c.Version, Function: c.Function,
			Provider: c.Provider, Strategy: c.Strategy, SailorVersion: c.SailorVersion},
	}
	for _, r := range suites.Rules() {
		rec.Rules = append(rec.Rules, reports.RuleInfo{ID: r.ID, Name: r.Name, Summary: r.Requirement, Doc: r.DocURL(), Strategies: r.Strategies})
	}
	return rec
}

// Judge judges one trace under policy p and turns the verdicts into the
// record's results, applying the expected failures: a failure a team
// expects is an expected failure, and so is a consequence of one; an
// expected failure that passed is an unexpected pass.
func Judge(tr harness.Trace, p suites.Policy, expect []harness.ExpectedFailure) []reports.Result {
	verdicts := suites.Evaluate(tr, p)
	out := make([]reports.Result, 0, len(verdicts))
	expected := map[string]string{} // rule ID → reason, for this scenario
	for _, v := range verdicts {
		if reason, ok := expectation(expect, v.Rule, v.Scenario); ok && v.Status == suites.Failed && v.CausedBy == "" {
			expected[v.Rule] = reason
		}
	}
	for _, v := range verdicts {
		res := reports.Result{RuleID: v.Rule, Scenario: v.Scenario, Status: reports.Status(v.Status), Reason: v.Reason,
			CausedBy: v.CausedBy, Cause: v.Cause}
		for _, w := range v.Warnings {
			res.Warnings = append(res.Warnings, w.Message)
		}
		for _, f := range v.Findings {
			res.Evidence = append(res.Evidence, f.Seqs...)
		}
		switch {
		case len(v.Findings) > 0:
			res.Summary = v.Findings[0].Summary
		case len(v.Warnings) > 0:
			res.Summary = v.Warnings[0].Summary
		}
		if v.Status == suites.Failed || v.Status == suites.Warned {
			res.Message = v.Message()
		}
		reason, own := expectation(expect, v.Rule, v.Scenario)
		switch {
		case v.Status == suites.Failed && own:
			res.Status, res.Reason = reports.ExpectedFailure, reason
		case v.Status == suites.Failed && expected[v.CausedBy] != "":
			res.Status, res.Reason = reports.ExpectedFailure, fmt.Sprintf("follows from the expected failure of %s (%s)", v.CausedBy, expected[v.CausedBy])
		case v.Status == suites.Passed && own:
			res.Status, res.Reason = reports.UnexpectedPass, "expected to fail ("+reason+"), but passed"
		}
		out = append(out, res)
	}
	// Root causes first, then their consequences, then the rest, each in
	// rule order: readers of the record take the first failure as the one
	// to fix.
	rank := func(r reports.Result) int {
		switch {
		case r.Primary():
			return 0
		case r.CausedBy != "":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b reports.Result) int { return rank(a) - rank(b) })
	return out
}

// expectation finds the expected failure of rule (by ID or name) on
// scenario.
func expectation(expect []harness.ExpectedFailure, rule, scenario string) (string, bool) {
	for _, e := range expect {
		r, ok := suites.Lookup(e.Rule)
		if !ok || r.ID != rule {
			continue
		}
		// The expectation may name the rule by name; match on its ID.
		e.Rule = r.ID
		if e.Matches(r.ID, scenario) {
			return e.Reason, true
		}
	}
	return "", false
}

// ValidateExpectations reports an expected failure that names no rule.
func ValidateExpectations(expect []harness.ExpectedFailure) error {
	for _, e := range expect {
		if _, ok := suites.Lookup(e.Rule); !ok {
			return fmt.Errorf("expect: rule %q is not a rule (see `refreshproof rules`)", e.Rule)
		}
	}
	return nil
}

// ValidateSkips reports a skip that names no rule.
func ValidateSkips(skip []string) error {
	for _, s := range skip {
		if _, ok := suites.Lookup(s); !ok {
			return fmt.Errorf("--skip %q: no such rule (see `refreshproof rules`)", s)
		}
	}
	return nil
}
