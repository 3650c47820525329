package mockprovider

import (
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingWriter discards an answer, counting its bytes, as a client
// reading it would.
type countingWriter struct {
	h http.Header
	n int64
}

func (w *countingWriter) Header() http.Header         { return w.h }
func (w *countingWriter) WriteHeader(int)             {}
func (w *countingWriter) Write(b []byte) (int, error) { w.n += int64(len(b)); return len(b), nil }

func heapInuse() int64 {
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// TestMeasureJournalMemory gives the figures of docs/reliability.md's
// "Memory bounds": the heap after 22,000 exchanges with 60 KB bodies,
// and the time and peak heap of reading the whole journal through the
// admin API. It measures, it does not judge, so it runs only when
// REFRESHPROOF_MEASURE is set.
func TestMeasureJournalMemory(t *testing.T) {
	env := os.Getenv("REFRESHPROOF_MEASURE")
	if env == "" {
		t.Skip("set REFRESHPROOF_MEASURE=CAP (a journal capacity, 0 for the default) to measure")
	}
	// One capacity per process: what an earlier one left on the heap
	// would blur the next one's figures.
	// CAP or CAP:BYTES, BYTES the journal's byte budget.
	capText, bytesText, _ := strings.Cut(env, ":")
	capacity, err := strconv.Atoi(capText)
	if err != nil {
		t.Fatal(err)
	}
	var budget int64
	if bytesText != "" {
		if budget, err = strconv.ParseInt(bytesText, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	{
		p, err := New(fakeDialect{}, Config{Seed: 1, JournalCap: capacity, JournalBytes: budget})
		if err != nil {
			t.Fatal(err)
		}
		base := heapInuse()
		j := p.Journal()
		for i := range 22000 {
			body := strings.Repeat(string(rune('a'+i%26)), 60000)
			j.Append(Entry{Kind: KindAPI, Method: "POST", Host: "api.fake.test", Path: "/api/x", Body: body, Status: 200, ResponseBody: `{"ok":true}`,
				Header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer [AT#1]"}}})
		}
		after := heapInuse()
		c := j.Counts()

		var peak atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			var m runtime.MemStats
			for {
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}()
		start := time.Now()
		var total int64
		pages := 0
		next := "journal"
		for next != "" {
			w := &countingWriter{h: http.Header{}}
			r := httptest.NewRequest("GET", "http://127.0.0.1"+AdminPrefix+next, nil)
			r.RemoteAddr = "127.0.0.1:1234"
			p.ServeHTTP(w, r)
			total += w.n
			pages++
			next = ""
			if n := w.h.Get("X-Next-After"); n != "" {
				next = "journal?after=" + n
			}
		}
		took := time.Since(start)
		close(stop)
		<-done
		t.Logf("journal cap %d, budget %d: kept %d of %d, heap %.1f MiB after 22,000 exchanges; full GET journal %.1f MiB in %d page(s), %v, peak heap %.1f MiB",
			capacity, budget, c.Total-c.Evicted, c.Total, float64(after-base)/(1<<20), float64(total)/(1<<20), pages, took.Round(time.Millisecond), float64(int64(peak.Load())-base)/(1<<20))
	}
}

// TestMeasureTokenStore gives the token store's figures in
// docs/reliability.md and docs/performance.md: the heap the store holds
// after 100,000 sign-ins, and after 32 families have rotated 200,000
// times in all, as serve's load does. It measures, it does not judge, so
// it runs only when REFRESHPROOF_MEASURE_STORE is set.
func TestMeasureTokenStore(t *testing.T) {
	if os.Getenv("REFRESHPROOF_MEASURE_STORE") == "" {
		t.Skip("set REFRESHPROOF_MEASURE_STORE=1 to measure")
	}
	for _, load := range []string{"sign-ins", "rotations"} {
		base := heapInuse()
		a := NewAuthority(fixedClock(), Policy{Rotation: RotateReuseDetection}, nil, 1)
		switch load {
		case "sign-ins":
			for range 100000 {
				a.Mint("c", "")
			}
		case "rotations":
			rts := make([]string, 32)
			for i := range rts {
				rts[i] = a.Mint("c", "").Refresh.Value
			}
			for i := range 200000 {
				g, err := a.Refresh(rts[i%32], "c")
				if err != nil {
					t.Fatal(err)
				}
				rts[i%32] = g.Refresh.Value
			}
		}
		after := heapInuse()
		a.mu.Lock()
		kept, ret, fps := len(a.tokens), len(a.retired), a.fingerprints
		a.mu.Unlock()
		t.Logf("%s: %d tokens kept, %d retired records, %d fingerprints, heap %.1f MiB", load, kept, ret, fps, float64(after-base)/(1<<20))
		runtime.KeepAlive(a)
	}
}
