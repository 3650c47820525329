// Judges of when and how a component refreshes: R01 (not while valid), R02 (once on 401), R03 (a well-formed request), R16 (once under concurrency), R17 (before expiry).

package suites

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
)

// ---- R01 ----

func judgeR01(v *view) result {
	var res result
	exercised := false
	for _, e := range v.entries {
		if e.Kind == mockprovider.KindAPI && e.Presented != nil && e.Presented.State == mockprovider.StateValid {
			exercised = true
			break
		}
	}
	concurrent := v.concurrentRefreshes()
	unseen := 0
	for _, r := range v.refs {
		p := v.promptOf(r)
		if p.evicted {
			unseen++ // what came before it is gone from the journal
			continue
		}
		if len(p.got401) > 0 || len(p.got403) > 0 || len(p.gotServer) > 0 || concurrent[r] {
			continue // R02, R11, R12 or R16 judge these
		}
		at := v.currentAT(r.e.Seq)
		tok, known := v.tokens[at]
		if !known || tok.State == mockprovider.StateRevoked {
			continue
		}
		exp := tok.ExpiresAt
		left := exp.Sub(r.e.VirtualTime)
		if !exp.IsZero() && left <= earlyRefresh {
			continue // its lifetime had passed (or nearly): a refresh is due
		}
		exercised = true
		life := "does not expire"
		if !exp.IsZero() {
			life = fmt.Sprintf("had %s of its lifetime left", left.Round(time.Second))
		}
		m := v.message(r.msg)
		var b strings.Builder
		fmt.Fprintf(&b, "In %s the component refreshed at #%d although its access token %s was still valid (it %s) and no API call had answered 401.", msgName(m), r.e.Seq, at, life)
		if len(p.calls) > 0 {
			b.WriteString(" The API calls before the refresh succeeded:" + v.evidence(p.calls...))
			b.WriteString("\nThe refresh:" + v.evidence(r.e))
		} else {
			b.WriteString(" It made no API call before refreshing:" + v.evidence(r.e))
		}
		if v.strategy == harness.StrategyOn401 && m != nil && len(p.calls) == 0 {
			b.WriteString("\nA component that refreshes before every call declares strategy every-call; an on-401 component uses the token it has and refreshes only on 401.")
		}
		res.findings = append(res.findings, Finding{
			Summary: fmt.Sprintf("refreshed at #%d while %s was valid", r.e.Seq, at),
			Seqs:    seqs(append(p.calls, r.e)...),
			Message: b.String(),
		})
	}
	if !exercised {
		return skipped("the component never held a valid access token in this scenario")
	}
	res.pass = "every refresh followed a 401 or the end of the token's lifetime"
	if unseen > 0 {
		res.pass += fmt.Sprintf(" (%s not judged: the journal had evicted the exchanges before them)", plural(unseen, "refresh", "refreshes"))
	}
	return res
}

// ---- R02 ----

// group401 is a run of API 401s in one message that presented the same
// stale access token with no refresh attempt between them.
type group401 struct {
	msg   int
	at    string
	calls []*mockprovider.Entry
}

// stale401Groups finds the 401s a refresh is the cure for: those whose
// access token was not issued by a refresh of the same message (a 401 to
// a fresh token is R08's case).
func (v *view) stale401Groups() []group401 {
	var groups []group401
	for _, m := range v.tr.Messages {
		var cur *group401
		for _, e := range v.inMessage(m.Index, "", 0, 0) {
			if r := v.refBySeq[e.Seq]; r != nil {
				cur = nil
				continue
			}
			if e.Kind != mockprovider.KindAPI || e.Status != 401 {
				continue
			}
			at := presented(e)
			if v.issuedIn(m.Index, at) != nil {
				cur = nil
				continue
			}
			if cur != nil && cur.at == at {
				cur.calls = append(cur.calls, e)
				continue
			}
			groups = append(groups, group401{msg: m.Index, at: at, calls: []*mockprovider.Entry{e}})
			cur = &groups[len(groups)-1]
		}
	}
	return groups
}

// afterGroup returns the refreshes after a 401 group, up to the first API
// call that presents another token (the replay, or the next request).
func (v *view) afterGroup(g group401) (refs []*refresh, next *mockprovider.Entry) {
	last := g.calls[len(g.calls)-1]
	var to int64
	for _, c := range v.apiCalls(g.msg, last.Seq, 0) {
		if presented(c) != g.at {
			next, to = c, c.Seq
			break
		}
	}
	return v.refreshesIn(g.msg, g.calls[0].Seq, to), next
}

func judgeR02(v *view) result {
	if v.strategy == harness.StrategyEveryCall {
		return judgeR02EveryCall(v)
	}
	var res result
	groups := v.stale401Groups()
	if len(groups) == 0 {
		return skipped("no API call answered 401 to a token the component had not just refreshed")
	}
	for _, g := range groups {
		refs, next := v.afterGroup(g)
		first := g.calls[0]
		m := v.message(g.msg)
		var ok []*refresh
		for _, r := range refs {
			if r.class == refreshOK {
				ok = append(ok, r)
			}
		}
		switch {
		case len(refs) == 0:
			if next != nil && v.issuedIn(g.msg, presented(next)) != nil {
				continue // it used a refresh made for a concurrent call
			}
			if next == nil && v.lastBeforeKill(g.calls[len(g.calls)-1]) {
				continue // the harness killed the component before it could refresh
			}
			msg := fmt.Sprintf("In %s the API answered 401 at #%d (access token %s) and the component did not refresh:", msgName(m), first.Seq, orNone(g.at))
			ev := append([]*mockprovider.Entry{}, g.calls...)
			if next != nil {
				msg += v.evidence(append(ev, next)...) + fmt.Sprintf("\nIts next API call (#%d) presented %s without a refresh.", next.Seq, orNone(presented(next)))
			} else {
				msg += v.evidence(ev...) + "\nThe message then ended: " + outcomeText(m)
			}
			res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("no refresh after the 401 at #%d", first.Seq), Seqs: seqs(ev...), Message: msg, restsOn: v.unusableOrigins(g)})
		case len(ok) > len(g.calls):
			var es []*mockprovider.Entry
			for _, r := range ok {
				es = append(es, r.e)
			}
			msg := fmt.Sprintf("In %s the API answered 401 at #%d and the component made %s before its next API call; one is enough:%s",
				msgName(m), first.Seq, plural(len(ok), "successful refresh", "successful refreshes"), v.evidence(append(append([]*mockprovider.Entry{}, g.calls...), es...)...))
			res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("%d refreshes after the 401 at #%d", len(ok), first.Seq), Seqs: seqs(append(g.calls, es...)...), Message: msg})
		}
	}
	res.pass = fmt.Sprintf("one refresh after each 401 (%s)", plural(len(groups), "401 exchange", "401 exchanges"))
	return res
}

func judgeR02EveryCall(v *view) result {
	var res result
	calls := 0
	for _, m := range v.tr.Messages {
		api := v.apiCalls(m.Index, 0, 0)
		calls += len(api)
		var ok []*refresh
		for _, r := range v.refreshesIn(m.Index, 0, 0) {
			if r.class == refreshOK {
				ok = append(ok, r)
			}
		}
		for _, c := range api {
			at := presented(c)
			if r := v.issuedIn(m.Index, at); r != nil && r.e.Seq < c.Seq {
				continue
			}
			res.findings = append(res.findings, Finding{
				Summary: fmt.Sprintf("API call #%d without a refresh for it", c.Seq),
				Seqs:    []int64{c.Seq},
				Message: fmt.Sprintf("The component declares strategy every-call, but in %s it called the API at #%d with %s, which it had not refreshed for this message:%s",
					msgName(&m), c.Seq, orNone(at), v.evidence(c)),
			})
			break
		}
		if len(ok) > len(api) && len(api) > 0 {
			var es []*mockprovider.Entry
			for _, r := range ok {
				es = append(es, r.e)
			}
			res.findings = append(res.findings, Finding{
				Summary: fmt.Sprintf("%d refreshes for %d API calls", len(ok), len(api)),
				Seqs:    seqs(es...),
				Message: fmt.Sprintf("In %s the component made %s for %s; every-call means one refresh per call (shared by calls made together):%s",
					msgName(&m), plural(len(ok), "successful refresh", "successful refreshes"), plural(len(api), "API call", "API calls"), v.evidence(append(es, api...)...)),
			})
		}
	}
	if calls == 0 {
		return skipped("the component made no API call")
	}
	res.pass = "every API call used a token refreshed for it"
	return res
}

func orNone(l string) string {
	if l == "" {
		return "no token the provider issued"
	}
	return l
}

func outcomeText(m *harness.Message) string {
	if m == nil {
		return "no message"
	}
	switch m.Outcome {
	case harness.OutcomeOK:
		return "ok (no error)"
	case harness.OutcomeError:
		return "with an error"
	}
	s := string(m.Outcome)
	if m.Detail != "" {
		s += " (" + firstLine(m.Detail) + ")"
	}
	return s
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// ---- R03 ----

func judgeR03(v *view) result {
	var res result
	var reqs []*mockprovider.Entry
	for _, r := range v.refs {
		e := r.e
		if e.Kind == mockprovider.KindUnknown {
			res.findings = append(res.findings, Finding{
				Summary: fmt.Sprintf("refresh request #%d sent to %s, not the token endpoint", e.Seq, e.Path),
				Seqs:    []int64{e.Seq},
				Message: fmt.Sprintf("The component sent a refresh request to %s%s, which is not %s's token endpoint:%s", hostOnly(e.Host), e.Path, v.providerName(), v.evidence(e)),
			})
			continue
		}
		form, _ := url.ParseQuery(e.Body)
		reqs = append(reqs, e)
		var wrong []string
		if _, isJSON := decodeObject(e.Body); isJSON {
			wrong = append(wrong, "its body was JSON: a token endpoint reads only a form-encoded body (RFC 6749 §6, Appendix B), so it saw no grant_type")
		}
		if e.Method != "POST" {
			wrong = append(wrong, fmt.Sprintf("it used %s instead of POST", e.Method))
		}
		ct := e.Header.Get("Content-Type")
		if !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
			if ct == "" {
				ct = "none"
			}
			wrong = append(wrong, fmt.Sprintf("its Content-Type was %s, not application/x-www-form-urlencoded", ct))
		}
		if g := form.Get("grant_type"); g != "refresh_token" {
			if g == "" {
				wrong = append(wrong, "it had no grant_type parameter")
			} else {
				wrong = append(wrong, fmt.Sprintf("its grant_type was %q", g))
			}
		}
		if form.Get("refresh_token") == "" && v.storedRT(v.msgOf[e.Seq]) {
			wrong = append(wrong, "it had no refresh_token parameter although the stored keys held one")
		}
		id, secret := form.Get("client_id") != "", form.Get("client_secret") != ""
		if bid, bsecret, ok := basicAuth(e.Header.Get("Authorization"), v.tr.Redacted); ok {
			id, secret = id || bid, secret || bsecret
		}
		if !id {
			wrong = append(wrong, "it carried no client_id (in the body or an HTTP Basic header)")
		}
		if !secret {
			wrong = append(wrong, "it carried no client_secret (in the body or an HTTP Basic header)")
		}
		if len(wrong) > 0 {
			body := e.Body
			if len(body) > 300 {
				body = body[:300] + "…"
			}
			res.findings = append(res.findings, Finding{
				Summary: fmt.Sprintf("malformed refresh request #%d", e.Seq),
				Seqs:    []int64{e.Seq},
				Message: fmt.Sprintf("The refresh request #%d was not well formed: %s.%s\n  body: %s", e.Seq, strings.Join(wrong, "; "), v.evidence(e), body),
			})
		}
	}
	if len(reqs) == 0 && len(res.findings) == 0 {
		return skipped("the component made no refresh request")
	}
	res.pass = fmt.Sprintf("%s well formed", plural(len(reqs), "refresh request", "refresh requests"))
	return res
}

// storedRT tells whether the stored keys held a refresh token when
// message m started (a missing parameter is then the component's doing,
// not a consequence of lost keys, which R06 judges).
func (v *view) storedRT(m int) bool {
	mm := v.message(m)
	if mm == nil {
		return true
	}
	f, ok := v.keysField(mm.KeysBefore)
	return ok && str(f["refresh_token"]) != ""
}

// basicAuth reads an HTTP Basic header, redacted ("Basic [id:[CLIENT_SECRET#1]]")
// or not.
func basicAuth(h string, redacted bool) (id, secret, ok bool) {
	scheme, cred, found := strings.Cut(strings.TrimSpace(h), " ")
	if !found || !strings.EqualFold(scheme, "basic") {
		return false, false, false
	}
	cred = strings.TrimSpace(cred)
	if strings.HasPrefix(cred, "[") && strings.HasSuffix(cred, "]") {
		i, s, _ := strings.Cut(cred[1:len(cred)-1], ":")
		return i != "", s != "", true
	}
	if raw, err := decodeBase64(cred); err == nil {
		i, s, _ := strings.Cut(raw, ":")
		return i != "", s != "", true
	}
	return false, false, false
}

// ---- R16 ----

func judgeR16(v *view) result {
	var res result
	judged := 0
	for _, g := range v.stale401Groups() {
		if len(g.calls) < 2 {
			continue
		}
		judged++
		var counted []*refresh
		for _, r := range v.groupRefreshes(g) {
			if r.class != refreshTransient {
				counted = append(counted, r)
			}
		}
		if len(counted) <= 1 {
			continue
		}
		var es []*mockprovider.Entry
		for _, r := range counted {
			es = append(es, r.e)
		}
		m := v.message(g.msg)
		msg := fmt.Sprintf("In %s %s got 401 together (%s, access token %s) and the component made %s for them:%s",
			msgName(m), plural(len(g.calls), "API call", "API calls"), seqList(g.calls, 6), g.at, plural(len(counted), "refresh request", "refresh requests"), v.evidence(append(append([]*mockprovider.Entry{}, g.calls...), es...)...))
		for _, r := range counted {
			if r.inFlight {
				msg += fmt.Sprintf("\n%s refused #%d because another refresh with the same token was still being answered.", v.providerName(), r.e.Seq)
				break
			}
		}
		var extra []fact
		for _, r := range counted[1:] {
			extra = append(extra, fact{factConcurrentRefresh, r.e.Seq})
		}
		res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("%d refreshes for %d concurrent 401s", len(counted), len(g.calls)), Seqs: seqs(append(g.calls, es...)...), Message: msg, produces: extra})
	}
	if judged == 0 {
		return skipped("the trace shows no concurrent 401s (the component made its API calls one at a time)")
	}
	res.pass = "one refresh for the concurrent 401s"
	return res
}

// ---- R17 ----

// knownExpiry is when the component could know access token at expires:
// receipt of the refresh response + its expires_in, or, for the token the
// account signed in with, the first message + the stored expires_in.
func (v *view) knownExpiry(at string) (time.Time, bool) {
	if r := v.issuer(at); r != nil {
		if n, ok := number(r.resp["expires_in"]); ok {
			return r.e.VirtualTime.Add(time.Duration(n) * time.Second), true
		}
		return time.Time{}, false
	}
	if at != "" && at == v.initialAT() && len(v.tr.Messages) > 0 {
		f, _ := v.keysField(v.tr.InitialKeys)
		if n, ok := number(f["expires_in"]); ok {
			return v.tr.Messages[0].VirtualTime.Add(time.Duration(n) * time.Second), true
		}
	}
	return time.Time{}, false
}

func number(x any) (float64, bool) {
	switch n := x.(type) {
	case float64:
		return n, true
	case string:
		var f float64
		if _, err := fmt.Sscan(n, &f); err == nil {
			return f, true
		}
	}
	return 0, false
}

func judgeR17(v *view) result {
	var res result
	judged := 0
	for _, e := range v.entries {
		if e.Kind != mockprovider.KindAPI {
			continue
		}
		at := presented(e)
		exp, ok := v.knownExpiry(at)
		if ok && !e.VirtualTime.Before(exp) {
			judged++
			res.findings = append(res.findings, Finding{
				Summary: fmt.Sprintf("API call #%d with %s after its known expiry", e.Seq, at),
				Seqs:    []int64{e.Seq},
				Message: fmt.Sprintf("The component declares strategy before-expiry, but at #%d it called the API with %s, whose lifetime (expires_in) had passed %s earlier:%s",
					e.Seq, at, e.VirtualTime.Sub(exp).Round(time.Second), v.evidence(e)),
			})
			break
		}
	}
	for _, r := range v.refs {
		at := v.currentAT(r.e.Seq)
		if exp, ok := v.knownExpiry(at); ok && !r.e.VirtualTime.Add(earlyRefresh).Before(exp) {
			judged++
		}
	}
	if judged == 0 {
		return skipped("no access token's known lifetime (expires_in) passed while the component was running")
	}
	res.pass = "refreshed before calling once the token's lifetime had passed"
	return res
}

// unusableOrigins are the facts a 401 group follows from when the token it
// presented is none the provider issued: the component took it from an
// unusable token response, or from keys it stored from one.
func (v *view) unusableOrigins(g group401) []fact {
	if g.at != "" {
		return nil
	}
	first := g.calls[0]
	var out []fact
	for _, r := range v.refs {
		if r.e.Seq < first.Seq && (r.class == refreshMalformed || r.class == refreshTransient) {
			out = append(out, fact{factUnusableAnswer, r.e.Seq})
		}
	}
	for _, k := range v.tr.KeyUpdates {
		if k.JournalSeq < first.Seq {
			out = append(out, fact{factBadKeys, k.JournalSeq})
		}
	}
	return out
}

// concurrentRefreshes are the refreshes made for 401s that came together
// (R16's to judge).
func (v *view) concurrentRefreshes() map[*refresh]bool {
	out := map[*refresh]bool{}
	for _, g := range v.stale401Groups() {
		if len(g.calls) < 2 {
			continue
		}
		for _, r := range v.groupRefreshes(g) {
			out[r] = true
		}
	}
	return out
}

// groupRefreshes are the refreshes made for a group of 401s that came
// together: from the group on, those that present the same refresh token
// as the first (none of them waited for another's answer), until the API
// rejects a token refreshed in the message, which is a new problem. Their
// replays may come between them: the server sees a component's requests in
// whatever order their answers allow. There are at most as many as 401s.
func (v *view) groupRefreshes(g group401) []*refresh {
	if len(g.calls) < 2 {
		refs, _ := v.afterGroup(g)
		return refs
	}
	var out []*refresh
	rt := ""
	for _, e := range v.inMessage(g.msg, "", g.calls[0].Seq, 0) {
		if e.Kind == mockprovider.KindAPI && e.Status == 401 && v.issuedIn(g.msg, presented(e)) != nil {
			break
		}
		r := v.refBySeq[e.Seq]
		if r == nil {
			continue
		}
		if len(out) == 0 {
			rt = presented(e)
		} else if presented(e) != rt {
			break
		}
		out = append(out, r)
		if len(out) == len(g.calls) {
			break // one per failed call at most; a later one is another refresh
		}
	}
	return out
}
