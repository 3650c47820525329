package suites

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
)

// earlyRefresh is how long before expiry a refresh still counts as
// "because the lifetime passed": clients refresh a little early to
// allow for clock skew and the request's own time.
const earlyRefresh = 5 * time.Minute

// maxRefreshAttempts bounds refresh attempts per message (R10).
const maxRefreshAttempts = 3

// prompt classifies the API answers that came before a refresh in its
// message, since the previous successful refresh (or the message start).
type prompt struct {
	calls      []*mockprovider.Entry
	got401     []*mockprovider.Entry
	got403     []*mockprovider.Entry
	gotServer  []*mockprovider.Entry // 429, 5xx, no answer
	sinceAnyRe []*mockprovider.Entry // calls since the previous refresh attempt of any kind
}

func (v *view) promptOf(r *refresh) prompt {
	var p prompt
	from := v.lastOKBefore(r.msg, r.e.Seq)
	if r.msg < 0 {
		// Outside a message there is no window: judge by the exchanges
		// since the previous refresh.
		for _, x := range v.refs {
			if x.e.Seq < r.e.Seq && x.msg < 0 && x.class == refreshOK {
				from = x.e.Seq
			}
		}
	}
	p.calls = v.apiCalls(r.msg, from, r.e.Seq)
	for _, c := range p.calls {
		switch {
		case c.Status == 401:
			p.got401 = append(p.got401, c)
		case c.Status == 403:
			p.got403 = append(p.got403, c)
		case c.Status == 429 || c.Status >= 500 || c.Status == 0:
			p.gotServer = append(p.gotServer, c)
		}
	}
	var prevAny int64
	for _, x := range v.refs {
		if x.msg == r.msg && x.e.Seq < r.e.Seq {
			prevAny = x.e.Seq
		}
	}
	p.sinceAnyRe = v.apiCalls(r.msg, prevAny, r.e.Seq)
	return p
}

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
	for _, r := range v.refs {
		p := v.promptOf(r)
		if len(p.got401) > 0 || len(p.got403) > 0 || len(p.gotServer) > 0 {
			continue // R02, R11 or R12 judge these
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
			msg := fmt.Sprintf("In %s the API answered 401 at #%d (access token %s) and the component did not refresh:", msgName(m), first.Seq, g.at)
			ev := append([]*mockprovider.Entry{}, g.calls...)
			if next != nil {
				msg += v.evidence(append(ev, next)...) + fmt.Sprintf("\nIts next API call (#%d) presented %s without a refresh.", next.Seq, orNone(presented(next)))
			} else {
				msg += v.evidence(ev...) + "\nThe message then ended: " + outcomeText(m)
			}
			res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("no refresh after the 401 at #%d", first.Seq), Seqs: seqs(ev...), Message: msg})
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
	for _, e := range v.entries {
		form, _ := url.ParseQuery(e.Body)
		isRefresh := e.Kind == mockprovider.KindToken && (e.Grant == "refresh_token" || form.Has("refresh_token"))
		if e.Kind == mockprovider.KindUnknown && (form.Get("grant_type") == "refresh_token" || strings.Contains(e.Body, "grant_type=refresh_token")) {
			res.findings = append(res.findings, Finding{
				Summary: fmt.Sprintf("refresh request #%d sent to %s, not the token endpoint", e.Seq, e.Path),
				Seqs:    []int64{e.Seq},
				Message: fmt.Sprintf("The component sent a refresh request to %s%s, which is not %s's token endpoint:%s", hostOnly(e.Host), e.Path, v.providerName(), v.evidence(e)),
			})
			continue
		}
		if !isRefresh {
			continue
		}
		reqs = append(reqs, e)
		var wrong []string
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

// ---- R04 ----

func judgeR04(v *view) result {
	var res result
	judged := 0
	for i, r := range v.refs {
		if r.class != refreshOK || v.cutOff(r) {
			continue
		}
		p := v.promptOf(r)
		if len(p.got401) == 0 {
			continue
		}
		// Only 401s this refresh answers: those not already followed by
		// an earlier refresh attempt are counted by that one.
		var rejected []*mockprovider.Entry
		for _, c := range p.got401 {
			handled := false
			for _, x := range v.refs[:i] {
				if x.msg == r.msg && x.class == refreshOK && x.e.Seq > c.Seq {
					handled = true
				}
			}
			if !handled {
				rejected = append(rejected, c)
			}
		}
		if len(rejected) == 0 {
			continue
		}
		judged++
		var to int64
		for _, x := range v.refs[i+1:] {
			if x.msg == r.msg && x.class == refreshOK {
				to = x.e.Seq
				break
			}
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
				if late && c.Status == 401 && presented(c) == presented(orig[0]) && presented(c) != r.at {
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
				res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("no replay of #%d after the refresh at #%d", first.Seq, r.e.Seq), Seqs: seqs(append(orig, r.e)...), Message: msg})
			case len(replays) > len(orig):
				res.findings = append(res.findings, Finding{
					Summary: fmt.Sprintf("replayed #%d %d times", first.Seq, len(replays)),
					Seqs:    seqs(append(append(orig, r.e), replays...)...),
					Message: fmt.Sprintf("In %s the request that got 401 at #%d was sent %s after the refresh at #%d; it should be replayed once:%s",
						msgName(m), first.Seq, plural(len(replays), "time", "times"), r.e.Seq, v.evidence(append(append(append([]*mockprovider.Entry{}, orig...), r.e), replays...)...)),
				})
			}
			for _, c := range replays {
				if presented(c) != r.at {
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

// ---- R05 ----

func judgeR05(v *view) result {
	var res result
	var ok []*refresh
	for _, r := range v.refs {
		if r.class == refreshOK {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return skipped("no refresh succeeded in this scenario")
	}
	// Assign each updateKeys to the refresh whose access token it
	// carries, else to the latest successful refresh before it.
	assigned := map[*refresh][]harness.KeyUpdate{}
	for _, k := range v.tr.KeyUpdates {
		var to *refresh
		if f, okf := v.keysField(k.Keys); okf {
			at := v.label(str(f["access_token"]))
			for _, r := range ok {
				if r.at != "" && r.at == at {
					to = r
				}
			}
		}
		if to == nil {
			for _, r := range ok {
				if r.e.Seq < k.JournalSeq {
					to = r
				}
			}
		}
		if to != nil {
			assigned[to] = append(assigned[to], k)
		}
	}
	for _, r := range ok {
		ks := assigned[r]
		m := v.message(r.msg)
		switch {
		case len(ks) == 0 && v.cutOff(r):
			// Killed right after the refresh: no chance to emit.
			continue
		case len(ks) == 0:
			msg := fmt.Sprintf("The refresh at #%d (%s) returned access token %s, but the platform never received an updateKeys with it:%s",
				r.e.Seq, msgName(m), r.at, v.evidence(r.e))
			if rej := v.rejectedUpdateKeys(r); rej != "" {
				msg += "\n" + rej
			}
			msg += "\nThe stored keys still hold the old tokens; the next container starts from them."
			res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("no updateKeys after the refresh at #%d", r.e.Seq), Seqs: []int64{r.e.Seq}, Message: msg})
			continue
		case len(ks) > 1:
			var at []string
			for _, k := range ks {
				at = append(at, fmt.Sprintf("#%d", k.JournalSeq))
			}
			res.findings = append(res.findings, Finding{
				Summary: fmt.Sprintf("%d updateKeys for the refresh at #%d", len(ks), r.e.Seq),
				Seqs:    []int64{r.e.Seq},
				Message: fmt.Sprintf("The refresh at #%d (%s) was followed by %d updateKeys (%s); emit exactly one per refresh:%s",
					r.e.Seq, msgName(m), len(ks), strings.Join(at, ", "), v.evidence(r.e)),
			})
		}
		k := ks[0]
		got, okf := v.keysField(k.Keys)
		if !okf {
			got = map[string]any{}
		}
		want := map[string]any{}
		for f, x := range got {
			want[f] = x
		}
		var missing, changed []string
		for f, x := range r.resp {
			g, present := got[f]
			switch {
			case !present:
				missing = append(missing, f)
			case !cmp.Equal(g, x):
				changed = append(changed, f)
			}
			want[f] = x
		}
		if len(missing) == 0 && len(changed) == 0 {
			continue
		}
		sort.Strings(missing)
		sort.Strings(changed)
		var what []string
		if len(missing) > 0 {
			what = append(what, "left out "+strings.Join(missing, ", "))
		}
		if len(changed) > 0 {
			what = append(what, "changed "+strings.Join(changed, ", "))
		}
		where := fmt.Sprintf("under %q", v.cf)
		if !okf {
			where = fmt.Sprintf("(it has no %q object at all)", v.cf)
		}
		top, _ := decodeObject(string(k.Keys))
		msg := fmt.Sprintf("The updateKeys at #%d after the refresh at #%d %s of the token response %s.%s\nExpected %s (the token response over what was emitted) vs received (-expected +received):\n%s",
			k.JournalSeq, r.e.Seq, strings.Join(what, " and "), where, v.evidence(r.e),
			v.cf, indent(cmp.Diff(map[string]any{v.cf: want}, map[string]any{v.cf: got})))
		if !okf && top != nil {
			b, _ := json.Marshal(top)
			msg += "\nThe emitted keys were: " + truncate(string(b), 400)
		}
		if contains(missing, "refresh_token") {
			msg += "\nThe platform replaces the stored keys with this object, so the refresh token is gone after the next restart."
		}
		res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("updateKeys #%d %s", k.JournalSeq, strings.Join(what, " and ")), Seqs: []int64{r.e.Seq, k.JournalSeq}, Message: msg})
	}
	res.pass = fmt.Sprintf("one complete updateKeys after each of %s", plural(len(ok), "refresh", "refreshes"))
	return res
}

// rejectedUpdateKeys explains updateKeys emits of a refresh's message that
// never reached the platform.
func (v *view) rejectedUpdateKeys(r *refresh) string {
	m := v.message(r.msg)
	if m == nil {
		return ""
	}
	for _, ev := range m.Events {
		if ev.Name != "updateKeys" || ev.JournalSeq < r.e.Seq {
			continue
		}
		switch {
		case ev.SettleError != "":
			return fmt.Sprintf("The component's emit('updateKeys') (event %d) was rejected and never reached the platform: %s", ev.ID, firstLine(ev.SettleError))
		case !ev.Settled:
			return fmt.Sprintf("The component's emit('updateKeys') (event %d) never settled.", ev.ID)
		}
	}
	return ""
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ---- R06 ----

func judgeR06(v *view) result {
	var res result
	if len(v.refs) == 0 && len(v.tr.KeyUpdates) == 0 {
		return skipped("the scenario made no refresh and no updateKeys, so the stored keys never changed")
	}
	f, _ := v.keysField(v.tr.FinalKeys)
	rt := v.label(str(f["refresh_token"]))
	if rt == "" || v.tokens[rt].Kind != mockprovider.RefreshToken {
		rt = ""
		for _, m := range secretRE.FindAllString(string(v.tr.FinalKeys), -1) {
			if l := v.label(m); v.tokens[l].Kind == mockprovider.RefreshToken {
				rt = l
			}
		}
	}
	if rt == "" {
		var b strings.Builder
		b.WriteString("At the end of the run the account's stored keys hold no refresh token")
		if f != nil {
			var names []string
			for k := range f {
				names = append(names, k)
			}
			sort.Strings(names)
			fmt.Fprintf(&b, " (%q has %s)", v.cf, strings.Join(names, ", "))
		}
		b.WriteString(".")
		var ev []*mockprovider.Entry
		for _, k := range v.tr.KeyUpdates {
			before, _ := v.keysField(k.Before)
			after, _ := v.keysField(k.After)
			if str(before["refresh_token"]) != "" && str(after["refresh_token"]) == "" {
				fmt.Fprintf(&b, "\nThe updateKeys at #%d replaced keys that held %s with keys that hold none: the platform replaces the stored keys with what updateKeys carries.", k.JournalSeq, orNone(v.label(str(before["refresh_token"]))))
				for _, r := range v.refs {
					if r.e.Seq < k.JournalSeq && r.class == refreshOK {
						if _, has := r.resp["refresh_token"]; !has {
							why := "the provider left it out"
							if v.salesforce() {
								why = "Salesforce omits it unless rotating"
							}
							fmt.Fprintf(&b, " The refresh response at #%d carried no refresh_token (%s), so the component must keep the one it has.", r.e.Seq, why)
							ev = append(ev, r.e)
						}
					}
				}
				break
			}
		}
		for _, r := range v.refs {
			if r.e.Presented == nil || r.e.Presented.Label == "" {
				if r.class == refreshRejected {
					fmt.Fprintf(&b, "\nLater the component had no refresh token to present; the provider refused the refresh:%s", v.evidence(r.e))
					ev = append(ev, r.e)
					break
				}
			}
		}
		b.WriteString("\nWhy it matters: every container started from these keys needs a refresh once the access token expires, and cannot make one; the account must be re-authorised by a person.")
		res.findings = append(res.findings, Finding{Summary: "the stored keys lost the refresh token", Seqs: seqs(ev...), Message: b.String()})
		return res
	}
	tok := v.tokens[rt]
	switch tok.State {
	case mockprovider.StateValid:
		res.pass = fmt.Sprintf("the stored keys hold %s, which the provider accepts", rt)
		return res
	case mockprovider.StateSuperseded:
		res.pass = fmt.Sprintf("the stored keys hold %s, which the provider still accepts", rt)
		if newest := v.newestKnownRT(); newest != "" && newest != rt {
			res.warnings = append(res.warnings, Finding{
				Summary: fmt.Sprintf("the stored keys hold superseded %s, not the newest %s", rt, newest),
				Message: fmt.Sprintf("At the end the stored keys hold refresh token %s; a refresh response has since delivered %s. %s still accepts %s, but a provider that rotates with reuse detection would not.", rt, newest, v.providerName(), rt),
			})
		}
		return res
	}
	var b strings.Builder
	fmt.Fprintf(&b, "At the end of the run the account's stored keys hold refresh token %s, which the provider no longer accepts (%s).", rt, tok.State)
	var ev []*mockprovider.Entry
	if reuse := v.reuse(tok.Family); reuse != nil {
		ev = append(ev, reuse.e)
		fmt.Fprintf(&b, "\nThe provider revoked the whole token family %s when the component presented the rotated-out refresh token %s at #%d:%s", tok.Family, reuse.e.Presented.Label, reuse.e.Seq, v.evidence(reuse.e))
		if note := v.cfgFrozen(reuse); note != "" {
			b.WriteString("\n" + note)
		}
		b.WriteString("\nWhy it matters: the account is dead until a user signs in again; every message fails until then.")
		b.WriteString("\nFix: keep the newest tokens in memory per account (module scope, keyed by the account) and refresh with them, not with cfg; emit each refresh response whole with updateKeys.")
	} else if tok.State == mockprovider.StateRotated {
		newest := v.newestRT(tok.Family)
		fmt.Fprintf(&b, "\nThe provider replaced %s by %s; the updateKeys after that refresh did not store the new refresh token.", rt, orNone(newest))
	}
	res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("the stored refresh token %s is %s", rt, tok.State), Seqs: seqs(ev...), Message: b.String()})
	return res
}

// newestRT is the label of the family's newest refresh token.
func (v *view) newestRT(family string) string {
	for _, f := range v.tr.Families {
		if f.ID == family {
			return f.CurrentRefresh
		}
	}
	return ""
}

// reuse returns the refresh that presented a rotated-out token of family.
func (v *view) reuse(family string) *refresh {
	for _, r := range v.refs {
		if p := r.e.Presented; p != nil && p.State == mockprovider.StateRotated && (family == "" || p.Family == family) {
			return r
		}
	}
	return nil
}

// cfgFrozen explains a stale refresh token that came from cfg: the
// container was started with it and the component had already refreshed
// in that container.
func (v *view) cfgFrozen(r *refresh) string {
	m := v.message(r.msg)
	if m == nil || r.e.Presented == nil {
		return ""
	}
	var first *harness.Message
	for i := range v.tr.Messages {
		if v.tr.Messages[i].Container == m.Container {
			first = &v.tr.Messages[i]
			break
		}
	}
	if first == nil {
		return ""
	}
	f, _ := v.keysField(first.KeysBefore)
	cfgRT := v.label(str(f["refresh_token"]))
	if cfgRT != r.e.Presented.Label {
		return ""
	}
	for _, x := range v.refs {
		xm := v.message(x.msg)
		if x.class == refreshOK && x.e.Seq < r.e.Seq && xm != nil && xm.Container == m.Container && presented(x.e) == cfgRT {
			return fmt.Sprintf("%s is the refresh token this container's cfg was started with. The component had already used it at #%d (in %s), which returned %s; but the platform never updates cfg inside a running container, so a component that takes the refresh token from cfg on every message (directly, or through a client it builds from cfg per message) presents the rotated-out token in its next message. Under Salesforce refresh-token rotation with reuse detection that is reuse, and the provider revokes the whole token family.",
				cfgRT, x.e.Seq, msgName(xm), orNone(x.rt))
		}
	}
	return ""
}

// ---- R07 ----

func judgeR07(v *view) result {
	var res result
	rotation := false
	for _, t := range v.tr.Tokens {
		if t.Kind == mockprovider.RefreshToken && t.ReplacedBy != "" {
			rotation = true
		}
	}
	judged := 0
	for _, r := range v.refs {
		p := r.e.Presented
		if p == nil {
			continue
		}
		if p.State == mockprovider.StateRotated || p.State == mockprovider.StateSuperseded {
			if !v.knewSuccessor(r) {
				continue // the newer token never reached the component
			}
		}
		switch p.State {
		case mockprovider.StateRotated:
			judged++
			m := v.message(r.msg)
			var b strings.Builder
			fmt.Fprintf(&b, "In %s the component refreshed at #%d with %s, a refresh token the provider had already replaced (rotated out):%s", msgName(m), r.e.Seq, p.Label, v.evidence(r.e))
			if note := v.cfgFrozen(r); note != "" {
				b.WriteString("\n" + note)
			} else if prev := v.previousUse(r); prev != nil {
				fmt.Fprintf(&b, "\nIt had used %s before, at #%d, which returned %s.", p.Label, prev.e.Seq, orNone(prev.rt))
			}
			var later []*mockprovider.Entry
			for _, x := range v.refs {
				if x.e.Seq > r.e.Seq && x.e.Presented != nil && x.e.Presented.State == mockprovider.StateRevoked {
					later = append(later, x.e)
				}
			}
			if revoked := v.familyRevoked(p.Family); revoked {
				fmt.Fprintf(&b, "\n%s treated this as reuse and revoked the whole token family %s, access tokens included.", v.providerName(), p.Family)
				if len(later) > 0 {
					fmt.Fprintf(&b, " Later refreshes with the family's newest token were refused too:%s", v.evidence(later...))
				}
				b.WriteString("\nWhy it matters: the account is dead until a user signs in again.")
			}
			b.WriteString("\nFix: keep the newest tokens in memory per account (module scope, keyed by the account) and prefer them over cfg, which the platform never updates inside a running container; adopt the refresh_token of every refresh response and emit it with updateKeys.")
			res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("presented rotated-out %s at #%d", p.Label, r.e.Seq), Seqs: seqs(append(later, r.e)...), Message: b.String()})
		case mockprovider.StateSuperseded:
			judged++
			m := v.message(r.msg)
			var b strings.Builder
			fmt.Fprintf(&b, "In %s the component refreshed at #%d with %s, a refresh token the provider had already replaced by a newer one; %s still accepts it, so nothing broke here:%s", msgName(m), r.e.Seq, p.Label, v.providerName(), v.evidence(r.e))
			if note := v.cfgFrozen(r); note != "" {
				b.WriteString("\n" + strings.Replace(note, "Under Salesforce", "Microsoft keeps superseded refresh tokens valid, but under Salesforce", 1))
			} else if prev := v.previousUse(r); prev != nil {
				fmt.Fprintf(&b, "\nIt had used %s before, at #%d, which returned %s.", p.Label, prev.e.Seq, orNone(prev.rt))
			}
			b.WriteString("\nWhy it matters: with a provider that invalidates used refresh tokens (Salesforce rotation with reuse detection), this request would revoke the whole token family.")
			b.WriteString("\nFix: keep the newest tokens in memory per account and refresh with the newest refresh token.")
			res.warnings = append(res.warnings, Finding{Summary: fmt.Sprintf("presented superseded %s at #%d", p.Label, r.e.Seq), Seqs: []int64{r.e.Seq}, Message: b.String()})
		default:
			if rotation && r.e.Seq > v.firstRotation() {
				judged++
			}
		}
	}
	if judged == 0 {
		return skipped("the provider did not rotate a refresh token before a later refresh in this scenario")
	}
	res.pass = "every refresh presented the newest refresh token"
	return res
}

// knewSuccessor tells whether an earlier refresh with the same refresh
// token delivered a newer one to the component. A successor issued in an
// answer the component never got (abandoned, malformed, or with
// refresh_token left out by a scripted rule) is not the component's to
// know.
func (v *view) knewSuccessor(r *refresh) bool {
	for _, x := range v.refs {
		if x.e.Seq < r.e.Seq && presented(x.e) == presented(r.e) && x.class == refreshOK && x.rt != "" && x.rt != presented(r.e) {
			return true
		}
	}
	return false
}

// newestKnownRT is the newest refresh token a refresh response delivered
// to the component, or the one the account signed in with.
func (v *view) newestKnownRT() string {
	f, _ := v.keysField(v.tr.InitialKeys)
	rt := v.label(str(f["refresh_token"]))
	for _, r := range v.refs {
		if r.class == refreshOK && r.rt != "" {
			rt = r.rt
		}
	}
	return rt
}

func (v *view) previousUse(r *refresh) *refresh {
	var prev *refresh
	for _, x := range v.refs {
		if x.e.Seq < r.e.Seq && presented(x.e) == presented(r.e) && x.class == refreshOK {
			prev = x
		}
	}
	return prev
}

func (v *view) familyRevoked(id string) bool {
	for _, f := range v.tr.Families {
		if f.ID == id {
			return f.Revoked
		}
	}
	return false
}

func (v *view) firstRotation() int64 {
	for _, r := range v.refs {
		if r.class == refreshOK && r.rt != "" {
			return r.e.Seq
		}
	}
	return 1 << 62
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
		msg := fmt.Sprintf("In %s the API answered 401 at #%d to the access token %s that the refresh at #%d had just returned; the component then %s:%s",
			msgName(&m), hit.Seq, presented(hit), issuer.e.Seq, strings.Join(problems, " and "), v.evidence(ev...))
		if len(calls) > 0 {
			msg += fmt.Sprintf("\nIt made %s after that.", plural(len(calls), "more API call", "more API calls"))
		}
		res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("after the repeated 401 at #%d it %s", hit.Seq, strings.Join(problems, " and ")), Seqs: seqs(ev...), Message: msg})
	}
	if judged == 0 {
		return skipped("no API call answered 401 to a freshly refreshed access token")
	}
	res.pass = "stopped with an error when the API refused a fresh token"
	return res
}

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
		res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("after the refused refresh at #%d it %s", r.e.Seq, problems[0]), Seqs: seqs(ev...), Message: msg})
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
		if (r.class != refreshTransient && r.class != refreshMalformed) || done[r.msg] {
			continue
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
				Summary: fmt.Sprintf("%d refresh attempts in %s", len(all), msgName(m)),
				Seqs:    seqs(es...),
				Message: fmt.Sprintf("In %s the token endpoint failed at #%d (%s) and the component made %d refresh attempts in the message (%s); at most %d are acceptable:%s",
					msgName(m), r.e.Seq, failureText(r), len(all), seqList(es, 10), maxRefreshAttempts, v.evidence(es[0], es[len(es)-1])),
			})
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
			got := "no access_token"
			switch {
			case at != "":
				got = "access token " + at + ", not a new one"
			case raw != "":
				got = fmt.Sprintf("access_token %q", truncate(raw, 40))
			}
			b, _ := json.Marshal(f)
			res.findings = append(res.findings, Finding{
				Summary: fmt.Sprintf("updateKeys #%d without a new access token", k.JournalSeq),
				Seqs:    []int64{r.e.Seq, k.JournalSeq},
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
		if got401 || len(hits) == 0 {
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

// ---- R13 ----

func judgeR13(v *view) result {
	var res result
	n := 0
	for _, e := range v.entries {
		if e.Kind != mockprovider.KindAPI {
			continue
		}
		n++
		p := e.Presented
		q := strings.ToLower(e.Query)
		inQuery := strings.Contains(q, "access_token=") || secretRE.MatchString(e.Query) || (p != nil && p.Where == "query")
		switch {
		case inQuery:
			res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("access token in the URL at #%d", e.Seq), Seqs: []int64{e.Seq},
				Message: fmt.Sprintf("The API call #%d carried the access token in its URL query:%s", e.Seq, v.evidence(e))})
		case p == nil || p.State == mockprovider.StateNone:
			res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("no access token at #%d", e.Seq), Seqs: []int64{e.Seq},
				Message: fmt.Sprintf("The API call #%d carried no access token in its Authorization header:%s", e.Seq, v.evidence(e))})
		case p.Where == "bearer" || (p.Where == "oauth" && v.salesforce()):
		default:
			res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("access token in %s at #%d", where(p.Where), e.Seq), Seqs: []int64{e.Seq},
				Message: fmt.Sprintf("The API call #%d carried the access token in %s, not in Authorization: Bearer:%s", e.Seq, where(p.Where), v.evidence(e))})
		}
		if len(res.findings) >= 3 {
			break
		}
	}
	if n == 0 {
		return skipped("the component made no API call")
	}
	res.pass = fmt.Sprintf("%s with Authorization: Bearer", plural(n, "API call", "API calls"))
	return res
}

// ---- R14 ----

func judgeR14(v *view) result {
	var res result
	type place struct{ where, text string }
	var places []place
	for _, c := range v.tr.Containers {
		places = append(places,
			place{fmt.Sprintf("the stdout of container %d", c.Index+1), c.Stdout},
			place{fmt.Sprintf("the stderr of container %d", c.Index+1), c.Stderr},
			place{fmt.Sprintf("an uncaught error in container %d", c.Index+1), strings.Join(c.Uncaught, "\n")},
			place{fmt.Sprintf("the set-up error of container %d", c.Index+1), c.Fatal})
	}
	for _, m := range v.tr.Messages {
		for _, e := range m.Events {
			if e.Name == "updateKeys" {
				continue
			}
			places = append(places, place{fmt.Sprintf("the %s event %d of %s", e.Name, e.ID, msgName(&m)), string(e.Args)})
		}
	}
	for _, p := range places {
		leaks := v.secretsIn(p.text)
		if len(leaks) == 0 {
			continue
		}
		var names []string
		seen := map[string]bool{}
		for _, l := range leaks {
			if !seen[l.label] {
				seen[l.label] = true
				names = append(names, secretKind(l.label)+" "+l.label)
			}
		}
		verb := "appears"
		if len(names) > 1 {
			verb = "appear"
		}
		res.findings = append(res.findings, Finding{
			Summary: fmt.Sprintf("%s in %s", strings.Join(names, ", "), p.where),
			Message: fmt.Sprintf("The %s %s in %s (shown redacted):\n  …%s…", joinAnd(names), verb, p.where, leaks[0].context),
		})
	}
	if len(places) == 0 {
		return skipped("the component produced no output and no events")
	}
	res.pass = "no token or client secret in the output, errors or emitted data"
	return res
}

type leak struct{ label, context string }

// secretsIn finds tokens and client secrets in text: their labels in a
// redacted trace, their values otherwise.
func (v *view) secretsIn(text string) []leak {
	var out []leak
	ctx := func(i, j int) string {
		a, b := max(0, i-60), min(len(text), j+60)
		s := strings.ReplaceAll(text[a:b], "\n", "⏎")
		if !v.tr.Redacted {
			for val, l := range v.byValue {
				s = strings.ReplaceAll(s, val, "["+l+"]")
			}
		}
		return s
	}
	if v.tr.Redacted {
		for _, loc := range secretRE.FindAllStringIndex(text, -1) {
			out = append(out, leak{text[loc[0]+1 : loc[1]-1], ctx(loc[0], loc[1])})
		}
		return out
	}
	for val, l := range v.byValue {
		if len(val) < 8 {
			continue
		}
		if i := strings.Index(text, val); i >= 0 {
			out = append(out, leak{l, ctx(i, i+len(val))})
		}
	}
	return out
}

// ---- R15 ----

func judgeR15(v *view) result {
	var res result
	if !v.salesforce() {
		return skipped("only Salesforce tells the client where its org lives (instance_url)")
	}
	judged, more := 0, 0
	for i, r := range v.refs {
		if r.class != refreshOK {
			continue
		}
		iu := str(r.resp["instance_url"])
		u, err := url.Parse(iu)
		if iu == "" || err != nil || u.Host == "" {
			continue
		}
		judged++
		end := r.e.Time.Add(r.e.Duration)
		var to int64
		for _, x := range v.refs[i+1:] {
			if x.class == refreshOK {
				to = x.e.Seq
				break
			}
		}
		for _, c := range v.entries {
			if c.Kind != mockprovider.KindAPI || c.Seq <= r.e.Seq || (to > 0 && c.Seq >= to) || !c.Time.After(end) {
				continue
			}
			if !strings.EqualFold(hostOnly(c.Host), u.Hostname()) {
				if len(res.findings) >= 3 { // a loop repeats the same finding
					more++
					break
				}
				res.findings = append(res.findings, Finding{
					Summary: fmt.Sprintf("API call #%d went to %s, not %s", c.Seq, hostOnly(c.Host), u.Hostname()),
					Seqs:    []int64{r.e.Seq, c.Seq},
					Message: fmt.Sprintf("The refresh at #%d returned instance_url %s, but the API call #%d went to %s:%s",
						r.e.Seq, iu, c.Seq, hostOnly(c.Host), v.evidence(r.e, c)),
				})
				break
			}
		}
	}
	if more > 0 {
		res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("%d more refreshes", more),
			Message: fmt.Sprintf("… and after %d more refreshes the API calls went to the old host too.", more)})
	}
	if judged == 0 {
		return skipped("no Salesforce refresh succeeded with an instance_url")
	}
	res.pass = "API calls followed the instance_url of each refresh"
	return res
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
		refs, _ := v.afterGroup(g)
		var counted []*refresh
		for _, r := range refs {
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
		res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("%d refreshes for %d concurrent 401s", len(counted), len(g.calls)), Seqs: seqs(append(g.calls, es...)...), Message: msg})
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
