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
		var what, fix string
		switch m.Outcome {
		case harness.OutcomeTimeout:
			what = "did not end within the time limit"
			fix = "return (or throw) from process on every path, and with a callback-style process emit end on every path; await every request you start."
		case harness.OutcomeCrash:
			what = "crashed the component's process"
			fix = "catch errors from JSON parsing and from the token endpoint, and never leave a promise unhandled: on the platform an uncaught exception ends the container, and every message it was processing with it."
		case harness.OutcomeNoEnd:
			what = "returned without emitting end"
			fix = "return a promise from process (the sailor then emits end), or emit end yourself on every path of a callback-style process."
		case harness.OutcomeNotRun:
			what = "could not run: the container did not start"
		default:
			what = "ended as " + string(m.Outcome)
		}
		calls := v.inMessage(m.Index, "", 0, 0)
		var shown, held []*mockprovider.Entry
		for _, c := range calls {
			if c.Kind != mockprovider.KindPlatform || c.Note == "updateKeys" {
				shown = append(shown, c)
			}
			if c.HasFault(mockprovider.FaultDelay) && c.ClientGone {
				held = append(held, c)
			}
		}
		if len(shown) > 6 {
			shown = append(shown[:3], shown[len(shown)-3:]...)
		}
		name := strings.ToUpper(msgName(&m)[:1]) + msgName(&m)[1:]
		if m.Outcome == harness.OutcomeTimeout && len(held) > 0 {
			// The scenario held an answer back on purpose and the harness's
			// own limit ended the message: the component is not shown to
			// hang, only to lack a client timeout, which is advice.
			h := held[0]
			msg := fmt.Sprintf("%s was cut short by refreshproof's time limit per message while the mock was holding an answer back on purpose (scripted delay, rule %q); the component was still waiting for it:%s",
				name, h.Rule, v.evidence(h))
			msg += "\nThe component set no timeout of its own on that request, so nothing but the time limit ended the wait."
			msg += "\nWhy it matters: a token endpoint or API that stops answering holds every message of the flow for as long as the platform lets it run; with a timeout the component fails fast with a retryable error, or retries."
			msg += "\nFix: set a timeout on token and API requests (10 to 20 seconds), shorter than the platform's time limit for a message, and report a timeout as a retryable error."
			res.warnings = append(res.warnings, Finding{Summary: fmt.Sprintf("%s was cut short by the time limit while the answer at #%d was held back; no client timeout", msgName(&m), h.Seq), Seqs: seqs(held...), Message: msg})
			continue
		}
		msg := fmt.Sprintf("%s %s.", name, what)
		if m.Detail != "" {
			msg += "\n  " + strings.ReplaceAll(truncate(m.Detail, 1200), "\n", "\n  ")
		}
		for _, r := range v.refs {
			if r.msg == m.Index && r.class == refreshMalformed {
				msg += fmt.Sprintf("\nThe token endpoint had answered #%d with a body that is not a token response.", r.e.Seq)
				break
			}
		}
		if m.Outcome == harness.OutcomeTimeout && len(calls) > 0 {
			msg += "\nEvery request of the message had been answered; the component itself did not end it."
		}
		if len(shown) > 0 {
			msg += "\nIts exchanges:" + v.evidence(shown...)
		}
		if fix != "" {
			msg += "\nFix: " + fix
		}
		res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("%s %s", msgName(&m), what), Seqs: seqs(shown...), Message: msg,
			restsOn: []fact{{factLoop, int64(m.Index)}}})
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
	case strings.HasPrefix(label, "ID_TOKEN#"):
		return "ID token"
	}
	return "secret"
}

func joinAnd(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
