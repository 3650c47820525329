package suites

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

// view is a trace indexed for judging: exchanges by message, refreshes
// classified, tokens by label.
type view struct {
	tr       *harness.Trace
	strategy harness.Strategy
	cf       string // credential field
	entries  []*mockprovider.Entry
	msgOf    map[int64]int // seq → message index, -1 outside any message
	tokens   map[string]mockprovider.Token
	byValue  map[string]string // token value → label (unredacted traces)
	refs     []*refresh        // token requests for grant refresh_token, in seq order
	refBySeq map[int64]*refresh
	// info describes the trace's provider, as its dialect answers.
	info mockprovider.Info
	// Indexes, so that judging a long loop (thousands of refreshes) stays
	// near linear: the entries and refreshes of each message in seq
	// order, and the seqs of the API calls that presented each token.
	byMsg       map[int][]*mockprovider.Entry
	refsByMsg   map[int][]*refresh
	presentedAt map[string][]int64
}

// refreshClass says how a refresh request ended.
type refreshClass int

const (
	refreshOK        refreshClass = iota // a token response with an access token
	refreshRejected                      // 4xx: the provider refused it
	refreshTransient                     // 5xx, dropped, or abandoned by the client
	refreshMalformed                     // 2xx but not a token response
)

func (c refreshClass) String() string {
	return [...]string{"succeeded", "was refused", "failed transiently", "got a malformed answer"}[c]
}

// refresh is one token request with grant_type=refresh_token.
type refresh struct {
	e     *mockprovider.Entry
	msg   int
	class refreshClass
	resp  map[string]any // the decoded response body, when JSON
	at    string         // label of the access token it issued (refreshOK)
	rt    string         // label of the refresh token it issued, if any
	// inFlight: refused because another refresh with the same token was
	// being answered (a concurrency symptom, judged by R16).
	inFlight bool
	// abandoned: a scripted delay held the answer and the component gave
	// up before it came (its tokens were never used).
	abandoned bool
	// cutOffBy says what ended the wait when the component did not.
	cutOffBy string
}

func newView(tr *harness.Trace, strategy harness.Strategy) *view {
	if strategy == "" {
		strategy = tr.Component.Strategy
	}
	if strategy == "" {
		strategy = harness.StrategyOn401
	}
	v := &view{tr: tr, strategy: strategy, cf: tr.Component.CredentialField, msgOf: map[int64]int{},
		tokens: map[string]mockprovider.Token{}, byValue: map[string]string{}, refBySeq: map[int64]*refresh{}}
	if v.cf == "" {
		v.cf = "oauth"
	}
	v.info, _ = scenarios.ProviderInfo(tr.Scenario.Provider)
	if len(v.info.AuthSchemes) == 0 {
		v.info.AuthSchemes = []string{"bearer"} // RFC 6750 §2.1, for a provider no dialect describes
	}
	for i := range tr.Journal {
		v.entries = append(v.entries, &tr.Journal[i])
	}
	sort.SliceStable(v.entries, func(i, j int) bool { return v.entries[i].Seq < v.entries[j].Seq })
	for _, e := range v.entries {
		v.msgOf[e.Seq] = -1
		var last *harness.Message // the latest message that ended before e
		for i := range tr.Messages {
			m := &tr.Messages[i]
			if e.Seq > m.JournalFrom && e.Seq <= m.JournalTo {
				v.msgOf[e.Seq] = m.Index
				break
			}
			if m.JournalTo < e.Seq {
				last = m
			}
		}
		// A request a killed process still had open lands after its
		// message was closed; it belongs to that message all the same.
		if v.msgOf[e.Seq] == -1 && last != nil && (last.Outcome == harness.OutcomeTimeout || last.Outcome == harness.OutcomeCrash) {
			v.msgOf[e.Seq] = last.Index
		}
	}
	v.byMsg, v.refsByMsg, v.presentedAt = map[int][]*mockprovider.Entry{}, map[int][]*refresh{}, map[string][]int64{}
	for _, e := range v.entries {
		v.byMsg[v.msgOf[e.Seq]] = append(v.byMsg[v.msgOf[e.Seq]], e)
		if e.Kind == mockprovider.KindAPI && presented(e) != "" {
			v.presentedAt[presented(e)] = append(v.presentedAt[presented(e)], e.Seq)
		}
	}
	for _, t := range tr.Tokens {
		v.tokens[t.Label] = t
		if !tr.Redacted && t.Value != "" {
			v.byValue[t.Value] = t.Label
		}
	}
	for _, e := range v.entries {
		if v.refreshAttempt(e) {
			r := &refresh{e: e, msg: v.msgOf[e.Seq]}
			v.classify(r)
			v.refs = append(v.refs, r)
			v.refBySeq[e.Seq] = r
			v.refsByMsg[r.msg] = append(v.refsByMsg[r.msg], r)
		}
	}
	return v
}

// refreshAttempt tells whether e is a request to refresh the access token,
// however badly it was made: a refresh_token grant; or a request to the
// token endpoint, or to another path of the provider, that carries a
// refresh token in any encoding (a JSON body, a query) or no grant at all
// after an API 401 of its message. The rules judge what the component
// tried, not only what the endpoint understood.
func (v *view) refreshAttempt(e *mockprovider.Entry) bool {
	if e.ClientGone && e.Kind == mockprovider.KindUnknown {
		return false // half a request, cut off by a kill: nothing the component finished
	}
	switch e.Kind {
	case mockprovider.KindToken:
		switch e.Grant {
		case "refresh_token":
			return true
		case "":
			return v.carriesRefreshToken(e) || v.after401(e)
		}
		return false // another grant (authorization_code, password)
	case mockprovider.KindUnknown:
		return v.carriesRefreshToken(e)
	}
	return false
}

// carriesRefreshToken tells whether a request carries a refresh token or a
// refresh_token grant anywhere: form or JSON body, query string.
func (v *view) carriesRefreshToken(e *mockprovider.Entry) bool {
	if f, err := url.ParseQuery(e.Body); err == nil && (f.Get("grant_type") == "refresh_token" || f.Has("refresh_token")) {
		return true
	}
	if q, err := url.ParseQuery(e.Query); err == nil && (q.Get("grant_type") == "refresh_token" || q.Has("refresh_token")) {
		return true
	}
	if obj, ok := decodeObject(e.Body); ok {
		for _, k := range []string{"refresh_token", "refreshToken"} {
			if _, has := obj[k]; has {
				return true
			}
		}
		if str(obj["grant_type"]) == "refresh_token" {
			return true
		}
	}
	for _, m := range secretRE.FindAllString(e.Body+" "+e.Query, -1) {
		if v.tokens[v.label(m)].Kind == mockprovider.RefreshToken {
			return true
		}
	}
	if !v.tr.Redacted {
		for val, l := range v.byValue {
			if v.tokens[l].Kind == mockprovider.RefreshToken && len(val) >= 8 && strings.Contains(e.Body+e.Query, val) {
				return true
			}
		}
	}
	return false
}

// after401 tells whether an API call of e's message answered 401 since
// the message's previous token request.
func (v *view) after401(e *mockprovider.Entry) bool {
	got401 := false
	for _, x := range v.inMessage(v.msgOf[e.Seq], "", 0, e.Seq) {
		switch {
		case x.Kind == mockprovider.KindToken:
			got401 = false
		case x.Kind == mockprovider.KindAPI && x.Status == 401:
			got401 = true
		}
	}
	return got401
}

func (v *view) classify(r *refresh) {
	e := r.e
	if obj, ok := decodeObject(e.ResponseBody); ok {
		r.resp = obj
	}
	switch {
	case e.ClientGone:
		// The answer was held back and the client went before it came:
		// it never received it, whatever it says.
		r.class, r.abandoned = refreshTransient, true
		if m := v.message(r.msg); m != nil && m.Outcome == harness.OutcomeTimeout {
			r.cutOffBy = "the harness killed the component for running out of time"
		}
	case e.Status == 0 || e.HasFault(mockprovider.FaultDrop) || e.HasFault(mockprovider.FaultTruncate):
		r.class = refreshTransient
	case e.Status >= 500:
		r.class = refreshTransient
	case e.Status >= 400:
		r.class = refreshRejected
		r.inFlight = e.Refusal == mockprovider.FailInFlight
	case e.Status >= 200 && e.Status < 300 && r.resp != nil && str(r.resp["access_token"]) != "":
		r.class = refreshOK
		// The labels the response delivered: a scripted rule may have
		// left out a token the provider issued.
		r.at = v.label(str(r.resp["access_token"]))
		if rt := v.label(str(r.resp["refresh_token"])); v.tokens[rt].Kind == mockprovider.RefreshToken {
			r.rt = rt
		}
		if e.HasFault(mockprovider.FaultDelay) && r.at != "" && !v.used(r.at, e.Seq) {
			r.class, r.abandoned = refreshTransient, true
			if m := v.message(r.msg); m != nil && m.Outcome == harness.OutcomeTimeout {
				r.cutOffBy = "the harness killed the component for running out of time"
			}
		}
		// A scripted rule left fields out (Salesforce without id); a
		// component that refused such a response and never used its
		// token judged it malformed, which is conforming.
		if e.HasFault(mockprovider.FaultOmit) && r.class == refreshOK && r.at != "" && !v.used(r.at, e.Seq) {
			r.class = refreshMalformed
		}
	default:
		r.class = refreshMalformed
	}
}

// used tells whether access token label at shows up after seq anywhere
// the component could only have put it after receiving it.
func (v *view) used(at string, seq int64) bool {
	for _, e := range v.entries {
		if e.Seq > seq && e.Presented != nil && e.Presented.Label == at {
			return true
		}
	}
	for _, k := range v.tr.KeyUpdates {
		if v.containsToken(string(k.Keys), at) {
			return true
		}
	}
	for _, m := range v.tr.Messages {
		for _, ev := range m.Events {
			if v.containsToken(string(ev.Args), at) {
				return true
			}
		}
	}
	return false
}

func (v *view) scenario() string {
	return v.tr.Scenario.Provider + "/" + v.tr.Scenario.Name
}

// providerName is the provider as people name it.
func (v *view) providerName() string {
	if v.info.Title != "" {
		return v.info.Title
	}
	return "the provider"
}

var labelRE = regexp.MustCompile(`^\[([A-Z][A-Z_]*#\d+)\]$`)

// secretRE finds redaction labels in text.
var secretRE = regexp.MustCompile(`\[[A-Z][A-Z_]*#\d+\]`)

// label returns the token label of a value as it appears in the trace:
// "[AT#2]" in a redacted trace, the token itself otherwise. Empty when
// the value is no token the provider issued.
func (v *view) label(s string) string {
	if m := labelRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return v.byValue[s]
}

// containsToken tells whether text holds token label l (redacted) or
// its value.
func (v *view) containsToken(text, l string) bool {
	if strings.Contains(text, "["+l+"]") {
		return true
	}
	if t, ok := v.tokens[l]; ok && !v.tr.Redacted && len(t.Value) >= 6 {
		return strings.Contains(text, t.Value)
	}
	return false
}

// message returns message i, or nil.
// cutOff tells whether r was the last exchange (the platform's aside) of a
// message the harness killed: the component had no chance to replay or
// emit after it, so rules about what follows a refresh do not judge it.
func (v *view) cutOff(r *refresh) bool {
	return v.lastBeforeKill(r.e)
}

// lastBeforeKill tells whether e was the last exchange of a message the
// harness killed (for running out of time, or because the process died):
// what the component would have done next is unknown.
func (v *view) lastBeforeKill(e *mockprovider.Entry) bool {
	m := v.message(v.msgOf[e.Seq])
	if m == nil || (m.Outcome != harness.OutcomeTimeout && m.Outcome != harness.OutcomeCrash) {
		return false
	}
	for _, x := range v.entries {
		if x.Seq > e.Seq && v.msgOf[x.Seq] == m.Index && x.Kind != mockprovider.KindPlatform {
			return false
		}
	}
	return true
}

func (v *view) message(i int) *harness.Message {
	for k := range v.tr.Messages {
		if v.tr.Messages[k].Index == i {
			return &v.tr.Messages[k]
		}
	}
	return nil
}

// inMessage returns the exchanges of kind k (any kind when empty) made
// during message m, with from < seq < to (to <= 0: no upper bound).
func (v *view) inMessage(m int, k mockprovider.Kind, from, to int64) []*mockprovider.Entry {
	es := v.byMsg[m]
	i := sort.Search(len(es), func(i int) bool { return es[i].Seq > from })
	var out []*mockprovider.Entry
	for _, e := range es[i:] {
		if to > 0 && e.Seq >= to {
			break
		}
		if k == "" || e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// evictedBefore tells whether exchanges of message m after seq from were
// evicted from the journal: the trace holds only the newest entries of a
// run longer than the journal's bound (Trace.Counts.Evicted), and a rule
// must not judge a window it cannot see whole.
func (v *view) evictedBefore(m int, from int64) bool {
	if v.tr.Counts.Evicted == 0 || len(v.entries) == 0 {
		return false
	}
	first := v.entries[0].Seq
	if from >= first-1 {
		return false
	}
	if mm := v.message(m); mm != nil && mm.JournalTo < first {
		return false // the whole message was evicted; nothing of it is judged
	}
	return true
}

// presentedBetween tells whether an API call presented token label at
// with from < seq < to.
func (v *view) presentedBetween(at string, from, to int64) bool {
	s := v.presentedAt[at]
	i := sort.Search(len(s), func(i int) bool { return s[i] > from })
	return i < len(s) && s[i] < to
}

func (v *view) apiCalls(m int, from, to int64) []*mockprovider.Entry {
	return v.inMessage(m, mockprovider.KindAPI, from, to)
}

// refreshesIn returns the refreshes of message m with from < seq < to.
func (v *view) refreshesIn(m int, from, to int64) []*refresh {
	var out []*refresh
	for _, r := range v.refsByMsg[m] {
		if r.e.Seq > from && (to <= 0 || r.e.Seq < to) {
			out = append(out, r)
		}
	}
	return out
}

// lastOKBefore returns the seq of the last successful refresh of message
// m before seq, or 0.
func (v *view) lastOKBefore(m int, seq int64) int64 {
	var last int64
	for _, r := range v.refsByMsg[m] {
		if r.e.Seq < seq && r.class == refreshOK {
			last = r.e.Seq
		}
	}
	return last
}

// lastUsedOKBefore returns the seq of the last successful refresh of
// message m before seq whose access token an API call had presented
// before seq, or 0. A refresh whose token was not used yet has answered
// nothing: refreshes a component starts together (one per failed call)
// all answer the same 401s.
func (v *view) lastUsedOKBefore(m int, seq int64) int64 {
	var last int64
	for _, r := range v.refsByMsg[m] {
		if r.e.Seq >= seq {
			break
		}
		if r.class == refreshOK && v.presentedBetween(r.at, r.e.Seq, seq) {
			last = r.e.Seq
		}
	}
	return last
}

// issuedIn tells whether access token label at was issued by a
// successful refresh of message m.
func (v *view) issuedIn(m int, at string) *refresh {
	for _, r := range v.refsByMsg[m] {
		if r.class == refreshOK && r.at == at && at != "" {
			return r
		}
	}
	return nil
}

// issuer returns the successful refresh that issued access token at.
func (v *view) issuer(at string) *refresh {
	for _, r := range v.refs {
		if r.class == refreshOK && r.at == at && at != "" {
			return r
		}
	}
	return nil
}

func presented(e *mockprovider.Entry) string {
	if e.Presented == nil {
		return ""
	}
	return e.Presented.Label
}

// signature identifies a request for replay matching.
func signature(e *mockprovider.Entry) string {
	return e.Method + " " + e.Path + "?" + e.Query + "\n" + e.Body
}

// keysField returns the credential field of a keys object.
func (v *view) keysField(raw json.RawMessage) (map[string]any, bool) {
	obj, ok := decodeObject(string(raw))
	if !ok {
		return nil, false
	}
	return harness.AtPath(obj, harness.CredentialPath(v.cf))
}

func decodeObject(s string) (map[string]any, bool) {
	var obj map[string]any
	if err := json.Unmarshal([]byte(s), &obj); err != nil || obj == nil {
		return nil, false
	}
	return obj, true
}

func str(x any) string {
	s, _ := x.(string)
	return s
}

// initialAT is the label of the access token the account signed in with.
func (v *view) initialAT() string {
	if f, ok := v.keysField(v.tr.InitialKeys); ok {
		return v.label(str(f["access_token"]))
	}
	return ""
}

// currentAT is the label of the newest access token the provider had
// issued to the component before seq (abandoned answers excluded).
func (v *view) currentAT(seq int64) string {
	at := v.initialAT()
	for _, r := range v.refs {
		if r.e.Seq < seq && r.class == refreshOK {
			at = r.at
		}
	}
	return at
}

// desc describes an exchange in one line for evidence.
func (v *view) desc(e *mockprovider.Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s %s%s", e.Seq, e.Method, hostOnly(e.Host), e.Path)
	if e.Query != "" {
		q := e.Query
		if u, err := url.QueryUnescape(q); err == nil {
			q = u
		}
		if len(q) > 60 {
			q = q[:57] + "..."
		}
		b.WriteString("?" + q)
	}
	if e.Status == 0 {
		b.WriteString(" → no answer")
	} else {
		fmt.Fprintf(&b, " → %d", e.Status)
	}
	if code := errorCode(e); code != "" {
		b.WriteString(" " + code)
	}
	if p := e.Presented; p != nil {
		name := p.Label
		if name == "" {
			name = "a token the provider never issued"
		}
		fmt.Fprintf(&b, " (%s", name)
		if p.State != "" && p.State != mockprovider.StateUnknown {
			fmt.Fprintf(&b, ", %s", p.State)
		}
		if p.Where != "" {
			fmt.Fprintf(&b, ", in %s", where(p.Where))
		}
		b.WriteString(")")
	}
	if len(e.Issued) > 0 {
		fmt.Fprintf(&b, ", issued %s", strings.Join(e.Issued, " and "))
	}
	if e.Caller == mockprovider.CallerPlatform {
		b.WriteString(" [made by the platform's Secrets service]")
	}
	if r := v.refBySeq[e.Seq]; r != nil && r.abandoned && r.cutOffBy != "" {
		b.WriteString(", answer held back on purpose; " + r.cutOffBy + " before it came")
	} else if r != nil && r.abandoned {
		b.WriteString(", answer held back and abandoned by the component")
	} else if e.ClientGone {
		b.WriteString(", answer held back; the client was gone before it came")
	} else if len(e.Faults) > 0 {
		fmt.Fprintf(&b, " [scripted: %s]", e.FaultText())
	}
	m := v.msgOf[e.Seq]
	if mm := v.message(m); mm != nil && mm.Label != "" {
		fmt.Fprintf(&b, " [message %s]", mm.Label)
	}
	return b.String()
}

func where(w string) string {
	switch w {
	case "bearer":
		return "Authorization: Bearer"
	case "oauth":
		return "Authorization: OAuth"
	case "query":
		return "the URL query"
	case "form":
		return "the form body"
	}
	return w
}

func hostOnly(h string) string {
	if i := strings.LastIndex(h, ":"); i > 0 && !strings.Contains(h[i:], "]") && strings.Count(h, ":") == 1 {
		return h[:i]
	}
	return h
}

// errorCode extracts the provider's error code from an error response:
// OAuth "error", Salesforce "errorCode", Graph "error.code".
func errorCode(e *mockprovider.Entry) string {
	if e.Status < 400 {
		return ""
	}
	var v any
	if json.Unmarshal([]byte(e.ResponseBody), &v) != nil {
		return ""
	}
	switch x := v.(type) {
	case map[string]any:
		if s := str(x["error"]); s != "" {
			return s
		}
		if inner, ok := x["error"].(map[string]any); ok {
			return str(inner["code"])
		}
	case []any:
		if len(x) > 0 {
			if o, ok := x[0].(map[string]any); ok {
				return str(o["errorCode"])
			}
		}
	}
	return ""
}

// evidence renders exchanges as indented lines.
func (v *view) evidence(es ...*mockprovider.Entry) string {
	var b strings.Builder
	seen := map[int64]bool{}
	sort.SliceStable(es, func(i, j int) bool {
		if es[i] == nil || es[j] == nil {
			return es[j] == nil && es[i] != nil
		}
		return es[i].Seq < es[j].Seq
	})
	var last int64
	for _, e := range es {
		if e == nil || seen[e.Seq] {
			continue
		}
		seen[e.Seq] = true
		// Consecutive lines read as consecutive exchanges: say how many
		// came between two that are far apart (a loop's first and last).
		if last > 0 && e.Seq-last > evidenceGap {
			b.WriteString(fmt.Sprintf("\n  … %d exchanges later …", e.Seq-last-1))
		}
		last = e.Seq
		b.WriteString("\n  " + v.desc(e))
	}
	return b.String()
}

// evidenceGap is how many exchanges may lie between two evidence lines
// before the gap is named; a few are the ordinary interleaving of a
// refresh and its replay.
const evidenceGap = 5

// exchangesOf counts the exchanges of message m that the trace holds.
func (v *view) exchangesOf(m int) int64 {
	mm := v.message(m)
	if mm == nil {
		return 0
	}
	var n int64
	for _, e := range v.entries {
		if e.Seq > mm.JournalFrom && e.Seq <= mm.JournalTo {
			n++
		}
	}
	return n
}

// countsNote is what a finding about message m adds when the trace no
// longer holds every exchange of it (the journal evicted the oldest): the
// counts it cites are of what was kept, so it gives the exact totals the
// harness took from the journal's counters. Empty when nothing is missing.
func (v *view) countsNote(m int) string {
	mm := v.message(m)
	if mm == nil || mm.Exchanges.Total == 0 {
		return ""
	}
	kept := v.exchangesOf(m)
	if kept >= mm.Exchanges.Total {
		return ""
	}
	c := mm.Exchanges
	var parts []string
	if n := c.ByKind[mockprovider.KindToken]; n > 0 {
		t := plural(int(n), "token request", "token requests")
		if r := c.ByGrant["refresh_token"]; r > 0 && r != n {
			t += fmt.Sprintf(" (%d of them refresh_token)", r)
		}
		parts = append(parts, t)
	}
	if n := c.ByKind[mockprovider.KindAPI]; n > 0 {
		parts = append(parts, plural(int(n), "API call", "API calls"))
	}
	if n := c.ByKind[mockprovider.KindPlatform]; n > 0 {
		parts = append(parts, plural(int(n), "platform request", "platform requests"))
	}
	what := plural(int(c.Total), "exchange", "exchanges")
	if len(parts) > 0 {
		what += ": " + strings.Join(parts, ", ")
	}
	return fmt.Sprintf("\nExact counts: %s made %s. The journal keeps the newest %d exchanges of a run and had evicted %d of this message's, so what is cited above starts at #%d.",
		msgName(mm), what, len(v.entries), c.Total-kept, v.firstKept(mm))
}

// firstKept is the sequence number of the first exchange of mm the trace
// holds (JournalTo+1 when none).
func (v *view) firstKept(mm *harness.Message) int64 {
	for _, e := range v.entries {
		if e.Seq > mm.JournalFrom {
			return e.Seq
		}
	}
	return mm.JournalTo + 1
}

func seqs(es ...*mockprovider.Entry) []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, e := range es {
		if e != nil && !seen[e.Seq] {
			seen[e.Seq] = true
			out = append(out, e.Seq)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func seqList(es []*mockprovider.Entry, max int) string {
	var s []string
	for i, e := range es {
		if i == max {
			s = append(s, fmt.Sprintf("… %d more", len(es)-max))
			break
		}
		s = append(s, fmt.Sprintf("#%d", e.Seq))
	}
	return strings.Join(s, ", ")
}

// eventText is the text of an event's arguments (an error's message).
func eventText(ev harness.Event) string {
	var args []any
	if json.Unmarshal(ev.Args, &args) != nil {
		return string(ev.Args)
	}
	var parts []string
	for _, a := range args {
		switch x := a.(type) {
		case string:
			parts = append(parts, x)
		case map[string]any:
			if msg := str(x["message"]); msg != "" {
				parts = append(parts, msg)
				continue
			}
			b, _ := json.Marshal(x)
			parts = append(parts, string(b))
		default:
			b, _ := json.Marshal(x)
			parts = append(parts, string(b))
		}
	}
	return strings.Join(parts, " ")
}

func msgName(m *harness.Message) string {
	if m == nil {
		return "outside any message"
	}
	if m.Label != "" {
		return "message " + m.Label
	}
	return fmt.Sprintf("message %d", m.Index+1)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// expiry is when access token at expires as the provider sees it, or
// the zero time when it does not expire.
func (v *view) expiry(at string) time.Time {
	return v.tokens[at].ExpiresAt
}

func decodeBase64(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	return string(b), err
}
