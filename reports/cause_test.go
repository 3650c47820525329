package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// causeRecord has a root cause (R10) with a consequence (R06), a rule
// that failed only as a consequence, and a warning (R18).
func causeRecord() Record {
	rec := sampleRecord()
	rec.Errors = nil
	rec.Results = []Result{
		{RuleID: "R02", Scenario: "salesforce/rotation", Status: Passed},
		{RuleID: "R06", Scenario: "salesforce/rotation", Status: Failed, CausedBy: "R07", Cause: "presented rotated-out RT#1 at #6",
			Summary: "the stored refresh token RT#2 is revoked", Message: "[R06] credentials-survive failed on salesforce/rotation, as a consequence of R07"},
		{RuleID: "R07", Scenario: "salesforce/rotation", Status: Failed, Evidence: []int64{2, 6}, Summary: "presented rotated-out RT#1 at #6", Message: r07Message},
		{RuleID: "R17", Scenario: "salesforce/expired-access-token", Status: Warned, Summary: "message m1 was cut short by the time limit",
			Message: "[R17] refresh-before-expiry warned on salesforce/expired-access-token\n\nno client timeout", Warnings: []string{"no client timeout"}},
	}
	return rec
}

func TestRootCauseReports(t *testing.T) {
	rec := causeRecord()
	sum := Summarize(rec)
	if sum.FailedRules != 2 || sum.PrimaryRules != 1 || sum.WarnedRules != 1 || ExitCode(rec) != 1 {
		t.Fatalf("summary %+v, exit %d", sum, ExitCode(rec))
	}
	if h := sum.Headline(); !strings.Contains(h, "2 of 5 rules failed, 1 of them only as a consequence of another; 1 rule warned") {
		t.Errorf("headline %q", h)
	}

	var md bytes.Buffer
	if err := WriteMarkdown(&md, rec); err != nil {
		t.Fatal(err)
	}
	m := md.String()
	r07 := strings.Index(m, "### ❌ \\[R07\\]")
	cons := strings.Index(m, "- consequence: ❌ fails **\\[R06\\] credentials-survive** on salesforce/rotation")
	if r07 < 0 || cons < r07 || strings.Contains(m, "### ❌ \\[R06\\]") {
		t.Errorf("Markdown does not show R06 under its cause R07:\n%s", m)
	}
	if !strings.Contains(m, "## Warnings") || !strings.Contains(m, "### 🟡 \\[R17\\]") || !strings.Contains(m, "| 0 | 1 (1 as a consequence) | 0 |") {
		t.Errorf("Markdown lacks the warning or the consequence count:\n%s", m)
	}

	var ju bytes.Buffer
	if err := WriteJUnit(&ju, rec); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(ju.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Suites[0].Name != "[R07] uses-rotated-refresh-token" || doc.Suites[1].Name != "[R06] credentials-survive" {
		t.Errorf("JUnit suites do not start with the root cause, then its consequence: %s, %s", doc.Suites[0].Name, doc.Suites[1].Name)
	}
	prop := func(s junitSuite, name string) string {
		for _, p := range s.Properties {
			if p.Name == name {
				return p.Value
			}
		}
		return ""
	}
	if got := prop(doc.Suites[1], "causedBy"); got != "salesforce/rotation: R07" {
		t.Errorf("R06 causedBy property %q", got)
	}
	for _, s := range doc.Suites {
		if s.Name != "[R17] refresh-before-expiry" {
			continue
		}
		if prop(s, "warnings") != "1" || s.Failures != 0 {
			t.Errorf("R17 suite: warnings %q, failures %d", prop(s, "warnings"), s.Failures)
		}
		for _, c := range s.Cases {
			if strings.Contains(c.Name, "expired-access-token") && (c.SystemOut == nil || !strings.HasPrefix(c.SystemOut.Text, "WARNING: ")) {
				t.Errorf("the warning is not in system-out: %+v", c.SystemOut)
			}
		}
	}

	var h bytes.Buffer
	if err := WriteHTML(&h, rec); err != nil {
		t.Fatal(err)
	}
	if s := h.String(); !strings.Contains(s, `<ul class="consequences"><li>consequence: <span class="status-failed">✗ [R06] credentials-survive</span> fails too`) || !strings.Contains(s, `<section id="warnings">`) {
		t.Errorf("HTML lacks the consequence under its cause or the warnings section")
	}
}
