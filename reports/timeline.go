package reports

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
)

// The parties of an exchange, as the diagrams and timelines name them.
const (
	partyComponent = "Component"
	partyToken     = "Token endpoint"
	partyAPI       = "API"
	partyPlatform  = "Platform"
)

func partyOf(k mockprovider.Kind) string {
	switch k {
	case mockprovider.KindToken, mockprovider.KindRevoke, mockprovider.KindIdentity, mockprovider.KindAuthorize:
		return partyToken
	case mockprovider.KindPlatform:
		return partyPlatform
	}
	return partyAPI
}

// step is one row of a timeline: a journal entry (an exchange) or an
// event the component emitted, placed among the exchanges.
type step struct {
	Seq      int64 // journal seq; for an event, the seq it followed
	Time     time.Time
	Offset   time.Duration // since the trace started
	Party    string        // the other side of the exchange
	Request  string        // "POST /services/oauth2/token"
	Host     string
	Sent     string // token presented: "RT#1" or "RT#1, rotated"
	Status   string // "400 invalid_grant"
	Issued   string // "AT#2, RT#2"
	Note     string
	Evidence bool
	// Event is the emitted event's name, for an event row; Text its
	// summary.
	Event, Text string
	// Message is the index of the message the row belongs to, -1 for
	// none; First marks the first row of a message.
	Message int
	// Omitted counts the exchanges left out before this row.
	Omitted int
}

// requestLabel is the exchange's request as a diagram label:
// "POST /services/oauth2/token (RT#1)".
func (s step) requestLabel() string {
	l := s.Request
	if s.Sent != "" {
		l += " (" + s.Sent + ")"
	}
	return l
}

// responseLabel is the answer as a diagram label: "400 invalid_grant",
// "200 (AT#2, RT#2)".
func (s step) responseLabel() string {
	l := s.Status
	if s.Issued != "" {
		l += " (" + s.Issued + ")"
	}
	return l
}

func entryStep(tr *harness.Trace, e *mockprovider.Entry, evidence []int64) step {
	s := step{
		Seq:      e.Seq,
		Time:     e.Time,
		Offset:   e.Time.Sub(tr.Started),
		Party:    partyOf(e.Kind),
		Request:  e.Method + " " + e.Path,
		Host:     e.Host,
		Issued:   strings.Join(e.Issued, ", "),
		Note:     e.Note,
		Evidence: slices.Contains(evidence, e.Seq),
		Message:  tr.MessageAt(e.Seq),
	}
	if e.Kind == mockprovider.KindPlatform && e.Note == "updateKeys" {
		s.Request += " (updateKeys)"
	}
	if p := e.Presented; p != nil && p.Label != "" {
		s.Sent = p.Label
		if p.State != "" && p.State != mockprovider.StateValid {
			s.Sent += ", " + string(p.State)
		}
	}
	switch {
	case e.Status == 0:
		s.Status = "dropped"
	default:
		s.Status = fmt.Sprint(e.Status)
		if c := errorCode(e.ResponseBody); c != "" {
			s.Status += " " + c
		} else if len(e.Faults) > 0 {
			s.Status += " (" + e.FaultText() + ")"
		}
	}
	return s
}

// errorCode finds the error code in an error response: OAuth's "error"
// (RFC 6749 §5.2), Salesforce's [{"errorCode": …}] and Microsoft Graph's
// {"error": {"code": …}}.
func errorCode(body string) string {
	body = strings.TrimSpace(body)
	if body == "" {
		return ""
	}
	var obj struct {
		Error any `json:"error"`
	}
	if json.Unmarshal([]byte(body), &obj) == nil {
		switch v := obj.Error.(type) {
		case string:
			return v
		case map[string]any:
			if c, ok := v["code"].(string); ok {
				return c
			}
		}
	}
	var list []struct {
		ErrorCode string `json:"errorCode"`
	}
	if json.Unmarshal([]byte(body), &list) == nil && len(list) > 0 {
		return list[0].ErrorCode
	}
	return ""
}

// eventStep summarises an emitted event. updateKeys events are left out:
// the platform's PUT in the journal shows them.
func eventStep(tr *harness.Trace, m *harness.Message, ev *harness.Event) (step, bool) {
	if ev.Name == "updateKeys" {
		return step{}, false
	}
	s := step{Seq: ev.JournalSeq, Time: ev.Time, Offset: ev.Time.Sub(tr.Started), Party: partyPlatform, Event: ev.Name, Message: m.Index}
	s.Text = "emit " + ev.Name
	if ev.Name == "error" {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(ev.Args, &e) == nil && e.Message != "" {
			s.Text += ": " + firstLine(e.Message)
		}
	}
	if ev.AfterEnd {
		s.Text += " (after end)"
	}
	return s, true
}

// timeline returns the rows of tr: the exchanges selected by keep (all
// when keep is nil) and the events of the messages they belong to, in
// order. Events sort after the exchange they followed.
func timeline(tr *harness.Trace, evidence []int64, keep func(*mockprovider.Entry) bool) []step {
	var rows []step
	msgs := map[int]bool{}
	for i := range tr.Journal {
		e := &tr.Journal[i]
		if keep != nil && !keep(e) {
			continue
		}
		s := entryStep(tr, e, evidence)
		msgs[s.Message] = true
		rows = append(rows, s)
	}
	for i := range tr.Messages {
		m := &tr.Messages[i]
		if keep != nil && !msgs[m.Index] {
			continue
		}
		for j := range m.Events {
			if s, ok := eventStep(tr, m, &m.Events[j]); ok {
				rows = append(rows, s)
			}
		}
	}
	slices.SortStableFunc(rows, func(a, b step) int {
		if a.Seq != b.Seq {
			return int(a.Seq - b.Seq)
		}
		// An exchange before the events recorded after it.
		if (a.Event == "") != (b.Event == "") {
			if a.Event == "" {
				return -1
			}
			return 1
		}
		return 0
	})
	// A compacted trace (a loop's middle left out of the record) shows
	// the left-out exchanges as a gap before the row that follows them.
	for _, o := range tr.Omitted {
		if o.What != "journal" {
			continue
		}
		for i := range rows {
			if rows[i].Event == "" && rows[i].Seq > o.To {
				rows[i].Omitted += o.Count
				break
			}
		}
	}
	return rows
}

// involved selects the exchanges of a failure: every exchange of the
// messages that contain an evidence seq, and the evidence seqs outside
// messages with their neighbours. With no evidence it selects nothing.
func involved(tr *harness.Trace, evidence []int64) func(*mockprovider.Entry) bool {
	msgs := map[int]bool{}
	var loose []int64
	for _, seq := range evidence {
		if m := tr.MessageAt(seq); m >= 0 {
			msgs[m] = true
		} else {
			loose = append(loose, seq)
		}
	}
	return func(e *mockprovider.Entry) bool {
		if msgs[tr.MessageAt(e.Seq)] {
			return true
		}
		for _, s := range loose {
			if e.Seq >= s-2 && e.Seq <= s+2 {
				return true
			}
		}
		return false
	}
}

// limit keeps at most n rows, closest to the evidence first, and marks
// how many rows were omitted before each kept one (and after the last, in
// the returned count).
func limit(rows []step, n int) ([]step, int) {
	if len(rows) <= n {
		return rows, 0
	}
	var ev []int
	for i, r := range rows {
		if r.Evidence {
			ev = append(ev, i)
		}
	}
	if len(ev) == 0 {
		ev = []int{0}
	}
	dist := func(i int) int {
		d := len(rows)
		for _, j := range ev {
			d = min(d, max(i-j, j-i))
		}
		return d
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return dist(a) - dist(b) })
	idx = idx[:n]
	slices.Sort(idx)
	out := make([]step, 0, n)
	prev := -1
	// A row left out counts itself and what was left out before it.
	skipped := func(from, to int) int {
		c := 0
		for k := from; k < to; k++ {
			c += 1 + rows[k].Omitted
		}
		return c
	}
	for _, i := range idx {
		r := rows[i]
		r.Omitted += skipped(prev+1, i)
		out = append(out, r)
		prev = i
	}
	return out, skipped(prev+1, len(rows))
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// traceOf finds the trace of a scenario.
func traceOf(r *Record, scenario string) *harness.Trace {
	for i := range r.Traces {
		if r.Traces[i].Scenario.Ref() == scenario {
			return &r.Traces[i]
		}
	}
	return nil
}

// ruleOf finds a rule's description; an unknown ID gets one with the ID
// only.
func ruleOf(r *Record, id string) RuleInfo {
	for _, ri := range r.Rules {
		if ri.ID == id {
			return ri
		}
	}
	return RuleInfo{ID: id}
}

// seconds formats a duration as JUnit times are written: seconds with
// three decimals.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", d.Seconds())
}
