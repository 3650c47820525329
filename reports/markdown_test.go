package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
)

func TestMarkdownGolden(t *testing.T) {
	golden(t, "summary.md.golden", render(t, func(b *bytes.Buffer) error { return WriteMarkdown(b, sampleRecord()) }))
}

func TestMarkdownFailureDiagram(t *testing.T) {
	md := string(render(t, func(b *bytes.Buffer) error { return WriteMarkdown(b, sampleRecord()) }))
	for _, want := range []string{
		"# ❌ refreshproof: FAILED: 1 of 5 rules failed (2 scenarios, 1 could not run)",
		"| ❌ | R07 | [uses-rotated-refresh-token](https://github.com/refreshproof/refreshproof/blob/main/docs/rules.md#r07-uses-rotated-refresh-token) | 0 | 1 | 0 | 1 |",
		"### ❌ \\[R07\\] uses-rotated-refresh-token on salesforce/rotation",
		"```mermaid\nsequenceDiagram\n    participant C as Component\n    participant T as Token endpoint\n    participant A as API\n    participant P as Platform\n",
		"        C->>T: #35;6 POST /services/oauth2/token (RT#35;1, rotated)\n        T-->>C: 400 invalid_grant\n    end\n",
		"    C-)P: emit error: Token refresh failed: invalid_grant#59; expired access/refresh token\n",
		"    Note over C,P: message 2\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if n := strings.Count(md, "```mermaid"); n != 1 {
		t.Errorf("%d Mermaid diagrams, want 1 (for the one failure)", n)
	}
}

func TestMermaidText(t *testing.T) {
	for in, want := range map[string]string{
		"POST /token (RT#1)":        "POST /token (RT#35;1)",
		"a; b":                      "a#59; b",
		"<script>&\"x\"`%%":         "#lt;script#gt;#amp;#quot;x#quot;#96;#37;#37;",
		"line one\nline two":        "line one line two",
		"400 invalid_grant":         "400 invalid_grant",
		"already #59; encoded text": "already #35;59#59; encoded text",
	} {
		if got := mermaidText(in); got != want {
			t.Errorf("mermaidText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkdownEscaping(t *testing.T) {
	for in, want := range map[string]string{
		"a|b":         `a\|b`,
		"*bold* _x_":  `\*bold\* \_x\_`,
		"<img src=x>": `\<img src=x\>`,
		"[R05] name":  `\[R05\] name`,
		"two\nlines":  "two lines",
	} {
		if got := mdText(in); got != want {
			t.Errorf("mdText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := codeFence("a ```` b"); got != "`````" {
		t.Errorf("codeFence = %q, want five backticks", got)
	}
	rec := sampleRecord()
	rec.Results[5].Message = "before\n```\n# not a heading\n```\nafter"
	md := string(render(t, func(b *bytes.Buffer) error { return WriteMarkdown(b, rec) }))
	if !strings.Contains(md, "````text\nbefore\n```\n# not a heading\n```\nafter\n````\n") {
		t.Errorf("a message holding a code fence is not fenced by a longer one:\n%s", md)
	}
}

// A long exchange is cut around the evidence, to at most maxRows rows
// (about 30 arrows), with notes for what was left out.
func TestMermaidCap(t *testing.T) {
	rec := sampleRecord()
	tr := &rec.Traces[0]
	var j exchanges
	for i := 0; i < 100; i++ {
		j.add(100+i, api(200, "AT#1", mockprovider.StateValid, ""))
	}
	j[49] = refresh("RT#1", mockprovider.StateRotated, 400, `{"error":"invalid_grant"}`)
	j[49].Seq, j[49].Time = 50, at(150)
	tr.Journal = j
	tr.Messages = tr.Messages[:1]
	tr.Messages[0].JournalTo = 100
	tr.Messages[0].Events = nil
	rec.Results[5].Evidence = []int64{50}
	md := string(render(t, func(b *bytes.Buffer) error { return WriteMarkdown(b, rec) }))
	start := strings.Index(md, "```mermaid")
	diagram := md[start : start+3+strings.Index(md[start+3:], "```")]
	if arrows := strings.Count(diagram, "->>"); arrows != 30 {
		t.Errorf("%d arrows, want 30:\n%s", arrows, diagram)
	}
	for _, want := range []string{"#35;50 POST /services/oauth2/token", "    Note over C,P: 42 more rows\n    Note over C,P: message 1\n    C->>A: #35;43 GET", "#35;57 GET /services/data/v59.0/query (AT#35;1)\n    A-->>C: 200\n    Note over C,P: 43 more rows\n```"} {
		if !strings.Contains(md[start:], want) {
			t.Errorf("diagram lacks %q:\n%s", want, diagram)
		}
	}
}

func TestMarkdownLeftovers(t *testing.T) {
	rec := sampleRecord()
	if got := string(render(t, func(b *bytes.Buffer) error { return WriteMarkdown(b, rec) })); strings.Contains(got, "left running") {
		t.Fatalf("a record without leftovers has the section:\n%s", got)
	}
	rec.Traces[0].Containers = append(rec.Traces[0].Containers, harness.Container{Leftovers: []harness.Leftover{{PID: 4242, Command: "sleep 600", Signal: "terminated"}}})
	md := string(render(t, func(b *bytes.Buffer) error { return WriteMarkdown(b, rec) }))
	want := "## ⚠️ Processes the component left running\n\nrefreshproof ended them when their container ended; no rule judges this.\n\n- **" + mdText(rec.Traces[0].Scenario.Ref()) + "**: pid 4242 (sleep 600), terminated\n"
	if !strings.Contains(md, want) {
		t.Errorf("Markdown lacks %q:\n%s", want, md)
	}
}
