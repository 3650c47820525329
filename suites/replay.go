// Judges of what follows a refresh on the API side: R04 (replay once with the new token), R08 (no loop on a repeated 401).

package suites

import (
	"fmt"
	"strings"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
)

// ---- R04 ----

func judgeR04(v *view) result {
	var res result
	judged := 0
	// rejectedBy[i] are the 401s the i-th refresh answers: those of its
	// message not already followed by an earlier successful refresh.
	rejectedBy := make([][]*mockprovider.Entry, len(v.refs))
	for i, r := range v.refs {
		if r.class != refreshOK {
			continue
		}
		for _, c := range v.promptOf(r).got401 {
			handled := false
			for _, x := range v.refs[:i] {
				if x.msg == r.msg && x.class == refreshOK && x.e.Seq > c.Seq {
					handled = true
				}
			}
			if !handled {
				rejectedBy[i] = append(rejectedBy[i], c)
			}
		}
	}
	for i, r := range v.refs {
		if r.class != refreshOK || v.cutOff(r) {
			continue
		}
		rejected := rejectedBy[i]
		if len(rejected) == 0 {
			continue
		}
		judged++
		// The refreshes that follow and answer no 401 of their own belong
		// to this one's burst (a component that refreshes once per failed
		// call, which R16 judges): a replay may carry any of their tokens,
		// and the replays may come after all of them.
		burst := map[string]bool{r.at: true}
		var to int64
		for j := i + 1; j < len(v.refs); j++ {
			x := v.refs[j]
			if x.msg != r.msg || x.class != refreshOK {
				continue
			}
			if len(rejectedBy[j]) > 0 {
				to = x.e.Seq
				break
			}
			burst[x.at] = true
		}
		after := v.apiCalls(r.msg, r.e.Seq, to)
		want := map[string][]*mockprovider.Entry{}
		var order []string
		for _, c := range rejected {
			s := signature(c)
			if _, ok := want[s]; !ok {
				order = append(order, s)
			}
			want[s] = append(want[s], c)
		}
		m := v.message(r.msg)
		for _, s := range order {
			orig := want[s]
			var replays []*mockprovider.Entry
			retrying := false
			// Concurrent requests can reach the server after the refresh
			// although the component sent them before it: a call that
			// still carries the rejected token and gets 401, before any
			// call with the new token, is one of the originals arriving
			// late, not a replay. (A replay with the old token is still
			// caught: the request then never goes out with the new one.)
			late := true
			var absorbed []*mockprovider.Entry
			for _, c := range after {
				if signature(c) != s {
					continue
				}
				if late && c.Status == 401 && presented(c) == presented(orig[0]) && !burst[presented(c)] {
					absorbed = append(absorbed, c)
					continue
				}
				late = false
				if retrying { // a bounded retry after 429/5xx is R12's allowance
					retrying = c.Status == 429 || c.Status >= 500
					continue
				}
				replays = append(replays, c)
				retrying = len(replays) >= len(orig) && (c.Status == 429 || c.Status >= 500)
			}
			first := orig[0]
			if len(replays) == 0 && len(absorbed) > 0 {
				// Nothing went out with the new token: the old-token
				// calls were replays after all.
				replays = absorbed
			} else {
				orig = append(orig, absorbed...)
			}
			switch {
			case len(replays) == 0:
				msg := fmt.Sprintf("In %s the request %s %s got 401 at #%d; the component refreshed at #%d (new access token %s) but never sent the request again:%s",
					msgName(m), first.Method, first.Path, first.Seq, r.e.Seq, r.at, v.evidence(append(append([]*mockprovider.Entry{}, orig...), r.e)...))
				if near := nearMiss(after, first); near != nil {
					msg += fmt.Sprintf("\nThe closest call after the refresh, #%d, differs from the rejected request:%s\n  rejected: %s\n  sent:     %s",
						near.Seq, v.evidence(near), compactSig(first), compactSig(near))
				} else if m != nil {
					msg += "\nThe message ended " + outcomeText(m) + "."
				}
				// A component that kept refreshing on repeated 401s (R08)
				// stops at some refresh without a replay; that is the loop.
				res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("no replay of #%d after the refresh at #%d", first.Seq, r.e.Seq), Seqs: seqs(append(orig, r.e)...), Message: msg,
					restsOn: []fact{{factLoop, int64(r.msg)}}})
			case len(replays) > len(orig):
				res.findings = append(res.findings, Finding{
					Summary: fmt.Sprintf("replayed #%d %d times", first.Seq, len(replays)),
					Seqs:    seqs(append(append(orig, r.e), replays...)...),
					Message: fmt.Sprintf("In %s the request that got 401 at #%d was sent %s after the refresh at #%d; it should be replayed once:%s",
						msgName(m), first.Seq, plural(len(replays), "time", "times"), r.e.Seq, v.evidence(append(append(append([]*mockprovider.Entry{}, orig...), r.e), replays...)...)),
				})
			}
			for _, c := range replays {
				if !burst[presented(c)] {
					res.findings = append(res.findings, Finding{
						Summary: fmt.Sprintf("replay #%d sent %s instead of %s", c.Seq, orNone(presented(c)), r.at),
						Seqs:    seqs(first, r.e, c),
						Message: fmt.Sprintf("In %s the replay #%d of the request rejected at #%d presented %s, not the access token %s that the refresh at #%d returned:%s",
							msgName(m), c.Seq, first.Seq, orNone(presented(c)), r.at, r.e.Seq, v.evidence(first, r.e, c)),
					})
					break
				}
			}
		}
	}
	if judged == 0 {
		return skipped("no successful refresh followed an API 401")
	}
	res.pass = fmt.Sprintf("replayed once with the new token after %s", plural(judged, "refresh", "refreshes"))
	return res
}

// nearMiss finds a call after a refresh to the same method and path as
// the rejected one but with another query or body.
func nearMiss(after []*mockprovider.Entry, rejected *mockprovider.Entry) *mockprovider.Entry {
	for _, c := range after {
		if c.Method == rejected.Method && c.Path == rejected.Path {
			return c
		}
	}
	return nil
}

func compactSig(e *mockprovider.Entry) string {
	s := e.Method + " " + e.Path
	if e.Query != "" {
		s += "?" + e.Query
	}
	if e.Body != "" {
		b := e.Body
		if len(b) > 120 {
			b = b[:120] + "…"
		}
		s += " body " + b
	}
	return s
}

// ---- R08 ----

func judgeR08(v *view) result {
	var res result
	judged := 0
	for _, m := range v.tr.Messages {
		var hit *mockprovider.Entry
		for _, c := range v.apiCalls(m.Index, 0, 0) {
			if c.Status == 401 && v.issuedIn(m.Index, presented(c)) != nil {
				hit = c
				break
			}
		}
		if hit == nil {
			continue
		}
		judged++
		issuer := v.issuedIn(m.Index, presented(hit))
		more := v.refreshesIn(m.Index, hit.Seq, 0)
		var problems []string
		var ev []*mockprovider.Entry
		ev = append(ev, issuer.e, hit)
		if len(more) > 0 {
			var es []*mockprovider.Entry
			for _, r := range more {
				es = append(es, r.e)
			}
			problems = append(problems, fmt.Sprintf("refreshed %s more (%s)", plural(len(more), "time", "times"), seqList(es, 8)))
			ev = append(ev, es[0])
			if len(es) > 1 {
				ev = append(ev, es[len(es)-1])
			}
		}
		if m.Outcome != harness.OutcomeError {
			problems = append(problems, "ended the message "+outcomeText(&m)+" instead of with an error")
		}
		if len(problems) == 0 {
			continue
		}
		calls := v.apiCalls(m.Index, hit.Seq, 0)
		returned := "had just returned"
		if hit.Seq-issuer.e.Seq > evidenceGap {
			returned = fmt.Sprintf("had returned %d exchanges earlier", hit.Seq-issuer.e.Seq-1)
		}
		msg := fmt.Sprintf("In %s the API answered 401 at #%d to the access token %s that the refresh at #%d %s; the component then %s:%s",
			msgName(&m), hit.Seq, presented(hit), issuer.e.Seq, returned, strings.Join(problems, " and "), v.evidence(ev...))
		if len(calls) > 0 {
			msg += fmt.Sprintf("\nIt made %s after that.", plural(len(calls), "more API call", "more API calls"))
		}
		res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("after the repeated 401 at #%d it %s", hit.Seq, strings.Join(problems, " and ")), Seqs: seqs(ev...), Message: msg,
			produces: []fact{{factLoop, int64(m.Index)}}, restsOn: []fact{{factWrongHost, int64(m.Index)}}})
	}
	if judged == 0 {
		return skipped("no API call answered 401 to a freshly refreshed access token")
	}
	res.pass = "stopped with an error when the API refused a fresh token"
	return res
}
