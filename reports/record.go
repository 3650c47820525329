package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/refreshproof/refreshproof/harness"
)

// RecordVersion is the version of the run record's JSON form. It changes
// when a field changes meaning or goes away; new fields keep it, so a
// reader ignores fields it does not know.
const RecordVersion = 1

// Record is one run of `refreshproof check`: the component, the rules, a
// verdict per rule and scenario, and the trace of every scenario. Its JSON
// form (WriteJSON, ReadRecord) is the run record that `refreshproof report`
// renders again and merges; the traces in it must be redacted
// (harness.Trace.Redact) unless the user asked to see secrets.
type Record struct {
	// Version is RecordVersion when the record was made.
	Version int `json:"version"`
	// Tool names the program that made the record: "refreshproof v0.3.0".
	Tool      string        `json:"tool"`
	Started   time.Time     `json:"started"`
	Duration  time.Duration `json:"durationNs"`
	Component Component     `json:"component"`
	// Rules is the catalogue the run judged with, in report order.
	Rules []RuleInfo `json:"rules"`
	// Results holds one verdict per rule and scenario.
	Results []Result `json:"results"`
	// Traces holds one trace per scenario that ran.
	Traces []harness.Trace `json:"traces"`
	// Errors lists the scenarios that could not run.
	Errors []ScenarioError `json:"errors,omitempty"`
	// Strict is true when warnings were judged as failures (--strict).
	Strict bool `json:"strict,omitempty"`
	// NotExercised lists the scenarios that ran but did not exercise the
	// component (it never presented a token the provider issued), with
	// why: their passes are recorded as skips, since they judged nothing.
	NotExercised []ScenarioError `json:"notExercised,omitempty"`
	// Notes are what a reader of a scenario's verdicts should know that no
	// rule says: data calls that failed only because the mock does not
	// serve their path.
	Notes []ScenarioError `json:"notes,omitempty"`
}

// Component identifies the component under test and how it was run.
type Component struct {
	Dir           string           `json:"dir"`
	Name          string           `json:"name"`
	Version       string           `json:"version,omitempty"`
	Function      string           `json:"function"`
	Provider      string           `json:"provider"`
	Strategy      harness.Strategy `json:"strategy"`
	SailorVersion string           `json:"sailorVersion,omitempty"`
}

// RuleInfo describes one conformance rule as the reports show it.
type RuleInfo struct {
	// ID is the stable identifier: "R05".
	ID string `json:"id"`
	// Name is the stable short name: "entire-update-keys".
	Name string `json:"name"`
	// Summary is the requirement in one line.
	Summary string `json:"summary"`
	// Doc links to the rule's documentation (a URL or a path with an
	// anchor).
	Doc string `json:"doc,omitempty"`
	// Strategies lists the strategies the rule applies to; empty means
	// all.
	Strategies []harness.Strategy `json:"strategies,omitempty"`
}

// Title is the rule's ID and name as test case names show them:
// "[R05] entire-update-keys".
func (r RuleInfo) Title() string {
	if r.Name == "" {
		return "[" + r.ID + "]"
	}
	return "[" + r.ID + "] " + r.Name
}

// Status is the verdict of one rule on one scenario.
type Status string

const (
	// Passed: the scenario exercised the rule and the component conformed.
	Passed Status = "passed"
	// Failed: the trace shows a violation.
	Failed Status = "failed"
	// Warned: nothing the rule requires was violated, but something it
	// recommends was not done (or the harness cut the scenario short);
	// Result.Warnings say what. A warning does not fail the run unless it
	// was made with --strict, which records warnings as failures.
	Warned Status = "warned"
	// Skipped: the rule does not apply to the strategy or the scenario
	// did not exercise it; Result.Reason says which.
	Skipped Status = "skipped"
	// ExpectedFailure: the rule failed and refreshproof.yaml expects it
	// to; Result.Reason is the expectation's reason.
	ExpectedFailure Status = "expected-failure"
	// UnexpectedPass: refreshproof.yaml expects a failure but the rule
	// passed; the expectation can go.
	UnexpectedPass Status = "unexpected-pass"
)

var statuses = []Status{Passed, Failed, Warned, Skipped, ExpectedFailure, UnexpectedPass}

// Result is the verdict of one rule on one scenario.
type Result struct {
	RuleID string `json:"ruleId"`
	// Scenario is the scenario's name: "salesforce/rotation".
	Scenario string `json:"scenario"`
	Status   Status `json:"status"`
	// Message is written for the component author: what happened, the
	// evidence, why it matters, the fix and a link to the rule's doc.
	// Empty for a plain pass.
	Message  string   `json:"message,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Evidence lists the journal sequence numbers of the exchanges
	// involved, in the scenario's trace.
	Evidence []int64 `json:"evidence,omitempty"`
	// Reason says why a rule was skipped, or why a failure is expected.
	Reason string `json:"reason,omitempty"`
	// Summary is the first finding (or warning) in one sentence.
	Summary string `json:"summary,omitempty"`
	// CausedBy names the rule whose failure on the same scenario this
	// result follows from, and Cause that failure's summary. Empty on a
	// failure means it is a root cause (a primary finding): reports show
	// primaries first and their consequences under them. A consequence
	// still counts as a failure of its own rule.
	CausedBy string `json:"causedBy,omitempty"`
	Cause    string `json:"cause,omitempty"`
}

// Primary tells whether r is a finding of its own: a failure, warning or
// expected failure that follows from no other rule's.
func (r Result) Primary() bool {
	return r.CausedBy == "" && (r.Status == Failed || r.Status == Warned || r.Status == ExpectedFailure)
}

// ScenarioError is a scenario that could not run.
type ScenarioError struct {
	Scenario string `json:"scenario"`
	Error    string `json:"error"`
}

// ReadRecord decodes a run record and checks that this version of the
// package can render it.
func ReadRecord(r io.Reader) (Record, error) {
	var rec Record
	dec := json.NewDecoder(r)
	if err := dec.Decode(&rec); err != nil {
		return Record{}, fmt.Errorf("reports: reading run record: %w", err)
	}
	// A decoder stops after the first value: without this, the shards of
	// a run concatenated into one file would render as the first alone.
	if _, err := dec.Token(); err != io.EOF {
		return Record{}, errors.New("reports: reading run record: more than one JSON value; pass each record with its own --from")
	}
	if err := rec.check(); err != nil {
		return Record{}, err
	}
	return rec, nil
}

func (r Record) check() error {
	switch {
	case r.Version == 0:
		return errors.New("reports: not a run record (no version); write one with `refreshproof check --json-report FILE`")
	case r.Version > RecordVersion:
		return fmt.Errorf("reports: run record version %d was made by a newer refreshproof (%s); this one reads version %d", r.Version, r.Tool, RecordVersion)
	}
	for i, res := range r.Results {
		if !slices.Contains(statuses, res.Status) {
			return fmt.Errorf("reports: result %d (%s on %s): unknown status %q", i, res.RuleID, res.Scenario, res.Status)
		}
	}
	return nil
}

// WriteJSON writes the record as indented JSON. A zero Version is written
// as RecordVersion.
func (r Record) WriteJSON(w io.Writer) error {
	if r.Version == 0 {
		r.Version = RecordVersion
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("reports: writing run record: %w", err)
	}
	return nil
}

// Merge combines the records of CI shards of one run. They must come from
// the same tool and component (its directory may differ between
// machines). Rules are united by ID; results, traces and errors are
// concatenated in argument order. A scenario present in more than one
// record is kept once when its results are the same in each (a shard run
// twice), and is an error when they differ: shards are meant to split the
// scenarios, and a test case with two verdicts would be ambiguous. The
// merged run starts at the earliest start and lasts until the latest end.
func Merge(records ...Record) (Record, error) {
	if len(records) == 0 {
		return Record{}, errors.New("reports: merge: no records")
	}
	out := records[0]
	out.Rules = slices.Clone(out.Rules)
	out.Results, out.Traces, out.Errors, out.NotExercised, out.Notes = nil, nil, nil, nil, nil
	end := out.Started.Add(out.Duration)
	seen := map[string]int{} // scenario -> index of the record that supplied it
	for i, rec := range records {
		if err := rec.check(); err != nil {
			return Record{}, fmt.Errorf("reports: merge: record %d: %w", i+1, err)
		}
		if rec.Tool != out.Tool {
			return Record{}, fmt.Errorf("reports: merge: record %d was made by %q, record 1 by %q; merge records of one run", i+1, rec.Tool, out.Tool)
		}
		a, b := rec.Component, out.Component
		a.Dir, b.Dir = "", ""
		if a != b {
			return Record{}, fmt.Errorf("reports: merge: record %d is of component %s, record 1 of %s; merge records of one component", i+1, describe(rec.Component), describe(out.Component))
		}
		if rec.Started.Before(out.Started) {
			out.Started = rec.Started
		}
		if e := rec.Started.Add(rec.Duration); e.After(end) {
			end = e
		}
		for _, ri := range rec.Rules {
			j := slices.IndexFunc(out.Rules, func(x RuleInfo) bool { return x.ID == ri.ID })
			switch {
			case j < 0:
				out.Rules = append(out.Rules, ri)
			case out.Rules[j].Name != ri.Name:
				return Record{}, fmt.Errorf("reports: merge: rule %s is %q in record %d and %q in an earlier one", ri.ID, ri.Name, i+1, out.Rules[j].Name)
			}
		}
		byScenario := map[string][]Result{}
		var order []string
		for _, res := range rec.Results {
			if _, ok := byScenario[res.Scenario]; !ok {
				order = append(order, res.Scenario)
			}
			byScenario[res.Scenario] = append(byScenario[res.Scenario], res)
		}
		for _, sc := range order {
			if first, ok := seen[sc]; ok {
				if !reflect.DeepEqual(byScenario[sc], resultsOf(records[first], sc)) {
					return Record{}, fmt.Errorf("reports: merge: scenario %s has different results in records %d and %d; shards must not run a scenario twice", sc, first+1, i+1)
				}
				continue
			}
			seen[sc] = i
			out.Results = append(out.Results, byScenario[sc]...)
		}
		for _, tr := range rec.Traces {
			if first, ok := seen[tr.Scenario.Ref()]; ok && first != i {
				continue
			}
			if slices.ContainsFunc(out.Traces, func(x harness.Trace) bool { return x.Scenario.Ref() == tr.Scenario.Ref() }) {
				continue
			}
			seen[tr.Scenario.Ref()] = i
			out.Traces = append(out.Traces, tr)
		}
		for _, se := range rec.Errors {
			if !slices.Contains(out.Errors, se) {
				out.Errors = append(out.Errors, se)
			}
		}
		for _, se := range rec.NotExercised {
			if !slices.Contains(out.NotExercised, se) {
				out.NotExercised = append(out.NotExercised, se)
			}
		}
		for _, se := range rec.Notes {
			if !slices.Contains(out.Notes, se) {
				out.Notes = append(out.Notes, se)
			}
		}
	}
	out.Duration = end.Sub(out.Started)
	return out, nil
}

func resultsOf(r Record, scenario string) []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Scenario == scenario {
			out = append(out, res)
		}
	}
	return out
}

func describe(c Component) string {
	s := c.Name
	if c.Version != "" {
		s += "@" + c.Version
	}
	return fmt.Sprintf("%s (function %s, provider %s, strategy %s, sailor %s)", s, c.Function, c.Provider, c.Strategy, orDash(c.SailorVersion))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Verdict is the outcome of a whole run.
type Verdict string

const (
	// VerdictPassed: no rule failed and every scenario ran.
	VerdictPassed Verdict = "passed"
	// VerdictFailed: at least one rule failed on at least one scenario.
	VerdictFailed Verdict = "failed"
	// VerdictIncomplete: no rule failed, but a scenario could not run, so
	// the rules it would have judged are unknown.
	VerdictIncomplete Verdict = "incomplete"
	// VerdictNotExercised: no rule failed, and no scenario exercised the
	// component: the run judged nothing, which is not a pass.
	VerdictNotExercised Verdict = "not-exercised"
)

// Counts counts results by status.
type Counts struct {
	Passed           int `json:"passed"`
	Failed           int `json:"failed"`
	Warned           int `json:"warned"`
	Skipped          int `json:"skipped"`
	ExpectedFailures int `json:"expectedFailures"`
	UnexpectedPasses int `json:"unexpectedPasses"`
}

func (c *Counts) add(s Status) {
	switch s {
	case Passed:
		c.Passed++
	case Failed:
		c.Failed++
	case Warned:
		c.Warned++
	case Skipped:
		c.Skipped++
	case ExpectedFailure:
		c.ExpectedFailures++
	case UnexpectedPass:
		c.UnexpectedPasses++
	}
}

// Total is the number of results counted.
func (c Counts) Total() int {
	return c.Passed + c.Failed + c.Warned + c.Skipped + c.ExpectedFailures + c.UnexpectedPasses
}

// RuleSummary is one rule's results over all scenarios.
type RuleSummary struct {
	Rule   RuleInfo
	Counts Counts
	// Status is the rule's overall status: Failed if it failed on any
	// scenario; else ExpectedFailure if a failure was expected; else
	// UnexpectedPass if an expected failure passed; else Warned if it
	// warned on any scenario; else Passed if it passed on any scenario;
	// else Skipped (also when no scenario judged it).
	Status Status
	// Primaries counts the failures of the rule that are root causes,
	// Consequences those that follow from another rule's failure.
	Primaries, Consequences int
}

// Summary is a run at a glance: the verdict, and the results per rule and
// in total.
type Summary struct {
	Verdict Verdict
	Rules   []RuleSummary
	Totals  Counts
	// FailedRules counts the rules whose Status is Failed, PrimaryRules
	// those of them with a failure that is a root cause, and WarnedRules
	// the rules whose Status is Warned.
	FailedRules, PrimaryRules, WarnedRules int
	// Scenarios counts the scenarios that ran; Errors those that could
	// not; NotExercised those that ran without exercising the component.
	Scenarios, Errors, NotExercised int
}

// Summarize counts r's results per rule, in the order of r.Rules; rules
// that only appear in results follow, in order of appearance.
func Summarize(r Record) Summary {
	var s Summary
	index := map[string]int{}
	for _, ri := range r.Rules {
		if _, dup := index[ri.ID]; dup {
			continue
		}
		index[ri.ID] = len(s.Rules)
		s.Rules = append(s.Rules, RuleSummary{Rule: ri})
	}
	scenarios := map[string]bool{}
	for _, res := range r.Results {
		i, ok := index[res.RuleID]
		if !ok {
			i = len(s.Rules)
			index[res.RuleID] = i
			s.Rules = append(s.Rules, RuleSummary{Rule: RuleInfo{ID: res.RuleID}})
		}
		s.Rules[i].Counts.add(res.Status)
		s.Totals.add(res.Status)
		if res.Status == Failed {
			if res.CausedBy == "" {
				s.Rules[i].Primaries++
			} else {
				s.Rules[i].Consequences++
			}
		}
		scenarios[res.Scenario] = true
	}
	for _, tr := range r.Traces {
		scenarios[tr.Scenario.Ref()] = true
	}
	for i := range s.Rules {
		rs := &s.Rules[i]
		c := rs.Counts
		switch {
		case c.Failed > 0:
			rs.Status = Failed
			s.FailedRules++
			if rs.Primaries > 0 {
				s.PrimaryRules++
			}
		case c.ExpectedFailures > 0:
			rs.Status = ExpectedFailure
		case c.UnexpectedPasses > 0:
			rs.Status = UnexpectedPass
		case c.Warned > 0:
			rs.Status = Warned
			s.WarnedRules++
		case c.Passed > 0:
			rs.Status = Passed
		default:
			rs.Status = Skipped
		}
	}
	s.Scenarios, s.Errors, s.NotExercised = len(scenarios), len(r.Errors), len(r.NotExercised)
	switch {
	case s.Totals.Failed > 0:
		s.Verdict = VerdictFailed
	case s.Errors > 0:
		s.Verdict = VerdictIncomplete
	case len(r.Traces) > 0 && s.NotExercised >= len(r.Traces):
		s.Verdict = VerdictNotExercised
	default:
		s.Verdict = VerdictPassed
	}
	return s
}

// ExitCode is the exit status `refreshproof check` and `refreshproof
// report` end with for r: 1 when a rule failed, 2 when no rule failed but
// a scenario could not run (the run is incomplete) or no scenario
// exercised the component (the run judged nothing), 0 otherwise. Expected
// failures do not fail the run, and neither do unexpected passes: they are
// reported so that the expectation can be removed.
func ExitCode(r Record) int {
	switch Summarize(r).Verdict {
	case VerdictFailed:
		return 1
	case VerdictIncomplete, VerdictNotExercised:
		return 2
	}
	return 0
}

// Headline is the verdict in one sentence: "FAILED: 2 of 18 rules failed
// on 5 scenarios".
func (s Summary) Headline() string {
	var b strings.Builder
	switch s.Verdict {
	case VerdictFailed:
		fmt.Fprintf(&b, "FAILED: %d of %d %s failed", s.FailedRules, len(s.Rules), plural(len(s.Rules), "rule", "rules"))
		if n := s.FailedRules - s.PrimaryRules; n > 0 {
			fmt.Fprintf(&b, ", %d of them only as a consequence of another", n)
		}
	case VerdictIncomplete:
		fmt.Fprintf(&b, "INCOMPLETE: no rule failed, but %d %s could not run", s.Errors, plural(s.Errors, "scenario", "scenarios"))
	case VerdictNotExercised:
		b.WriteString("NOT EXERCISED: no scenario exercised the component, so nothing was judged")
	default:
		fmt.Fprintf(&b, "PASSED: no rule failed")
	}
	if s.WarnedRules > 0 {
		fmt.Fprintf(&b, "; %d %s warned", s.WarnedRules, plural(s.WarnedRules, "rule", "rules"))
	}
	if s.Scenarios == 0 && s.Errors > 0 {
		return b.String() // nothing ran: the errors say why
	}
	fmt.Fprintf(&b, " (%d %s", s.Scenarios, plural(s.Scenarios, "scenario", "scenarios"))
	if s.Verdict != VerdictIncomplete && s.Errors > 0 {
		fmt.Fprintf(&b, ", %d could not run", s.Errors)
	}
	if s.Verdict != VerdictNotExercised && s.NotExercised > 0 {
		fmt.Fprintf(&b, ", %d did not exercise the component", s.NotExercised)
	}
	b.WriteString(")")
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
