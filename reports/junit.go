package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// JUnit structure. One <testsuite> per rule, one <testcase> per rule and
// scenario. Grouping by rule rather than by scenario because the rule is
// what the gate is about and what stays stable across runs: Jenkins shows
// classname as package and class ("refreshproof.salesforce" >
// "R05-entire-update-keys"), GitLab lists the classname as the test's
// suite next to its name, and the GitHub actions that read JUnit
// (test-reporter, action-junit-report) group by <testsuite>; in all three a
// failing rule is then one group holding the scenarios it failed on.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	ID         int             `xml:"id,attr"`
	Package    string          `xml:"package,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitProblem `xml:"skipped"`
	SystemOut *cdata        `xml:"system-out"`
}

// cdata is text written as CDATA, so that multi-line messages stay
// readable in the file.
type cdata struct {
	Text string `xml:",cdata"`
}

func newCDATA(s string) *cdata {
	if s == "" {
		return nil
	}
	return &cdata{xmlText(s)}
}

type junitProblem struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

// xmlText replaces the characters XML 1.0 cannot carry (most control
// characters, unpaired surrogates) with U+FFFD: a component's output may
// hold anything.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}

// WriteJUnit writes rec as JUnit XML in the Ant format that Jenkins,
// GitLab and GitHub's JUnit actions read (see package doc).
func WriteJUnit(w io.Writer, rec Record) error {
	sum := Summarize(rec)
	pkg := "refreshproof." + classPart(orDash(rec.Component.Provider))
	props := junitProperties(rec)
	stamp := rec.Started.UTC().Format("2006-01-02T15:04:05")
	share := caseTimes(rec)

	doc := junitSuites{Name: "refreshproof " + describe(rec.Component), Time: seconds(rec.Duration)}
	// Root causes first: the rules that failed on their own, then those
	// that failed only as a consequence of another, then the rest.
	rank := func(rs RuleSummary) int {
		switch {
		case rs.Status == Failed && rs.Primaries > 0:
			return 0
		case rs.Status == Failed:
			return 1
		}
		return 2
	}
	rules := slices.Clone(sum.Rules)
	slices.SortStableFunc(rules, func(a, b RuleSummary) int { return rank(a) - rank(b) })
	for _, rs := range rules {
		suite := junitSuite{Name: rs.Rule.Title(), Timestamp: stamp, ID: len(doc.Suites), Package: pkg, Properties: slices.Clone(props)}
		if rs.Counts.Warned > 0 {
			suite.Properties = append(suite.Properties, junitProperty{"warnings", fmt.Sprint(rs.Counts.Warned)})
		}
		var causes []string
		for _, res := range rec.Results {
			if res.RuleID == rs.Rule.ID && res.CausedBy != "" && (res.Status == Failed || res.Status == Warned) {
				causes = append(causes, res.Scenario+": "+res.CausedBy)
			}
		}
		if len(causes) > 0 {
			// A consequence still fails its rule; this says which failure
			// it follows from, so a reader fixes that one.
			suite.Properties = append(suite.Properties, junitProperty{"causedBy", strings.Join(causes, "; ")})
		}
		class := pkg + "." + classPart(rs.Rule.ID+"-"+rs.Rule.Name)
		var d time.Duration
		for _, res := range rec.Results {
			if res.RuleID != rs.Rule.ID {
				continue
			}
			c := junitCase{Name: rs.Rule.Title() + " (" + res.Scenario + ")", Classname: class, Time: seconds(share[res.Scenario])}
			d += share[res.Scenario]
			var out []string
			switch res.Status {
			case Failed:
				c.Failure = &junitProblem{Message: firstLine(res.Message), Type: res.RuleID, Text: xmlText(failureText(&rec, res))}
				suite.Failures++
			case Skipped:
				c.Skipped = &junitProblem{Message: res.Reason}
				suite.Skipped++
			case ExpectedFailure:
				c.Skipped = &junitProblem{Message: "expected failure: " + res.Reason, Text: xmlText(failureText(&rec, res))}
				suite.Skipped++
			case UnexpectedPass:
				out = append(out, fmt.Sprintf("expected to fail (%s), but passed: remove the expectation from refreshproof.yaml", res.Reason))
			case Warned:
				// JUnit has no warning; CI systems show system-out, and the
				// GitHub template annotates from the run record.
				out = append(out, "WARNING: "+failureText(&rec, res))
			case Passed:
				// Records made before the warned status carry warnings on
				// passes.
				for _, wn := range res.Warnings {
					out = append(out, "warning: "+wn)
				}
			}
			c.SystemOut = newCDATA(strings.Join(out, "\n"))
			suite.Cases = append(suite.Cases, c)
		}
		if len(suite.Cases) == 0 {
			suite.Cases = append(suite.Cases, junitCase{Name: rs.Rule.Title() + " (no scenario)", Classname: class, Time: seconds(0),
				Skipped: &junitProblem{Message: "no scenario of this run judged the rule"}})
			suite.Skipped++
		}
		suite.Tests, suite.Time = len(suite.Cases), seconds(d)
		doc.Suites = append(doc.Suites, suite)
	}
	if len(rec.Errors) > 0 {
		suite := junitSuite{Name: "scenarios that could not run", Timestamp: stamp, ID: len(doc.Suites), Package: pkg, Properties: props, Time: seconds(0)}
		for _, se := range rec.Errors {
			suite.Cases = append(suite.Cases, junitCase{Name: "[run] " + se.Scenario, Classname: pkg + ".scenarios", Time: seconds(0),
				Error: &junitProblem{Message: firstLine(se.Error), Type: "scenario-error", Text: xmlText(se.Error)}})
		}
		suite.Tests, suite.Errors = len(suite.Cases), len(suite.Cases)
		doc.Suites = append(doc.Suites, suite)
	}
	if len(rec.NotExercised) > 0 {
		suite := junitSuite{Name: "scenarios that did not exercise the component", Timestamp: stamp, ID: len(doc.Suites), Package: pkg, Properties: props, Time: seconds(0)}
		for _, se := range rec.NotExercised {
			suite.Cases = append(suite.Cases, junitCase{Name: "[exercised] " + se.Scenario, Classname: pkg + ".scenarios", Time: seconds(0),
				Skipped: &junitProblem{Message: "not exercised: " + firstLine(se.Error)}})
		}
		suite.Tests, suite.Skipped = len(suite.Cases), len(suite.Cases)
		doc.Suites = append(doc.Suites, suite)
	}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("reports: writing JUnit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("reports: writing JUnit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("reports: writing JUnit: %w", err)
	}
	return nil
}

func junitProperties(rec Record) []junitProperty {
	c := rec.Component
	p := []junitProperty{
		{"provider", c.Provider},
		{"strategy", string(c.Strategy)},
		{"component.name", c.Name},
		{"component.version", c.Version},
		{"component.function", c.Function},
		{"component.dir", c.Dir},
		{"sailor.version", c.SailorVersion},
		{"tool.version", rec.Tool},
		{"record.version", fmt.Sprint(rec.Version)},
	}
	if rec.Strict {
		p = append(p, junitProperty{"strict", "true"})
	}
	out := p[:0]
	for _, x := range p {
		if x.Value != "" {
			out = append(out, x)
		}
	}
	return out
}

// caseTimes gives each scenario's test cases their share of the
// scenario's run time (its duration divided among the rules judged on
// it), so that test case times add up to the time spent running
// scenarios: judging takes no measurable time.
func caseTimes(rec Record) map[string]time.Duration {
	n := map[string]int{}
	for _, res := range rec.Results {
		n[res.Scenario]++
	}
	out := map[string]time.Duration{}
	for _, tr := range rec.Traces {
		if n[tr.Scenario.Ref()] > 0 {
			out[tr.Scenario.Ref()] = tr.Duration / time.Duration(n[tr.Scenario.Ref()])
		}
	}
	return out
}

// classPart makes s usable between the dots of a classname: Jenkins
// splits classnames at dots into package and class.
func classPart(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '.', ' ', '/', '\\':
			return '-'
		}
		return r
	}, s)
}

// failureText is a failure's message followed by its warnings and the
// exchanges involved, evidence marked with '>'.
func failureText(rec *Record, res Result) string {
	var b strings.Builder
	b.WriteString(strings.TrimRight(res.Message, "\n"))
	b.WriteString("\n")
	if res.Reason != "" && res.Status == ExpectedFailure {
		fmt.Fprintf(&b, "\nExpected to fail: %s\n", res.Reason)
	}
	if len(res.Warnings) > 0 && res.Status != Warned {
		b.WriteString("\nWarnings:\n")
		for _, wn := range res.Warnings {
			fmt.Fprintf(&b, "  - %s\n", wn)
		}
	}
	if tr := traceOf(rec, res.Scenario); tr != nil && len(res.Evidence) > 0 {
		rows, after := limit(timeline(tr, res.Evidence, involved(tr, res.Evidence)), maxRows)
		fmt.Fprintf(&b, "\nExchanges (scenario %s; > marks the evidence):\n", res.Scenario)
		for _, r := range rows {
			if r.Omitted > 0 {
				fmt.Fprintf(&b, "    … %d more\n", r.Omitted)
			}
			b.WriteString(plainRow(r))
			b.WriteString("\n")
		}
		if after > 0 {
			fmt.Fprintf(&b, "    … %d more\n", after)
		}
	}
	return b.String()
}

// maxRows bounds the rows of a failure's exchange in JUnit and Markdown,
// and so a Mermaid diagram to about 30 arrows.
const maxRows = 15

// plainRow is a timeline row as one line of text.
func plainRow(r step) string {
	mark := " "
	if r.Evidence {
		mark = ">"
	}
	if r.Event != "" {
		return fmt.Sprintf("  %s      +%ss  Component -> Platform: %s", mark, seconds(r.Offset), r.Text)
	}
	return fmt.Sprintf("  %s #%-3d +%ss  Component -> %s: %s => %s", mark, r.Seq, seconds(r.Offset), r.Party, r.requestLabel(), r.responseLabel())
}
