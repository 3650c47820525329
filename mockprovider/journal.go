package mockprovider

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Kind classifies an exchange.
type Kind string

const (
	KindToken     Kind = "token"     // token endpoint, any grant
	KindAPI       Kind = "api"       // the provider's resource API
	KindIdentity  Kind = "identity"  // identity/userinfo endpoints
	KindRevoke    Kind = "revoke"    // token revocation
	KindAuthorize Kind = "authorize" // the browser authorization endpoint
	KindPlatform  Kind = "platform"  // the mock platform API (journaled by the harness)
	KindAdmin     Kind = "admin"     // the admin API
	KindUnknown   Kind = "unknown"   // nothing the provider serves
)

// Presented describes the token a request carried.
type Presented struct {
	Label  string     `json:"label,omitempty"`
	Kind   TokenKind  `json:"kind,omitempty"`
	Family string     `json:"family,omitempty"`
	State  TokenState `json:"state"`
	// Where is how it was sent: "bearer", "oauth", "query", "form".
	Where string `json:"where,omitempty"`
}

// Entry is one journaled exchange.
type Entry struct {
	Seq         int64     `json:"seq"`
	Time        time.Time `json:"time"`
	VirtualTime time.Time `json:"virtualTime"`
	// Duration is the real time from receiving the request to the end of
	// the response.
	Duration time.Duration `json:"durationNs"`
	Host     string        `json:"host"`
	Method   string        `json:"method"`
	Path     string        `json:"path"`
	Query    string        `json:"query,omitempty"`
	Header   http.Header   `json:"header,omitempty"`
	Body     string        `json:"body,omitempty"`
	// BodyTruncated says Body was cut to the journal's per-body limit;
	// BodySize is then the length the body had.
	BodyTruncated bool `json:"bodyTruncated,omitempty"`
	BodySize      int  `json:"bodySize,omitempty"`
	Kind          Kind `json:"kind"`
	// Grant is the grant_type of a token request.
	Grant string `json:"grant,omitempty"`
	// Ordinal counts requests of the same endpoint (token requests by
	// grant, API calls) from 1.
	Ordinal   int        `json:"ordinal,omitempty"`
	Presented *Presented `json:"presented,omitempty"`
	// Issued lists the labels of tokens this exchange issued.
	Issued         []string    `json:"issued,omitempty"`
	Status         int         `json:"status"`
	ResponseHeader http.Header `json:"responseHeader,omitempty"`
	ResponseBody   string      `json:"responseBody,omitempty"`
	// ResponseBodyTruncated and ResponseBodySize are BodyTruncated and
	// BodySize for the response body.
	ResponseBodyTruncated bool `json:"responseBodyTruncated,omitempty"`
	ResponseBodySize      int  `json:"responseBodySize,omitempty"`
	// Rule names the scripted rule that produced or changed the response.
	Rule string `json:"rule,omitempty"`
	// Faults say what the rule did, in the order it did them.
	Faults []Fault `json:"faults,omitempty"`
	// Refusal is why the token authority refused the refresh this
	// exchange asked for (reuse detected, in flight, expired, ...).
	Refusal RefreshFailure `json:"refusal,omitempty"`
	// ClientGone is true when the client closed the connection before the
	// answer was written, or before it had sent the whole request (it gave
	// up, or its process was killed): the response was never received.
	ClientGone bool `json:"clientGone,omitempty"`
	// Unmocked is true when the answer is the provider's error for a path
	// the mock does not serve: the request passed the token checks, but
	// its failure says nothing about the component.
	Unmocked bool `json:"unmocked,omitempty"`
	// Note carries what else a reader needs, in words (a revoked
	// family, an oversized request).
	Note string `json:"note,omitempty"`
	// Caller says who made the request when it was not the component
	// under test: CallerPlatform for the mock platform's own token
	// requests (the Secrets service refreshing a secret). Empty means the
	// component.
	Caller string `json:"caller,omitempty"`
}

// CallerPlatform is Entry.Caller for requests the mock platform makes.
const CallerPlatform = "platform"

type callerKey struct{}

// WithCaller returns a context whose requests the provider journals with
// Entry.Caller set to caller. Only in-process callers (the mock
// platform, through Transport) can set it: a component's requests
// arrive over a socket and never carry it.
func WithCaller(ctx context.Context, caller string) context.Context {
	return context.WithValue(ctx, callerKey{}, caller)
}

// CallerOf returns the caller WithCaller put in ctx, or "".
func CallerOf(ctx context.Context) string {
	s, _ := ctx.Value(callerKey{}).(string)
	return s
}

// Fault is what a scripted rule did to an exchange.
type Fault string

// The faults a scripted rule can make.
const (
	FaultError    Fault = "error"    // a named error of the dialect's catalogue
	FaultStatus   Fault = "status"   // a custom status, body or headers
	FaultHTML     Fault = "html"     // an HTML page with status 200
	FaultDrop     Fault = "drop"     // the connection closed without an answer
	FaultTruncate Fault = "truncate" // the body cut short, then the connection closed
	FaultNonJSON  Fault = "non-json" // a body that is not JSON
	FaultOmit     Fault = "omit"     // fields left out of the dialect's answer
	FaultDelay    Fault = "delay"    // the answer held back
)

// HasFault tells whether a scripted rule made fault f on e.
func (e *Entry) HasFault(f Fault) bool { return slices.Contains(e.Faults, f) }

// FaultText is the faults as one word list ("delay,error"), for logs.
func (e *Entry) FaultText() string {
	s := make([]string, len(e.Faults))
	for i, f := range e.Faults {
		s[i] = string(f)
	}
	return strings.Join(s, ",")
}

// Counts are exact totals, kept even when old entries were evicted.
type Counts struct {
	Total   int64          `json:"total"`
	Evicted int64          `json:"evicted"`
	ByKind  map[Kind]int64 `json:"byKind"`
	// ByGrant counts token requests by grant_type ("" when the request
	// named none): what a rule cites as "N refresh requests" must stay
	// exact when the entries themselves were evicted.
	ByGrant map[string]int64 `json:"byGrant,omitempty"`
}

// Sub returns the exchanges counted in c but not in before: the counts of
// what happened between two snapshots of the same journal. Evicted is
// left out (it says nothing about the span).
func (c Counts) Sub(before Counts) Counts {
	d := Counts{Total: c.Total - before.Total, ByKind: map[Kind]int64{}, ByGrant: map[string]int64{}}
	for k, v := range c.ByKind {
		if n := v - before.ByKind[k]; n != 0 {
			d.ByKind[k] = n
		}
	}
	for g, v := range c.ByGrant {
		if n := v - before.ByGrant[g]; n != 0 {
			d.ByGrant[g] = n
		}
	}
	return d
}

// Journal records exchanges in order. It keeps at most cap entries and
// about maxBytes bytes of them (oldest evicted first), and cuts each body
// at maxBody bytes, but its Counts stay exact. It is safe for concurrent
// use.
type Journal struct {
	mu       sync.Mutex
	cap      int
	maxBody  int
	maxBytes int64
	// ring holds the kept entries from start on, n of them; it grows up
	// to cap slots as entries come, so a short run's journal stays small.
	ring     []Entry
	start, n int
	// sizes holds each slot's entrySize, measured once before the lock is
	// taken: walking an entry's header maps again on eviction cost as
	// much as recording it.
	sizes []int64
	// bytes is the estimated memory of the kept entries (entrySize).
	bytes   int64
	seq     int64
	evicted int64
	byKind  map[Kind]int64
	byGrant map[string]int64
	// secrets, when set, names what a cut must not split: a body cut
	// inside a token would keep a piece that redaction no longer finds.
	secrets func() *Redactor
}

// Default journal bounds. A byte budget as well as an entry count: a
// count alone let 22,000 exchanges with 60 KB bodies hold 1.4 GB. With
// bodies cut at 16 KiB an exchange costs at most about 33 KiB, so the
// budget keeps a thousand of the biggest; exchanges of token requests
// and ordinary API answers cost 1 to 3 KiB, so it rarely binds before
// the count does.
const (
	DefaultJournalCap   = 10000
	DefaultMaxBody      = 16 << 10
	DefaultJournalBytes = 32 << 20
)

// NewJournal returns a journal of at most capacity entries and about
// maxBytes bytes, each body cut at maxBody bytes. Zero means the
// defaults.
func NewJournal(capacity, maxBody int, maxBytes int64) *Journal {
	if capacity <= 0 {
		capacity = DefaultJournalCap
	}
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	if maxBytes <= 0 {
		maxBytes = DefaultJournalBytes
	}
	return &Journal{cap: capacity, maxBody: maxBody, maxBytes: maxBytes, byKind: map[Kind]int64{}, byGrant: map[string]int64{}}
}

// cut returns s cut to the per-body limit, on a UTF-8 boundary, and
// whether it was cut. The cut part is a copy: a slice of s would keep
// the whole body it was read into alive.
func (j *Journal) cut(s string) (string, bool) {
	if len(s) <= j.maxBody {
		return s, false
	}
	n := j.maxBody
	for i := n; i > 0 && i > n-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			n = i
			break
		}
	}
	if j.secrets != nil {
		// Tokens are ASCII: a cut before one stays on a rune boundary.
		n = j.secrets().SafeCut(s, n)
	}
	return strings.Clone(s[:n]), true
}

// entrySize estimates the memory an entry holds: its struct, strings,
// headers and lists. An estimate, not an exact count (map buckets and
// allocator rounding are guessed); it errs on the high side.
func entrySize(e *Entry) int64 {
	n := int64(unsafe.Sizeof(*e))
	n += int64(len(e.Host) + len(e.Method) + len(e.Path) + len(e.Query) + len(e.Body) + len(e.Grant) +
		len(e.ResponseBody) + len(e.Rule) + len(e.Note) + len(e.Caller))
	n += headerSize(e.Header) + headerSize(e.ResponseHeader)
	for _, s := range e.Issued {
		n += 16 + int64(len(s))
	}
	n += 16 * int64(len(e.Faults))
	if p := e.Presented; p != nil {
		n += int64(unsafe.Sizeof(*p)) + int64(len(p.Label)+len(p.Family)+len(p.Where))
	}
	return n
}

func headerSize(h http.Header) int64 {
	if h == nil {
		return 0
	}
	n := int64(48) // the map itself
	for k, vs := range h {
		// A bucket slot (key and slice headers), the key, the values.
		n += 48 + int64(len(k)) + 16*int64(len(vs))
		for _, v := range vs {
			n += int64(len(v))
		}
	}
	return n
}

// Append records e, assigning its sequence number, and returns it.
func (j *Journal) Append(e Entry) Entry {
	var cut bool
	size := len(e.Body)
	if e.Body, cut = j.cut(e.Body); cut {
		e.BodyTruncated, e.BodySize = true, size
	}
	size = len(e.ResponseBody)
	if e.ResponseBody, cut = j.cut(e.ResponseBody); cut {
		e.ResponseBodyTruncated, e.ResponseBodySize = true, size
	}
	es := entrySize(&e)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	j.byKind[e.Kind]++
	if e.Kind == KindToken {
		j.byGrant[e.Grant]++
	}
	if j.n == j.cap {
		j.evictLocked()
	}
	if j.n == len(j.ring) {
		j.growLocked()
	}
	i := (j.start + j.n) % len(j.ring)
	j.ring[i], j.sizes[i] = e, es
	j.n++
	j.bytes += es
	// The newest entry stays whatever its size: it is bounded by the
	// body limit and the server's header limit.
	for j.bytes > j.maxBytes && j.n > 1 {
		j.evictLocked()
	}
	return e
}

// growLocked doubles the ring, up to cap slots, oldest entry first.
func (j *Journal) growLocked() {
	size := min(j.cap, max(64, 2*len(j.ring)))
	ring, sizes := make([]Entry, size), make([]int64, size)
	for i := range j.n {
		k := (j.start + i) % len(j.ring)
		ring[i], sizes[i] = j.ring[k], j.sizes[k]
	}
	j.ring, j.sizes, j.start = ring, sizes, 0
}

// evictLocked drops the oldest entry, releasing what it holds.
func (j *Journal) evictLocked() {
	j.bytes -= j.sizes[j.start]
	j.ring[j.start], j.sizes[j.start] = Entry{}, 0
	j.start = (j.start + 1) % len(j.ring)
	j.n--
	j.evicted++
}

// Bytes returns the estimated memory of the kept entries and the budget.
func (j *Journal) Bytes() (kept, budget int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.bytes, j.maxBytes
}

// Filter selects journal entries. The zero Filter selects all.
type Filter struct {
	Kinds []Kind
	Since int64 // entries with Seq > Since
	Limit int   // the newest Limit entries; zero means all
}

func (f Filter) match(e *Entry) bool {
	if e.Seq <= f.Since {
		return false
	}
	if len(f.Kinds) == 0 {
		return true
	}
	for _, k := range f.Kinds {
		if e.Kind == k {
			return true
		}
	}
	return false
}

// copyEntry returns a copy of e that shares nothing mutable with it
// (strings are shared: they cannot change).
func copyEntry(e *Entry) Entry {
	c := *e
	c.Header = e.Header.Clone()
	c.ResponseHeader = e.ResponseHeader.Clone()
	c.Issued = append([]string(nil), e.Issued...)
	c.Faults = append([]Fault(nil), e.Faults...)
	if e.Presented != nil {
		p := *e.Presented
		c.Presented = &p
	}
	return c
}

// Entries returns copies of the kept entries selected by f, oldest first.
func (j *Journal) Entries(f Filter) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Entry, 0, j.n)
	for i := range j.n {
		if e := &j.ring[(j.start+i)%len(j.ring)]; f.match(e) {
			out = append(out, copyEntry(e))
		}
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out
}

// Page returns copies of at most limit kept entries selected by f
// (f.Since is the cursor, f.Limit is ignored), oldest first, and whether
// more kept entries than those follow. A page is a bounded copy, taken
// under the lock; the admin API encodes it after letting go, so a slow
// reader never holds up the exchanges being journaled.
func (j *Journal) Page(f Filter, limit int) (page []Entry, more bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	// Kept sequence numbers are consecutive: the first one after the
	// cursor is found by arithmetic, not by a walk.
	first := j.seq - int64(j.n) + 1
	i := 0
	if f.Since >= first {
		i = int(min(f.Since-first+1, int64(j.n)))
	}
	for ; i < j.n; i++ {
		e := &j.ring[(j.start+i)%len(j.ring)]
		if !f.match(e) {
			continue
		}
		if len(page) == limit {
			return page, true
		}
		page = append(page, copyEntry(e))
	}
	return page, false
}

// Last returns the sequence number of the newest entry (0 when empty):
// a cheap cursor for callers that poll for new exchanges.
func (j *Journal) Last() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.seq
}

// Counts returns the exact totals.
func (j *Journal) Counts() Counts {
	j.mu.Lock()
	defer j.mu.Unlock()
	c := Counts{Total: j.seq, Evicted: j.evicted, ByKind: make(map[Kind]int64, len(j.byKind)), ByGrant: make(map[string]int64, len(j.byGrant))}
	for k, v := range j.byKind {
		c.ByKind[k] = v
	}
	for g, v := range j.byGrant {
		c.ByGrant[g] = v
	}
	return c
}

// Reset empties the journal and its counts.
func (j *Journal) Reset() {
	j.mu.Lock()
	j.ring, j.sizes, j.start, j.n, j.bytes, j.seq, j.evicted = nil, nil, 0, 0, 0, 0, 0
	j.byKind = map[Kind]int64{}
	j.byGrant = map[string]int64{}
	j.mu.Unlock()
}
