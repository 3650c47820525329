package mockprovider

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestJournalByteBudget: exchanges with big bodies are kept within the
// journal's byte budget, not only its entry count, each body cut to the
// per-body limit with its size recorded, and the counts stay exact.
func TestJournalByteBudget(t *testing.T) {
	const budget = 1 << 20
	j := NewJournal(100000, 4096, budget)
	for i := range 2000 {
		j.Append(Entry{Kind: KindAPI, Path: "/api/x", Body: strings.Repeat("b", 60000), ResponseBody: `{"ok":true}`, Status: 200})
		if kept, _ := j.Bytes(); kept > budget {
			t.Fatalf("after %d: %d bytes kept, budget %d", i+1, kept, budget)
		}
	}
	es := j.Entries(Filter{})
	c := j.Counts()
	if c.Total != 2000 || c.ByKind[KindAPI] != 2000 || c.Evicted != int64(2000-len(es)) {
		t.Fatalf("counts %+v with %d kept", c, len(es))
	}
	// 4 KiB bodies plus the entry: a bit more than 200 fit in 1 MiB.
	if len(es) < 150 || len(es) > 256 {
		t.Errorf("%d entries kept in %d bytes", len(es), budget)
	}
	last := es[len(es)-1]
	if len(last.Body) != 4096 || !last.BodyTruncated || last.BodySize != 60000 || last.ResponseBodyTruncated || last.ResponseBodySize != 0 {
		t.Fatalf("body %d bytes, truncated %v, size %d; response truncated %v", len(last.Body), last.BodyTruncated, last.BodySize, last.ResponseBodyTruncated)
	}
	b, _ := json.Marshal(last)
	if !strings.Contains(string(b), `"bodyTruncated":true,"bodySize":60000`) {
		t.Errorf("JSON does not say the body was cut: %.300s", b)
	}
	if seq := es[0].Seq; seq != c.Evicted+1 {
		t.Errorf("oldest kept is %d, evicted %d", seq, c.Evicted)
	}
}

// TestJournalCutBodiesReleaseTheOriginal: a cut body must not keep the
// whole body it was cut from alive, or the budget bounds nothing: the
// heap the journal holds stays near its budget.
func TestJournalCutBodiesReleaseTheOriginal(t *testing.T) {
	heap := func() int64 {
		debug.FreeOSMemory()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	const budget = 8 << 20
	base := heap()
	j := NewJournal(100000, 16<<10, budget)
	for range 2000 { // 120 MB of bodies
		j.Append(Entry{Kind: KindAPI, Body: strings.Repeat("b", 60000)})
	}
	if grew := heap() - base; grew > 2*budget {
		t.Errorf("heap grew %d MiB for a %d MiB journal", grew>>20, budget>>20)
	}
	runtime.KeepAlive(j)
}

// TestJournalCutKeepsUTF8: a body is cut on a character boundary.
func TestJournalCutKeepsUTF8(t *testing.T) {
	j := NewJournal(10, 5, 0)
	e := j.Append(Entry{Body: "abcdé", ResponseBody: "a€€"})
	if e.Body != "abcd" || e.ResponseBody != "a€" || e.BodySize != 6 || e.ResponseBodySize != 7 {
		t.Fatalf("%q %q %d %d", e.Body, e.ResponseBody, e.BodySize, e.ResponseBodySize)
	}
}
