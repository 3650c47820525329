// Judges of the keys the platform stores: R05 (entire updateKeys), R06 (credentials survive), R07 (rotated refresh tokens).

package suites

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/internal/jsontext"
	"github.com/refreshproof/refreshproof/mockprovider"
)

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
			msg += "\nThe stored keys still hold the old tokens; the next container starts from them."
			if rej := v.rejectedUpdateKeys(r); rej != "" {
				msg += "\n" + rej
			}
			res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("no updateKeys after the refresh at #%d", r.e.Seq), Seqs: []int64{r.e.Seq}, Message: msg,
				produces: []fact{{factNotStored, r.e.Seq}}, restsOn: []fact{{factConcurrentRefresh, r.e.Seq}}})
			continue
		case len(ks) > 1:
			var at []string
			for _, k := range ks {
				at = append(at, fmt.Sprintf("#%d", k.JournalSeq))
			}
			res.findings = append(res.findings, Finding{
				Summary: fmt.Sprintf("%d updateKeys for the refresh at #%d", len(ks), r.e.Seq),
				Seqs:    []int64{r.e.Seq},
				restsOn: []fact{{factConcurrentRefresh, r.e.Seq}},
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
			case !reflect.DeepEqual(g, x):
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
		where := v.where()
		if !okf {
			where = fmt.Sprintf("(it has no %s at all)", v.where()[len("under "):])
		}
		top, _ := decodeObject(string(k.Keys))
		msg := fmt.Sprintf("The updateKeys at #%d after the refresh at #%d %s of the token response %s.%s\nExpected %s (the token response over what was emitted) vs received (-expected +received):\n%s",
			k.JournalSeq, r.e.Seq, strings.Join(what, " and "), where, v.evidence(r.e),
			v.cf, indent(keysDiff(v.cf, shortValues(want), shortValues(got))))
		if !okf && top != nil {
			b, _ := json.Marshal(shortValues(top))
			msg += "\nThe emitted keys were: " + truncate(string(b), 400)
		}
		if contains(missing, "refresh_token") {
			msg += "\nThe platform replaces the stored keys with this object, so the refresh token is gone after the next restart."
		}
		fs := []fact{{factNotStored, r.e.Seq}}
		if contains(missing, "refresh_token") || contains(missing, "access_token") || contains(changed, "refresh_token") || contains(changed, "access_token") {
			fs = append(fs, fact{factBadKeys, k.JournalSeq})
		}
		res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("updateKeys #%d %s", k.JournalSeq, strings.Join(what, " and ")), Seqs: []int64{r.e.Seq, k.JournalSeq}, Message: msg, produces: fs})
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
		case ev.Unbound:
			how := "the sailor returned false for it"
			if ev.SettleError != "" {
				how = "the sailor rejected it (" + firstLine(ev.SettleError) + ")"
			}
			return fmt.Sprintf("The component did call emit('updateKeys') (event %d), but detached from the sailor's emitter (as in const emit = this.emit; emit('updateKeys', …)): %s, and nothing reached the platform. Sailors before 2.7 return false for such a call, 2.7 rejects it; either way the keys are lost unless the component checks.\nFix: call this.emit('updateKeys', …) on the emitter process was called with, or bind it (const emit = this.emit.bind(this)), and await it.", ev.ID, how)
		case ev.SettleError != "":
			return fmt.Sprintf("The component's emit('updateKeys') (event %d) was rejected and never reached the platform: %s", ev.ID, firstLine(ev.SettleError))
		case !ev.Settled:
			return fmt.Sprintf("The component's emit('updateKeys') (event %d) never settled.", ev.ID)
		}
	}
	return ""
}

// keysDiff shows want (the token response over what was emitted) against
// got (what was emitted) as the JSON object under name, one field per
// line: "-" for a field expected and not received, or received with
// another value, "+" for what was received instead. JSON, not Go syntax:
// the reader writes JavaScript.
func keysDiff(name string, want, got map[string]any) string {
	keys := make([]string, 0, len(want)+len(got))
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, dup := want[k]; !dup {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	line := func(mark byte, k string, x any) {
		fmt.Fprintf(&b, "%c     %s: %s\n", mark, jsonText(k), jsonText(x))
	}
	fmt.Fprintf(&b, "  %s: {\n", jsonText(name))
	for _, k := range keys {
		w, inW := want[k]
		g, inG := got[k]
		if inW && inG && reflect.DeepEqual(w, g) {
			line(' ', k, w)
			continue
		}
		if inW {
			line('-', k, w)
		}
		if inG {
			line('+', k, g)
		}
	}
	b.WriteString("  }\n")
	return b.String()
}

// jsonText is x as compact JSON, with <, > and & as they are.
func jsonText(x any) string {
	s, err := jsontext.String(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	return s
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
		// A refresh token under another name in the credential object still
		// counts; one stored anywhere else in the keys does not: the
		// component reads its tokens at its credential path only.
		rt = ""
		inField, _ := json.Marshal(f)
		for _, m := range secretRE.FindAllString(string(inField), -1) {
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
			fmt.Fprintf(&b, " (%s it has %s)", v.where(), strings.Join(names, ", "))
		}
		b.WriteString(".")
		if elsewhere := v.refreshTokenElsewhere(v.tr.FinalKeys); elsewhere != "" {
			fmt.Fprintf(&b, " The keys do hold %s, but not %s, where the component reads its tokens: it is lost all the same.", elsewhere, v.where())
		}
		var ev []*mockprovider.Entry
		var rests []fact
		for _, k := range v.tr.KeyUpdates {
			before, _ := v.keysField(k.Before)
			after, _ := v.keysField(k.After)
			if str(before["refresh_token"]) != "" && str(after["refresh_token"]) == "" {
				rests = append(rests, fact{factBadKeys, k.JournalSeq})
				fmt.Fprintf(&b, "\nThe updateKeys at #%d replaced keys that held %s with keys that hold none: the platform replaces the stored keys with what updateKeys carries.", k.JournalSeq, orNone(v.label(str(before["refresh_token"]))))
				for _, r := range v.refs {
					if r.e.Seq < k.JournalSeq && r.class == refreshOK {
						if _, has := r.resp["refresh_token"]; !has {
							why := "the provider left it out"
							if v.info.OmitsRefreshToken {
								why = v.providerName() + " omits it unless rotating"
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
		res.findings = append(res.findings, Finding{Summary: "the stored keys lost the refresh token", Seqs: seqs(ev...), Message: b.String(), restsOn: rests})
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
			var rests []fact
			for _, r := range v.refs {
				if r.class == refreshOK && r.rt == newest {
					rests = append(rests, fact{factNotStored, r.e.Seq})
				}
			}
			res.warnings = append(res.warnings, Finding{
				restsOn: rests,
				Summary: fmt.Sprintf("the stored keys hold superseded %s, not the newest %s", rt, newest),
				Message: fmt.Sprintf("At the end the stored keys hold refresh token %s; a refresh response has since delivered %s. %s still accepts %s, but a provider that rotates with reuse detection would not.", rt, newest, v.providerName(), rt),
			})
		}
		return res
	}
	var b strings.Builder
	fmt.Fprintf(&b, "At the end of the run the account's stored keys hold refresh token %s, which the provider no longer accepts (%s).", rt, tok.State)
	var ev []*mockprovider.Entry
	var rests []fact
	if reuse := v.reuse(tok.Family); reuse != nil {
		ev = append(ev, reuse.e)
		rests = append(rests, fact{factReuse, reuse.e.Seq})
		fmt.Fprintf(&b, "\nThe provider revoked the whole token family %s when the component presented the rotated-out refresh token %s at #%d:%s", tok.Family, reuse.e.Presented.Label, reuse.e.Seq, v.evidence(reuse.e))
		if note := v.cfgFrozen(reuse); note != "" {
			b.WriteString("\n" + note)
		}
		b.WriteString("\nWhy it matters: the account is dead until a user signs in again; every message fails until then.")
		b.WriteString("\nFix: keep the newest tokens in memory per account (module scope, keyed by the account) and refresh with them, not with cfg; emit each refresh response whole with updateKeys.")
	} else if tok.State == mockprovider.StateRotated {
		newest := v.newestRT(tok.Family)
		fmt.Fprintf(&b, "\nThe provider replaced %s by %s; the updateKeys after that refresh did not store the new refresh token.", rt, orNone(newest))
		for _, r := range v.refs {
			if r.class == refreshOK && r.rt != "" && r.rt == newest {
				rests = append(rests, fact{factNotStored, r.e.Seq})
			}
		}
	}
	res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("the stored refresh token %s is %s", rt, tok.State), Seqs: seqs(ev...), Message: b.String(), restsOn: rests})
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
			res.findings = append(res.findings, Finding{Summary: fmt.Sprintf("presented rotated-out %s at #%d", p.Label, r.e.Seq), Seqs: seqs(append(later, r.e)...), Message: b.String(),
				produces: []fact{{factReuse, r.e.Seq}}, restsOn: append([]fact{{factConcurrentRefresh, r.e.Seq}}, v.successorNotStored(r)...)})
		case mockprovider.StateSuperseded:
			judged++
			m := v.message(r.msg)
			var b strings.Builder
			fmt.Fprintf(&b, "In %s the component refreshed at #%d with %s, a refresh token the provider had already replaced by a newer one; %s still accepts it, so nothing broke here:%s", msgName(m), r.e.Seq, p.Label, v.providerName(), v.evidence(r.e))
			if note := v.cfgFrozen(r); note != "" {
				b.WriteString("\n" + strings.Replace(note, "Under Salesforce", v.providerName()+" keeps superseded refresh tokens valid, but under Salesforce", 1))
			} else if prev := v.previousUse(r); prev != nil {
				fmt.Fprintf(&b, "\nIt had used %s before, at #%d, which returned %s.", p.Label, prev.e.Seq, orNone(prev.rt))
			}
			b.WriteString("\nWhy it matters: with a provider that invalidates used refresh tokens (Salesforce rotation with reuse detection), this request would revoke the whole token family.")
			b.WriteString("\nFix: keep the newest tokens in memory per account and refresh with the newest refresh token.")
			res.warnings = append(res.warnings, Finding{Summary: fmt.Sprintf("presented superseded %s at #%d", p.Label, r.e.Seq), Seqs: []int64{r.e.Seq}, Message: b.String(),
				restsOn: append([]fact{{factConcurrentRefresh, r.e.Seq}}, v.successorNotStored(r)...)})
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
		// A successor answered after this request was sent was not known
		// to it: the two were concurrent.
		answered := !x.e.Time.Add(x.e.Duration).After(r.e.Time)
		if x.e.Seq < r.e.Seq && answered && presented(x.e) == presented(r.e) && x.class == refreshOK && x.rt != "" && x.rt != presented(r.e) {
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

// maxShown is the longest string value a message shows whole; a token the
// provider does not label (an id_token, a JWT) is longer and is shown by
// its start and length.
const maxShown = 64

// shortValues returns m with long string values shortened for display.
func shortValues(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, x := range m {
		if s, ok := x.(string); ok && len(s) > maxShown {
			x = fmt.Sprintf("%s… (%d characters)", s[:12], len(s))
		}
		out[k] = x
	}
	return out
}

// successorNotStored are the facts an old refresh token presented at r
// follows from when the refresh that replaced it never reached the stored
// keys (R05): a new container could only start from the old one.
func (v *view) successorNotStored(r *refresh) []fact {
	var out []fact
	for _, x := range v.refs {
		if x.e.Seq < r.e.Seq && presented(x.e) == presented(r.e) && x.class == refreshOK && x.rt != "" {
			out = append(out, fact{factNotStored, x.e.Seq})
		}
	}
	return out
}

// where names the credential path for messages: `under "oauth"`, `under
// "auth.oauth2.keys"`, or "at the top level of the keys".
func (v *view) where() string {
	if v.cf == harness.TopLevel {
		return "at the top level of the keys"
	}
	return fmt.Sprintf("under %q", v.cf)
}

// refreshTokenElsewhere is the label of a refresh token the keys hold
// outside the credential path, or "".
func (v *view) refreshTokenElsewhere(raw json.RawMessage) string {
	for _, m := range secretRE.FindAllString(string(raw), -1) {
		if l := v.label(m); v.tokens[l].Kind == mockprovider.RefreshToken {
			return l
		}
	}
	if !v.tr.Redacted {
		for val, l := range v.byValue {
			if v.tokens[l].Kind == mockprovider.RefreshToken && strings.Contains(string(raw), val) {
				return l
			}
		}
	}
	return ""
}
