package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/refreshproof/refreshproof/harness"
)

var statusEmoji = map[Status]string{
	Passed:          "✅",
	Failed:          "❌",
	Warned:          "🟡",
	Skipped:         "⏭️",
	ExpectedFailure: "⚠️",
	UnexpectedPass:  "❗",
}

var verdictEmoji = map[Verdict]string{VerdictPassed: "✅", VerdictFailed: "❌", VerdictIncomplete: "⚠️"}

// WriteMarkdown writes rec as GitHub-flavoured Markdown for a CI job
// summary (GitHub's $GITHUB_STEP_SUMMARY, a GitLab or Jenkins Markdown
// artifact): the verdict, the rules table, and for each failure its message
// and a Mermaid sequence diagram of the exchanges involved.
func WriteMarkdown(w io.Writer, rec Record) error {
	var b strings.Builder
	sum := Summarize(rec)
	c := rec.Component
	fmt.Fprintf(&b, "# %s refreshproof: %s\n\n", verdictEmoji[sum.Verdict], mdText(sum.Headline()))
	fmt.Fprintf(&b, "Component **%s**", mdText(c.Name))
	if c.Version != "" {
		fmt.Fprintf(&b, " %s", mdText(c.Version))
	}
	fmt.Fprintf(&b, ", function `%s`, provider **%s**, strategy **%s**", mdCode(c.Function), mdText(c.Provider), mdText(string(c.Strategy)))
	if c.SailorVersion != "" {
		fmt.Fprintf(&b, ", sailor %s", mdText(c.SailorVersion))
	}
	fmt.Fprintf(&b, ". %s, started %s, took %s.\n\n", mdText(rec.Tool), rec.Started.UTC().Format("2006-01-02 15:04:05 UTC"), rec.Duration.Round(1e6))
	t := sum.Totals
	fmt.Fprintf(&b, "%d passed, %d failed, %d warned, %d skipped, %d %s, %d %s.\n\n", t.Passed, t.Failed, t.Warned, t.Skipped,
		t.ExpectedFailures, plural(t.ExpectedFailures, "expected failure", "expected failures"),
		t.UnexpectedPasses, plural(t.UnexpectedPasses, "unexpected pass", "unexpected passes"))

	b.WriteString("| | Rule | Name | Passed | Failed | Warned | Skipped |\n|---|---|---|--:|--:|--:|--:|\n")
	for _, rs := range sum.Rules {
		name := mdText(rs.Rule.Name)
		if rs.Rule.Doc != "" && name != "" {
			name = "[" + name + "](" + mdURL(rs.Rule.Doc) + ")"
		}
		n := rs.Counts
		skipped := fmt.Sprint(n.Skipped)
		if n.ExpectedFailures > 0 {
			skipped += fmt.Sprintf(" (+%d expected failure%s)", n.ExpectedFailures, map[bool]string{true: "s"}[n.ExpectedFailures > 1])
		}
		passed := fmt.Sprint(n.Passed)
		if n.UnexpectedPasses > 0 {
			passed += fmt.Sprintf(" (+%d unexpected)", n.UnexpectedPasses)
		}
		failed := fmt.Sprint(n.Failed)
		if rs.Consequences > 0 {
			failed += fmt.Sprintf(" (%d as a consequence)", rs.Consequences)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d | %s |\n", statusEmoji[rs.Status], mdText(rs.Rule.ID), name, passed, failed, n.Warned, skipped)
	}
	b.WriteString("\n")

	if len(rec.Errors) > 0 {
		b.WriteString("## ⚠️ Scenarios that could not run\n\n")
		for _, se := range rec.Errors {
			fmt.Fprintf(&b, "- **%s**: %s\n", mdText(se.Scenario), mdText(firstLine(se.Error)))
		}
		b.WriteString("\n")
	}
	if len(rec.Notes) > 0 {
		b.WriteString("## Notes\n\n")
		for _, se := range rec.Notes {
			fmt.Fprintf(&b, "- **%s**: %s\n", mdText(se.Scenario), mdText(firstLine(se.Error)))
		}
		b.WriteString("\n")
	}
	writeLeftovers(&b, rec.Traces)
	if len(rec.NotExercised) > 0 {
		b.WriteString("## ⚠️ Scenarios that did not exercise the component\n\nNothing was judged in these; their rules are skipped, not passed.\n\n")
		for _, se := range rec.NotExercised {
			fmt.Fprintf(&b, "- **%s**: %s\n", mdText(se.Scenario), mdText(firstLine(se.Error)))
		}
		b.WriteString("\n")
	}

	// Root causes with their consequences under them, then warnings.
	for _, sec := range []struct {
		status Status
		title  string
	}{{Failed, "Failures"}, {Warned, "Warnings"}} {
		n := 0
		for _, res := range rec.Results {
			if res.Status != sec.status || res.CausedBy != "" {
				continue
			}
			if n == 0 {
				fmt.Fprintf(&b, "## %s\n\n", sec.title)
			}
			n++
			writeMarkdownResult(&b, &rec, res)
		}
	}
	var others []Result
	for _, res := range rec.Results {
		if res.Status == ExpectedFailure || res.Status == UnexpectedPass {
			others = append(others, res)
		}
	}
	if len(others) > 0 {
		b.WriteString("## Expected failures and unexpected passes\n\n")
		for _, res := range others {
			ri := ruleOf(&rec, res.RuleID)
			fmt.Fprintf(&b, "- %s **%s** on %s", statusEmoji[res.Status], mdText(ri.Title()), mdText(res.Scenario))
			switch res.Status {
			case ExpectedFailure:
				fmt.Fprintf(&b, ": failed as expected (%s)", mdText(res.Reason))
			case UnexpectedPass:
				fmt.Fprintf(&b, ": expected to fail (%s) but passed; remove the expectation from `refreshproof.yaml`", mdText(res.Reason))
			}
			b.WriteString("\n")
			for _, wn := range res.Warnings {
				fmt.Fprintf(&b, "  - warning: %s\n", mdText(wn))
			}
		}
		b.WriteString("\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("reports: writing Markdown: %w", err)
	}
	return nil
}

func writeMarkdownResult(b *strings.Builder, rec *Record, res Result) {
	ri := ruleOf(rec, res.RuleID)
	fmt.Fprintf(b, "### %s %s on %s\n\n", statusEmoji[res.Status], mdText(ri.Title()), mdText(res.Scenario))
	fence := codeFence(res.Message)
	fmt.Fprintf(b, "%stext\n%s\n%s\n\n", fence, strings.TrimRight(res.Message, "\n"), fence)
	if res.Status == Failed {
		for _, wn := range res.Warnings {
			fmt.Fprintf(b, "- warning: %s\n", mdText(firstLine(wn)))
		}
		if len(res.Warnings) > 0 {
			b.WriteString("\n")
		}
	}
	for _, c := range consequencesOf(rec, res) {
		fmt.Fprintf(b, "- consequence: %s %s **%s** on %s: %s (the fix above cures it)\n", statusEmoji[c.Status], map[Status]string{Failed: "fails", Warned: "warns"}[c.Status], mdText(ruleOf(rec, c.RuleID).Title()), mdText(c.Scenario), mdText(c.Summary))
	}
	tr := traceOf(rec, res.Scenario)
	if tr == nil || len(res.Evidence) == 0 {
		return
	}
	rows, after := limit(timeline(tr, res.Evidence, involved(tr, res.Evidence)), maxRows)
	if len(rows) == 0 {
		return
	}
	b.WriteString("```mermaid\n")
	b.WriteString(mermaid(rows, after))
	b.WriteString("```\n\n")
}

// mermaid draws rows as a Mermaid sequenceDiagram: a request and a
// response arrow per exchange, an async arrow per emitted event, the
// evidence on a tinted background, and notes for omitted exchanges.
func mermaid(rows []step, after int) string {
	var b strings.Builder
	b.WriteString("sequenceDiagram\n")
	b.WriteString("    participant C as Component\n    participant T as Token endpoint\n    participant A as API\n    participant P as Platform\n")
	ids := map[string]string{partyToken: "T", partyAPI: "A", partyPlatform: "P"}
	msg := -2
	for _, r := range rows {
		if r.Omitted > 0 {
			fmt.Fprintf(&b, "    Note over C,P: %d more %s\n", r.Omitted, plural(r.Omitted, "row", "rows"))
		}
		if r.Message != msg && r.Message >= 0 {
			fmt.Fprintf(&b, "    Note over C,P: message %d\n", r.Message+1)
		}
		msg = r.Message
		to := ids[r.Party]
		if r.Event != "" {
			fmt.Fprintf(&b, "    C-)%s: %s\n", to, mermaidText(r.Text))
			continue
		}
		indent := "    "
		if r.Evidence {
			b.WriteString("    rect rgba(255, 80, 80, 0.15)\n")
			indent = "        "
		}
		fmt.Fprintf(&b, "%sC->>%s: %s\n", indent, to, mermaidText(fmt.Sprintf("#%d %s", r.Seq, r.requestLabel())))
		arrow := "-->>"
		if r.Status == "dropped" {
			arrow = "--x"
		}
		fmt.Fprintf(&b, "%s%s%sC: %s\n", indent, to, arrow, mermaidText(r.responseLabel()))
		if r.Evidence {
			b.WriteString("    end\n")
		}
	}
	if after > 0 {
		fmt.Fprintf(&b, "    Note over C,P: %d more %s\n", after, plural(after, "row", "rows"))
	}
	return b.String()
}

// mermaidText escapes a label for a Mermaid message: Mermaid reads ';'
// and newlines as statement ends, "#name;" as an entity, and '<', '>' as
// HTML, so these (and '#' itself, quotes, '&' and backticks) are written as
// Mermaid entity codes.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '#':
			b.WriteString("#35;")
		case ';':
			b.WriteString("#59;")
		case '<':
			b.WriteString("#lt;")
		case '>':
			b.WriteString("#gt;")
		case '&':
			b.WriteString("#amp;")
		case '"':
			b.WriteString("#quot;")
		case '`':
			b.WriteString("#96;")
		case '%':
			b.WriteString("#37;")
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdText escapes text for Markdown inline context: the characters that
// start emphasis, links, code, HTML or table cells, and line breaks.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '#', '~', '&', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode makes s safe inside a one-backtick code span.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "\n", " ", "|", "\\|").Replace(s)
}

// mdURL makes a link target safe: no spaces or parentheses that end it.
func mdURL(s string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(s)
}

// codeFence is a backtick fence longer than any run of backticks in s.
func codeFence(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// consequencesOf are the results on res's scenario that follow from it.
func consequencesOf(rec *Record, res Result) []Result {
	var out []Result
	for _, c := range rec.Results {
		if c.Scenario == res.Scenario && c.CausedBy == res.RuleID && c.RuleID != res.RuleID && (c.Status == Failed || c.Status == Warned) {
			out = append(out, c)
		}
	}
	return out
}

// writeLeftovers lists the processes a component left running, which the
// harness ended: a fact about the component, judged by no rule.
func writeLeftovers(b *strings.Builder, traces []harness.Trace) {
	n := 0
	for _, t := range traces {
		for _, c := range t.Containers {
			for _, l := range c.Leftovers {
				if n == 0 {
					b.WriteString("## ⚠️ Processes the component left running\n\nrefreshproof ended them when their container ended; no rule judges this.\n\n")
				}
				n++
				fmt.Fprintf(b, "- **%s**: %s\n", mdText(t.Scenario.Ref()), mdText(l.String()))
			}
		}
	}
	if n > 0 {
		b.WriteString("\n")
	}
}
