// Judges of failures: R09 (a refused refresh is an error), R10 (transient refresh failures), R11 and R12 (no refresh on 403, 429 or 5xx).

package suites

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
)

// ---- R09 ----

func judgeR09(v *view) result {
	var res result
	judged := 0
	done := map[int]bool{}
	for _, r := range v.refs {
		if r.class != refreshRejected || r.inFlight || done[r.msg] {
			continue
		}
		done[r.msg] = true
		judged++
		m := v.message(r.msg)
		if m == nil {
			continue
		}
		var problems []string
		ev := []*mockprovider.Entry{r.e}
		for _, x := range v.refreshesIn(r.msg, r.e.Seq, 0) {
			if !x.inFlight {
				problems = append(problems, fmt.Sprintf("tried the refresh again at #%d", x.e.Seq))
				ev = append(ev, x.e)
				break
			}
		}
		for _, k := range v.tr.KeyUpdates {
			if k.JournalSeq > r.e.Seq && (k.Message == r.msg) {
				problems = append(problems, fmt.Sprintf("emitted updateKeys (#%d)", k.JournalSeq))
				break
			}
		}
		for _, e := range m.Events {
			if e.Name == "data" && e.JournalSeq >= r.e.Seq {
				problems = append(problems, fmt.Sprintf("emitted data %s", truncate(eventText(e), 80)))
				break
			}
		}
		if calls := v.apiCalls(r.msg, r.e.Seq, 0); len(calls) > 0 {
			problems = append(problems, fmt.Sprintf("called the API again (%s)", seqList(calls, 5)))
			ev = append(ev, calls[0])
		}
		code, desc := oauthError(r.e.ResponseBody)
		var errs []string
		for _, e := range m.Events {
			if e.Name == "error" {
				errs = append(errs, eventText(e))
			}
		}
		switch {
		case m.Outcome == harness.OutcomeOK:
			problems = append(problems, "ended the message without an error")
		case len(errs) == 0:
			problems = append(problems, "ended the message "+outcomeText(m)+" without an error event")
		case !namesError(strings.Join(errs, "\n"), code, desc, r.e.ResponseBody):
			problems = append(problems, fmt.Sprintf("reported an error that does not name the provider's error (%q)", truncate(firstLine(strings.Join(errs, " | ")), 200)))
		}
		if len(problems) == 0 {
			continue
		}
		provErr := code
		if desc != "" {
			provErr += ": " + firstLine(desc)
		}
		msg := fmt.Sprintf("In %s the token endpoint refused the refresh at #%d with %d %s; the component then %s:%s",
			msgName(m), r.e.Seq, r.e.Status, provErr, strings.Join(problems, ", "), v.evidence(ev...))
		res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("after the refused refresh at #%d it %s", r.e.Seq, problems[0]), Seqs: seqs(ev...), Message: msg,
			restsOn: []fact{{factSecretErrorIgnored, int64(r.msg)}}})
	}
	if judged == 0 {
		return skipped("no refresh was refused in this scenario")
	}
	res.pass = "reported every refused refresh as an error naming the provider's error"
	return res
}

// oauthError reads error and error_description from a token-endpoint
// error response.
func oauthError(body string) (code, desc string) {
	obj, ok := decodeObject(body)
	if !ok {
		return "", ""
	}
	return str(obj["error"]), str(obj["error_description"])
}

// namesError tells whether an error text names the provider's error: its
// code, its description, or the AADSTS number at the start of it.
func namesError(text, code, desc, body string) bool {
	t := strings.ToLower(text)
	if code == "" && desc == "" {
		return strings.TrimSpace(body) != "" && strings.Contains(t, strings.ToLower(truncate(strings.TrimSpace(body), 40)))
	}
	if code != "" && strings.Contains(t, strings.ToLower(code)) {
		return true
	}
	if desc != "" {
		d := strings.ToLower(firstLine(desc))
		if strings.Contains(t, d) || strings.Contains(t, truncate(d, 40)) {
			return true
		}
		if i := strings.Index(d, ":"); i > 0 && strings.HasPrefix(d, "aadsts") && strings.Contains(t, d[:i]) {
			return true
		}
	}
	return false
}

// ---- R10 ----

func judgeR10(v *view) result {
	var res result
	judged := 0
	done := map[int]bool{}
	for _, r := range v.refs {
		if (r.class != refreshTransient && r.class != refreshMalformed) || done[r.msg] || r.cutOffBy != "" {
			continue // a refresh the harness's kill cut off is not the component's doing
		}
		done[r.msg] = true
		judged++
		all := v.refreshesIn(r.msg, 0, 0)
		m := v.message(r.msg)
		if len(all) > maxRefreshAttempts {
			var es []*mockprovider.Entry
			for _, x := range all {
				es = append(es, x.e)
			}
			res.findings = append(res.findings, Finding{
				Summary:  fmt.Sprintf("%d refresh attempts in %s", len(all), msgName(m)),
				Seqs:     seqs(es...),
				produces: []fact{{factLoop, int64(r.msg)}},
				Message: fmt.Sprintf("In %s the token endpoint failed at #%d (%s) and the component made %d refresh attempts in the message (%s); at most %d are acceptable:%s",
					msgName(m), r.e.Seq, failureText(r), len(all), seqList(es, 10), maxRefreshAttempts, v.evidence(es[0], es[len(es)-1])),
			})
		}
		if r.class == refreshMalformed {
			// Going on with what it made of the answer: the next API call
			// presents no token the provider issued.
			for _, c := range v.apiCalls(r.msg, r.e.Seq, 0) {
				if v.refBySeq[c.Seq] != nil {
					break
				}
				if c.Presented == nil || c.Presented.Label == "" {
					res.findings = append(res.findings, Finding{
						Summary:  fmt.Sprintf("called the API at #%d with what it made of the unusable token response at #%d", c.Seq, r.e.Seq),
						Seqs:     seqs(r.e, c),
						produces: []fact{{factUnusableAnswer, r.e.Seq}},
						Message: fmt.Sprintf("In %s the token endpoint answered #%d with %s, and the component went on: its next API call, #%d, presented no token the provider issued (an empty or made-up one):%s",
							msgName(m), r.e.Seq, failureText(r), c.Seq, v.evidence(r.e, c)),
					})
				}
				break
			}
		}
		for _, k := range v.tr.KeyUpdates {
			if k.Message != r.msg && v.msgOf[k.JournalSeq] != r.msg {
				continue
			}
			f, _ := v.keysField(k.Keys)
			raw := str(f["access_token"])
			at := v.label(raw)
			if iss := v.issuedIn(r.msg, at); iss != nil && iss.e.Seq < k.JournalSeq {
				continue
			}
			if v.newTokenElsewhere(r.msg, k) {
				continue // a new token, emitted at the wrong place: R05's to judge
			}
			got := "no access_token"
			switch {
			case at != "":
				got = "access token " + at + ", not a new one"
			case raw != "":
				got = fmt.Sprintf("access_token %q", truncate(raw, 40))
			}
			b, _ := json.Marshal(f)
			res.findings = append(res.findings, Finding{
				Summary:  fmt.Sprintf("updateKeys #%d without a new access token", k.JournalSeq),
				Seqs:     []int64{r.e.Seq, k.JournalSeq},
				produces: []fact{{factBadKeys, k.JournalSeq}, {factUnusableAnswer, r.e.Seq}},
				Message: fmt.Sprintf("In %s the token endpoint failed at #%d (%s), and the component emitted updateKeys at #%d with %s:%s\n  %s: %s\nThe platform replaced the account's good stored keys with these.",
					msgName(m), r.e.Seq, failureText(r), k.JournalSeq, got, v.evidence(r.e), v.cf, truncate(string(b), 400)),
			})
			break
		}
	}
	if judged == 0 {
		return skipped("the token endpoint never failed transiently or answered with a malformed response")
	}
	res.pass = "bounded refresh retries and no keys without a new token"
	return res
}

func failureText(r *refresh) string {
	switch {
	case r.abandoned && r.cutOffBy != "":
		return "its answer was held back until " + r.cutOffBy
	case r.abandoned:
		return "its answer was held back and the component gave up waiting"
	case r.e.Status == 0:
		return "the connection was closed without an answer"
	case r.class == refreshTransient:
		return fmt.Sprintf("status %d", r.e.Status)
	}
	return fmt.Sprintf("status %d with a body that is not a token response", r.e.Status)
}

// ---- R11, R12 ----

func judgeR11(v *view) result {
	return v.noRefreshOn("403", "which a new access token does not cure", func(s int) bool { return s == 403 }, "no API call answered 403")
}

func judgeR12(v *view) result {
	return v.noRefreshOn("429/5xx", "which says nothing about the access token", func(s int) bool { return s == 429 || s >= 500 }, "no API call answered 429 or 5xx")
}

// noRefreshOn finds refreshes prompted only by API answers that bad
// matches (no 401 since the previous refresh attempt).
func (v *view) noRefreshOn(what, why string, bad func(int) bool, skip string) result {
	var res result
	exercised := false
	for _, e := range v.entries {
		if e.Kind == mockprovider.KindAPI && e.Status != 0 && bad(e.Status) {
			exercised = true
		}
	}
	if !exercised {
		return skipped("%s", skip)
	}
	for _, r := range v.refs {
		p := v.promptOf(r)
		var hits []*mockprovider.Entry
		got401 := false
		for _, c := range p.sinceAnyRe {
			if c.Status == 401 {
				got401 = true
			}
			if c.Status != 0 && bad(c.Status) {
				hits = append(hits, c)
			}
		}
		if got401 || len(hits) == 0 || p.evicted {
			continue
		}
		last := hits[len(hits)-1]
		if v.strategy == harness.StrategyEveryCall {
			// Refreshing before each call is that strategy; refreshing to
			// repeat the refused call is not.
			repeated := false
			for _, c := range v.apiCalls(r.msg, r.e.Seq, 0) {
				if signature(c) == signature(last) {
					repeated = true
				}
			}
			if !repeated {
				continue
			}
		}
		m := v.message(r.msg)
		res.findings = append(res.findings, Finding{
			Summary: fmt.Sprintf("refreshed at #%d after the API answered %d at #%d", r.e.Seq, last.Status, last.Seq),
			Seqs:    seqs(last, r.e),
			Message: fmt.Sprintf("In %s the API answered %d %s at #%d, %s, and the component refreshed at #%d:%s",
				msgName(m), last.Status, errorCode(last), last.Seq, why, r.e.Seq, v.evidence(last, r.e)),
		})
	}
	res.pass = "no refresh after " + what
	return res
}

// newTokenElsewhere tells whether update k carries, anywhere, an access
// token a successful refresh of message m issued before it.
func (v *view) newTokenElsewhere(m int, k harness.KeyUpdate) bool {
	for _, r := range v.refsByMsg[m] {
		if r.class == refreshOK && r.e.Seq < k.JournalSeq && r.at != "" && v.containsToken(string(k.Keys), r.at) {
			return true
		}
	}
	return false
}
