package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/refreshproof/refreshproof/check"
	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/reports"
	"github.com/refreshproof/refreshproof/scenarios"
)

// printSummary prints the rules table, each root-cause failure with its
// consequences under it, each warning, and the headline.
func printSummary(w io.Writer, rec reports.Record, verbose bool) {
	sum := reports.Summarize(rec)
	if len(rec.Results) == 0 {
		// Nothing ran: the errors say why; an empty table would not.
		fmt.Fprintf(w, "\n%s\n", sum.Headline())
		return
	}
	printRulesTable(w, sum)
	printFindings(w, rec, verbose)
	printExercise(w, rec)
	printLeftovers(w, rec.Traces)
	if n := countStatus(rec, reports.UnexpectedPass); n > 0 {
		fmt.Fprintf(w, "\n%s now passing: remove %s from expect in refreshproof.yaml.\n", plural(n, "expected failure is", "expected failures are"), map[bool]string{true: "it", false: "them"}[n == 1])
	}
	fmt.Fprintf(w, "\n%s\n", sum.Headline())
}

// printExercise lists the scenarios that judged nothing, and every host
// the component was blocked from, which usually says why.
func printExercise(w io.Writer, rec reports.Record) {
	if len(rec.NotExercised) > 0 {
		fmt.Fprintf(w, "\n%s did not exercise the component (nothing was judged there):\n", plural(len(rec.NotExercised), "scenario", "scenarios"))
		for _, n := range rec.NotExercised {
			fmt.Fprintf(w, "  %s: %s\n", n.Scenario, n.Error)
		}
	}
	for _, n := range rec.Notes {
		fmt.Fprintf(w, "\nnote on %s: %s\n", n.Scenario, n.Error)
	}
	blocked := map[string][]string{}
	var order []string
	for _, t := range rec.Traces {
		for _, b := range check.Blocked(t) {
			if len(blocked[b]) == 0 {
				order = append(order, b)
			}
			blocked[b] = append(blocked[b], t.Scenario.Ref())
		}
	}
	for _, b := range order {
		fmt.Fprintf(w, "\nblocked: %s (in %s)\n", b, plural(len(blocked[b]), "scenario", "scenarios"))
	}
}

// printLeftovers warns of the processes a component left running, which
// the harness ended: a fact about the component, not a rule's verdict.
func printLeftovers(w io.Writer, traces []harness.Trace) {
	const show = 3
	for _, t := range traces {
		var left []harness.Leftover
		for _, c := range t.Containers {
			left = append(left, c.Leftovers...)
		}
		if len(left) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nwarning: the component left %s running in %s; refreshproof ended %s:\n", plural(len(left), "process", "processes"), t.Scenario.Ref(), map[bool]string{true: "it", false: "them"}[len(left) == 1])
		for i, l := range left {
			if i == show {
				fmt.Fprintf(w, "  and %d more (the trace's containers list them all)\n", len(left)-show)
				break
			}
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
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

// printRulesTable prints, per rule, how many scenarios passed, failed,
// warned and skipped it.
func printRulesTable(w io.Writer, sum reports.Summary) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tNAME\tRESULT\tPASSED\tFAILED\tWARNED\tSKIPPED")
	for _, rs := range sum.Rules {
		c := rs.Counts
		if c.Total() == 0 {
			continue
		}
		result := "pass"
		switch rs.Status {
		case reports.Failed:
			result = "FAIL"
			if rs.Primaries == 0 {
				result = "FAIL (consequence)"
			}
		case reports.ExpectedFailure:
			result = "expected failure"
		case reports.UnexpectedPass:
			result = "pass (expected to fail)"
		case reports.Warned:
			result = "warn"
		case reports.Skipped:
			result = "skipped"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\n", rs.Rule.ID, rs.Rule.Name, result, c.Passed+c.UnexpectedPasses, c.Failed+c.ExpectedFailures, c.Warned, c.Skipped)
	}
	tw.Flush()
}

// printFindings prints each primary failure once per rule (the other
// scenarios it failed on by name, all of them with verbose), the
// consequences of each under it, then the warnings the same way.
func printFindings(w io.Writer, rec reports.Record, verbose bool) {
	traces := map[string]*harness.Trace{}
	for i := range rec.Traces {
		traces[rec.Traces[i].Scenario.Ref()] = &rec.Traces[i]
	}
	consequences := map[string][]reports.Result{} // scenario + cause → results
	for _, r := range rec.Results {
		if (r.Status == reports.Failed || r.Status == reports.Warned) && r.CausedBy != "" {
			k := r.Scenario + "\x00" + r.CausedBy
			consequences[k] = append(consequences[k], r)
		}
	}
	shown := map[string]bool{}
	section := func(status reports.Status, word string) {
		first := map[string]bool{}
		others := map[string][]string{}
		var order []string
		for _, ri := range rec.Rules {
			for _, r := range rec.Results {
				if r.RuleID != ri.ID || r.Status != status || r.CausedBy != "" {
					continue
				}
				if first[r.RuleID] && !verbose {
					if len(others[r.RuleID]) == 0 {
						order = append(order, r.RuleID)
					}
					others[r.RuleID] = append(others[r.RuleID], r.Scenario)
					continue
				}
				first[r.RuleID] = true
				fmt.Fprintf(w, "\n--- %s %s on %s\n%s\n", word, r.RuleID, r.Scenario, indentText(r.Message, "    "))
				for _, c := range consequences[r.Scenario+"\x00"+r.RuleID] {
					verb := "fails"
					if c.Status == reports.Warned {
						verb = "warns"
					}
					fmt.Fprintf(w, "    Consequence: %s %s %s too (%s); the fix above cures it.\n", c.RuleID, ruleName(rec, c.RuleID), verb, c.Summary)
				}
				if verbose && !shown[r.Scenario] && traces[r.Scenario] != nil {
					shown[r.Scenario] = true
					printExchanges(w, traces[r.Scenario])
				}
			}
		}
		for _, id := range order {
			sc := others[id]
			fmt.Fprintf(w, "\n--- %s %s also on %s: %s (details with --verbose or in the reports)\n", word, id, plural(len(sc), "more scenario", "more scenarios"), strings.Join(sc, ", "))
		}
	}
	section(reports.Failed, "FAIL")
	section(reports.Warned, "WARN")
}

func printExchanges(w io.Writer, t *harness.Trace) {
	fmt.Fprintf(w, "\n    exchanges of %s:\n", t.Scenario.Ref())
	if t.Counts.Evicted > 0 {
		fmt.Fprintf(w, "    (the journal had evicted the oldest %d of %d exchanges)\n", t.Counts.Evicted, t.Counts.Total)
	}
	omitted := 0
	for _, e := range t.Journal {
		for omitted < len(t.Omitted) && (t.Omitted[omitted].What != "journal" || t.Omitted[omitted].To < e.Seq) {
			if o := t.Omitted[omitted]; o.What == "journal" {
				fmt.Fprintf(w, "    … #%d to #%d left out of the record (%d exchanges)\n", o.From, o.To, o.Count)
			}
			omitted++
		}
		who := ""
		if e.Presented != nil && e.Presented.Label != "" {
			who = " with " + e.Presented.Label + " (" + string(e.Presented.State) + ")"
		}
		by := ""
		if e.Caller != "" {
			by = " [by the " + e.Caller + "]"
		}
		fmt.Fprintf(w, "    #%-3d %-8s %s %s%s%s -> %d%s\n", e.Seq, e.Kind, e.Method, e.Host, e.Path, who, e.Status, by)
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

// writeReports writes each report asked for; "-" is stdout.
func writeReports(stdout io.Writer, rec reports.Record, junit, jsonOut, markdown, html string) error {
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
		if out.path == "-" {
			if _, err := stdout.Write(buf.Bytes()); err != nil {
				return usageErr("writing to stdout: %v", err)
			}
			continue
		}
		// Revealed traces hold live secrets: only the user may read them.
		revealed := false
		for _, t := range rec.Traces {
			revealed = revealed || !t.Redacted
		}
		if err := writeOutput(out.path, buf.Bytes(), revealed); err != nil {
			return usageErr("writing %s: %v", out.path, err)
		}
	}
	return nil
}

// progress shows the run: on a terminal one line that updates in place,
// elsewhere (CI) a plain line per scenario, numbered in catalogue order.
type progress struct {
	w     io.Writer
	tty   bool
	index map[*scenarios.Scenario]int
	total int
	start time.Time
}

func newProgress(w io.Writer, list []*scenarios.Scenario) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	p := &progress{w: w, tty: tty, index: map[*scenarios.Scenario]int{}, total: len(list), start: time.Now()}
	for i, sc := range list {
		p.index[sc] = i + 1
	}
	return p
}

func (p *progress) done(res harness.Result) {
	line := fmt.Sprintf("[%d/%d] %s", p.index[res.Scenario], p.total, res.Scenario.Name)
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
		fmt.Fprintf(p.w, "\r\033[K%s in %.1fs\n", plural(p.total, "scenario", "scenarios"), time.Since(p.start).Seconds())
	}
}

// plural is "1 scenario", "3 scenarios".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func ruleName(rec reports.Record, id string) string {
	for _, r := range rec.Rules {
		if r.ID == id {
			return r.Name
		}
	}
	return ""
}
