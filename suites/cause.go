package suites

import "sort"

// factKind names something a finding establishes about a scenario, so that
// a finding of another rule can say it follows from it.
type factKind int

const (
	// factBadKeys: the updateKeys at seq handed the platform keys it
	// should not have stored (no new access token, no refresh token).
	factBadKeys factKind = iota + 1
	// factNotStored: the successful refresh at seq never reached the
	// stored keys whole (no updateKeys, or one without its tokens).
	factNotStored
	// factReuse: the refresh at seq presented a rotated-out refresh
	// token, and the provider revoked the family.
	factReuse
	// factUnusableAnswer: the component went on with what it made of the
	// unusable token response at seq.
	factUnusableAnswer
	// factConcurrentRefresh: the refresh at seq was one of several made
	// for 401s that came together, where one was enough.
	factConcurrentRefresh
	// factLoop: the component kept refreshing or calling in message seq
	// (a message index), so the message could not end.
	factLoop
	// factWrongHost: in message seq the component called an API host the
	// latest refresh had moved it away from, which answers 401.
	factWrongHost
	// factOwnRefresh: in message seq (a message index) a Secrets-mode
	// component called the token endpoint itself instead of asking the
	// platform.
	factOwnRefresh
	// factSecretErrorIgnored: in message seq (a message index) a
	// Secrets-mode component went on with a secret in state error, so
	// the refresh it then asked for was refused again.
	factSecretErrorIgnored
)

type fact struct {
	kind factKind
	seq  int64
}

// linkCauses marks each failed finding that rests on a fact another
// rule's failed finding established as that rule's consequence, following
// chains to the root, and marks a verdict whose findings all follow from
// one cause as a consequence of it. Verdicts are in ID order, so where two
// findings establish the same fact the lower rule ID is the cause.
func linkCauses(vs []Verdict) {
	type origin struct {
		rule, summary string
		vi, fi        int
	}
	by := map[fact]origin{}
	for vi, vd := range vs {
		if vd.Status != Failed {
			continue
		}
		for fi, f := range vd.Findings {
			for _, x := range f.produces {
				if _, ok := by[x]; !ok {
					by[x] = origin{vd.Rule, f.Summary, vi, fi}
				}
			}
		}
	}
	// causeOf returns the root origin of finding f of rule, if it has one.
	var causeOf func(f Finding, rule string) (origin, bool)
	depth := 0
	causeOf = func(f Finding, rule string) (origin, bool) {
		if depth > len(vs) {
			return origin{}, false // a cycle: no root
		}
		depth++
		defer func() { depth-- }()
		rests := append([]fact(nil), f.restsOn...)
		sort.Slice(rests, func(i, j int) bool { return rests[i].seq < rests[j].seq })
		for _, x := range rests {
			o, ok := by[x]
			if !ok || o.rule == rule {
				continue
			}
			if up, ok := causeOf(vs[o.vi].Findings[o.fi], o.rule); ok {
				return up, true
			}
			return o, true
		}
		return origin{}, false
	}
	for vi := range vs {
		vd := &vs[vi]
		list := vd.Findings
		switch {
		case vd.Status == Failed && len(vd.Findings) > 0:
		case vd.Status == Warned && len(vd.Warnings) > 0:
			// A warning can follow from a failure too (the stored keys hold
			// a superseded token because the refresh was never stored).
			list = vd.Warnings
		default:
			continue
		}
		var roots []origin
		for fi := range list {
			if o, ok := causeOf(list[fi], vd.Rule); ok {
				list[fi].CausedBy = o.rule
				roots = append(roots, o)
			}
		}
		if len(roots) == len(list) {
			vd.CausedBy, vd.Cause = roots[0].rule, roots[0].summary
		}
	}
	// Primary findings first within each verdict.
	for vi := range vs {
		sort.SliceStable(vs[vi].Findings, func(i, j int) bool {
			return vs[vi].Findings[i].CausedBy == "" && vs[vi].Findings[j].CausedBy != ""
		})
	}
}
