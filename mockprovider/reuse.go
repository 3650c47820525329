package mockprovider

// successorPresentedLocked reports whether t is a rotated-out refresh
// token whose successor a client has presented since: the successor's
// refresh is in flight or arrived within the concurrent-refresh window,
// or the successor has been redeemed.
//
// The concurrent-refresh window pretends that the refresh which rotated t
// out is still being answered, as it would be on a slower real server
// (Policy.ConcurrentRefreshWindow). Once the successor comes back, that
// refresh has been answered for certain, so presenting t again is reuse
// (RFC 9700 §4.14.2), not a concurrent refresh: the authority judges it by
// its state, and under reuse detection revokes the family.
func (a *Authority) successorPresentedLocked(t *token) bool {
	if t.Kind != RefreshToken || !t.rotated || t.ReplacedBy == "" {
		return false
	}
	f := t.fam
	if f == nil {
		return false
	}
	// The successor is recent: look from the newest kept token back.
	for i := len(f.tokens) - 1; i >= 0; i-- {
		s := f.tokens[i]
		if s.Label != t.ReplacedBy {
			continue
		}
		_, seen := a.started[s.Value]
		return a.inflight[s.Value] > 0 || seen || s.Uses > 0 || s.rotated || s.superseded
	}
	// Evicted: unless it is still the family's newest refresh token (one
	// revoked or expired, then evicted), a newer one replaced it, which
	// only redeeming it does.
	return f.curRT != nil && f.curRT.Label != t.ReplacedBy
}
