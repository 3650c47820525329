// Judges of how messages end: R18 (ends cleanly).

package suites

import (
	"fmt"
	"strings"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
)

// ---- R18 ----

func judgeR18(v *view) result {
	var res result
	if len(v.tr.Messages) == 0 {
		return skipped("the scenario delivered no message")
	}
	for _, m := range v.tr.Messages {
		if m.Outcome == harness.OutcomeOK || m.Outcome == harness.OutcomeError {
			continue
		}
		var what string
		switch m.Outcome {
		case harness.OutcomeTimeout:
			what = "did not end within the time limit"
		case harness.OutcomeCrash:
			what = "crashed the component's process"
		case harness.OutcomeNoEnd:
			what = "returned without emitting end"
		case harness.OutcomeNotRun:
			what = "could not run: the container did not start"
		default:
			what = "ended as " + string(m.Outcome)
		}
		calls := v.inMessage(m.Index, "", 0, 0)
		var shown []*mockprovider.Entry
		for _, c := range calls {
			if c.Kind != mockprovider.KindPlatform || c.Note == "updateKeys" {
				shown = append(shown, c)
			}
		}
		if len(shown) > 6 {
			shown = append(shown[:3], shown[len(shown)-3:]...)
		}
		msg := fmt.Sprintf("%s %s.", strings.ToUpper(msgName(&m)[:1])+msgName(&m)[1:], what)
		if m.Detail != "" {
			msg += "\n  " + strings.ReplaceAll(truncate(m.Detail, 1200), "\n", "\n  ")
		}
		for _, r := range v.refs {
			if r.msg == m.Index && r.class == refreshMalformed {
				msg += fmt.Sprintf("\nThe token endpoint had answered #%d with a body that is not a token response.", r.e.Seq)
				break
			}
		}
		if len(shown) > 0 {
			msg += "\nIts exchanges:" + v.evidence(shown...)
		}
		res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("%s %s", msgName(&m), what), Seqs: seqs(shown...), Message: msg})
	}
	res.pass = fmt.Sprintf("%s ended cleanly", plural(len(v.tr.Messages), "message", "messages"))
	return res
}

func secretKind(label string) string {
	switch {
	case strings.HasPrefix(label, "AT#"):
		return "access token"
	case strings.HasPrefix(label, "RT#"):
		return "refresh token"
	case strings.HasPrefix(label, "CLIENT_SECRET#"):
		return "client secret"
	}
	return "secret"
}

func joinAnd(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
