package mockprovider

import (
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rotation says what a provider does with refresh tokens when one is used.
// RFC 6749 §6 lets a server issue a new refresh token and revoke the old one;
// RFC 9700 §4.14.2 adds reuse detection.
type Rotation string

const (
	// RotateNever keeps the refresh token: the refresh response carries none
	// (Salesforce without refresh-token rotation).
	RotateNever Rotation = "never"
	// RotateKeepOld issues a new refresh token on every refresh and leaves
	// the old ones valid (Microsoft identity platform v2).
	RotateKeepOld Rotation = "keep-old"
	// RotateRevokeOld issues a new refresh token and invalidates the one
	// presented; presenting it again is an invalid_grant, nothing more.
	RotateRevokeOld Rotation = "revoke-old"
	// RotateReuseDetection issues a new refresh token and invalidates the
	// presented one; presenting a rotated-out token revokes the whole family,
	// current refresh token and access tokens included (Salesforce with
	// refresh-token rotation, RFC 9700 §4.14.2).
	RotateReuseDetection Rotation = "reuse-detection"
)

// Rotations lists the valid Rotation values.
var Rotations = []Rotation{RotateNever, RotateKeepOld, RotateRevokeOld, RotateReuseDetection}

// Policy is a provider's token policy. The zero value means: access tokens
// live two hours, refresh tokens never expire and are never rotated.
type Policy struct {
	// AccessTokenLifetime is how long an access token is valid. Zero means 2h.
	AccessTokenLifetime time.Duration `json:"accessTokenLifetime,omitempty"`
	// AccessTokenJitter adds a random part in [0, jitter] to each access
	// token's lifetime (Microsoft: 3599 s plus up to 30 min).
	AccessTokenJitter time.Duration `json:"accessTokenJitter,omitempty"`
	// SlidingAccess extends an access token's lifetime on every use, as
	// Salesforce's idle session timeout does.
	SlidingAccess bool `json:"slidingAccess,omitempty"`
	// RefreshTokenIdle expires a refresh token that has not been used for
	// this long (Microsoft: 90 days per token). Zero means never.
	RefreshTokenIdle time.Duration `json:"refreshTokenIdle,omitempty"`
	// FamilyLifetime is a fixed deadline for every token of a family,
	// counted from its first grant (Microsoft SPA: 24h). Zero means none.
	FamilyLifetime time.Duration `json:"familyLifetime,omitempty"`
	// Rotation is the refresh-token rotation policy. Empty means RotateNever.
	Rotation Rotation `json:"rotation,omitempty"`
	// RejectConcurrentRefresh makes a refresh fail while another refresh
	// with the same refresh token is still being answered (Salesforce since
	// Summer '24: "token request is already being processed").
	RejectConcurrentRefresh bool `json:"rejectConcurrentRefresh,omitempty"`
	// ConcurrentRefreshWindow, under RejectConcurrentRefresh, also counts
	// a refresh as concurrent when it presents the same refresh token
	// within this long after another one with it arrived, even if that
	// one has been answered already. Clients that refresh once per failed
	// call send their refreshes a few milliseconds apart, while a mock
	// answers each in under a millisecond: without a window they would
	// never overlap. Salesforce documents the refusal, not its window
	// [unverified], and a window also refuses a client that refreshes
	// again right after an answer, so it is a scenario option (the
	// concurrent-401 scenarios set 50ms: refreshes that Node.js clients
	// start together arrive 1 to 8 ms apart). Zero means only while the
	// other refresh is being answered.
	ConcurrentRefreshWindow time.Duration `json:"concurrentRefreshWindow,omitempty"`
}

func (p Policy) accessLifetime() time.Duration {
	if p.AccessTokenLifetime <= 0 {
		return 2 * time.Hour
	}
	return p.AccessTokenLifetime
}

func (p Policy) rotation() Rotation {
	if p.Rotation == "" {
		return RotateNever
	}
	return p.Rotation
}

// Validate reports a policy value that cannot be used.
func (p Policy) Validate() error {
	if p.AccessTokenLifetime < 0 || p.AccessTokenJitter < 0 || p.RefreshTokenIdle < 0 || p.FamilyLifetime < 0 {
		return errors.New("mockprovider: policy durations must not be negative")
	}
	if p.Rotation != "" {
		for _, r := range Rotations {
			if r == p.Rotation {
				return nil
			}
		}
		return fmt.Errorf("mockprovider: unknown rotation %q (want one of never, keep-old, revoke-old, reuse-detection)", p.Rotation)
	}
	return nil
}

// TokenKind tells access tokens from refresh tokens.
type TokenKind string

const (
	AccessToken  TokenKind = "access"
	RefreshToken TokenKind = "refresh"
)

// TokenState is what the provider knows of a token at one moment.
type TokenState string

const (
	StateValid   TokenState = "valid"
	StateExpired TokenState = "expired"
	// StateRevoked: revoked explicitly, by reuse detection, or with its family.
	StateRevoked TokenState = "revoked"
	// StateRotated: a refresh token invalidated because a newer one replaced it.
	StateRotated TokenState = "rotated"
	// StateSuperseded: a refresh token a newer one replaced, still accepted
	// (RotateKeepOld). Presenting it works, but it is not the newest.
	StateSuperseded TokenState = "superseded"
	// StateUnknown: the provider never issued this value.
	StateUnknown TokenState = "unknown"
	// StateNone: no token was presented.
	StateNone TokenState = "none"
)

// TokenStates lists the states a scripted rule can match.
var TokenStates = []TokenState{StateValid, StateExpired, StateRevoked, StateRotated, StateSuperseded, StateUnknown, StateNone}

// Token is one issued token as the authority knows it. Values are copies.
type Token struct {
	Value string    `json:"value"`
	Label string    `json:"label"` // stable name for reports: AT#1, RT#2
	Kind  TokenKind `json:"kind"`
	// Family is the ID of the grant this token descends from (one per
	// account sign-in).
	Family    string     `json:"family"`
	ClientID  string     `json:"clientId"`
	Scope     string     `json:"scope,omitempty"`
	IssuedAt  time.Time  `json:"issuedAt"`
	ExpiresAt time.Time  `json:"expiresAt,omitzero"` // zero: no expiry
	LastUsed  time.Time  `json:"lastUsed,omitzero"`
	State     TokenState `json:"state"` // at the moment the copy was taken
	// Parent is the label of the refresh token whose use issued this token.
	Parent string `json:"parent,omitempty"`
	// ReplacedBy is, for a refresh token, the label of its successor.
	ReplacedBy string `json:"replacedBy,omitempty"`
	Uses       int    `json:"uses"`
}

// Grant is what one token response hands out.
type Grant struct {
	Family  string `json:"family"`
	Access  Token  `json:"access"`
	Refresh Token  `json:"refresh"`
	// RefreshIssued is true when Refresh is new in this response. Under
	// RotateNever a refresh response carries no refresh token.
	RefreshIssued bool      `json:"refreshIssued"`
	Scope         string    `json:"scope,omitempty"`
	IssuedAt      time.Time `json:"issuedAt"`
}

// RefreshFailure names why the authority refused a refresh token.
type RefreshFailure string

const (
	FailUnknown       RefreshFailure = "unknown-token"
	FailExpired       RefreshFailure = "expired"
	FailRevoked       RefreshFailure = "revoked"
	FailRotated       RefreshFailure = "rotated-out"
	FailReuseDetected RefreshFailure = "reuse-detected"
	FailWrongClient   RefreshFailure = "client-mismatch"
	FailInFlight      RefreshFailure = "in-flight"
	FailNotRefresh    RefreshFailure = "not-a-refresh-token"
)

// RefreshError is returned by Authority.Refresh. Dialects turn it into
// their provider's wire error.
type RefreshError struct {
	Failure RefreshFailure
	Token   Token // the presented token, when known
}

func (e *RefreshError) Error() string {
	if e.Token.Label != "" {
		return fmt.Sprintf("mockprovider: refresh refused: %s (%s)", e.Failure, e.Token.Label)
	}
	return "mockprovider: refresh refused: " + string(e.Failure)
}

// TokenFormat makes a token value. n counts tokens of that kind from 1.
type TokenFormat func(kind TokenKind, n int, rnd func(int) string) string

type token struct {
	Token
	fam        *family
	n          uint32 // the number in its label
	revoked    bool
	rotated    bool // invalid since its successor was issued
	superseded bool // a successor exists but this one stays valid
}

type family struct {
	id       string
	clientID string
	scope    string
	created  time.Time
	// tokens are the family's kept tokens, in issue order; issued counts
	// every token it was ever issued, kept or not.
	tokens  []*token
	issued  int
	revoked bool
	// The newest access and refresh tokens, never evicted while the
	// family is kept.
	curAT, curRT *token
	// rotatedOut fingerprints the family's rotated-out refresh tokens
	// whose retired records were dropped: enough for reuse detection to
	// recognise one presented again long after (see fingerprint).
	rotatedOut []fingerprint
}

// fingerprint is what the authority keeps of a rotated-out refresh token
// once its retired record is gone: a keyed hash of the value and the
// number of its label, 16 bytes.
type fingerprint struct {
	h uint64
	n uint32
}

// Bounds of the token store. Below keepTokens nothing is evicted: a
// scenario run issues a few dozen tokens, so its Tokens and Families are
// complete. Beyond it, the oldest tokens that are not their family's
// newest are evicted; each leaves a compact record (retired) that lets
// the authority judge the value if it is presented again, for the last
// keepRetired evicted tokens.
//
// Families are bounded too: every sign-in (an authorization code, a
// client-credentials or JWT grant) starts one, and a family's newest
// tokens are never evicted, so a load of sign-ins kept every family and
// two tokens each. Beyond keepFamilies a family is evicted, a dead one
// (revoked, or every token of it revoked or expired) first, else the
// oldest: its tokens are retired like others, and one of them presented
// again brings the family back. Reuse detection outlives the retired
// records through the families' fingerprints of rotated-out refresh
// tokens, keepFingerprints in all.
//
// The sizes are what serve can afford under a long load: 3 MiB of heap
// for 32 families rotating without end, which the collector's headroom
// doubles in resident memory. Four times as many of each held 6.5 MiB
// and cost serve 8 MiB of peak RSS (docs/performance.md), for tokens
// presented again tens of thousands of rotations later.
const (
	keepTokens       = 1024
	keepRetired      = 4096
	keepFamilies     = 1024
	keepFingerprints = 1 << 14
)

// retired is what the authority keeps of an evicted token: enough to
// recognise it and judge it as before (a rotated-out refresh token
// presented again is still reuse), without its value.
type retired struct {
	fam                          *family
	n, parent, replacedBy        uint32
	refresh                      bool
	revoked, rotated, superseded bool
	uses                         int32
	issued, expires, lastUsed    int64 // Unix nanoseconds; 0 is none
}

// Authority issues tokens and knows the state of every token it issued.
// It is safe for concurrent use: each refresh is atomic, so no token is
// issued twice and no accepted refresh is lost.
type Authority struct {
	mu       sync.Mutex
	clock    *Clock
	policy   Policy
	format   TokenFormat
	rnd      *randSource
	tokens   map[string]*token
	families map[string]*family
	order    []*family
	inflight map[string]int
	// started holds when a refresh with each refresh token last arrived,
	// within the concurrent-refresh window.
	started  map[string]time.Time
	atN, rtN int

	// red redacts every kept token (and what the provider adds).
	red *Redactor
	// queue holds kept tokens in issue order from qHead on, for eviction.
	queue []*token
	qHead int
	// keep, keepRet, keepFam and keepFp bound the store (keepTokens,
	// keepRetired, keepFamilies and keepFingerprints unless a test lowers
	// them).
	keep, keepRet, keepFam, keepFp int
	// famN numbers families; famEvicted counts those evicted.
	famN, famEvicted int
	// fingerprints counts the families' rotatedOut entries.
	fingerprints int
	// retired maps a keyed hash of an evicted value to its record;
	// retiredOrder evicts the oldest records first.
	retired      map[uint64]retired
	retiredOrder []uint64
	retiredHead  int
	evicted      int64
	hashSeed     maphash.Seed
	// redactQueue holds the values of evicted tokens the redactor still
	// knows, oldest first from redactHead: a journal keeps exchanges that
	// carried tokens evicted since, and exporting them must still redact
	// them. redactKeep bounds it; the provider sizes it to its journal.
	redactQueue []string
	redactHead  int
	redactKeep  int
}

// defaultRedactKeep is how many evicted values the redactor keeps when
// no journal says otherwise.
const defaultRedactKeep = 4096

// NewAuthority returns an authority on clock with policy. format makes the
// token values; nil makes opaque random ones.
func NewAuthority(clock *Clock, policy Policy, format TokenFormat, seed uint64) *Authority {
	if clock == nil {
		clock = &Clock{}
	}
	if format == nil {
		format = func(kind TokenKind, n int, rnd func(int) string) string { return rnd(40) }
	}
	a := &Authority{clock: clock, policy: policy, format: format, rnd: newRandSource(seed), keep: keepTokens, keepRet: keepRetired, keepFam: keepFamilies, keepFp: keepFingerprints, redactKeep: defaultRedactKeep, hashSeed: maphash.MakeSeed()}
	a.resetLocked()
	return a
}

func (a *Authority) resetLocked() {
	a.tokens = map[string]*token{}
	a.families = map[string]*family{}
	a.order = nil
	a.inflight = map[string]int{}
	a.started = map[string]time.Time{}
	a.atN, a.rtN = 0, 0
	a.red = &Redactor{}
	a.queue, a.qHead = nil, 0
	a.retired, a.retiredOrder, a.retiredHead, a.evicted = map[uint64]retired{}, nil, 0, 0
	a.famN, a.famEvicted, a.fingerprints = 0, 0, 0
	a.redactQueue, a.redactHead = nil, 0
}

// Reset forgets every token and family.
func (a *Authority) Reset() {
	a.mu.Lock()
	a.resetLocked()
	a.mu.Unlock()
}

// Policy returns the authority's policy.
func (a *Authority) Policy() Policy {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.policy
}

// SetPolicy replaces the policy for tokens issued and judged from now on.
func (a *Authority) SetPolicy(p Policy) {
	a.mu.Lock()
	a.policy = p
	a.mu.Unlock()
}

func (a *Authority) newToken(kind TokenKind, f *family, parent string, now time.Time) *token {
	var n int
	if kind == AccessToken {
		a.atN++
		n = a.atN
	} else {
		a.rtN++
		n = a.rtN
	}
	label := tokenLabel(kind, uint32(n))
	var value string
	for {
		value = a.format(kind, n, a.rnd.alnum)
		if _, dup := a.tokens[value]; dup {
			continue
		}
		if _, dup := a.retired[a.hash(value)]; !dup {
			break
		}
	}
	t := &token{Token: Token{Value: value, Label: label, Kind: kind, Family: f.id, ClientID: f.clientID, Scope: f.scope, IssuedAt: now, Parent: parent}, fam: f, n: uint32(n)}
	if kind == AccessToken {
		life := a.policy.accessLifetime()
		if j := a.policy.AccessTokenJitter; j > 0 {
			life += time.Duration(a.rnd.int63n(int64(j) + 1))
		}
		// Whole seconds, as providers announce lifetimes in seconds.
		t.ExpiresAt = now.Add(life.Truncate(time.Second))
	}
	if a.policy.FamilyLifetime > 0 {
		deadline := f.created.Add(a.policy.FamilyLifetime)
		if t.ExpiresAt.IsZero() || deadline.Before(t.ExpiresAt) {
			t.ExpiresAt = deadline
		}
	}
	a.keepLocked(t, f)
	f.issued++
	if kind == AccessToken {
		f.curAT = t
	} else {
		f.curRT = t
	}
	return t
}

// keepLocked adds t to the kept tokens of f.
func (a *Authority) keepLocked(t *token, f *family) {
	a.tokens[t.Value] = t
	f.tokens = append(f.tokens, t)
	a.queue = append(a.queue, t)
	a.red.Add(t.Value, t.Label)
}

func tokenLabel(kind TokenKind, n uint32) string {
	if kind == AccessToken {
		return "AT#" + strconv.FormatUint(uint64(n), 10)
	}
	return "RT#" + strconv.FormatUint(uint64(n), 10)
}

func (a *Authority) hash(value string) uint64 { return maphash.String(a.hashSeed, value) }

// evictLocked evicts the oldest kept tokens, other than their family's
// newest, while more than a.keep are kept. Callers run it once the
// states of the tokens they touched are final: a token retired before
// it is marked rotated would be judged valid when presented again.
func (a *Authority) evictLocked() {
	// Each live newest token met is moved to the back. Visits are few
	// per call, so that a store held over its bound by many live
	// families costs O(1) per token issued, not a walk of the queue.
	now := a.clock.Now()
	// Tokens retired with their family leave their slots behind; drop
	// them from the front, and rebuild the queue when they are most of
	// it, or a store kept under its bound by family evictions would grow
	// the queue without end.
	for a.qHead < len(a.queue) && a.tokens[a.queue[a.qHead].Value] != a.queue[a.qHead] {
		a.queue[a.qHead] = nil
		a.qHead++
	}
	if len(a.queue)-a.qHead > 2*len(a.tokens)+1024 {
		kept := make([]*token, 0, 2*len(a.tokens))
		for _, t := range a.queue[a.qHead:] {
			if a.tokens[t.Value] == t {
				kept = append(kept, t)
			}
		}
		a.queue, a.qHead = kept, 0
	}
	for visits := min(16, len(a.queue)-a.qHead); len(a.tokens) > a.keep && visits > 0; visits-- {
		t := a.queue[a.qHead]
		a.queue[a.qHead] = nil
		a.qHead++
		f := t.fam
		if a.tokens[t.Value] != t {
			continue // no longer kept
		}
		if (t == f.curAT || t == f.curRT) && a.stateLocked(t, now) != StateRevoked && a.stateLocked(t, now) != StateExpired {
			a.queue = append(a.queue, t)
			continue
		}
		a.retireLocked(t, f)
	}
	// Reclaim the queue's consumed front once it is half the slice.
	if a.qHead > 1024 && a.qHead*2 > len(a.queue) {
		a.queue = append(a.queue[:0:0], a.queue[a.qHead:]...)
		a.qHead = 0
	}
}

// retireLocked evicts t, keeping its compact record.
func (a *Authority) retireLocked(t *token, f *family) {
	delete(a.tokens, t.Value)
	a.forgetLaterLocked(t.Value)
	// The oldest go first, so t is nearly always at the front.
	for i, o := range f.tokens {
		if o == t {
			if i == 0 {
				f.tokens[0] = nil
				f.tokens = f.tokens[1:]
			} else {
				f.tokens = append(f.tokens[:i], f.tokens[i+1:]...)
			}
			break
		}
	}
	a.evicted++
	r := retired{fam: f, n: t.n, refresh: t.Kind == RefreshToken, revoked: t.revoked, rotated: t.rotated, superseded: t.superseded,
		uses: int32(t.Uses), issued: unixNano(t.IssuedAt), expires: unixNano(t.ExpiresAt), lastUsed: unixNano(t.LastUsed),
		parent: labelNumber(t.Parent), replacedBy: labelNumber(t.ReplacedBy)}
	h := a.hash(t.Value)
	a.retired[h] = r
	a.retiredOrder = append(a.retiredOrder, h)
	for len(a.retired) > a.keepRet && a.retiredHead < len(a.retiredOrder) {
		h := a.retiredOrder[a.retiredHead]
		if r, ok := a.retired[h]; ok && r.refresh && r.rotated && !r.fam.revoked && a.families[r.fam.id] == r.fam {
			a.fingerprintLocked(r.fam, fingerprint{h: h, n: r.n})
		}
		delete(a.retired, h)
		a.retiredHead++
	}
	if a.retiredHead > 1024 && a.retiredHead*2 > len(a.retiredOrder) {
		a.retiredOrder = append(a.retiredOrder[:0:0], a.retiredOrder[a.retiredHead:]...)
		a.retiredHead = 0
	}
}

// fingerprintLocked keeps fp for f. Beyond keepFingerprints in all, the
// older half of the family holding the most goes: the families that
// rotate most lose their oldest first.
func (a *Authority) fingerprintLocked(f *family, fp fingerprint) {
	f.rotatedOut = append(f.rotatedOut, fp)
	a.fingerprints++
	if a.fingerprints <= a.keepFp {
		return
	}
	g := f
	for _, o := range a.order {
		if len(o.rotatedOut) > len(g.rotatedOut) {
			g = o
		}
	}
	drop := max(1, len(g.rotatedOut)/2)
	g.rotatedOut = append(g.rotatedOut[:0:0], g.rotatedOut[drop:]...)
	a.fingerprints -= drop
}

// dropFingerprintsLocked forgets f's fingerprints: a revoked or evicted
// family's tokens are refused whatever they were.
func (a *Authority) dropFingerprintsLocked(f *family) {
	a.fingerprints -= len(f.rotatedOut)
	f.rotatedOut = nil
}

// findFingerprintLocked finds the family that fingerprinted h. A keyed
// 64-bit hash makes a false match of a value the authority never issued
// vanishingly rare (about n/2^64 for n fingerprints), so new values are
// not checked against fingerprints, which would cost a walk per token.
func (a *Authority) findFingerprintLocked(h uint64) (*family, int) {
	if a.fingerprints == 0 {
		return nil, -1
	}
	for _, f := range a.order {
		for i, fp := range f.rotatedOut {
			if fp.h == h {
				return f, i
			}
		}
	}
	return nil, -1
}

// evictFamiliesLocked evicts families beyond keepFam: among the oldest
// few, a dead one, else the oldest. A family is evicted with all its
// tokens retired, so that any of them presented again is judged as
// before; its fingerprints go, its summary leaves Families.
func (a *Authority) evictFamiliesLocked(now time.Time) {
	for len(a.order) > a.keepFam {
		victim := 0
		for i, f := range a.order[:min(64, len(a.order)-1)] {
			if a.deadLocked(f, now) {
				victim = i
				break
			}
		}
		f := a.order[victim]
		a.order = append(a.order[:victim], a.order[victim+1:]...)
		delete(a.families, f.id)
		for len(f.tokens) > 0 {
			a.retireLocked(f.tokens[0], f)
		}
		a.dropFingerprintsLocked(f)
		a.famEvicted++
	}
}

// deadLocked tells whether no token of f can be used any more.
func (a *Authority) deadLocked(f *family, now time.Time) bool {
	if f.revoked {
		return true
	}
	for _, t := range []*token{f.curAT, f.curRT} {
		if t != nil {
			if st := a.stateLocked(t, now); st != StateRevoked && st != StateExpired {
				return false
			}
		}
	}
	return true
}

// keepFamilyLocked keeps f again when one of its tokens comes back after
// the family was evicted.
func (a *Authority) keepFamilyLocked(f *family) {
	if a.families[f.id] == f {
		return
	}
	a.families[f.id] = f
	a.order = append(a.order, f)
	a.evictFamiliesLocked(a.clock.Now())
}

// forgetLaterLocked removes an evicted value from the redactor once
// redactKeep values evicted after it are known to it too.
func (a *Authority) forgetLaterLocked(value string) {
	a.redactQueue = append(a.redactQueue, value)
	for len(a.redactQueue)-a.redactHead > a.redactKeep {
		v := a.redactQueue[a.redactHead]
		a.redactQueue[a.redactHead] = ""
		a.redactHead++
		if _, kept := a.tokens[v]; !kept { // presented again and kept since
			a.red.Remove(v)
		}
	}
	if a.redactHead > 1024 && a.redactHead*2 > len(a.redactQueue) {
		a.redactQueue = append(a.redactQueue[:0:0], a.redactQueue[a.redactHead:]...)
		a.redactHead = 0
	}
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// labelNumber reads the number of a label such as RT#12 (0 for none).
func labelNumber(label string) uint32 {
	_, num, ok := strings.Cut(label, "#")
	if !ok {
		return 0
	}
	n, _ := strconv.ParseUint(num, 10, 32)
	return uint32(n)
}

// lookupLocked finds a presented value among the kept tokens, or among
// the retired ones, which it keeps again, so that every judgement below
// sees the token as it was.
func (a *Authority) lookupLocked(value string) (*token, bool) {
	if t, ok := a.tokens[value]; ok {
		return t, true
	}
	if len(a.retired) == 0 && a.fingerprints == 0 {
		return nil, false
	}
	h := a.hash(value)
	r, ok := a.retired[h]
	if !ok {
		f, i := a.findFingerprintLocked(h)
		if f == nil {
			return nil, false
		}
		// All a fingerprint says: a rotated-out refresh token of f.
		r = retired{fam: f, n: f.rotatedOut[i].n, refresh: true, rotated: true}
		f.rotatedOut = append(f.rotatedOut[:i], f.rotatedOut[i+1:]...)
		a.fingerprints--
	} else {
		delete(a.retired, h) // its slot in retiredOrder is skipped once reached
	}
	t := r.token(value)
	a.keepFamilyLocked(r.fam)
	a.keepLocked(t, r.fam)
	return t, true
}

// stateLocked judges t at now.
func (a *Authority) stateLocked(t *token, now time.Time) TokenState {
	switch {
	case t.revoked:
		return StateRevoked
	case t.rotated:
		return StateRotated
	}
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return StateExpired
	}
	if t.Kind == RefreshToken && a.policy.RefreshTokenIdle > 0 {
		last := t.IssuedAt
		if t.LastUsed.After(last) {
			last = t.LastUsed
		}
		if !now.Before(last.Add(a.policy.RefreshTokenIdle)) {
			return StateExpired
		}
	}
	if t.superseded {
		return StateSuperseded
	}
	return StateValid
}

func (a *Authority) copyLocked(t *token, now time.Time) Token {
	c := t.Token
	c.State = a.stateLocked(t, now)
	return c
}

// Mint starts a new token family for clientID (a new account sign-in) and
// returns its first access and refresh tokens.
func (a *Authority) Mint(clientID, scope string) Grant {
	return a.MintAt(clientID, scope, a.clock.Now())
}

// MintAt is Mint for a sign-in at an earlier time: a grant whose access
// token has since expired on its own, as an account's stored tokens are
// when a container starts hours after the last refresh.
func (a *Authority) MintAt(clientID, scope string, now time.Time) Grant {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.famN++
	f := &family{id: fmt.Sprintf("F#%d", a.famN), clientID: clientID, scope: scope, created: now}
	a.families[f.id] = f
	a.order = append(a.order, f)
	a.evictFamiliesLocked(a.clock.Now())
	rt := a.newToken(RefreshToken, f, "", now)
	// The first access token descends from the first refresh token too:
	// revoking that refresh token revokes it (Salesforce revoke semantics).
	at := a.newToken(AccessToken, f, rt.Label, now)
	a.evictLocked()
	// States are judged at the present, whenever the grant was made.
	cur := a.clock.Now()
	return Grant{Family: f.id, Access: a.copyLocked(at, cur), Refresh: a.copyLocked(rt, cur), RefreshIssued: true, Scope: scope, IssuedAt: now}
}

// BeginRefresh marks a refresh with refreshToken as being answered until
// the returned function is called. Under RejectConcurrentRefresh a second
// BeginRefresh for the same token fails with FailInFlight meanwhile, and
// within the policy's ConcurrentRefreshWindow after the first arrived,
// unless the token was rotated out and its successor has been presented
// since: that is reuse, which Refresh judges (and under reuse detection
// punishes) as it would at any other time.
func (a *Authority) BeginRefresh(refreshToken string) (done func(), err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	if a.policy.RejectConcurrentRefresh {
		w := a.policy.ConcurrentRefreshWindow
		for k, at := range a.started {
			if now.Sub(at) > w {
				delete(a.started, k) // keeps the map as small as the window
			}
		}
		if at, recent := a.started[refreshToken]; a.inflight[refreshToken] > 0 || (recent && now.Sub(at) <= w) {
			t, ok := a.lookupLocked(refreshToken)
			// A rotated-out token whose successor came back is reuse, not
			// a concurrent refresh: Refresh judges it.
			if !ok || !a.successorPresentedLocked(t) {
				var tok Token
				if ok {
					tok = a.copyLocked(t, a.clock.Now())
				}
				return func() {}, &RefreshError{Failure: FailInFlight, Token: tok}
			}
		}
		if w > 0 {
			a.started[refreshToken] = now
		}
	}
	a.inflight[refreshToken]++
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			if a.inflight[refreshToken]--; a.inflight[refreshToken] <= 0 {
				delete(a.inflight, refreshToken)
			}
			a.mu.Unlock()
		})
	}, nil
}

// Refresh redeems refreshToken for clientID. An empty clientID skips the
// client check (the dialect authenticated the client already). The error,
// when not nil, is a *RefreshError.
func (a *Authority) Refresh(refreshToken, clientID string) (Grant, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	t, ok := a.lookupLocked(refreshToken)
	if !ok {
		return Grant{}, &RefreshError{Failure: FailUnknown}
	}
	if t.Kind != RefreshToken {
		return Grant{}, &RefreshError{Failure: FailNotRefresh, Token: a.copyLocked(t, now)}
	}
	f := t.fam
	if clientID != "" && clientID != t.ClientID {
		return Grant{}, &RefreshError{Failure: FailWrongClient, Token: a.copyLocked(t, now)}
	}
	switch a.stateLocked(t, now) {
	case StateRevoked:
		return Grant{}, &RefreshError{Failure: FailRevoked, Token: a.copyLocked(t, now)}
	case StateExpired:
		return Grant{}, &RefreshError{Failure: FailExpired, Token: a.copyLocked(t, now)}
	case StateRotated:
		presented := a.copyLocked(t, now)
		if a.policy.rotation() == RotateReuseDetection {
			a.revokeFamilyLocked(f)
			return Grant{}, &RefreshError{Failure: FailReuseDetected, Token: presented}
		}
		return Grant{}, &RefreshError{Failure: FailRotated, Token: presented}
	}
	t.Uses++
	t.LastUsed = now
	at := a.newToken(AccessToken, f, t.Label, now)
	g := Grant{Family: f.id, Access: a.copyLocked(at, now), Scope: f.scope, IssuedAt: now}
	switch a.policy.rotation() {
	case RotateNever:
		g.Refresh = a.copyLocked(t, now)
	default:
		rt := a.newToken(RefreshToken, f, t.Label, now)
		t.ReplacedBy = rt.Label
		if a.policy.rotation() == RotateKeepOld {
			t.superseded = true
		} else {
			t.rotated = true
		}
		g.Refresh = a.copyLocked(rt, now)
		g.RefreshIssued = true
	}
	a.evictLocked()
	return g, nil
}

func (a *Authority) revokeFamilyLocked(f *family) {
	f.revoked = true
	a.dropFingerprintsLocked(f)
	for _, t := range f.tokens {
		t.revoked = true
	}
}

// Authenticate judges an access token presented to an API and, when it is
// valid and the policy is sliding, extends its lifetime. ok is false for a
// value the authority never issued.
func (a *Authority) Authenticate(accessToken string) (tok Token, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	t, ok := a.lookupLocked(accessToken)
	if !ok {
		return Token{State: StateUnknown}, false
	}
	st := a.stateLocked(t, now)
	if st == StateValid && t.Kind == AccessToken {
		t.Uses++
		t.LastUsed = now
		if a.policy.SlidingAccess {
			t.ExpiresAt = now.Add(a.policy.accessLifetime())
		}
	}
	return a.copyLocked(t, now), true
}

// Inspect returns what the authority knows of value, without side effects.
func (a *Authority) Inspect(value string) (Token, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.tokens[value]
	if !ok {
		h := a.hash(value)
		r, ok := a.retired[h]
		if !ok {
			f, i := a.findFingerprintLocked(h)
			if f == nil {
				return Token{State: StateUnknown}, false
			}
			r = retired{fam: f, n: f.rotatedOut[i].n, refresh: true, rotated: true}
		}
		return a.retiredCopyLocked(value, r), true
	}
	return a.copyLocked(t, a.clock.Now()), true
}

// ErrUnknownToken is returned for a value, label or family the authority
// never issued.
var ErrUnknownToken = errors.New("mockprovider: unknown token")

func (a *Authority) findLocked(ref string) *token {
	if t, ok := a.lookupLocked(ref); ok {
		return t
	}
	for _, t := range a.tokens {
		if t.Label == ref {
			return t
		}
	}
	return nil
}

// Revoke revokes one token, by value or label. Revoking a refresh token
// revokes the access tokens it issued as well (Salesforce revoke semantics).
func (a *Authority) Revoke(ref string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.findLocked(ref)
	if t == nil {
		return ErrUnknownToken
	}
	t.revoked = true
	if t.Kind == RefreshToken {
		for _, o := range t.fam.tokens {
			if o.Kind == AccessToken && o.Parent == t.Label {
				o.revoked = true
			}
		}
	}
	return nil
}

// RevokeFamily revokes every token of a family, given the family ID or
// any of its tokens (value or label).
func (a *Authority) RevokeFamily(ref string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	f, ok := a.families[ref]
	if !ok {
		t := a.findLocked(ref)
		if t == nil {
			return ErrUnknownToken
		}
		f = t.fam
	}
	a.revokeFamilyLocked(f)
	return nil
}

// Expire makes one token (value or label) expire now.
func (a *Authority) Expire(ref string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.findLocked(ref)
	if t == nil {
		return ErrUnknownToken
	}
	t.ExpiresAt = a.clock.Now()
	return nil
}

// Tokens returns every token kept, in issue order per family: every token
// issued, unless more than 1,024 were (see Evicted).
func (a *Authority) Tokens() []Token {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	var out []Token
	for _, f := range a.order {
		for _, t := range f.tokens {
			out = append(out, a.copyLocked(t, now))
		}
	}
	return out
}

// TokensPage returns at most limit of the tokens Tokens lists, from
// offset on, and whether more follow.
func (a *Authority) TokensPage(offset, limit int) (page []Token, more bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	for _, f := range a.order {
		if offset >= len(f.tokens) {
			offset -= len(f.tokens)
			continue
		}
		for _, t := range f.tokens[offset:] {
			if len(page) == limit {
				return page, true
			}
			page = append(page, a.copyLocked(t, now))
		}
		offset = 0
	}
	return page, false
}

// Family is a summary of one token family.
type Family struct {
	ID       string    `json:"id"`
	ClientID string    `json:"clientId"`
	Scope    string    `json:"scope,omitempty"`
	Created  time.Time `json:"created"`
	Revoked  bool      `json:"revoked"`
	// Current are the labels of the newest access and refresh tokens.
	CurrentAccess  string `json:"currentAccess"`
	CurrentRefresh string `json:"currentRefresh"`
	Tokens         int    `json:"tokens"`
}

// Families summarises every family, oldest first.
func (a *Authority) Families() []Family {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Family, 0, len(a.order))
	for _, f := range a.order {
		out = append(out, f.summary())
	}
	return out
}

// FamiliesPage returns at most limit of the families Families lists,
// from offset on, and whether more follow.
func (a *Authority) FamiliesPage(offset, limit int) (page []Family, more bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if offset >= len(a.order) {
		return nil, false
	}
	rest := a.order[offset:]
	if len(rest) > limit {
		rest, more = rest[:limit], true
	}
	page = make([]Family, 0, len(rest))
	for _, f := range rest {
		page = append(page, f.summary())
	}
	return page, more
}

func (f *family) summary() Family {
	s := Family{ID: f.id, ClientID: f.clientID, Scope: f.scope, Created: f.created, Revoked: f.revoked, Tokens: f.issued}
	if f.curAT != nil {
		s.CurrentAccess = f.curAT.Label
	}
	if f.curRT != nil {
		s.CurrentRefresh = f.curRT.Label
	}
	return s
}

// Issued counts the tokens issued since the last reset; it changes
// whenever Secrets would.
func (a *Authority) Issued() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.atN + a.rtN
}

// Evicted counts the tokens evicted from the store since the last reset.
// Tokens lists the others; Issued counts both.
func (a *Authority) Evicted() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.evicted
}

// Redactor returns a redactor that knows every kept token, kept up to
// date as tokens are issued and evicted.
func (a *Authority) Redactor() *Redactor {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.red
}

// Secrets returns every kept token value mapped to its label, for
// redaction.
func (a *Authority) Secrets() map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := make(map[string]string, len(a.tokens))
	for v, t := range a.tokens {
		m[v] = t.Label
	}
	return m
}

// retiredCopyLocked is what Inspect tells of a retired value, without
// keeping it again.
func (a *Authority) retiredCopyLocked(value string, r retired) Token {
	return a.copyLocked(r.token(value), a.clock.Now())
}

// token rebuilds the token r records, whose value is value.
func (r retired) token(value string) *token {
	f := r.fam
	kind := AccessToken
	if r.refresh {
		kind = RefreshToken
	}
	t := &token{Token: Token{Value: value, Label: tokenLabel(kind, r.n), Kind: kind, Family: f.id, ClientID: f.clientID, Scope: f.scope,
		IssuedAt: fromUnixNano(r.issued), ExpiresAt: fromUnixNano(r.expires), LastUsed: fromUnixNano(r.lastUsed), Uses: int(r.uses)},
		fam: f, n: r.n, revoked: r.revoked || f.revoked, rotated: r.rotated, superseded: r.superseded}
	// A parent is always a refresh token: the one whose use issued it.
	if r.parent != 0 {
		t.Parent = tokenLabel(RefreshToken, r.parent)
	}
	if r.replacedBy != 0 {
		t.ReplacedBy = tokenLabel(RefreshToken, r.replacedBy)
	}
	return t
}
