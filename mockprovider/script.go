package mockprovider

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Endpoint names what a scripted rule matches.
type Endpoint string

const (
	// EndpointToken matches every token request, whatever its grant.
	EndpointToken Endpoint = "token"
	// EndpointRefresh matches token requests with grant_type=refresh_token.
	EndpointRefresh   Endpoint = "refresh"
	EndpointAPI       Endpoint = "api"
	EndpointIdentity  Endpoint = "identity"
	EndpointRevoke    Endpoint = "revoke"
	EndpointAuthorize Endpoint = "authorize"
	// EndpointAny matches every request the provider serves.
	EndpointAny Endpoint = "any"
)

// Endpoints lists the valid Endpoint values.
var Endpoints = []Endpoint{EndpointToken, EndpointRefresh, EndpointAPI, EndpointIdentity, EndpointRevoke, EndpointAuthorize, EndpointAny}

// Match selects the requests a rule applies to. Ordinals count the
// requests of the matched endpoint from 1, in arrival order, whether or
// not earlier ones matched a rule.
type Match struct {
	Endpoint Endpoint `json:"endpoint"`
	// Nth, when set, matches only the Nth request of the endpoint.
	Nth int `json:"nth,omitempty"`
	// After, when set, matches every request after the After-th.
	After int `json:"after,omitempty"`
	// TokenState, when set, matches only requests whose presented token
	// is in that state ("none" for no token). API and identity requests
	// without a token match only rules that say "none": the provider's
	// 401 comes first, as on the real services.
	TokenState TokenState `json:"tokenState,omitempty"`
	// Method and PathPrefix narrow the match further.
	Method     string `json:"method,omitempty"`
	PathPrefix string `json:"pathPrefix,omitempty"`
}

// Respond says what a matched rule does. Error, Status, HTML and Drop
// replace the provider's answer: the request is not processed, so a
// refresh it carried issues nothing. NonJSON, Truncate and Omit change the
// answer after the provider processed the request, as a broken proxy in
// front of a working server would. Delay applies before either.
type Respond struct {
	// Error names an error of the dialect's catalogue.
	Error string `json:"error,omitempty"`
	// Status, Header and Body make a custom answer. Status alone keeps
	// the dialect's body for that status empty.
	Status int               `json:"status,omitempty"`
	Header map[string]string `json:"header,omitempty"`
	Body   string            `json:"body,omitempty"`
	// HTML answers 200 with an HTML page, as a captive portal or a
	// misconfigured proxy does.
	HTML bool `json:"html,omitempty"`
	// Drop closes the connection without an answer.
	Drop bool `json:"drop,omitempty"`
	// Delay waits before answering (a slow or timing-out endpoint). The
	// wait ends early when the client goes away or the server closes.
	Delay time.Duration `json:"delay,omitempty"`
	// NonJSON replaces the body with text that is not JSON, keeping the
	// status and headers.
	NonJSON bool `json:"nonJson,omitempty"`
	// Truncate sends half the body, then closes the connection.
	Truncate bool `json:"truncate,omitempty"`
	// Omit removes these top-level fields from a JSON object body.
	Omit []string `json:"omit,omitempty"`
}

func (r Respond) replaces() bool {
	return r.Error != "" || r.Status != 0 || r.Body != "" || r.HTML || r.Drop
}

// Rule is one scripted behaviour.
type Rule struct {
	// Name appears in the journal entries the rule produced.
	Name    string  `json:"name"`
	Match   Match   `json:"match"`
	Respond Respond `json:"respond"`
	// Times is how many requests the rule applies to; zero means every
	// matching request.
	Times int `json:"times,omitempty"`
}

// Validate checks r against the dialect's error catalogue.
func (r Rule) Validate(d Dialect) error {
	var errs []error
	name := r.Name
	if name == "" {
		name = "(unnamed)"
	}
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("mockprovider: rule %s: "+format, append([]any{name}, args...)...))
	}
	if !oneOf(r.Match.Endpoint, Endpoints) {
		bad("unknown endpoint %q (want one of %s)", r.Match.Endpoint, joinValues(Endpoints))
	}
	if r.Match.TokenState != "" && !oneOf(r.Match.TokenState, TokenStates) {
		bad("unknown token state %q (want one of %s)", r.Match.TokenState, joinValues(TokenStates))
	}
	if r.Match.Nth < 0 || r.Match.After < 0 || r.Times < 0 {
		bad("nth, after and times must not be negative")
	}
	if r.Match.Nth > 0 && r.Match.After > 0 {
		bad("nth and after exclude each other")
	}
	rs := r.Respond
	if rs.Status != 0 && (rs.Status < 100 || rs.Status > 599) {
		bad("status %d is not an HTTP status", rs.Status)
	}
	if rs.Delay < 0 {
		bad("delay must not be negative")
	}
	replacing := 0
	for _, on := range []bool{rs.Error != "", rs.Status != 0 || rs.Body != "", rs.HTML, rs.Drop} {
		if on {
			replacing++
		}
	}
	if replacing > 1 {
		bad("error, status/body, html and drop exclude each other")
	}
	if replacing == 1 && (rs.NonJSON || rs.Truncate || len(rs.Omit) > 0) {
		bad("nonJson, truncate and omit change the provider's own answer and cannot be combined with error, status, html or drop")
	}
	if replacing == 0 && !rs.NonJSON && !rs.Truncate && len(rs.Omit) == 0 && rs.Delay == 0 {
		bad("respond does nothing (set error, status, body, html, drop, delay, nonJson, truncate or omit)")
	}
	if rs.Error != "" && d != nil {
		if _, ok := findError(d, rs.Error); !ok {
			msg := fmt.Sprintf("unknown %s error %q", d.Name(), rs.Error)
			if s := Suggest(rs.Error, ErrorNames(d)); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			bad("%s", msg)
		}
	}
	return errors.Join(errs...)
}

func oneOf[T comparable](v T, vs []T) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

func joinValues[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// script matches requests to rules and counts ordinals.
type script struct {
	mu       sync.Mutex
	rules    []Rule
	used     []int
	ordinals map[Endpoint]int
}

func newScript(rules []Rule) *script {
	return &script{rules: rules, used: make([]int, len(rules)), ordinals: map[Endpoint]int{}}
}

func endpointOf(k Kind, grant string) Endpoint {
	switch k {
	case KindToken:
		if grant == "refresh_token" {
			return EndpointRefresh
		}
		return EndpointToken
	case KindAPI:
		return EndpointAPI
	case KindIdentity:
		return EndpointIdentity
	case KindRevoke:
		return EndpointRevoke
	case KindAuthorize:
		return EndpointAuthorize
	}
	return ""
}

// pick counts the request and returns the rule that applies, if any, and
// the request's ordinal within its endpoint.
func (s *script) pick(x *Exchange, state TokenState) (*Rule, int) {
	ep := endpointOf(x.Kind, x.Grant)
	if ep == "" {
		return nil, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ordinals[ep]++
	if ep == EndpointRefresh {
		s.ordinals[EndpointToken]++
	}
	s.ordinals[EndpointAny]++
	ord := s.ordinals[ep]
	// A resource request without a token fails the provider's token check
	// before anything else looks at it, as on the real services: only a
	// rule written for token-less requests (tokenState none) applies.
	tokenless := state == StateNone && (ep == EndpointAPI || ep == EndpointIdentity)
	for i := range s.rules {
		r := &s.rules[i]
		if r.Times > 0 && s.used[i] >= r.Times {
			continue
		}
		if tokenless && r.Match.TokenState != StateNone {
			continue
		}
		var n int
		switch r.Match.Endpoint {
		case ep, EndpointAny:
			n = s.ordinals[r.Match.Endpoint]
		case EndpointToken:
			if ep != EndpointRefresh {
				continue
			}
			n = s.ordinals[EndpointToken]
		default:
			continue
		}
		if r.Match.Nth > 0 && n != r.Match.Nth {
			continue
		}
		if r.Match.After > 0 && n <= r.Match.After {
			continue
		}
		if r.Match.TokenState != "" && r.Match.TokenState != state {
			continue
		}
		if r.Match.Method != "" && !strings.EqualFold(r.Match.Method, x.Request.Method) {
			continue
		}
		if r.Match.PathPrefix != "" && !strings.HasPrefix(x.Path, r.Match.PathPrefix) {
			continue
		}
		s.used[i]++
		return r, ord
	}
	return nil, ord
}

// Suggest returns the candidate s is likely a typo of, else "": the
// closest by edit distance when it is close enough, else one that shares
// a long prefix with s ("rotation" for "rotate"). It is the one suggester
// behind every "did you mean" of refreshproof.
func Suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := levenshtein(strings.ToLower(s), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= max(2, len(s)/3) {
		return best
	}
	best, bestN := "", 0
	ls := strings.ToLower(s)
	for _, c := range candidates {
		lc := strings.ToLower(c)
		n := 0
		for n < len(ls) && n < len(lc) && ls[n] == lc[n] {
			n++
		}
		if n > bestN {
			best, bestN = c, n
		}
	}
	if bestN >= 4 && bestN*3 >= len(s)*2 {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
