package suites

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
)

// builder makes small synthetic traces by hand: the exchanges, events
// and key updates of a scenario run, in order, as the harness records
// them (redacted, token values replaced by labels).
type builder struct {
	tr     harness.Trace
	seq    int64
	now    time.Time // virtual time
	keys   map[string]any
	cur    int // current message index, -1 outside
	nAT    int
	nRT    int
	family string
	pauses time.Duration // real time waited, added to later entries
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newTrace starts a trace for provider whose account signed in with AT#1
// (valid for an hour, or expired) and RT#1.
func newTrace(provider string, expired bool) *builder {
	b := &builder{now: t0, cur: -1, family: "F#1"}
	b.tr = harness.Trace{
		Version:   harness.TraceVersion,
		Scenario:  harness.TraceScenario{Name: "synthetic", Provider: provider},
		Component: harness.TraceComponent{Name: "test", Strategy: harness.StrategyOn401, CredentialField: "oauth"},
		Redacted:  true,
	}
	at := b.issue(mockprovider.AccessToken, "")
	rt := b.issue(mockprovider.RefreshToken, "")
	if expired {
		b.token(at).ExpiresAt = t0
		b.token(at).State = mockprovider.StateExpired
	}
	oauth := map[string]any{"access_token": "[" + at + "]", "refresh_token": "[" + rt + "]", "token_type": "Bearer"}
	if provider == "microsoft" {
		oauth["expires_in"] = 3600.0
		if expired {
			oauth["expires_in"] = 0.0
		}
	} else {
		oauth["instance_url"] = "https://org.my.salesforce.com"
	}
	b.keys = map[string]any{"oauth": oauth}
	b.tr.InitialKeys = b.raw()
	b.tr.Families = []mockprovider.Family{{ID: b.family, CurrentAccess: at, CurrentRefresh: rt}}
	return b
}

func (b *builder) raw() json.RawMessage {
	r, _ := json.Marshal(b.keys)
	return r
}

func (b *builder) token(label string) *mockprovider.Token {
	for i := range b.tr.Tokens {
		if b.tr.Tokens[i].Label == label {
			return &b.tr.Tokens[i]
		}
	}
	panic("no token " + label)
}

func (b *builder) issue(kind mockprovider.TokenKind, parent string) string {
	var l string
	t := mockprovider.Token{Kind: kind, Family: b.family, IssuedAt: b.now, State: mockprovider.StateValid, Parent: parent}
	if kind == mockprovider.AccessToken {
		b.nAT++
		l = fmt.Sprintf("AT#%d", b.nAT)
		t.ExpiresAt = b.now.Add(time.Hour)
	} else {
		b.nRT++
		l = fmt.Sprintf("RT#%d", b.nRT)
	}
	t.Label, t.Value = l, "["+l+"]"
	b.tr.Tokens = append(b.tr.Tokens, t)
	return l
}

// pause lets real time pass before the next exchange (a component that
// waits).
func (b *builder) pause(d time.Duration) *builder {
	b.pauses += d
	return b
}

// retryAfterHeader sets an answer's Retry-After.
func retryAfterHeader(v string) func(*mockprovider.Entry) {
	return func(e *mockprovider.Entry) { e.ResponseHeader = map[string][]string{"Retry-After": {v}} }
}

func (b *builder) strategy(s harness.Strategy) *builder {
	b.tr.Component.Strategy = s
	return b
}

func (b *builder) advance(d time.Duration) *builder {
	b.now = b.now.Add(d)
	for i := range b.tr.Tokens {
		t := &b.tr.Tokens[i]
		if t.State == mockprovider.StateValid && !t.ExpiresAt.IsZero() && !b.now.Before(t.ExpiresAt) {
			t.State = mockprovider.StateExpired
		}
	}
	return b
}

func (b *builder) entry(e mockprovider.Entry) *mockprovider.Entry {
	b.seq++
	e.Seq = b.seq
	e.Time = t0.Add(time.Duration(b.seq)*10*time.Millisecond + b.pauses)
	e.Duration = time.Millisecond
	e.VirtualTime = b.now
	b.tr.Journal = append(b.tr.Journal, e)
	return &b.tr.Journal[len(b.tr.Journal)-1]
}

// message starts a message in container c.
func (b *builder) message(container int) *builder {
	for len(b.tr.Containers) <= container {
		b.tr.Containers = append(b.tr.Containers, harness.Container{Index: len(b.tr.Containers)})
	}
	b.cur = len(b.tr.Messages)
	b.tr.Messages = append(b.tr.Messages, harness.Message{
		Index: b.cur, Label: fmt.Sprintf("m%d", b.cur+1), Container: container,
		JournalFrom: b.seq, KeysBefore: b.raw(), VirtualTime: b.now,
	})
	return b
}

func (b *builder) msg() *harness.Message { return &b.tr.Messages[b.cur] }

func (b *builder) state(label string) mockprovider.TokenState {
	for _, t := range b.tr.Tokens {
		if t.Label == label {
			return t.State
		}
	}
	return mockprovider.StateUnknown
}

// api records an API call presenting access token at ("" for none) the
// way where says, answered with status.
func (b *builder) api(status int, at string, mods ...func(*mockprovider.Entry)) *builder {
	host, path, query := "graph.microsoft.com", "/v1.0/me/messages", "$top=10"
	if b.tr.Scenario.Provider == "salesforce" {
		host, path, query = "org.my.salesforce.com", "/services/data/v67.0/query", "q=SELECT+Id+FROM+Account"
	}
	e := mockprovider.Entry{Host: host, Method: "GET", Path: path, Query: query, Kind: mockprovider.KindAPI, Status: status}
	if at != "" {
		e.Presented = &mockprovider.Presented{Label: at, Kind: mockprovider.AccessToken, Family: b.family, State: b.state(at), Where: "bearer"}
		e.Header = map[string][]string{"Authorization": {"Bearer [" + at + "]"}}
	}
	switch status {
	case 401:
		e.ResponseBody = `{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired."}}`
	case 403:
		e.ResponseBody = `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`
	case 429, 500, 503:
		e.ResponseBody = `{"error":{"code":"TooManyRequests","message":"slow down"}}`
	}
	for _, m := range mods {
		m(&e)
	}
	b.entry(e)
	return b
}

func tokenEntry(rt string, state mockprovider.TokenState) mockprovider.Entry {
	e := mockprovider.Entry{Host: "login.example.com", Method: "POST", Path: "/oauth2/token", Kind: mockprovider.KindToken, Grant: "refresh_token",
		Header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}},
		Body:   "grant_type=refresh_token&refresh_token=[" + rt + "]&client_id=app&client_secret=[CLIENT_SECRET#1]"}
	if rt != "" {
		e.Presented = &mockprovider.Presented{Label: rt, Kind: mockprovider.RefreshToken, Family: "F#1", State: state, Where: "form"}
	} else {
		e.Body = "grant_type=refresh_token&client_id=app&client_secret=[CLIENT_SECRET#1]"
	}
	return e
}

// refresh records a successful refresh with refresh token rt; rotate
// issues a new refresh token (the old one stays accepted: superseded,
// or not: rotated). It returns the new access token's label.
func (b *builder) refresh(rt string, rotate mockprovider.TokenState) string {
	e := tokenEntry(rt, b.state(rt))
	at := b.issue(mockprovider.AccessToken, rt)
	resp := map[string]any{"access_token": "[" + at + "]", "token_type": "Bearer"}
	if b.tr.Scenario.Provider == "microsoft" {
		resp["expires_in"] = 3600.0
		resp["scope"] = "Mail.Read"
	} else {
		resp["instance_url"] = "https://org.my.salesforce.com"
		resp["signature"] = "sig"
	}
	e.Issued = []string{at}
	if rotate != "" {
		nrt := b.issue(mockprovider.RefreshToken, rt)
		resp["refresh_token"] = "[" + nrt + "]"
		e.Issued = append(e.Issued, nrt)
		b.token(rt).State = rotate
		b.token(rt).ReplacedBy = nrt
		b.tr.Families[0].CurrentRefresh = nrt
	}
	body, _ := json.Marshal(resp)
	e.Status, e.ResponseBody = 200, string(body)
	b.entry(e)
	b.tr.Families[0].CurrentAccess = at
	return at
}

// refreshFails records a refresh answered with status and body.
func (b *builder) refreshFails(rt string, status int, body string, mods ...func(*mockprovider.Entry)) *builder {
	e := tokenEntry(rt, b.state(rt))
	e.Status, e.ResponseBody = status, body
	for _, m := range mods {
		m(&e)
	}
	b.entry(e)
	return b
}

// lastResponse is the body of the latest token response.
func (b *builder) lastResponse() map[string]any {
	for i := len(b.tr.Journal) - 1; i >= 0; i-- {
		if b.tr.Journal[i].Kind == mockprovider.KindToken {
			var m map[string]any
			_ = json.Unmarshal([]byte(b.tr.Journal[i].ResponseBody), &m)
			return m
		}
	}
	return nil
}

// updateKeys records an updateKeys the platform received, replacing
// the stored keys.
func (b *builder) updateKeys(keys map[string]any) *builder {
	before := b.raw()
	b.keys = keys
	after := b.raw()
	b.emit("updateKeys", keys)
	e := b.entry(mockprovider.Entry{Host: "127.0.0.1:1", Method: "PUT", Path: "/v1/accounts/acc", Kind: mockprovider.KindPlatform, Status: 200, Note: "updateKeys", Body: `{"keys":` + string(after) + `}`})
	b.tr.KeyUpdates = append(b.tr.KeyUpdates, harness.KeyUpdate{JournalSeq: e.Seq, Message: b.cur, Keys: after, Before: before, After: after})
	return b
}

// emitWhole emits updateKeys with the stored keys overlaid by the latest
// token response, as a conforming component does.
func (b *builder) emitWhole() *builder {
	oauth := map[string]any{}
	for k, v := range b.keys["oauth"].(map[string]any) {
		oauth[k] = v
	}
	for k, v := range b.lastResponse() {
		oauth[k] = v
	}
	return b.updateKeys(map[string]any{"oauth": oauth})
}

func (b *builder) emit(name string, args ...any) *builder {
	if args == nil {
		args = []any{}
	}
	raw, _ := json.Marshal(args)
	m := b.msg()
	m.Events = append(m.Events, harness.Event{ID: len(m.Events) + 1, Name: name, Args: raw, JournalSeq: b.seq, Settled: true})
	return b
}

func (b *builder) data() *builder {
	return b.emit("data", map[string]any{"body": map[string]any{"count": 1}})
}

func (b *builder) fail(text string) *builder {
	return b.emit("error", map[string]any{"name": "Error", "message": text})
}

// end closes the current message with its outcome derived from the
// events, unless o is given.
func (b *builder) end(o ...harness.Outcome) *builder {
	m := b.msg()
	outcome := harness.OutcomeOK
	if len(o) > 0 {
		outcome = o[0]
	}
	if outcome == harness.OutcomeOK || outcome == harness.OutcomeError {
		for _, e := range m.Events {
			if e.Name == "error" {
				outcome = harness.OutcomeError
			}
		}
		b.emit("end")
	}
	m.Outcome = outcome
	m.JournalTo = b.seq
	m.KeysAfter = b.raw()
	b.cur = -1
	return b
}

func (b *builder) stdout(s string) *builder {
	if len(b.tr.Containers) == 0 {
		b.tr.Containers = append(b.tr.Containers, harness.Container{})
	}
	b.tr.Containers[0].Stdout += s
	return b
}

func (b *builder) build() harness.Trace {
	b.tr.FinalKeys = b.raw()
	return b.tr
}

// conforming is the trace of a component doing everything right on an
// expired access token: 401, one refresh, whole updateKeys, one replay.
func conforming(provider string) *builder {
	b := newTrace(provider, true).message(0).api(401, "AT#1")
	at := b.refresh("RT#1", "")
	return b.emitWhole().api(200, at).data().end()
}
