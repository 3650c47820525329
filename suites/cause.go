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
	// cause returns the root origin of finding (vi, fi), if it has one.
	var cause func(vi, fi int, depth int) (origin, bool)
	cause = func(vi, fi int, depth int) (origin, bool) {
		if depth > len(vs) {
			return origin{}, false // a cycle: no root
		}
		f := vs[vi].Findings[fi]
		rests := append([]fact(nil), f.restsOn...)
		sort.Slice(rests, func(i, j int) bool { return rests[i].seq < rests[j].seq })
		for _, x := range rests {
			o, ok := by[x]
			if !ok || o.rule == vs[vi].Rule {
				continue
			}
			if up, ok := cause(o.vi, o.fi, depth+1); ok {
				return up, true
			}
			return o, true
		}
		return origin{}, false
	}
	for vi := range vs {
		vd := &vs[vi]
		if vd.Status != Failed || len(vd.Findings) == 0 {
			continue
		}
		var roots []origin
		for fi := range vd.Findings {
			if o, ok := cause(vi, fi, 0); ok {
				vd.Findings[fi].CausedBy = o.rule
				roots = append(roots, o)
			}
		}
		if len(roots) == len(vd.Findings) {
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
