package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"

	"github.com/refreshproof/refreshproof/harness"
)

//go:embed report.html.tmpl
var htmlSource string

// htmlTemplate is parsed on first use: every command pays a package's
// initialisation at start, and only report writing needs the template.
var htmlTemplate = sync.OnceValue(func() *template.Template { return template.Must(template.New("report").Parse(htmlSource)) })

type htmlView struct {
	Title, Headline, Verdict string
	Facts                    []htmlFact
	Totals                   Counts
	Rules                    []htmlRule
	Errors                   []ScenarioError
	Failures                 []htmlResult // root causes, each with its consequences
	Warnings                 []htmlResult
	Others                   []htmlResult
	Scenarios                []htmlScenario
}

type htmlFact struct{ Name, Value string }

// htmlMark is a status as a symbol that common text fonts have: the
// emoji of the Markdown report need an emoji font, which a CI machine or
// an old phone may lack.
var htmlMark = map[Status]string{
	Passed:          "✓",
	Failed:          "✗",
	Warned:          "▲",
	Skipped:         "–",
	ExpectedFailure: "⚠",
	UnexpectedPass:  "!",
}

type htmlRule struct {
	RuleSummary
	Emoji string
}

type htmlResult struct {
	Result
	Rule          RuleInfo
	Anchor, Emoji string
	Note          string
	Rows          []htmlRow
	OmittedAfter  int
	// Consequences are the failures and warnings of the same scenario
	// that follow from this one.
	Consequences []htmlResult
}

type htmlRow struct {
	step
	// Header, when set, makes the row a message separator.
	Header      string
	StatusClass string
	Arrow       string
	Offset      string
	Clock       string
}

type htmlScenario struct {
	Name, Anchor, Description, Source string
	Counts                            Counts
	Results                           []htmlResult
	Rows                              []htmlRow
	Exchanges                         int
}

// WriteHTML writes rec as one self-contained HTML page (inline CSS, no
// script, no external resources) that reads on a laptop and a phone: the
// verdict and the run's facts, the rules table, each failure with its
// message and the timeline of the exchanges involved, and a collapsible
// section per scenario with all its exchanges.
func WriteHTML(w io.Writer, rec Record) error {
	if err := htmlTemplate().Execute(w, newHTMLView(&rec)); err != nil {
		return fmt.Errorf("reports: writing HTML: %w", err)
	}
	return nil
}

func newHTMLView(rec *Record) htmlView {
	sum := Summarize(*rec)
	c := rec.Component
	v := htmlView{
		Title:    fmt.Sprintf("refreshproof %s: %s", strings.ToUpper(string(sum.Verdict)), orDash(c.Name)),
		Headline: sum.Headline(),
		Verdict:  string(sum.Verdict),
		Totals:   sum.Totals,
		Errors:   append(append([]ScenarioError(nil), rec.Errors...), notExercised(rec.NotExercised)...),
	}
	name := c.Name
	if c.Version != "" {
		name += " " + c.Version
	}
	for _, f := range []htmlFact{
		{"Component", name}, {"Function", c.Function}, {"Provider", c.Provider}, {"Strategy", string(c.Strategy)},
		{"Sailor", c.SailorVersion}, {"Directory", c.Dir}, {"Tool", rec.Tool},
		{"Started", rec.Started.UTC().Format("2006-01-02 15:04:05 UTC")}, {"Duration", rec.Duration.Round(1e6).String()},
		{"Scenarios", fmt.Sprintf("%d ran, %d could not run", sum.Scenarios, sum.Errors)},
	} {
		if f.Value != "" {
			v.Facts = append(v.Facts, f)
		}
	}
	for _, rs := range sum.Rules {
		v.Rules = append(v.Rules, htmlRule{rs, htmlMark[rs.Status]})
	}
	for i, res := range rec.Results {
		hr := htmlResult{Result: res, Rule: ruleOf(rec, res.RuleID), Emoji: htmlMark[res.Status],
			Anchor: fmt.Sprintf("result-%d-%s", i+1, anchor(res.RuleID+"-"+res.Scenario))}
		switch res.Status {
		case Failed, Warned:
			if res.CausedBy != "" {
				continue // shown under its cause
			}
			if tr := traceOf(rec, res.Scenario); tr != nil && len(res.Evidence) > 0 {
				rows, after := limit(timeline(tr, res.Evidence, involved(tr, res.Evidence)), 4*maxRows)
				hr.Rows, hr.OmittedAfter = htmlRows(tr, rows), after
			}
			for _, c := range consequencesOf(rec, res) {
				hr.Consequences = append(hr.Consequences, htmlResult{Result: c, Rule: ruleOf(rec, c.RuleID), Emoji: htmlMark[c.Status]})
			}
			if res.Status == Warned {
				v.Warnings = append(v.Warnings, hr)
				continue
			}
			v.Failures = append(v.Failures, hr)
		case ExpectedFailure:
			hr.Note = "failed as expected: " + res.Reason
			v.Others = append(v.Others, hr)
		case UnexpectedPass:
			hr.Note = "expected to fail (" + res.Reason + ") but passed: remove the expectation from refreshproof.yaml"
			v.Others = append(v.Others, hr)
		}
	}
	for i := range rec.Traces {
		tr := &rec.Traces[i]
		sc := htmlScenario{Name: tr.Scenario.Ref(), Anchor: "scenario-" + anchor(tr.Scenario.Ref()), Description: tr.Scenario.Description,
			Source: tr.Scenario.Source, Exchanges: exchangeCount(tr)}
		var evidence []int64
		for j, res := range rec.Results {
			if res.Scenario == tr.Scenario.Ref() {
				if res.Status == Failed {
					evidence = append(evidence, res.Evidence...)
				}
				sc.Counts.add(res.Status)
				hr := htmlResult{Result: res, Rule: ruleOf(rec, res.RuleID), Emoji: htmlMark[res.Status]}
				if res.Status == Failed {
					hr.Anchor = fmt.Sprintf("result-%d-%s", j+1, anchor(res.RuleID+"-"+res.Scenario))
				}
				sc.Results = append(sc.Results, hr)
			}
		}
		sc.Rows = htmlRows(tr, timeline(tr, evidence, nil))
		v.Scenarios = append(v.Scenarios, sc)
	}
	return v
}

// htmlRows turns timeline rows into table rows, with a separator row
// where a message starts.
func htmlRows(tr *harness.Trace, rows []step) []htmlRow {
	var out []htmlRow
	msg := -2
	for _, r := range rows {
		if r.Message != msg {
			msg = r.Message
			out = append(out, htmlRow{Header: messageHeader(tr, r.Message)})
		}
		h := htmlRow{step: r, Offset: "+" + seconds(r.Offset) + "s", Clock: r.Time.UTC().Format("15:04:05.000")}
		switch {
		case r.Event == "error":
			h.Arrow, h.StatusClass = "Component ⇢ Platform", "bad"
		case r.Event != "":
			h.Arrow = "Component ⇢ Platform"
		default:
			h.Arrow = "Component → " + r.Party
			switch {
			case r.Status == "dropped" || strings.HasPrefix(r.Status, "4") || strings.HasPrefix(r.Status, "5"):
				h.StatusClass = "bad"
			case strings.HasPrefix(r.Status, "2"):
				h.StatusClass = "good"
			}
		}
		out = append(out, h)
	}
	return out
}

func messageHeader(tr *harness.Trace, index int) string {
	if index < 0 {
		return "outside a message"
	}
	for _, m := range tr.Messages {
		if m.Index == index {
			s := fmt.Sprintf("message %d", index+1)
			if m.Label != "" {
				s += " (" + m.Label + ")"
			}
			s += fmt.Sprintf(", container %d: %s", m.Container+1, m.Outcome)
			if m.Detail != "" {
				s += ": " + firstLine(m.Detail)
			}
			return s
		}
	}
	return fmt.Sprintf("message %d", index+1)
}

// anchor makes s usable as an HTML id.
func anchor(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
}

// notExercised shows scenarios that judged nothing with the scenarios that
// could not run: neither is a pass.
func notExercised(list []ScenarioError) []ScenarioError {
	out := make([]ScenarioError, len(list))
	for i, se := range list {
		out[i] = ScenarioError{Scenario: se.Scenario + " (did not exercise the component)", Error: se.Error}
	}
	return out
}

// exchangeCount is the number of exchanges the scenario made: the
// journal's exact count, which outlives eviction and the record's
// compaction.
func exchangeCount(tr *harness.Trace) int {
	if n := int(tr.Counts.Total); n > len(tr.Journal) {
		return n
	}
	return len(tr.Journal)
}
