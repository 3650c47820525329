package reports

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestJSONGolden(t *testing.T) {
	got := render(t, func(b *bytes.Buffer) error { return sampleRecord().WriteJSON(b) })
	golden(t, "record.json.golden", got)
}

func TestJSONRoundTrip(t *testing.T) {
	want := sampleRecord()
	var b bytes.Buffer
	if err := want.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRecord(&b)
	if err != nil {
		t.Fatal(err)
	}
	// Indenting reformats embedded raw JSON, so raw values compare as
	// JSON; a second round trip must be byte for byte.
	if diff := cmp.Diff(want, got, sameJSON); diff != "" {
		t.Errorf("ReadRecord(WriteJSON(r)) differs from r (-want +got):\n%s", diff)
	}
	var again bytes.Buffer
	if err := want.WriteJSON(&again); err != nil {
		t.Fatal(err)
	}
	first := again.String()
	again.Reset()
	if err := got.WriteJSON(&again); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again.String()); diff != "" {
		t.Errorf("WriteJSON(ReadRecord(WriteJSON(r))) differs from WriteJSON(r):\n%s", diff)
	}
}

var sameJSON = cmp.Comparer(func(a, b json.RawMessage) bool {
	var x, y any
	if len(a) == 0 {
		a = json.RawMessage("null")
	}
	if len(b) == 0 {
		b = json.RawMessage("null")
	}
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
})

func TestReadRecordErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"not JSON", `<testsuites/>`, "reading run record"},
		{"no version", `{"tool":"x"}`, "not a run record"},
		{"newer", `{"version":2,"tool":"refreshproof v9"}`, "newer refreshproof (refreshproof v9)"},
		{"two records", `{"version":1,"tool":"a"} {"version":1,"tool":"b"}`, "more than one JSON value"},
		{"trailing garbage", `{"version":1,"tool":"a"}}`, "more than one JSON value"},
		{"unknown status", `{"version":1,"results":[{"ruleId":"R01","scenario":"s","status":"flaky"}]}`, `unknown status "flaky"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadRecord(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadRecord(%s) = %v, want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestReadRecordIgnoresNewFields(t *testing.T) {
	rec, err := ReadRecord(strings.NewReader(`{"version":1,"tool":"t","later":true,"results":[{"ruleId":"R01","scenario":"s","status":"passed","extra":1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Results) != 1 {
		t.Errorf("results = %v", rec.Results)
	}
}

// shard splits the sample into the records of two CI shards, one
// scenario each.
func shard(rec Record, scenario string, start time.Time, d time.Duration) Record {
	out := rec
	out.Started, out.Duration = start, d
	out.Results, out.Traces, out.Errors = nil, nil, nil
	for _, r := range rec.Results {
		if r.Scenario == scenario {
			out.Results = append(out.Results, r)
		}
	}
	for _, tr := range rec.Traces {
		if tr.Scenario.Ref() == scenario {
			out.Traces = append(out.Traces, tr)
		}
	}
	return out
}

func TestMerge(t *testing.T) {
	full := sampleRecord()
	a := shard(full, "salesforce/rotation", t0.Add(time.Second), 2*time.Second)
	a.Errors = full.Errors
	b := shard(full, "salesforce/expired-access-token", t0, time.Second)
	b.Component.Dir = "/builds/other-runner/examples/sf-query-on401"
	b.Rules = b.Rules[:2]

	got, err := Merge(a, b, a) // a twice: a shard's record passed twice is kept once
	if err != nil {
		t.Fatal(err)
	}
	if !got.Started.Equal(t0) || got.Duration != 3*time.Second {
		t.Errorf("merged run: started %v, lasted %v; want %v and 3s", got.Started, got.Duration, t0)
	}
	if got.Component.Dir != a.Component.Dir {
		t.Errorf("Dir = %q, want the first record's", got.Component.Dir)
	}
	if diff := cmp.Diff(full.Rules, got.Rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	want := append(shard(full, "salesforce/rotation", t0, 0).Results, shard(full, "salesforce/expired-access-token", t0, 0).Results...)
	if diff := cmp.Diff(want, got.Results); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	var names []string
	for _, tr := range got.Traces {
		names = append(names, tr.Scenario.Ref())
	}
	if diff := cmp.Diff([]string{"salesforce/rotation", "salesforce/expired-access-token"}, names); diff != "" {
		t.Errorf("traces (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(full.Errors, got.Errors); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if s := Summarize(got); s.Totals != Summarize(full).Totals {
		t.Errorf("merged totals %+v, want %+v", s.Totals, Summarize(full).Totals)
	}
}

func TestMergeErrors(t *testing.T) {
	full := sampleRecord()
	for _, tc := range []struct {
		name   string
		change func(*Record)
		want   string
	}{
		{"other component", func(r *Record) { r.Component.Version = "1.0.1" }, "merge records of one component"},
		{"other strategy", func(r *Record) { r.Component.Strategy = "every-call" }, "merge records of one component"},
		{"other tool", func(r *Record) { r.Tool = "refreshproof v0.2.0" }, "merge records of one run"},
		{"rule renamed", func(r *Record) { r.Rules[0].Name = "refresh-twice" }, `rule R02 is "refresh-twice"`},
		{"different verdict", func(r *Record) { r.Results[0].Status = Failed }, "scenario salesforce/rotation has different results in records 1 and 2"},
		{"newer", func(r *Record) { r.Version = 2 }, "record 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other := sampleRecord()
			tc.change(&other)
			_, err := Merge(full, other)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Merge = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := Merge(); err == nil {
		t.Error("Merge() with no records: no error")
	}
}

func TestSummarizeAndExitCode(t *testing.T) {
	res := func(st ...Status) Record {
		r := Record{Version: 1, Rules: []RuleInfo{{ID: "R01", Name: "no-refresh-while-valid"}}}
		for i, s := range st {
			r.Results = append(r.Results, Result{RuleID: "R01", Scenario: string(rune('a' + i)), Status: s})
		}
		return r
	}
	withError := res(Passed)
	withError.Errors = []ScenarioError{{Scenario: "x", Error: "boom"}}
	failedAndError := res(Failed)
	failedAndError.Errors = withError.Errors
	for _, tc := range []struct {
		name     string
		rec      Record
		rule     Status
		verdict  Verdict
		exit     int
		headline string
	}{
		{"all passed", res(Passed, Passed), Passed, VerdictPassed, 0, "PASSED: no rule failed (2 scenarios)"},
		{"one failed", res(Passed, Failed), Failed, VerdictFailed, 1, "FAILED: 1 of 1 rule failed (2 scenarios)"},
		{"only skipped", res(Skipped), Skipped, VerdictPassed, 0, "PASSED: no rule failed (1 scenario)"},
		{"no results", res(), Skipped, VerdictPassed, 0, "PASSED: no rule failed (0 scenarios)"},
		{"expected failure", res(Passed, ExpectedFailure), ExpectedFailure, VerdictPassed, 0, "PASSED: no rule failed (2 scenarios)"},
		{"unexpected pass does not fail", res(UnexpectedPass), UnexpectedPass, VerdictPassed, 0, "PASSED: no rule failed (1 scenario)"},
		{"scenario error", withError, Passed, VerdictIncomplete, 2, "INCOMPLETE: no rule failed, but 1 scenario could not run (1 scenario)"},
		{"failure beats error", failedAndError, Failed, VerdictFailed, 1, "FAILED: 1 of 1 rule failed (1 scenario, 1 could not run)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Summarize(tc.rec)
			if s.Rules[0].Status != tc.rule || s.Verdict != tc.verdict || ExitCode(tc.rec) != tc.exit || s.Headline() != tc.headline {
				t.Errorf("rule %s, verdict %s, exit %d, headline %q; want %s, %s, %d, %q",
					s.Rules[0].Status, s.Verdict, ExitCode(tc.rec), s.Headline(), tc.rule, tc.verdict, tc.exit, tc.headline)
			}
		})
	}
}

func TestSummarizeUnknownRule(t *testing.T) {
	s := Summarize(Record{Results: []Result{{RuleID: "R99", Scenario: "s", Status: Failed}}})
	if len(s.Rules) != 1 || s.Rules[0].Rule.ID != "R99" || s.Rules[0].Counts.Failed != 1 {
		t.Errorf("rules = %+v", s.Rules)
	}
}

func TestSampleSummary(t *testing.T) {
	s := Summarize(sampleRecord())
	want := Counts{Passed: 3, Failed: 1, Skipped: 3, ExpectedFailures: 1, UnexpectedPasses: 1}
	if s.Totals != want || s.FailedRules != 1 || s.Scenarios != 2 || s.Errors != 1 || ExitCode(sampleRecord()) != 1 {
		t.Errorf("summary = %+v", s)
	}
}
