package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/reports"
	"github.com/refreshproof/refreshproof/scenarios"
	"github.com/refreshproof/refreshproof/suites"
)

type checkOpts struct {
	componentFlags
	config                          string
	skip                            []string
	junit, jsonOut, markdown, htmlO string
	verbose                         bool
}

func newCheckCmd(s *streams) *cobra.Command {
	o := &checkOpts{}
	c := &cobra.Command{
		Use:   "check [DIR]",
		Short: "Judge a component's token refresh against the rules (the CI gate)",
		Long: `check runs the component in DIR (default: the current directory) through the
provider's scenarios, judges every trace with the rules R01-R18 ("refreshproof
rules" lists them), prints a table of rules and a message for each failure
(what happened, the evidence, why it matters, how to fix it), and writes the
reports asked for.

Exit codes: 0 every applicable rule passed; 1 a rule failed; 2 the run could
not be made (bad flags or config, a component that cannot start), with the
reason and the fix.

Defaults come from DIR/refreshproof.yaml (or --config). Its "expect" block
lists failures a team knows about, so it can adopt the gate before fixing
everything:

  expect:
    failures:
      - rule: R06
        scenario: salesforce/rotation   # optional; all scenarios when left out
        reason: keys are merged by our platform fork

An expected failure is reported but does not fail the run; one that starts
passing is reported so the expectation can go.`,
		Example: `  refreshproof check examples/sf-query-on401
  refreshproof check . --provider microsoft --action listMessages --junit-report junit.xml
  refreshproof check . --label-filter 'rotation || R05' --skip R14 --html-report report.html`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return runCheck(cmd.Context(), s, o, dir)
		},
	}
	o.add(c)
	f := c.Flags()
	f.StringVar(&o.config, "config", "", "read the component description from FILE instead of DIR/refreshproof.yaml")
	f.StringSliceVar(&o.skip, "skip", nil, "rules not to judge, by ID or name (e.g. R14,secrets-stay-secret)")
	f.StringVar(&o.junit, "junit-report", "", "write a JUnit XML report to FILE")
	f.StringVar(&o.jsonOut, "json-report", "", "write the run record (JSON: traces and verdicts, secrets redacted) to FILE")
	f.StringVar(&o.markdown, "markdown-report", "", "write a Markdown summary (for a CI job summary) to FILE")
	f.StringVar(&o.htmlO, "html-report", "", "write a self-contained HTML report to FILE")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "show every exchange of each failing scenario")
	return c
}

func runCheck(ctx context.Context, s *streams, o *checkOpts, dir string) error {
	var comp *harness.Component
	var err error
	if o.config != "" {
		if _, serr := os.Stat(o.config); serr != nil {
			return usageErr("--config %s: %v", o.config, serr)
		}
		comp, err = o.componentFrom(dir, o.config)
	} else {
		comp, err = o.component(dir)
	}
	if err != nil {
		return err
	}
	skip := map[string]bool{}
	for _, ref := range o.skip {
		r, ok := suites.Lookup(strings.TrimSpace(ref))
		if !ok {
			return usageErr("--skip %q: no such rule (see `refreshproof rules`)", ref)
		}
		skip[r.ID] = true
	}
	for _, e := range comp.Expect.Failures {
		if _, ok := suites.Lookup(e.Rule); !ok {
			return usageErr("expect: rule %q is not a rule (see `refreshproof rules`)", e.Rule)
		}
	}
	// The label filter selects (rule, scenario) pairs: its labels are the
	// scenario's and the rule's ID and name.
	var filter scenarios.LabelFilter
	if o.labelFilter != "" {
		if filter, err = scenarios.ParseLabelFilter(o.labelFilter); err != nil {
			return usageErr("--label-filter: %v", err)
		}
	}
	labelFilter := o.labelFilter
	o.labelFilter = ""
	list, err := o.selectScenarios(comp.Provider)
	o.labelFilter = labelFilter
	if err != nil {
		return err
	}
	rules := suites.Rules()
	pairs := func(sc *scenarios.Scenario) []suites.Rule {
		var out []suites.Rule
		for _, r := range rules {
			labels := append([]string{sc.Provider, r.ID, r.Name}, sc.Labels...)
			if filter.Match(labels...) {
				out = append(out, r)
			}
		}
		return out
	}
	var selected []*scenarios.Scenario
	for _, sc := range list {
		if len(pairs(sc)) > 0 {
			selected = append(selected, sc)
		}
	}
	if len(selected) == 0 {
		return usageErr("--label-filter %q selects no rule on any scenario", labelFilter)
	}

	rec := reports.Record{
		Version: reports.RecordVersion, Tool: "refreshproof " + Version(), Started: time.Now(),
		Component: reports.Component{Dir: comp.Dir, Name: comp.Name, Version: comp.Version, Function: comp.Function,
			Provider: comp.Provider, Strategy: comp.Strategy, SailorVersion: comp.SailorVersion},
	}
	for _, r := range rules {
		rec.Rules = append(rec.Rules, reports.RuleInfo{ID: r.ID, Name: r.Name, Summary: r.Requirement, Doc: r.DocURL(), Strategies: r.Strategies})
	}

	prog := newProgress(s.err, len(selected))
	fmt.Fprintf(s.err, "checking %s (%s, strategy %s) with %d %s scenarios\n", comp.Name, comp.Function, comp.Strategy, len(selected), comp.Provider)
	r := harness.Runner{Reveal: o.reveal, Parallel: o.parallel}
	results := r.RunAll(ctx, comp, selected, func(done, total int, res harness.Result) {
		prog.done(res)
	})
	prog.finish()
	if err := ctx.Err(); err != nil {
		return usageErr("interrupted")
	}
	for _, res := range results {
		name := res.Scenario.Provider + "/" + res.Scenario.Name
		if res.Err != nil {
			rec.Errors = append(rec.Errors, reports.ScenarioError{Scenario: name, Error: res.Err.Error()})
			continue
		}
		rec.Traces = append(rec.Traces, res.Trace)
		keep := map[string]bool{}
		for _, r := range pairs(res.Scenario) {
			keep[r.ID] = true
		}
		for _, v := range suites.Judge(res.Trace, comp.Strategy) {
			if !keep[v.Rule] {
				continue
			}
			rec.Results = append(rec.Results, toResult(v, skip, comp.Expect.Failures))
		}
	}
	rec.Duration = time.Since(rec.Started)

	printRulesTable(s.out, rec)
	printFailures(s.out, rec, o.verbose)
	if err := writeReports(rec, o.junit, o.jsonOut, o.markdown, o.htmlO); err != nil {
		return err
	}
	failed, unexpected := countStatus(rec, reports.Failed), countStatus(rec, reports.UnexpectedPass)
	switch {
	case len(rec.Errors) > 0:
		for _, e := range rec.Errors {
			fmt.Fprintf(s.err, "scenario %s could not run: %s\n", e.Scenario, e.Error)
		}
		return usageErr("%d scenarios could not run", len(rec.Errors))
	case failed > 0:
		return &exitError{code: ExitFailed, err: fmt.Errorf("%d rule checks failed", failed)}
	}
	if unexpected > 0 {
		fmt.Fprintf(s.out, "\n%d expected failures now pass: remove them from expect in refreshproof.yaml.\n", unexpected)
	}
	fmt.Fprintln(s.out, "\nevery applicable rule passed")
	return nil
}

func (o *checkOpts) componentFrom(dir, file string) (*harness.Component, error) {
	c, err := harness.LoadComponentFile(dir, file)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return o.applyFlags(c)
}

// toResult turns a verdict into a report result, applying --skip and the
// expected failures.
func toResult(v suites.Verdict, skip map[string]bool, expect []harness.ExpectedFailure) reports.Result {
	res := reports.Result{RuleID: v.Rule, Scenario: v.Scenario, Status: reports.Status(v.Status), Reason: v.Reason}
	for _, w := range v.Warnings {
		res.Warnings = append(res.Warnings, w.Message)
	}
	for _, f := range v.Findings {
		res.Evidence = append(res.Evidence, f.Seqs...)
	}
	if v.Status != suites.Skipped && (v.Status == suites.Failed || len(v.Warnings) > 0) {
		res.Message = v.Message()
	}
	if skip[v.Rule] {
		return reports.Result{RuleID: v.Rule, Scenario: v.Scenario, Status: reports.Skipped, Reason: "skipped with --skip"}
	}
	for _, e := range expect {
		// Expectations may name a rule by ID or by name.
		if r, ok := suites.Lookup(e.Rule); !ok || r.ID != v.Rule || !e.Matches(r.ID, v.Scenario) {
			continue
		}
		switch v.Status {
		case suites.Failed:
			res.Status, res.Reason = reports.ExpectedFailure, e.Reason
		case suites.Passed:
			res.Status, res.Reason = reports.UnexpectedPass, "expected to fail ("+e.Reason+"), but passed"
		}
		return res
	}
	return res
}

func countStatus(rec reports.Record, st reports.Status) int {
	n := 0
	for _, r := range rec.Results {
		if r.Status == st {
			n++
		}
	}
	return n
}

// printRulesTable prints, per rule, how many scenarios passed, failed and
// skipped it.
func printRulesTable(w io.Writer, rec reports.Record) {
	type row struct{ passed, failed, skipped, expected, unexpected int }
	rows := map[string]*row{}
	for _, r := range rec.Results {
		x := rows[r.RuleID]
		if x == nil {
			x = &row{}
			rows[r.RuleID] = x
		}
		switch r.Status {
		case reports.Passed:
			x.passed++
		case reports.Failed:
			x.failed++
		case reports.Skipped:
			x.skipped++
		case reports.ExpectedFailure:
			x.expected++
		case reports.UnexpectedPass:
			x.unexpected++
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tNAME\tRESULT\tPASSED\tFAILED\tSKIPPED")
	for _, ri := range rec.Rules {
		x := rows[ri.ID]
		if x == nil {
			continue
		}
		result := "pass"
		switch {
		case x.failed > 0:
			result = "FAIL"
		case x.expected > 0:
			result = "expected failure"
		case x.unexpected > 0:
			result = "pass (expected to fail)"
		case x.passed == 0:
			result = "skipped"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\n", ri.ID, ri.Name, result, x.passed+x.unexpected, x.failed+x.expected, x.skipped)
	}
	tw.Flush()
}

func printFailures(w io.Writer, rec reports.Record, verbose bool) {
	traces := map[string]*harness.Trace{}
	for i := range rec.Traces {
		t := &rec.Traces[i]
		traces[t.Scenario.Provider+"/"+t.Scenario.Name] = t
	}
	var failed []reports.Result
	for _, r := range rec.Results {
		if r.Status == reports.Failed {
			failed = append(failed, r)
		}
	}
	sort.SliceStable(failed, func(i, j int) bool { return failed[i].RuleID < failed[j].RuleID })
	// A rule that fails on many scenarios usually fails the same way: the
	// first message in full, the other scenarios by name (all with -v).
	others := map[string][]string{}
	first := map[string]bool{}
	shown := map[string]bool{}
	for _, r := range failed {
		if first[r.RuleID] && !verbose {
			others[r.RuleID] = append(others[r.RuleID], r.Scenario)
			continue
		}
		first[r.RuleID] = true
		fmt.Fprintf(w, "\n--- FAIL %s on %s\n%s\n", r.RuleID, r.Scenario, indentText(r.Message, "    "))
		if verbose && !shown[r.Scenario] && traces[r.Scenario] != nil {
			shown[r.Scenario] = true
			fmt.Fprintf(w, "\n    exchanges of %s:\n", r.Scenario)
			for _, e := range traces[r.Scenario].Journal {
				who := ""
				if e.Presented != nil && e.Presented.Label != "" {
					who = " with " + e.Presented.Label + " (" + string(e.Presented.State) + ")"
				}
				fmt.Fprintf(w, "    #%-3d %-8s %s %s%s%s -> %d\n", e.Seq, e.Kind, e.Method, e.Host, e.Path, who, e.Status)
			}
		}
	}
	for _, ri := range rec.Rules {
		if sc := others[ri.ID]; len(sc) > 0 {
			fmt.Fprintf(w, "\n--- FAIL %s also on %d more scenarios: %s (details with --verbose or in the reports)\n", ri.ID, len(sc), strings.Join(sc, ", "))
		}
	}
}

func indentText(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

// writeReports writes each report asked for.
func writeReports(rec reports.Record, junit, jsonOut, markdown, html string) error {
	for _, out := range []struct {
		path  string
		write func(io.Writer, reports.Record) error
	}{
		{junit, reports.WriteJUnit},
		{jsonOut, func(w io.Writer, r reports.Record) error { return r.WriteJSON(w) }},
		{markdown, reports.WriteMarkdown},
		{html, reports.WriteHTML},
	} {
		if out.path == "" {
			continue
		}
		var buf bytes.Buffer
		if err := out.write(&buf, rec); err != nil {
			return usageErr("writing %s: %v", out.path, err)
		}
		if err := os.WriteFile(out.path, buf.Bytes(), 0o644); err != nil {
			return usageErr("writing %s: %v", out.path, err)
		}
	}
	return nil
}

// progress shows the run: on a terminal one line that updates in place,
// elsewhere (CI) a plain line per scenario.
type progress struct {
	w     io.Writer
	tty   bool
	total int
	n     int
	start time.Time
}

func newProgress(w io.Writer, total int) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, tty: tty, total: total, start: time.Now()}
}

func (p *progress) done(res harness.Result) {
	p.n++
	line := fmt.Sprintf("[%d/%d] %s", p.n, p.total, res.Scenario.Name)
	if res.Err != nil {
		line += ": could not run: " + res.Err.Error()
	} else {
		line += ": " + summary(res.Trace)
	}
	if p.tty {
		// Clear the line, then rewrite it; the last one stays.
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) finish() {
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%d scenarios in %.1fs\n", p.total, time.Since(p.start).Seconds())
	}
}
