package suites

import (
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// earlyRefresh is how long before expiry a refresh still counts as
// "because the lifetime passed": clients refresh a little early to
// allow for clock skew and the request's own time.
const earlyRefresh = 5 * time.Minute

// maxRefreshAttempts bounds refresh attempts per message (R10).
const maxRefreshAttempts = 3

// prompt classifies the API answers that came before a refresh in its
// message, since the previous successful refresh (or the message start).
type prompt struct {
	calls      []*mockprovider.Entry
	got401     []*mockprovider.Entry
	got403     []*mockprovider.Entry
	gotServer  []*mockprovider.Entry // 429, 5xx, no answer
	sinceAnyRe []*mockprovider.Entry // calls since the previous refresh attempt of any kind
	// evicted: the journal no longer holds the start of the window (a long
	// loop overflowed it), so what prompted the refresh is unknown.
	evicted bool
}

func (v *view) promptOf(r *refresh) prompt {
	var p prompt
	from := v.lastUsedOKBefore(r.msg, r.e.Seq)
	if r.msg < 0 {
		// Outside a message there is no window: judge by the exchanges
		// since the previous refresh.
		for _, x := range v.refs {
			if x.e.Seq < r.e.Seq && x.msg < 0 && x.class == refreshOK {
				from = x.e.Seq
			}
		}
	}
	p.evicted = v.evictedBefore(r.msg, from)
	p.calls = v.apiCalls(r.msg, from, r.e.Seq)
	for _, c := range p.calls {
		switch {
		case c.Status == 401:
			p.got401 = append(p.got401, c)
		case c.Status == 403:
			p.got403 = append(p.got403, c)
		case c.Status == 429 || c.Status >= 500 || c.Status == 0:
			p.gotServer = append(p.gotServer, c)
		}
	}
	var prevAny int64
	for _, x := range v.refs {
		if x.msg == r.msg && x.e.Seq < r.e.Seq {
			prevAny = x.e.Seq
		}
	}
	p.sinceAnyRe = v.apiCalls(r.msg, prevAny, r.e.Seq)
	return p
}
