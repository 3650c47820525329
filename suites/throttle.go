// Judges of how a component treats an API that asks it to slow down:
// R19 (honour Retry-After, bounded retries).

package suites

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// maxThrottledRetries bounds how often a component sends a request again
// after the API throttled or refused it for overload (R19).
const maxThrottledRetries = 3

// retryAfterSlack is how much earlier than Retry-After a retry may come:
// clients count from when they read the header, the journal from when the
// answer was written, and timers fire a little early or late.
const retryAfterSlack = 100 * time.Millisecond

// retryAfter reads the Retry-After header of an answer (RFC 9110 §10.2.3:
// delay-seconds or an HTTP date), relative to when it was sent.
func retryAfter(e *mockprovider.Entry) (time.Duration, bool) {
	h := strings.TrimSpace(e.ResponseHeader.Get("Retry-After"))
	if h == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(e.VirtualTime), 0), true
	}
	return 0, false
}

// throttled tells whether an API answer asks the client to slow down: 429,
// or 503 with Retry-After.
func throttled(e *mockprovider.Entry) bool {
	if e.Kind != mockprovider.KindAPI {
		return false
	}
	_, has := retryAfter(e)
	return e.Status == http.StatusTooManyRequests || (e.Status == http.StatusServiceUnavailable && has)
}

func resource(e *mockprovider.Entry) string { return e.Method + " " + e.Path + "?" + e.Query }

func judgeR19(v *view) result {
	var res result
	judged := 0
	for _, m := range v.tr.Messages {
		calls := v.apiCalls(m.Index, 0, 0)
		reported := map[string]bool{}
		for i, c := range calls {
			if !throttled(c) {
				continue
			}
			judged++
			var next *mockprovider.Entry
			for _, x := range calls[i+1:] {
				if resource(x) == resource(c) {
					next = x
					break
				}
			}
			if next == nil {
				continue // it did not send the request again: a reported error is fine
			}
			wait, has := retryAfter(c)
			gap := next.Time.Sub(c.Time.Add(c.Duration))
			if has && gap+retryAfterSlack < wait && !reported["early "+resource(c)] {
				reported["early "+resource(c)] = true
				res.findings = append(res.findings, Finding{
					Summary: fmt.Sprintf("retried #%d after %s although Retry-After asked for %s", c.Seq, round(gap), wait),
					Seqs:    seqs(c, next),
					Message: fmt.Sprintf("In %s the API answered %d at #%d with Retry-After: %s (wait %s), and the component sent the request again at #%d, %s later:%s",
						msgName(&m), c.Status, c.Seq, c.ResponseHeader.Get("Retry-After"), wait, next.Seq, round(gap), v.evidence(c, next)),
				})
			}
		}
		// Bounded retries: count the sends of each throttled resource after
		// its first throttled answer.
		for _, c := range calls {
			if !throttled(c) || reported["bound "+resource(c)] {
				continue
			}
			var again []*mockprovider.Entry
			for _, x := range calls {
				if x.Seq > c.Seq && resource(x) == resource(c) {
					again = append(again, x)
				}
			}
			if len(again) > maxThrottledRetries {
				reported["bound "+resource(c)] = true
				res.findings = append(res.findings, Finding{
					Summary: fmt.Sprintf("sent %s %d more times after it was throttled at #%d", c.Path, len(again), c.Seq),
					Seqs:    seqs(c, again[0], again[len(again)-1]),
					Message: fmt.Sprintf("In %s the API throttled %s %s at #%d, and the component sent it %s (%s); at most %d retries are acceptable:%s",
						msgName(&m), c.Method, c.Path, c.Seq, plural(len(again), "more time", "more times"), seqList(again, 8), maxThrottledRetries, v.evidence(c, again[0], again[len(again)-1])),
				})
			}
		}
	}
	if judged == 0 {
		return skipped("the API never answered 429, or 503 with Retry-After")
	}
	res.pass = "waited as Retry-After asked, with bounded retries"
	return res
}

func round(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < time.Second:
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Millisecond)
}
