package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/reports"
	"github.com/refreshproof/refreshproof/suites"
)

func newRulesCmd(s *streams) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "rules [ID|NAME...]",
		Short: "Print the rules with an explanation and a fix for each",
		Long: `rules prints the conformance catalogue: each rule's stable ID and name, what a
conforming component does, the strategies it applies to, why it matters, how
to fix a failure, and where the requirement comes from.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			list := suites.Rules()
			if len(args) > 0 {
				list = nil
				for _, a := range args {
					r, ok := suites.Lookup(a)
					if !ok {
						return usageErr("no rule %q (IDs are R01 to R%02d)", a, len(suites.Rules()))
					}
					list = append(list, r)
				}
			}
			switch output {
			case "json":
				// Every rule lists its strategies, so that a reader of the
				// JSON need not know that none means all.
				out := make([]suites.Rule, len(list))
				for i, r := range list {
					if len(r.Strategies) == 0 {
						r.Strategies = append([]harness.Strategy(nil), harness.Strategies...)
					}
					out[i] = r
				}
				b, _ := json.MarshalIndent(out, "", "  ")
				fmt.Fprintf(s.out, "%s\n", b)
			case "text":
				for i, r := range list {
					if i > 0 {
						fmt.Fprintln(s.out)
					}
					strategies := "all strategies"
					if len(r.Strategies) > 0 {
						var ss []string
						for _, x := range r.Strategies {
							ss = append(ss, string(x))
						}
						strategies = strings.Join(ss, ", ")
					}
					fmt.Fprintf(s.out, "%s\n  %s (%s)\n  Why: %s\n  Fix: %s\n  Sources: %s\n  Doc: %s\n",
						r.Title(), r.Requirement, strategies, r.Explanation, r.Fix, strings.Join(r.Sources, "; "), r.DocURL())
				}
			default:
				return usageErr("--output must be text or json, not %q", output)
			}
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return c
}

func newReportCmd(s *streams) *cobra.Command {
	var from []string
	var junit, jsonOut, markdown, html string
	var verbose bool
	c := &cobra.Command{
		Use:   "report --from run.json [--from more.json...] [--junit-report F] [--json-report F] [--markdown-report F] [--html-report F]",
		Short: "Render saved runs again, merging several (CI shards)",
		Long: `report reads run records written by "check --json-report", merges them when
there are several (the shards of one run must come from the same component and
tool), prints the summary check printed (to stderr when a report goes to
stdout), and writes the reports asked for ("-" is stdout). It exits as check
would have: 1 when the merged run has a failed rule, 2 when no rule failed but
a scenario could not run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(from) == 0 {
				return usageErr("--from is required: a run record written by `refreshproof check --json-report FILE`")
			}
			out, toStdout := s.out, 0
			for _, p := range []string{junit, jsonOut, markdown, html} {
				if p == "-" {
					out = s.err
					toStdout++
				}
			}
			if toStdout > 1 {
				return usageErr("only one report can be written to stdout (-)")
			}
			var recs []reports.Record
			for _, f := range from {
				fh, err := os.Open(f)
				if err != nil {
					return usageErr("--from: %v", err)
				}
				rec, err := reports.ReadRecord(fh)
				fh.Close()
				if err != nil {
					return usageErr("%s: %v", f, err)
				}
				recs = append(recs, rec)
			}
			rec, err := reports.Merge(recs...)
			if err != nil {
				return usageErr("%v", err)
			}
			printSummary(out, rec, verbose)
			if err := writeReports(s.out, rec, junit, jsonOut, markdown, html); err != nil {
				return err
			}
			return exitFor(s, rec)
		},
	}
	f := c.Flags()
	f.StringSliceVar(&from, "from", nil, "run record(s) to render (repeat or comma-separate to merge)")
	f.StringVar(&junit, "junit-report", "", "write a JUnit XML report to FILE")
	f.StringVar(&jsonOut, "json-report", "", "write the merged run record to FILE")
	f.StringVar(&markdown, "markdown-report", "", "write a Markdown summary to FILE")
	f.StringVar(&html, "html-report", "", "write a self-contained HTML report to FILE")
	f.BoolVarP(&verbose, "verbose", "v", false, "show every failure and warning in full, with the exchanges of its scenario")
	return c
}
