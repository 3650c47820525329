package harness

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// TraceVersion is the version of the trace's JSON form. It changes when a
// field changes meaning or goes away; new fields keep it.
const TraceVersion = 1

// Trace is the complete record of one scenario run against one component:
// everything a rule needs to judge it, serialisable so that a saved run
// can be judged again without running the component.
type Trace struct {
	Version   int            `json:"version"`
	Scenario  TraceScenario  `json:"scenario"`
	Component TraceComponent `json:"component"`
	Started   time.Time      `json:"started"`
	Duration  time.Duration  `json:"durationNs"`
	// InitialKeys are the account's keys when the run started: the
	// sign-in token response under the credential field.
	InitialKeys json.RawMessage `json:"initialKeys"`
	// FinalKeys are the account's keys when the run ended.
	FinalKeys json.RawMessage `json:"finalKeys"`
	Messages  []Message       `json:"messages"`
	// Containers are the component processes, in start order.
	Containers []Container `json:"containers"`
	// KeyUpdates are the updateKeys bodies the platform received, in order.
	KeyUpdates []KeyUpdate `json:"keyUpdates"`
	// Journal holds every HTTP exchange, provider and platform, in one
	// sequence.
	Journal []mockprovider.Entry `json:"journal"`
	Counts  mockprovider.Counts  `json:"counts"`
	// Tokens and Families are the provider's token state at the end.
	Tokens   []mockprovider.Token  `json:"tokens"`
	Families []mockprovider.Family `json:"families"`
	// Network lists connections the component's process made to provider
	// hosts (redirected to the mock) and to any other host (blocked).
	Network []NetEvent `json:"network"`
	// Problems are things the harness noticed that are not exchanges or
	// events (a protocol error from the driver, a stray line).
	Problems []string `json:"problems,omitempty"`
	// Redacted is true when secrets were replaced by labels.
	Redacted bool `json:"redacted"`
	// Omitted says what a run record left out of a long trace (Compact):
	// the middle of a loop, with exact counts. A trace with omissions has
	// been judged already; judging it again sees only what was kept.
	Omitted []Omission `json:"omitted,omitempty"`
}

// TraceScenario identifies the scenario a trace ran.
type TraceScenario struct {
	Name        string   `json:"name"`
	Provider    string   `json:"provider"`
	Source      string   `json:"source"`
	Description string   `json:"description,omitempty"`
	Labels      []string `json:"labels,omitempty"`
}

// TraceComponent identifies the component a trace ran.
type TraceComponent struct {
	Dir             string   `json:"dir"`
	Name            string   `json:"name"`
	Version         string   `json:"version,omitempty"`
	Function        string   `json:"function"`
	Strategy        Strategy `json:"strategy"`
	CredentialField string   `json:"credentialField"`
	SailorVersion   string   `json:"sailorVersion"`
	NodeVersion     string   `json:"nodeVersion,omitempty"`
}

// Outcome says how a message ended.
type Outcome string

const (
	// OutcomeOK: the message ended (end emitted) without an error event.
	OutcomeOK Outcome = "ok"
	// OutcomeError: the message ended with at least one error event.
	OutcomeError Outcome = "error"
	// OutcomeTimeout: the message did not end and settle within the
	// time limit; the container was killed.
	OutcomeTimeout Outcome = "timeout"
	// OutcomeCrash: the component's process died during the message.
	OutcomeCrash Outcome = "crash"
	// OutcomeNoEnd: processing returned but end was never emitted.
	OutcomeNoEnd Outcome = "no-end"
	// OutcomeNotRun: the container could not start, so the message was
	// never delivered.
	OutcomeNotRun Outcome = "not-run"
)

// Message is one message delivered to the component and what it did.
type Message struct {
	Index     int             `json:"index"` // from 0
	Label     string          `json:"label,omitempty"`
	Step      int             `json:"step"`      // index in the scenario's steps
	Container int             `json:"container"` // index in Trace.Containers
	Body      json.RawMessage `json:"body"`
	Started   time.Time       `json:"started"`
	Ended     time.Time       `json:"ended"`
	Duration  time.Duration   `json:"durationNs"`
	// VirtualTime is the scenario's clock when the message started.
	VirtualTime time.Time `json:"virtualTime"`
	// JournalFrom and JournalTo bound the exchanges made while the
	// message ran: From < seq <= To.
	JournalFrom int64 `json:"journalFrom"`
	JournalTo   int64 `json:"journalTo"`
	// Exchanges counts the exchanges of that range by kind and grant,
	// exactly, also when the journal evicted some of them or the record
	// left some out (Trace.Omitted).
	Exchanges  mockprovider.Counts `json:"exchanges,omitzero"`
	Events     []Event             `json:"events"`
	KeysBefore json.RawMessage     `json:"keysBefore"`
	KeysAfter  json.RawMessage     `json:"keysAfter"`
	Outcome    Outcome             `json:"outcome"`
	// Settled says how the runner decided the message was over:
	// SettledIdle when the driver found nothing of the component pending
	// (it then waits a short grace), SettledQuiet when nothing happened
	// for the whole quiet window (a component that keeps a timer or a
	// socket busy, or a Node.js without getActiveResourcesInfo). Empty
	// for a message that timed out, crashed or was not run.
	Settled string `json:"settled,omitempty"`
	// Detail explains a timeout, crash or missing end.
	Detail string `json:"detail,omitempty"`
}

// Event is one emit of the component (or of the sailor's executor on its
// behalf), in emit order.
type Event struct {
	ID   int             `json:"id"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
	Time time.Time       `json:"time"`
	// JournalSeq is the journal's last sequence number when the event
	// was recorded, placing it among the exchanges.
	JournalSeq int64 `json:"journalSeq"`
	// AfterEnd marks events emitted after the message's end.
	AfterEnd bool `json:"afterEnd,omitempty"`
	// Settled tells whether the emit's promise settled, and SettleError
	// why it rejected.
	Settled     bool   `json:"settled"`
	SettleError string `json:"settleError,omitempty"`
	Truncated   bool   `json:"truncated,omitempty"`
	// Unbound marks an emit called without the sailor's emitter as this
	// (a detached this.emit): the sailor rejects it or, called on another
	// object, finds no listener. Unhandled marks an emit that settled with
	// no listener called, so nothing reached the platform.
	Unbound   bool `json:"unbound,omitempty"`
	Unhandled bool `json:"unhandled,omitempty"`
}

// Container is one component process.
type Container struct {
	Index   int       `json:"index"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended"`
	// Reason is why it ended: "restart", "timeout", "crash", "setup-failed"
	// or "run-ended".
	Reason   string `json:"reason"`
	ExitCode int    `json:"exitCode"`
	Signal   string `json:"signal,omitempty"`
	// Fatal is the set-up error the driver reported (unknown function,
	// a throwing init hook).
	Fatal string `json:"fatal,omitempty"`
	// Stdout and Stderr hold the start and the end of the output when it
	// was longer than the bound; the byte counts are exact.
	Stdout      string `json:"stdout"`
	Stderr      string `json:"stderr"`
	StdoutBytes int64  `json:"stdoutBytes"`
	StderrBytes int64  `json:"stderrBytes"`
	Truncated   bool   `json:"truncated,omitempty"`
	// Uncaught is an uncaught exception or unhandled rejection the
	// process reported.
	Uncaught []string `json:"uncaught,omitempty"`
	// Leftovers are the processes the component started that still ran
	// when its process ended or was ended, which the harness then ended:
	// a fact about the component's hygiene, not a rule's verdict.
	Leftovers []Leftover `json:"leftovers,omitempty"`
}

// Leftover is a process a component left running, which the harness
// ended.
type Leftover struct {
	PID int `json:"pid"`
	// Command is its command line, at most 200 bytes.
	Command string `json:"command"`
	// Signal is how it ended: "terminated" (SIGTERM), "killed" (SIGKILL
	// after a grace) or "killed with the process group".
	Signal string `json:"signal"`
}

func (l Leftover) String() string { return fmt.Sprintf("pid %d (%s), %s", l.PID, l.Command, l.Signal) }

// KeyUpdate is one updateKeys body as the platform received it.
type KeyUpdate struct {
	JournalSeq int64           `json:"journalSeq"`
	Message    int             `json:"message"` // index, -1 outside a message
	Time       time.Time       `json:"time"`
	Keys       json.RawMessage `json:"keys"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
}

// NetEvent is a connection the component's process opened.
type NetEvent struct {
	Event     string    `json:"event"` // "redirected" or "blocked"
	Host      string    `json:"host"`
	Port      any       `json:"port,omitempty"`
	TLS       bool      `json:"tls,omitempty"`
	Container int       `json:"container"`
	Time      time.Time `json:"time"`
}

// Redact replaces every token and client secret the provider knows, in
// every part of the trace, with its label.
func (t *Trace) Redact(r *mockprovider.Redactor) {
	raw := func(b json.RawMessage) json.RawMessage {
		if b == nil {
			return nil
		}
		return json.RawMessage(r.String(string(b)))
	}
	t.InitialKeys, t.FinalKeys = raw(t.InitialKeys), raw(t.FinalKeys)
	for i := range t.Messages {
		m := &t.Messages[i]
		m.Body, m.KeysBefore, m.KeysAfter = raw(m.Body), raw(m.KeysBefore), raw(m.KeysAfter)
		m.Detail = r.String(m.Detail)
		for j := range m.Events {
			m.Events[j].Args = raw(m.Events[j].Args)
			m.Events[j].SettleError = r.String(m.Events[j].SettleError)
		}
	}
	for i := range t.Containers {
		c := &t.Containers[i]
		c.Stdout, c.Stderr, c.Fatal = r.String(c.Stdout), r.String(c.Stderr), r.String(c.Fatal)
		for j := range c.Uncaught {
			c.Uncaught[j] = r.String(c.Uncaught[j])
		}
		for j := range c.Leftovers {
			c.Leftovers[j].Command = r.String(c.Leftovers[j].Command)
		}
	}
	for i := range t.KeyUpdates {
		k := &t.KeyUpdates[i]
		k.Keys, k.Before, k.After = raw(k.Keys), raw(k.Before), raw(k.After)
	}
	for i := range t.Journal {
		t.Journal[i] = r.Entry(t.Journal[i])
	}
	for i := range t.Tokens {
		t.Tokens[i].Value = "[" + t.Tokens[i].Label + "]"
	}
	for i := range t.Problems {
		t.Problems[i] = r.String(t.Problems[i])
	}
	t.Redacted = true
}

// MessageAt returns the index of the message whose journal range holds
// seq, or -1 when the exchange happened outside every message.
func (t *Trace) MessageAt(seq int64) int {
	for i := range t.Messages {
		if m := &t.Messages[i]; m.JournalFrom < seq && seq <= m.JournalTo {
			return m.Index
		}
	}
	return -1
}

// Ref is the scenario's reference in reports and verdicts:
// "salesforce/rotation".
func (s TraceScenario) Ref() string { return s.Provider + "/" + s.Name }
