package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// slogLine is the line log/slog writes for f at t: what the exchange log
// wrote before it formatted lines itself.
func slogLine(t *testing.T, format string, at time.Time, f *loggedFields) string {
	t.Helper()
	var buf bytes.Buffer
	var h slog.Handler = slog.NewTextHandler(&buf, nil)
	if format == "json" {
		h = slog.NewJSONHandler(&buf, nil)
	}
	r := slog.NewRecord(at, slog.LevelInfo, "exchange", 0)
	r.AddAttrs(f.attrs()...)
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestExchangeLineIsSlogs: the line written without slog is the one slog
// writes, byte for byte, in both formats, for the usual line and for
// values that need quoting or escaping; a value the fast path does not
// write is left to slog.
func TestExchangeLineIsSlogs(t *testing.T) {
	usual := loggedFields{seq: 41, kind: "token", method: "POST", host: "login.salesforce.com", path: "/services/oauth2/token",
		status: 200, ms: 1.234, grant: "refresh_token", hasPresented: true, presented: "RT#41", state: "valid", issued: "AT#42,RT#42"}
	api := loggedFields{seq: 7, kind: "api", method: "GET", host: "127.0.0.1:39999", path: "/services/data/v67.0/query", status: 401, ms: 0,
		hasPresented: true, presented: "AT#3", state: "expired", note: "access token AT#3 is expired"}
	fault := usual
	fault.hasRule, fault.rule, fault.fault, fault.note = true, "refresh-500", "error", `answered "invalid_grant" = refused`
	fault2 := fault
	fault2.note = "answered invalid_grant = refused \x7f"
	cases := []struct {
		name string
		f    loggedFields
		fast string // the formats the fast path writes it in
	}{
		{"refresh", usual, "text json"},
		{"API call with a note", api, "text json"},
		{"scripted fault, quotes and '='", fault, "text"},
		{"scripted fault, '=' and DEL", fault2, "text json"},
		{"empty host", loggedFields{kind: "unknown", method: "GET", path: "/", status: 404, ms: 1000000}, "text json"},
		{"backslash and control characters", loggedFields{kind: "unknown", method: "GET", path: `/a\b` + "\t\x01\x7f", status: 400, ms: 0.001}, "text"},
		{"non-ASCII path", loggedFields{kind: "unknown", method: "GET", path: "/caf\u00e9", status: 404, ms: 12.5}, ""},
		{"invalid UTF-8", loggedFields{kind: "unknown", method: "GET", path: "/\xff", status: 404, ms: 2}, ""},
	}
	times := []time.Time{
		time.Date(2026, 12, 2, 8, 4, 22, 123456789, time.UTC),
		time.Date(2026, 12, 2, 8, 4, 22, 0, time.FixedZone("CET", 3600)),
		time.Date(2026, 1, 2, 3, 4, 5, 100000000, time.FixedZone("", -5*3600-1800)),
		time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.Local),
	}
	for _, format := range []string{"text", "json"} {
		l := newExchangeLog(io.Discard, format)
		for _, tc := range cases {
			for _, at := range times {
				t.Run(format+"/"+tc.name+"/"+at.Format(time.RFC3339Nano), func(t *testing.T) {
					want := slogLine(t, format, at, &tc.f)
					got, ok := l.appendLine(nil, at, &tc.f)
					if fast := strings.Contains(tc.fast, format); ok != fast {
						t.Fatalf("fast path taken: %v, want %v, for:\n%s", ok, fast, want)
					}
					if !ok {
						return
					}
					if diff := cmp.Diff(want, string(got)); diff != "" {
						t.Errorf("line (-slog +fast):\n%s", diff)
					}
				})
			}
		}
	}
}

// TestExchangeLineRandomValues compares the two on random short strings
// of the bytes that decide quoting and escaping.
func TestExchangeLineRandomValues(t *testing.T) {
	const alphabet = "aZ09/#.,:_-=\" \\\t\n\x00\x7f\xc3\xa9~!{}"
	rnd := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		b := make([]byte, rnd.IntN(6))
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		return string(b)
	}
	at := time.Date(2026, 12, 2, 8, 4, 22, 5000000, time.UTC)
	for _, format := range []string{"text", "json"} {
		l := newExchangeLog(io.Discard, format)
		fast := 0
		for i := 0; i < 5000; i++ {
			f := loggedFields{seq: rnd.Int64N(1 << 40), kind: str(), method: str(), host: str(), path: str(), status: rnd.IntN(600),
				ms: float64(rnd.IntN(1e7)) / 1000, grant: str(), hasPresented: rnd.IntN(2) == 0, presented: str(), state: str(),
				issued: str(), note: str()}
			got, ok := l.appendLine(nil, at, &f)
			if !ok {
				continue
			}
			fast++
			if want := slogLine(t, format, at, &f); want != string(got) {
				t.Fatalf("%s, values %+v:\nslog %q\nfast %q", format, f, want, got)
			}
		}
		if fast < 20 { // the seed is fixed: 34 in JSON, more in text
			t.Errorf("%s: only %d of 5000 random lines took the fast path", format, fast)
		}
	}
}

// TestExchangeLogFallsBackToSlog: a line the fast path does not write
// still reaches the writer, through slog.
func TestExchangeLogFallsBackToSlog(t *testing.T) {
	var buf bytes.Buffer
	e := &mockprovider.Entry{Seq: 3, Kind: mockprovider.KindUnknown, Method: "GET", Path: "/caf\u00e9", Status: 404}
	exchangeLogger(&buf, "text")(e, mockprovider.NewRedactor(nil))
	if got := buf.String(); !strings.Contains(got, `path=/café`) || !strings.HasSuffix(got, "\n") || !strings.HasPrefix(got, "time=") {
		t.Errorf("line %q", got)
	}
}

// TestLineBufferWritesEverythingInOrder: concurrent writers' lines all
// arrive whole, each writer's in its order, by the time Close returns;
// a write after Close goes straight through.
func TestLineBufferWritesEverythingInOrder(t *testing.T) {
	var out syncWriter
	l := newLineBuffer(&out)
	const writers, lines = 8, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(l, "w%d %d %s\n", w, i, strings.Repeat("x", i%300))
			}
		})
	}
	wg.Wait()
	l.Close()
	fmt.Fprintf(l, "after close\n")
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != writers*lines+1 || got[len(got)-1] != "after close" {
		t.Fatalf("%d lines, the last %q; want %d and \"after close\"", len(got), got[len(got)-1], writers*lines+1)
	}
	next := make([]int, writers)
	for _, line := range got[:len(got)-1] {
		var w, i int
		var pad string
		if _, err := fmt.Sscanf(line, "w%d %d %s", &w, &i, &pad); err != nil && i%300 != 0 {
			t.Fatalf("line %q: %v", line, err)
		}
		if i != next[w] || len(pad) != i%300 {
			t.Fatalf("line %q: want writer %d's line %d, whole", line, w, next[w])
		}
		next[w]++
	}
}

// TestLineBufferIsBounded: while a batch is being written, writers may
// queue up to maxPending bytes, then wait.
func TestLineBufferIsBounded(t *testing.T) {
	w := &blockingWriter{entered: make(chan struct{}), release: make(chan struct{})}
	l := newLineBuffer(w)
	line := []byte(strings.Repeat("y", 1023) + "\n")
	_, _ = l.Write(line)
	<-w.entered // the first batch is being written, and stays so
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 4 * maxPending / len(line) {
			_, _ = l.Write(line)
		}
	}()
	for {
		l.mu.Lock()
		waiting, pending := l.waiting, len(l.pending)
		l.mu.Unlock()
		if waiting > 0 {
			if pending > maxPending+len(line) {
				t.Errorf("%d bytes pending, bound %d", pending, maxPending)
			}
			break
		}
		select {
		case <-done:
			t.Fatal("every write returned while the first batch was still being written: pending bytes are unbounded")
		case <-time.After(time.Millisecond):
		}
	}
	close(w.release)
	<-done
	l.Close()
	if want := (4*maxPending/len(line) + 1) * len(line); w.n != want {
		t.Errorf("%d bytes written, want %d", w.n, want)
	}
}

type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncWriter) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.buf.String() }

// blockingWriter blocks its first write until released.
type blockingWriter struct {
	entered, release chan struct{}
	once             sync.Once
	n                int // only the line buffer's one goroutine writes
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	b.once.Do(func() { close(b.entered); <-b.release })
	b.n += len(p)
	return len(p), nil
}
