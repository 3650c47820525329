// Judges of Secrets-mode components (strategy platform-secrets): R20 (no
// token request of its own), R21 (no updateKeys), R22 (ask the platform to
// refresh on 401), R23 (read the secret for every message), R24 (a bounded
// number of refresh requests), R25 (a secret in state error is an error).
// R04, R08 and R09 judge these components too: the platform's refresh,
// which the journal marks with Caller "platform", is the refresh they see.

package suites

import (
	"fmt"
	"strings"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
)

// maxPlatformRefreshes bounds the refresh requests a Secrets-mode
// component makes in one message (R24). One per 401 is what the contract
// needs; a message may meet a second 401 when the platform's background
// refresh replaced the token between two of its calls; three is also the
// bound R10 puts on a component's own refresh attempts.
const maxPlatformRefreshes = 3

// secretCall tells whether e is a request of the component to the
// platform's Secrets service, and whether it asks for a refresh.
func secretCall(e *mockprovider.Entry) (isSecret, isRefresh bool) {
	if e.Kind != mockprovider.KindPlatform || !strings.HasPrefix(e.Path, "/v2/workspaces/") || !strings.Contains(e.Path, "/secrets/") {
		return false, false
	}
	return true, e.Method == "POST" && strings.HasSuffix(strings.TrimSuffix(e.Path, "/"), "/refresh")
}

// secretCalls returns the component's requests to the Secrets service in
// message m with from < seq < to (to <= 0: no bound): reads, or refresh
// requests when refresh is true.
func (v *view) secretCalls(m int, refresh bool, from, to int64) []*mockprovider.Entry {
	var out []*mockprovider.Entry
	for _, e := range v.inMessage(m, mockprovider.KindPlatform, from, to) {
		if ok, r := secretCall(e); ok && r == refresh {
			out = append(out, e)
		}
	}
	return out
}

// secretState reads attributes.state and attributes.error of a Secrets
// answer; data may be an object (as components read it) or a one-element
// array (as the API documentation shows it).
func secretState(e *mockprovider.Entry) (state, errText string) {
	obj, ok := decodeObject(e.ResponseBody)
	if !ok {
		return "", ""
	}
	data, _ := obj["data"].(map[string]any)
	if list, ok := obj["data"].([]any); ok && len(list) > 0 {
		data, _ = list[0].(map[string]any)
	}
	attrs, _ := data["attributes"].(map[string]any)
	return str(attrs["state"]), str(attrs["error"])
}

// ownTokenRequest tells whether e is a request of the component itself
// to the provider's token endpoint, or any refresh attempt it made.
func (v *view) ownTokenRequest(e *mockprovider.Entry) bool {
	if e.Caller != "" {
		return false
	}
	return e.Kind == mockprovider.KindToken || v.refreshAttempt(e)
}

func (v *view) ranMessages() bool {
	for _, m := range v.tr.Messages {
		if m.Outcome != harness.OutcomeNotRun {
			return true
		}
	}
	return false
}

// ---- R20 ----

func judgeR20(v *view) result {
	var res result
	if !v.ranMessages() {
		return skipped("no message ran")
	}
	byMsg := map[int][]*mockprovider.Entry{}
	var order []int
	for _, e := range v.entries {
		if !v.ownTokenRequest(e) {
			continue
		}
		m := v.msgOf[e.Seq]
		if _, ok := byMsg[m]; !ok {
			order = append(order, m)
		}
		byMsg[m] = append(byMsg[m], e)
	}
	for _, m := range order {
		es := byMsg[m]
		mm := v.message(m)
		res.findings = append(res.findings, Finding{
			Summary: fmt.Sprintf("called %s's token endpoint itself at #%d", v.providerName(), es[0].Seq),
			Seqs:    seqs(es...),
			Message: fmt.Sprintf("In %s the component sent %s to %s's token endpoint itself (%s); its tokens belong to the platform's Secrets service, which refreshes them:%s",
				msgName(mm), plural(len(es), "request", "requests"), v.providerName(), seqList(es, 5), v.evidence(es[0], es[len(es)-1])),
			produces: []fact{{factOwnRefresh, int64(m)}},
		})
	}
	res.pass = "made no token request of its own; the platform did every refresh"
	return res
}

// ---- R21 ----

func judgeR21(v *view) result {
	var res result
	if !v.ranMessages() {
		return skipped("no message ran")
	}
	for _, m := range v.tr.Messages {
		for _, e := range m.Events {
			if e.Name != "updateKeys" {
				continue
			}
			what := "the platform stored it"
			if e.Unbound {
				what = "it was called detached from the emitter, so nothing reached the platform, but the code path is there"
			}
			res.findings = append(res.findings, Finding{
				Summary: fmt.Sprintf("emitted updateKeys in %s", msgName(&m)),
				Message: fmt.Sprintf("In %s the component emitted updateKeys (%s): %s. A credential kept by the Secrets service must not be changed by the component.",
					msgName(&m), truncate(eventText(e), 120), what),
			})
			break
		}
	}
	if len(res.findings) == 0 {
		for _, k := range v.tr.KeyUpdates {
			res.findings = append(res.findings, Finding{
				Summary: fmt.Sprintf("sent updateKeys at #%d", k.JournalSeq),
				Seqs:    []int64{k.JournalSeq},
				Message: fmt.Sprintf("The platform received updateKeys at #%d outside any message's events: %s", k.JournalSeq, truncate(string(k.Keys), 120)),
			})
			break
		}
	}
	res.pass = "emitted no updateKeys"
	return res
}

// ---- R22 ----

func judgeR22(v *view) result {
	var res result
	judged := 0
	for _, m := range v.tr.Messages {
		calls := v.apiCalls(m.Index, 0, 0)
		// asked holds the tokens whose 401 the component already answered
		// with a refresh request in this message: a later 401 to the same
		// token (the platform's refresh failed, the secret is in error) is
		// for R09, R24 and R25, not a second chance to ask.
		asked := map[string]bool{}
		for i, c := range calls {
			if c.Status != 401 || v.issuedIn(m.Index, presented(c)) != nil || asked[presented(c)] {
				// A 401 to a token the platform just refreshed is R08's.
				continue
			}
			// The next call that is not a sibling 401 (a concurrent call
			// with the same token, sent before any secret call) answers
			// this one.
			var next *mockprovider.Entry
			for _, x := range calls[i+1:] {
				if x.Status == 401 && presented(x) == presented(c) && !v.secretCallBetween(m.Index, c.Seq, x.Seq) {
					continue
				}
				next = x
				break
			}
			to := int64(0)
			if next != nil {
				to = next.Seq
			}
			if i > 0 && calls[i-1].Status == 401 && presented(calls[i-1]) == presented(c) && !v.secretCallBetween(m.Index, calls[i-1].Seq, c.Seq) {
				continue // judged with its sibling
			}
			judged++
			refreshes := v.secretCalls(m.Index, true, c.Seq, to)
			reads := v.secretCalls(m.Index, false, c.Seq, to)
			if len(refreshes) > 0 {
				asked[presented(c)] = true
			}
			var problem string
			switch {
			case len(refreshes) > 1:
				problem = fmt.Sprintf("asked the platform to refresh %s before its next API call", plural(len(refreshes), "time", "times"))
			case len(refreshes) == 1:
				continue
			case next != nil && presented(next) != presented(c) && len(reads) > 0:
				continue // the secret it read again already held a newer token
			case next == nil:
				problem = "did not ask the platform to refresh the secret and made no further API call"
			default:
				problem = fmt.Sprintf("did not ask the platform to refresh the secret before calling again with %s", orNone(presented(next)))
			}
			ev := append([]*mockprovider.Entry{c}, refreshes...)
			if next != nil {
				ev = append(ev, next)
			}
			res.findings = append(res.findings, Finding{
				Summary: fmt.Sprintf("after the API 401 at #%d it %s", c.Seq, problem),
				Seqs:    seqs(ev...),
				Message: fmt.Sprintf("In %s the API answered 401 at #%d (access token %s); the component %s:%s\nThe message ended %s.",
					msgName(&m), c.Seq, orNone(presented(c)), problem, v.evidence(ev...), outcomeText(&m)),
				restsOn: []fact{{factOwnRefresh, int64(m.Index)}},
			})
		}
	}
	if judged == 0 {
		return skipped("no API call answered 401 to a token the platform had not just refreshed")
	}
	res.pass = fmt.Sprintf("asked the platform to refresh once after %s", plural(judged, "API 401", "API 401s"))
	return res
}

// secretCallBetween tells whether the component called the Secrets
// service in message m with from < seq < to.
func (v *view) secretCallBetween(m int, from, to int64) bool {
	return len(v.secretCalls(m, false, from, to))+len(v.secretCalls(m, true, from, to)) > 0
}

// ---- R23 ----

func judgeR23(v *view) result {
	var res result
	judged := 0
	for _, m := range v.tr.Messages {
		calls := v.apiCalls(m.Index, 0, 0)
		if len(calls) == 0 {
			continue
		}
		judged++
		first := calls[0]
		if len(v.secretCalls(m.Index, false, 0, first.Seq)) > 0 {
			continue
		}
		stale := ""
		if cur := v.currentAT(first.Seq); cur != "" && presented(first) != "" && cur != presented(first) {
			if r := v.issuer(cur); r != nil {
				stale = fmt.Sprintf(" The platform had already replaced it: its refresh at #%d issued %s.", r.e.Seq, cur)
			}
		}
		res.findings = append(res.findings, Finding{
			Summary: fmt.Sprintf("%s called the API at #%d without reading the secret", msgName(&m), first.Seq),
			Seqs:    []int64{first.Seq},
			Message: fmt.Sprintf("In %s the first API call #%d presented %s, but the component had not read the secret (GET …/secrets/{id}) in this message: it used a token kept from before.%s%s",
				msgName(&m), first.Seq, orNone(presented(first)), stale, v.evidence(first)),
		})
	}
	if judged == 0 {
		return skipped("no message called the API")
	}
	res.pass = fmt.Sprintf("read the secret before the first API call of each of %s", plural(judged, "message", "messages"))
	return res
}

// ---- R24 ----

func judgeR24(v *view) result {
	var res result
	judged := 0
	for _, m := range v.tr.Messages {
		reqs := v.secretCalls(m.Index, true, 0, 0)
		if len(reqs) == 0 {
			continue
		}
		judged++
		if len(reqs) <= maxPlatformRefreshes {
			continue
		}
		res.findings = append(res.findings, Finding{
			Summary: fmt.Sprintf("asked the platform to refresh %d times in %s", len(reqs), msgName(&m)),
			Seqs:    seqs(reqs[0], reqs[len(reqs)-1]),
			Message: fmt.Sprintf("In %s the component asked the platform to refresh the secret %d times (%s); at most %d is bounded, and every one is a token request the platform makes to %s:%s\nThe message ended %s.",
				msgName(&m), len(reqs), seqList(reqs, 6), maxPlatformRefreshes, v.providerName(), v.evidence(reqs[0], reqs[len(reqs)-1]), outcomeText(&m)),
			restsOn: []fact{{factLoop, int64(m.Index)}},
		})
	}
	if judged == 0 {
		return skipped("no message asked the platform to refresh")
	}
	res.pass = fmt.Sprintf("at most %d refresh requests in each message", maxPlatformRefreshes)
	return res
}

// ---- R25 ----

func judgeR25(v *view) result {
	var res result
	judged := 0
	for _, m := range v.tr.Messages {
		// The first answer of the message that shows the secret in state
		// error, unless a refresh the provider refused in this message put
		// it there: that refusal is R09's.
		var bad *mockprovider.Entry
		var errText string
		for _, e := range v.inMessage(m.Index, mockprovider.KindPlatform, 0, 0) {
			if ok, _ := secretCall(e); !ok {
				continue
			}
			if st, et := secretState(e); st == "error" || (e.Status >= 400 && e.Status != 404) {
				bad, errText = e, et
				break
			}
		}
		if bad != nil {
			for _, r := range v.refreshesIn(m.Index, 0, bad.Seq) {
				if r.class == refreshRejected {
					bad = nil
					break
				}
			}
		}
		if bad == nil {
			continue
		}
		judged++
		var problems []string
		var errs []string
		for _, e := range m.Events {
			switch e.Name {
			case "error":
				errs = append(errs, eventText(e))
			case "data":
				if len(problems) == 0 {
					problems = append(problems, fmt.Sprintf("emitted data %s", truncate(eventText(e), 80)))
				}
			}
		}
		code := v.secretErrorCode(bad)
		switch {
		case m.Outcome == harness.OutcomeOK:
			problems = append(problems, "ended the message without an error")
		case len(errs) == 0:
			problems = append(problems, "ended the message "+outcomeText(&m)+" without an error event")
		case !namesSecretError(strings.Join(errs, "\n"), code, errText):
			problems = append(problems, fmt.Sprintf("reported an error that does not say the secret is in error (%q)", truncate(firstLine(strings.Join(errs, " | ")), 200)))
		}
		if len(problems) == 0 {
			continue
		}
		what := "in state error"
		if errText != "" {
			what += " (" + errText + ")"
		}
		res.findings = append(res.findings, Finding{
			Summary: fmt.Sprintf("the secret was %s at #%d and the component %s", "in state error", bad.Seq, problems[0]),
			Seqs:    []int64{bad.Seq},
			Message: fmt.Sprintf("In %s the platform answered #%d with the secret %s; the component then %s:%s",
				msgName(&m), bad.Seq, what, strings.Join(problems, ", "), v.evidence(bad)),
			produces: []fact{{factSecretErrorIgnored, int64(m.Index)}},
		})
	}
	if judged == 0 {
		return skipped("the component never read a secret in state error")
	}
	res.pass = "reported every secret in state error as an error"
	return res
}

// secretErrorCode is the provider's error code behind a secret in state
// error: that of the platform's last refused token request before e.
func (v *view) secretErrorCode(e *mockprovider.Entry) string {
	code := ""
	for _, x := range v.entries {
		if x.Seq < e.Seq && x.Caller == mockprovider.CallerPlatform && x.Status >= 400 {
			code = errorCode(x)
		}
	}
	return code
}

// namesSecretError tells whether an error text says what is wrong with
// the secret: the provider's error code, the secret's error, or its
// state.
func namesSecretError(text, code, errText string) bool {
	t := strings.ToLower(text)
	switch {
	case code != "" && strings.Contains(t, strings.ToLower(code)):
		return true
	case errText != "" && strings.Contains(t, strings.ToLower(errText[:min(len(errText), 40)])):
		return true
	}
	return strings.Contains(t, "state error") || strings.Contains(t, "state: error") || strings.Contains(t, "state \"error\"")
}
