package suites

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

// recorder makes traces from exchanges with the real mock provider of a
// built-in scenario, in process: the journal entries, tokens and families
// are the provider's own, not set by hand, so a rule test cannot pass on a
// field that reality never fills. What a component emits is added by hand
// (there is no component), as the harness would record it.
type recorder struct {
	t      *testing.T
	p      *mockprovider.Provider
	client *http.Client
	tr     harness.Trace
	keys   map[string]any // the account's stored keys
	before mockprovider.Counts
}

func newRecorder(t *testing.T, provider, scenario string) *recorder {
	t.Helper()
	return newRecorderCap(t, provider, scenario, 0)
}

// newRecorderCap is newRecorder with a journal of at most capacity
// entries (zero: the default), to record runs longer than the journal.
func newRecorderCap(t *testing.T, provider, scenario string, capacity int) *recorder {
	t.Helper()
	sc, err := scenarios.Builtin(provider, scenario)
	if err != nil {
		t.Fatal(err)
	}
	d, cfg, err := sc.Build()
	if err != nil {
		t.Fatal(err)
	}
	cfg.JournalCap = capacity
	p, err := mockprovider.New(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	gr, ok := d.(mockprovider.GrantResponder)
	if !ok {
		t.Fatalf("%s renders no sign-in response", provider)
	}
	signIn, err := gr.GrantResponse(p, p.Initial())
	if err != nil {
		t.Fatal(err)
	}
	var oauth map[string]any
	if err := json.Unmarshal(signIn, &oauth); err != nil {
		t.Fatal(err)
	}
	r := &recorder{t: t, p: p, client: &http.Client{Transport: mockprovider.Transport(p)}, keys: map[string]any{"oauth": oauth}}
	r.tr = harness.Trace{
		Version:   harness.TraceVersion,
		Scenario:  harness.TraceScenario{Name: sc.Name, Provider: sc.Provider, Labels: sc.Labels},
		Component: harness.TraceComponent{Name: "recorded", Strategy: harness.StrategyOn401, CredentialField: "oauth"},
		Started:   time.Now(),
	}
	r.tr.InitialKeys = r.raw()
	return r
}

func (r *recorder) raw() json.RawMessage {
	b, _ := json.Marshal(r.keys)
	return b
}

// stored returns a field of the stored credential.
func (r *recorder) stored(field string) string {
	s, _ := r.keys["oauth"].(map[string]any)[field].(string)
	return s
}

// message starts a message in container 0.
func (r *recorder) message() *recorder {
	if len(r.tr.Containers) == 0 {
		r.tr.Containers = []harness.Container{{Index: 0}}
	}
	r.before = r.p.Journal().Counts()
	r.tr.Messages = append(r.tr.Messages, harness.Message{Index: len(r.tr.Messages), Label: "m" + string(rune('1'+len(r.tr.Messages))),
		JournalFrom: r.before.Total, KeysBefore: r.raw(), Started: time.Now()})
	return r
}

// send makes one request to the mock; url is the real provider URL the
// component would call.
func (r *recorder) send(method, url, contentType, body string, header map[string]string) (int, string) {
	r.t.Helper()
	st, b, err := r.sendWithin(0, method, url, contentType, body, header)
	if err != nil {
		r.t.Fatal(err)
	}
	return st, b
}

// sendWithin is send with a client timeout (zero: none); it returns the
// client's error, as a component that gave up would see it.
func (r *recorder) sendWithin(timeout time.Duration, method, url, contentType, body string, header map[string]string) (int, string, error) {
	r.t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := *r.client
	c.Timeout = timeout
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// end closes the current message with an outcome and its events.
func (r *recorder) end(outcome harness.Outcome, events ...harness.Event) *recorder {
	// As the harness does, wait for answers still being written (one the
	// client gave up on is journaled when the handler returns).
	for deadline := time.Now().Add(2 * time.Second); r.p.InFlight() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	m := &r.tr.Messages[len(r.tr.Messages)-1]
	after := r.p.Journal().Counts()
	m.JournalTo, m.Exchanges = after.Total, after.Sub(r.before)
	for i := range events {
		events[i].ID = i + 1
		events[i].Settled = true
		events[i].JournalSeq = m.JournalTo
	}
	m.Events, m.Outcome, m.KeysAfter, m.Ended = events, outcome, r.raw(), time.Now()
	return r
}

// errorEvent is an error emit with message text.
func errorEvent(text string) harness.Event {
	b, _ := json.Marshal([]any{map[string]any{"name": "Error", "message": text}})
	return harness.Event{Name: "error", Args: b}
}

// trace finishes the trace as the harness does, redacted.
func (r *recorder) trace() harness.Trace {
	t := r.tr
	t.FinalKeys = r.raw()
	t.Journal = r.p.Journal().Entries(mockprovider.Filter{})
	t.Counts = r.p.Journal().Counts()
	t.Tokens = r.p.Authority().Tokens()
	t.Families = r.p.Authority().Families()
	t.Redact(r.p.Redactor())
	return t
}
