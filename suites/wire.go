// Judges of what crosses the wire and the logs: R13 (bearer authorization), R14 (secrets stay secret), R15 (instance_url).

package suites

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
)

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
		case slices.Contains(v.info.AuthSchemes, p.Where):
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
	if !v.info.InstanceURL {
		return skipped("%s's token responses do not say where the API lives (instance_url)", v.providerName())
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
				var rests []fact
				if v.strategy == harness.StrategyPlatformSecrets && r.e.Caller == "" {
					// A Secrets-mode component that refreshed by itself kept
					// the new instance_url from the platform's secret.
					rests = []fact{{factOwnRefresh, int64(r.msg)}}
				}
				res.findings = append(res.findings, Finding{
					Summary:  fmt.Sprintf("API call #%d went to %s, not %s", c.Seq, hostOnly(c.Host), u.Hostname()),
					Seqs:     []int64{r.e.Seq, c.Seq},
					produces: []fact{{factWrongHost, int64(v.msgOf[c.Seq])}},
					restsOn:  rests,
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
