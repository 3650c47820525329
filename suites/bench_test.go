package suites

import (
	"testing"

	"github.com/refreshproof/refreshproof/harness"
)

// BenchmarkEvaluateLoop judges a component that loops on a persistent
// 401, as jsforce does: 2,000 refreshes and 2,000 rejected calls in one
// message, killed by the time limit.
func BenchmarkEvaluateLoop(b *testing.B) {
	bl := newTrace(sf, true).message(0).api(401, "AT#1")
	for range 2000 {
		at := bl.refresh("RT#1", "")
		bl.emitWhole().api(401, at)
	}
	tr := bl.end(harness.OutcomeTimeout).build()
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(tr, Policy{})
	}
}
