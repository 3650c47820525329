package cli

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// exchangeLog writes serve's one line per exchange, as log/slog's text or
// JSON handler writes it. It is the provider's Observer: it redacts only
// the fields it prints (path, host, note), not every header and body of
// the exchange.
//
// Under load the line is most of what serve does besides answering, so
// the usual line, whose values are all plain ASCII, is written here
// directly into a reused buffer, byte for byte as slog would write it;
// any other line goes through slog itself.
type exchangeLog struct {
	w    io.Writer
	json bool
	slow *slog.Logger
	bufs sync.Pool
}

func newExchangeLog(w io.Writer, format string) *exchangeLog {
	l := &exchangeLog{w: w, json: format == "json"}
	if l.json {
		l.slow = slog.New(slog.NewJSONHandler(w, nil))
	} else {
		l.slow = slog.New(slog.NewTextHandler(w, nil))
	}
	l.bufs.New = func() any { b := make([]byte, 0, 512); return &b }
	return l
}

// exchangeLogger returns the Observer that logs each exchange on w.
func exchangeLogger(w io.Writer, format string) func(*mockprovider.Entry, *mockprovider.Redactor) {
	return newExchangeLog(w, format).observe
}

func (l *exchangeLog) observe(e *mockprovider.Entry, r *mockprovider.Redactor) {
	f := exchangeFields(e, r)
	// slog stamps a record with the time it is logged, without the
	// monotonic reading.
	now := time.Now().Round(0)
	bp := l.bufs.Get().(*[]byte)
	if line, ok := l.appendLine((*bp)[:0], now, &f); ok {
		_, _ = l.w.Write(line)
		*bp = line
	} else {
		l.slow.LogAttrs(context.Background(), slog.LevelInfo, "exchange", f.attrs()...)
	}
	if cap(*bp) <= 4096 { // an odd long line is not kept
		l.bufs.Put(bp)
	}
}

// loggedFields are the values of one exchange's line, redacted, in the
// order they are printed. Empty optional values are left out.
type loggedFields struct {
	seq                       int64
	kind, method, host, path  string
	status                    int
	ms                        float64
	grant                     string
	presented, state          string
	hasPresented              bool
	issued, rule, fault, note string
	hasRule                   bool
}

func exchangeFields(e *mockprovider.Entry, r *mockprovider.Redactor) loggedFields {
	f := loggedFields{
		seq: e.Seq, kind: string(e.Kind), method: e.Method, host: r.String(e.Host), path: r.String(e.Path),
		status: e.Status, ms: float64(e.Duration.Microseconds()) / 1000, grant: e.Grant,
	}
	if e.Presented != nil {
		f.hasPresented, f.presented, f.state = true, e.Presented.Label, string(e.Presented.State)
	}
	if len(e.Issued) > 0 {
		f.issued = strings.Join(e.Issued, ",")
	}
	if e.Rule != "" {
		f.hasRule, f.rule, f.fault = true, e.Rule, e.FaultText()
	}
	if e.Note != "" {
		f.note = r.String(e.Note)
	}
	return f
}

// attrs are the line's attributes for slog.
func (f *loggedFields) attrs() []slog.Attr {
	a := make([]slog.Attr, 0, 16)
	a = append(a,
		slog.Int64("seq", f.seq), slog.String("kind", f.kind), slog.String("method", f.method),
		slog.String("host", f.host), slog.String("path", f.path), slog.Int("status", f.status),
		slog.Float64("ms", f.ms),
	)
	if f.grant != "" {
		a = append(a, slog.String("grant", f.grant))
	}
	if f.hasPresented {
		a = append(a, slog.String("presented", f.presented), slog.String("state", f.state))
	}
	if f.issued != "" {
		a = append(a, slog.String("issued", f.issued))
	}
	if f.hasRule {
		a = append(a, slog.String("rule", f.rule), slog.String("fault", f.fault))
	}
	if f.note != "" {
		a = append(a, slog.String("note", f.note))
	}
	return a
}

// appendLine appends the line slog would write for f at t. ok is false
// when a value is one this fast path does not write (a string with
// non-ASCII bytes, or one JSON would escape): the caller then lets slog
// write the line.
func (l *exchangeLog) appendLine(b []byte, t time.Time, f *loggedFields) (line []byte, ok bool) {
	w := lineWriter{b: b, json: l.json, ok: true}
	if w.json {
		w.b = append(w.b, `{"time":"`...)
		w.b = t.AppendFormat(w.b, time.RFC3339Nano)
		w.b = append(w.b, `","level":"INFO","msg":"exchange"`...)
		if y := t.Year(); y < 0 || y >= 10000 {
			return b, false // slog notes an error for such a time
		}
	} else {
		w.b = append(w.b, "time="...)
		w.b = appendRFC3339Millis(w.b, t)
		w.b = append(w.b, " level=INFO msg=exchange"...)
	}
	w.int("seq", f.seq)
	w.str("kind", f.kind)
	w.str("method", f.method)
	w.str("host", f.host)
	w.str("path", f.path)
	w.int("status", int64(f.status))
	w.float("ms", f.ms)
	if f.grant != "" {
		w.str("grant", f.grant)
	}
	if f.hasPresented {
		w.str("presented", f.presented)
		w.str("state", f.state)
	}
	if f.issued != "" {
		w.str("issued", f.issued)
	}
	if f.hasRule {
		w.str("rule", f.rule)
		w.str("fault", f.fault)
	}
	if f.note != "" {
		w.str("note", f.note)
	}
	if !w.ok {
		return b, false
	}
	if w.json {
		w.b = append(w.b, '}')
	}
	return append(w.b, '\n'), true
}

// appendRFC3339Millis writes t as slog's text handler writes a record's
// time: RFC 3339 with exactly three digits of milliseconds, truncated.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	// RFC3339Nano drops trailing zeros: a tenth of a millisecond more
	// keeps four digits, the last of which is cut.
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...)
}

// lineWriter appends key=value pairs (text) or "key":value members
// (JSON). Keys are this file's, plain ASCII.
type lineWriter struct {
	b    []byte
	json bool
	ok   bool
}

func (w *lineWriter) key(k string) {
	if w.json {
		w.b = append(w.b, ',', '"')
		w.b = append(w.b, k...)
		w.b = append(w.b, '"', ':')
		return
	}
	w.b = append(w.b, ' ')
	w.b = append(w.b, k...)
	w.b = append(w.b, '=')
}

func (w *lineWriter) str(k, v string) {
	w.key(k)
	if w.json {
		// slog escapes a quote, a backslash and control characters, and
		// checks multi-byte characters: such strings go the slow way.
		for i := 0; i < len(v); i++ {
			if c := v[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
				w.ok = false
				return
			}
		}
		w.b = append(w.b, '"')
		w.b = append(w.b, v...)
		w.b = append(w.b, '"')
		return
	}
	// slog's text handler quotes (with strconv.Quote) an empty string and
	// one with a space, '=', '"' or a control character (DEL is not one
	// to it); for multi-byte characters it asks package unicode, so those
	// go the slow way.
	quote := v == ""
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x80 {
			w.ok = false
			return
		}
		if c != '\\' && (c <= ' ' || c == '=' || c == '"') {
			quote = true
		}
	}
	if quote {
		w.b = strconv.AppendQuote(w.b, v)
	} else {
		w.b = append(w.b, v...)
	}
}

func (w *lineWriter) int(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

func (w *lineWriter) float(k string, v float64) {
	w.key(k)
	if !w.json {
		w.b = strconv.AppendFloat(w.b, v, 'g', -1, 64)
		return
	}
	// encoding/json, which slog's JSON handler calls for a float, writes
	// 'f' digits between 1e-6 and 1e21; a duration in milliseconds is
	// always in that range or zero.
	if v != 0 && (v < 1e-6 || v >= 1e21) {
		w.ok = false
		return
	}
	w.b = strconv.AppendFloat(w.b, v, 'f', -1, 64)
}

// lineBuffer is serve's stderr for the exchange log: writes are queued
// and written by one goroutine, each batch in one write. Writing a line
// per exchange while holding the log's lock made every request under
// load wait for the others' system calls; now a request only appends to
// memory, and an idle serve still writes each line at once, since the
// writer wakes on the first one. Pending bytes are bounded: past
// maxPending a writer waits for the batch being written.
type lineBuffer struct {
	w io.Writer

	mu      sync.Mutex
	taken   *sync.Cond // the pending bytes were taken for writing
	pending []byte
	spare   []byte
	closed  bool
	waiting int // writers waiting for room

	wake chan struct{}
	done chan struct{}
}

const maxPending = 256 << 10

func newLineBuffer(w io.Writer) *lineBuffer {
	l := &lineBuffer{w: w, wake: make(chan struct{}, 1), done: make(chan struct{})}
	l.taken = sync.NewCond(&l.mu)
	go l.run()
	return l
}

// Write queues p. After Close it writes p directly.
func (l *lineBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	for len(l.pending) >= maxPending && !l.closed {
		l.waiting++
		l.taken.Wait()
		l.waiting--
	}
	if l.closed {
		l.mu.Unlock()
		<-l.done // after the last batch, not before it
		return l.w.Write(p)
	}
	l.pending = append(l.pending, p...)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default: // the writer is awake already
	}
	return len(p), nil
}

func (l *lineBuffer) run() {
	defer close(l.done)
	for range l.wake {
		for {
			l.mu.Lock()
			b := l.pending
			l.pending, l.spare = l.spare[:0], nil
			closed := l.closed
			l.mu.Unlock()
			l.taken.Broadcast()
			if len(b) == 0 {
				if closed {
					return
				}
				break
			}
			_, _ = l.w.Write(b)
			l.mu.Lock()
			if cap(b) <= maxPending*2 {
				l.spare = b[:0]
			}
			l.mu.Unlock()
		}
	}
}

// Close writes what is pending and returns once it is written. Writes
// after Close go straight to the underlying writer.
func (l *lineBuffer) Close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.done
		return
	}
	l.closed = true
	l.mu.Unlock()
	l.taken.Broadcast()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	<-l.done
}
