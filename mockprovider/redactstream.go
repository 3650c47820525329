package mockprovider

import (
	"cmp"
	"io"
	"slices"
	"sync"
	"unsafe"
)

// Stream redacts what is written to it before passing it on: every known
// secret, in each spelling String finds, is replaced by its label, also
// where a secret arrives in pieces over several writes. It holds back at
// most the longest spelling the redactor knows less one byte, the most a
// secret not yet complete can have arrived of, and passes the rest on.
//
// A Stream consults its redactor's live set on every write, so a secret
// added while the stream runs (a token issued while a component prints)
// is found from then on; each byte is examined once, however many writes
// bring it. A nil redactor passes everything on as it comes. Flush (or
// Close) passes on what is held back; the writer behind must see it
// before anyone reads what it kept. A Stream is safe for concurrent use.
type Stream struct {
	r *Redactor
	w io.Writer

	mu sync.Mutex
	// held is what came but was not passed on; its first scanned bytes
	// have been searched for secrets ending there, and found holds what
	// that search found that still lies in held.
	held    []byte
	scanned int
	found   []match
	out     []byte
}

// Stream returns a Stream that writes r's redaction of its input to w.
func (r *Redactor) Stream(w io.Writer) *Stream { return &Stream{r: r, w: w} }

// Write passes on p, redacted, except for the end that may be the start
// of a secret. It reports len(p) written unless w fails.
func (s *Stream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil {
		return s.w.Write(p)
	}
	s.held = append(s.held, p...)
	if err := s.pass(false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush passes on everything held back.
func (s *Stream) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil {
		return nil
	}
	return s.pass(true)
}

// Close flushes s. It does not close the writer behind.
func (s *Stream) Close() error { return s.Flush() }

// pass searches what came since the last search and passes on all of
// held (final) or all but its last longest-1 bytes, redacted.
func (s *Stream) pass(final bool) error {
	// held is only read while the string is in use, and the search keeps
	// no part of it: a view spares copying every write.
	text := unsafe.String(unsafe.SliceData(s.held), len(s.held))
	s.r.mu.RLock()
	s.found = s.r.scanLocked(text, s.scanned, s.found)
	keep := max(0, s.r.longest-1)
	s.r.mu.RUnlock()
	s.scanned = len(s.held)
	cut := len(s.held)
	if !final {
		// A secret starting before cut has arrived whole: none is longer
		// than keep+1 bytes.
		cut -= keep
	}
	if cut <= 0 {
		return nil
	}
	ms := s.found
	slices.SortFunc(ms, func(a, b match) int { return cmp.Or(a.start-b.start, b.end-a.end) })
	out, at := s.out[:0], 0
	rest := ms[:0]
	for _, m := range ms {
		switch {
		case m.start < at: // inside or across one replaced already
		case m.start >= cut: // a longer secret starting there may still come
			rest = append(rest, m)
		default:
			out = append(out, s.held[at:m.start]...)
			out = append(out, m.label...)
			at = m.end
		}
	}
	if at < cut {
		out = append(out, s.held[at:cut]...)
		at = cut
	}
	for i := range rest {
		rest[i].start -= at
		rest[i].end -= at
	}
	s.found, s.out = rest, out
	s.held = s.held[:copy(s.held, s.held[at:])]
	s.scanned -= at
	if len(out) == 0 {
		return nil
	}
	_, err := s.w.Write(out)
	return err
}
