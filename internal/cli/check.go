package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/refreshproof/refreshproof/check"
	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/reports"
	"github.com/refreshproof/refreshproof/scenarios"
)

type checkOpts struct {
	componentFlags
	config                          string
	skip                            []string
	junit, jsonOut, markdown, htmlO string
	verbose, strict                 bool
}

func newCheckCmd(s *streams) *cobra.Command {
	o := &checkOpts{}
	c := &cobra.Command{
		Use:   "check [DIR]",
		Short: "Judge a component's token refresh against the rules (the CI gate)",
		Long: `check runs the component in DIR (default: the current directory) through the
provider's scenarios, judges every trace with the rules ("refreshproof
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
			if err := o.componentFlags.validate(cmd); err != nil {
				return err
			}
			return runCheck(cmd.Context(), s, o, dir)
		},
	}
	o.add(c)
	f := c.Flags()
	f.StringVar(&o.config, "config", "", "read the component description from FILE instead of DIR/refreshproof.yaml")
	f.StringSliceVar(&o.skip, "skip", nil, "rules not to judge, by ID or name (e.g. R14,secrets-stay-secret)")
	f.StringVar(&o.junit, "junit-report", "", "write a JUnit XML report to FILE (- for stdout)")
	f.StringVar(&o.jsonOut, "json-report", "", "write the run record (JSON: traces and verdicts, secrets redacted) to FILE (- for stdout)")
	f.StringVar(&o.markdown, "markdown-report", "", "write a Markdown summary (for a CI job summary) to FILE (- for stdout)")
	f.StringVar(&o.htmlO, "html-report", "", "write a self-contained HTML report to FILE (- for stdout)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "show every failure and warning in full, with the exchanges of its scenario")
	f.BoolVar(&o.strict, "strict", false, "make warnings fail (also strict: true in refreshproof.yaml)")
	return c
}

func runCheck(ctx context.Context, s *streams, o *checkOpts, dir string) error {
	if err := o.validate(); err != nil {
		return err
	}
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
	if err := check.ValidateSkips(o.skip); err != nil {
		return usageErr("%v", err)
	}
	if err := check.ValidateExpectations(comp.Expect.Failures); err != nil {
		return usageErr("%v", err)
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
	// Each generation of components has its own scenarios.
	if list = check.ForStrategy(list, comp.Strategy); len(list) == 0 {
		if comp.Strategy == harness.StrategyPlatformSecrets {
			return usageErr("none of the scenarios selected is a Secrets-mode scenario (label secrets), which strategy %s needs", comp.Strategy)
		}
		return usageErr("the scenarios selected are all Secrets-mode scenarios (label secrets); pass --strategy %s to judge a component whose tokens the platform refreshes", harness.StrategyPlatformSecrets)
	}
	plan, err := check.Select(list, filter)
	if err != nil {
		return usageErr("--label-filter %q selects no rule on any scenario", labelFilter)
	}
	strict := o.strict || comp.Strict

	// The human summary goes to stdout unless a report does.
	out := s.out
	if o.anyToStdout() {
		out = s.err
	}
	if comp.ProviderFrom != "" {
		fmt.Fprintf(s.err, "provider %s: %s\n", comp.Provider, comp.ProviderFrom)
	}
	prog := newProgress(s.err, plan.Scenarios)
	if hint := check.StrategyHint(comp); hint != "" {
		fmt.Fprintln(s.err, hint)
	}
	fmt.Fprintf(s.err, "checking %s (%s, strategy %s) with %s\n", comp.Name, comp.Function, comp.Strategy, plural(len(plan.Scenarios), comp.Provider+" scenario", comp.Provider+" scenarios"))
	rec, err := check.Run(ctx, check.Options{
		Component: comp, Scenarios: plan.Scenarios, Filter: filter, Skip: o.skip, Strict: strict,
		Runner: harness.Runner{Reveal: o.reveal, Parallel: o.parallel}, Progress: func(_, _ int, res harness.Result) { prog.done(res) },
		Tool: "refreshproof " + Version(),
	})
	prog.finish()
	if err != nil {
		if ctx.Err() != nil {
			return usageErr("interrupted")
		}
		return usageErr("%v", err)
	}
	printSummary(out, rec, o.verbose)
	if err := writeReports(s.out, rec, o.junit, o.jsonOut, o.markdown, o.htmlO); err != nil {
		return err
	}
	return exitFor(s, rec)
}

// exitFor prints why a run did not pass and returns its exit status, as
// reports.ExitCode decides it for check and report alike.
func exitFor(s *streams, rec reports.Record) error {
	sum := reports.Summarize(rec)
	// A component that cannot start fails every scenario the same way:
	// say it once, with the scenarios it stopped.
	byError := map[string][]string{}
	var order []string
	for _, e := range rec.Errors {
		if len(byError[e.Error]) == 0 {
			order = append(order, e.Error)
		}
		byError[e.Error] = append(byError[e.Error], e.Scenario)
	}
	for _, msg := range order {
		sc := byError[msg]
		who := "scenario " + sc[0]
		if len(sc) > 1 {
			who = plural(len(sc), "scenario", "scenarios") + " (" + strings.Join(sc, ", ") + ")"
		}
		fmt.Fprintf(s.err, "%s could not run: %s\n", who, msg)
	}
	switch reports.ExitCode(rec) {
	case ExitFailed:
		// The headline is already printed with the summary.
		return &exitError{code: ExitFailed, err: errors.New("")}
	case ExitUsage:
		if sum.Verdict == reports.VerdictNotExercised {
			return usageErr("no scenario exercised the component: check --provider, --action and the message body (--body), and the blocked hosts above")
		}
		if sum.Errors == 1 {
			return usageErr("%s; fix what stopped it, then run again", sum.Headline())
		}
		return usageErr("%s; fix what stopped them, then run again", sum.Headline())
	}
	return nil
}

// validate rejects report flags that cannot all be honoured.
func (o *checkOpts) validate() error {
	n := 0
	for _, p := range []string{o.junit, o.jsonOut, o.markdown, o.htmlO} {
		if p == "-" {
			n++
		}
	}
	if n > 1 {
		return usageErr("only one report can be written to stdout (-)")
	}
	return nil
}

func (o *checkOpts) anyToStdout() bool {
	return o.junit == "-" || o.jsonOut == "-" || o.markdown == "-" || o.htmlO == "-"
}

func (o *checkOpts) componentFrom(dir, file string) (*harness.Component, error) {
	c, err := harness.LoadComponentFile(dir, file)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return o.applyFlags(c)
}
