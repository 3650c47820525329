package reports_test

import (
	"fmt"
	"os"
	"time"

	"github.com/refreshproof/refreshproof/reports"
)

func Example() {
	rec := reports.Record{
		Version:   reports.RecordVersion,
		Tool:      "refreshproof v0.1.0",
		Started:   time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC),
		Component: reports.Component{Name: "my-component", Function: "query", Provider: "salesforce", Strategy: "on-401"},
		Rules:     []reports.RuleInfo{{ID: "R02", Name: "refresh-once-on-401"}},
		Results: []reports.Result{
			{RuleID: "R02", Scenario: "salesforce/expired-access-token", Status: reports.Failed,
				Message: "refreshed 3 times after one 401; a conforming component refreshes once"},
		},
	}
	fmt.Println(reports.Summarize(rec).Headline())
	fmt.Println("exit code", reports.ExitCode(rec))
	if err := reports.WriteMarkdown(os.Stdout, rec); err != nil {
		fmt.Println(err)
	}
	// Output:
	// FAILED: 1 of 1 rule failed (1 scenario)
	// exit code 1
	// # ❌ refreshproof: FAILED: 1 of 1 rule failed (1 scenario)
	//
	// Component **my-component**, function `query`, provider **salesforce**, strategy **on-401**. refreshproof v0.1.0, started 2026-03-14 09:00:00 UTC, took 0s.
	//
	// 0 passed, 1 failed, 0 warned, 0 skipped, 0 expected failures, 0 unexpected passes.
	//
	// | | Rule | Name | Passed | Failed | Warned | Skipped |
	// |---|---|---|--:|--:|--:|--:|
	// | ❌ | R02 | refresh-once-on-401 | 0 | 1 | 0 | 0 |
	//
	// ## Failures
	//
	// ### ❌ \[R02\] refresh-once-on-401 on salesforce/expired-access-token
	//
	// ```text
	// refreshed 3 times after one 401; a conforming component refreshes once
	// ```
}

func ExampleMerge() {
	shard := func(scenario string, status reports.Status) reports.Record {
		return reports.Record{Version: reports.RecordVersion, Tool: "refreshproof v0.1.0",
			Component: reports.Component{Name: "c", Provider: "microsoft", Strategy: "on-401"},
			Results:   []reports.Result{{RuleID: "R01", Scenario: scenario, Status: status}}}
	}
	merged, err := reports.Merge(shard("microsoft/expired-access-token", reports.Passed), shard("microsoft/rotation", reports.Failed))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v\n", reports.Summarize(merged).Totals)
	// Output:
	// {Passed:1 Failed:1 Warned:0 Skipped:0 ExpectedFailures:0 UnexpectedPasses:0}
}
