package mockprovider

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Redactor replaces secrets in text with stable labels (AT#2, RT#1,
// CLIENT_SECRET#1) so a reader can still follow which token went where.
//
// Secrets can be added and removed while the redactor is in use, each in
// time proportional to the secret's length, and redacting a text takes
// time proportional to the text, however many secrets it knows: every
// spelling of a secret is indexed by its last eight bytes (six for the
// shortest), so one pass over the text finds each place a secret ends.
// A Redactor is safe for concurrent use; the zero value knows no secret.
type Redactor struct {
	mu sync.RWMutex
	// long indexes spellings of eight bytes or more by their last eight,
	// short those of six or seven by their last six.
	long, short map[uint64][]spelling
	// filter has a bit per hash of a long key: most windows of a text
	// miss it, and only a hit costs a map look-up.
	filter []uint64
	shift  uint // hash >> shift is a bit index of filter
	n      int  // long keys the filter was sized for
	// longest is the length of the longest spelling ever added: a stream
	// holds back one byte less (Stream). Remove leaves it, which only
	// holds back more.
	longest int
}

// spelling is one way a secret is written (as is, query- or
// path-escaped) and what replaces it.
type spelling struct {
	text, label string
}

// minSecret is the shortest value redacted: shorter strings would redact
// ordinary words.
const minSecret = 6

// NewRedactor returns a redactor for secrets, a map from secret value to its
// label. Each value is also matched in its form-encoded spelling, since
// tokens travel in form bodies.
func NewRedactor(secrets map[string]string) *Redactor {
	r := &Redactor{}
	for v, l := range secrets {
		r.Add(v, l)
	}
	return r
}

// spellings lists the ways v is written in requests and logs.
func spellings(v string) []string {
	out := []string{v}
	q := url.QueryEscape(v)
	if q != v {
		out = append(out, q)
	}
	if p := url.PathEscape(v); p != v && p != q {
		out = append(out, p)
	}
	return out
}

// key8 and key6 read the eight (six) bytes of s ending at end.
func key8(s string, end int) uint64 {
	_ = s[end-8]
	return uint64(s[end-8]) | uint64(s[end-7])<<8 | uint64(s[end-6])<<16 | uint64(s[end-5])<<24 |
		uint64(s[end-4])<<32 | uint64(s[end-3])<<40 | uint64(s[end-2])<<48 | uint64(s[end-1])<<56
}

func key6(s string, end int) uint64 {
	_ = s[end-6]
	return uint64(s[end-6]) | uint64(s[end-5])<<8 | uint64(s[end-4])<<16 | uint64(s[end-3])<<24 |
		uint64(s[end-2])<<32 | uint64(s[end-1])<<40
}

func (r *Redactor) bit(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> r.shift }

func (r *Redactor) filterHas(k uint64) bool {
	b := r.bit(k)
	return r.filter[b>>6]&(1<<(b&63)) != 0
}

// resizeLocked gives the filter 32 to 64 bits per long key, so that
// under 3% of the windows that end no secret hit it; growing doubles, so
// adding stays O(1) amortised.
func (r *Redactor) resizeLocked() {
	bits := uint(12)
	for 1<<bits < 32*len(r.long) {
		bits++
	}
	if r.filter != nil && 1<<bits <= 64*len(r.filter) {
		return
	}
	r.filter = make([]uint64, (1<<bits)/64)
	r.shift = 64 - bits
	for k := range r.long {
		b := r.bit(k)
		r.filter[b>>6] |= 1 << (b & 63)
	}
}

// Add makes r replace value, in each of its spellings, with [label].
// Values shorter than six bytes are ignored. Adding a value again
// replaces its label.
func (r *Redactor) Add(value, label string) {
	if len(value) < minSecret {
		return
	}
	l := "[" + label + "]"
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.long == nil {
		r.long, r.short = map[uint64][]spelling{}, map[uint64][]spelling{}
	}
	for _, sp := range spellings(value) {
		m, k := r.long, uint64(0)
		if len(sp) >= 8 {
			k = key8(sp, len(sp))
		} else {
			m, k = r.short, key6(sp, len(sp))
		}
		list := m[k]
		replaced := false
		for i := range list {
			if list[i].text == sp {
				list[i].label, replaced = l, true
			}
		}
		if !replaced {
			m[k] = append(list, spelling{sp, l})
		}
		r.longest = max(r.longest, len(sp))
		if len(sp) >= 8 {
			if len(r.long) > r.n {
				r.resizeLocked()
				r.n = len(r.long)
			}
			b := r.bit(k)
			r.filter[b>>6] |= 1 << (b & 63)
		}
	}
}

// Remove makes r forget value, in each of its spellings.
func (r *Redactor) Remove(value string) {
	if len(value) < minSecret {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sp := range spellings(value) {
		m, k := r.long, uint64(0)
		if len(sp) >= 8 {
			k = key8(sp, len(sp))
		} else {
			m, k = r.short, key6(sp, len(sp))
		}
		list := m[k]
		for i := range list {
			if list[i].text == sp {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(m, k) // its filter bit stays until the next resize: a miss, not a mistake
		} else {
			m[k] = list
		}
	}
}

// match is a place a spelling occurs in a text.
type match struct {
	start, end int
	label      string
}

// String redacts s: every occurrence of a known secret is replaced by its
// label. Where secrets overlap, the one that starts first wins, and of
// those starting at the same place the longest.
func (r *Redactor) String(s string) string {
	if r == nil || len(s) < minSecret {
		return s
	}
	r.mu.RLock()
	ms := r.scanLocked(s, 0, nil)
	r.mu.RUnlock()
	if len(ms) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	at := 0
	for _, m := range choose(ms) {
		b.WriteString(s[at:m.start])
		b.WriteString(m.label)
		at = m.end
	}
	b.WriteString(s[at:])
	return b.String()
}

// SafeCut returns where to cut s to keep at most its first n bytes
// without keeping the start of a known secret that the cut would split:
// n, or the start of the first secret running across n.
func (r *Redactor) SafeCut(s string, n int) int {
	if r == nil || n >= len(s) {
		return min(n, len(s))
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for r.longest > 1 {
		lo, hi := max(0, n-r.longest+1), min(len(s), n+r.longest-1)
		cut := n
		for _, m := range r.scanLocked(s[lo:hi], n-lo, nil) {
			cut = min(cut, lo+m.start)
		}
		if cut == n {
			break
		}
		n = cut // a secret may run across the new cut too
	}
	return n
}

// scanLocked appends to ms every place a spelling occurs in s and ends
// after from, in the order of their ends. The caller holds r.mu.
func (r *Redactor) scanLocked(s string, from int, ms []match) []match {
	if len(r.long) == 0 && len(r.short) == 0 {
		return ms
	}
	found := func(list []spelling, end int) {
		for _, sp := range list {
			if n := len(sp.text); n <= end && s[end-n:end] == sp.text {
				ms = append(ms, match{end - n, end, sp.label})
			}
		}
	}
	for end := max(minSecret, from+1); end <= len(s); end++ {
		if len(r.short) > 0 {
			if list, ok := r.short[key6(s, end)]; ok {
				found(list, end)
			}
		}
		if end >= 8 && r.filter != nil {
			if k := key8(s, end); r.filterHas(k) {
				found(r.long[k], end)
			}
		}
	}
	return ms
}

// choose orders ms by where they start and drops those a left-to-right
// scan would not replace: a match inside or overlapping an earlier one.
func choose(ms []match) []match {
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].start != ms[j].start {
			return ms[i].start < ms[j].start
		}
		return ms[i].end > ms[j].end
	})
	out, at := ms[:0], 0
	for _, m := range ms {
		if m.start < at {
			continue
		}
		out = append(out, m)
		at = m.end
	}
	return out
}

// Header returns a redacted copy of h. Basic credentials are replaced
// whole, since their base64 form hides the secret from String.
func (r *Redactor) Header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		c := make([]string, len(vs))
		for i, v := range vs {
			if strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "Proxy-Authorization") {
				c[i] = r.authorization(v)
				continue
			}
			c[i] = r.String(v)
		}
		out[k] = c
	}
	return out
}

// authorization redacts a credential header whole: a token the redactor
// does not know (a guess, another system's token) is still a secret.
func (r *Redactor) authorization(v string) string {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return r.unknown(v)
	}
	if strings.EqualFold(scheme, "basic") {
		return scheme + " " + r.basic(cred)
	}
	return scheme + " " + r.unknown(strings.TrimSpace(cred))
}

func (r *Redactor) basic(b64 string) string {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return "[unreadable credentials]"
	}
	id, secret, _ := strings.Cut(string(raw), ":")
	return "[" + id + ":" + r.unknown(secret) + "]"
}

// unknown redacts a value known to be secret: with its label when the
// redactor knows it, else whole (a wrong client secret is still a secret).
func (r *Redactor) unknown(v string) string {
	if v == "" {
		return ""
	}
	if red := r.String(v); red != v {
		return red
	}
	return "[redacted]"
}

// secretFields are the form fields whose values are always secret.
var secretFields = map[string]bool{
	"client_secret": true, "refresh_token": true, "access_token": true, "password": true,
	"code": true, "code_verifier": true, "client_assertion": true, "token": true, "assertion": true,
}

// Form redacts a form-encoded body: known secrets by label, any other
// value of a secret field whole. A body that is not a form is redacted as
// a string.
func (r *Redactor) Form(body string) string {
	if !strings.Contains(body, "=") {
		return r.String(body)
	}
	parts := strings.Split(body, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if !ok || err != nil || !secretFields[name] {
			parts[i] = r.String(p)
			continue
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		parts[i] = k + "=" + r.unknown(v)
	}
	return strings.Join(parts, "&")
}

// Entry returns a redacted copy of e.
func (r *Redactor) Entry(e Entry) Entry {
	e.Path = r.String(e.Path)
	e.Query = r.Form(e.Query) // access_token=… in a URL is a secret too
	e.Header = r.Header(e.Header)
	if strings.HasPrefix(strings.ToLower(e.Header.Get("Content-Type")), "application/x-www-form-urlencoded") {
		e.Body = r.Form(e.Body)
	} else {
		e.Body = r.String(e.Body)
	}
	e.ResponseHeader = r.Header(e.ResponseHeader)
	e.ResponseBody = r.String(e.ResponseBody)
	e.Note = r.String(e.Note)
	return e
}
