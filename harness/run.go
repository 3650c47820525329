package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/refreshproof/refreshproof/internal/nodepreload"
	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

// Runner runs components through scenarios. The zero value is ready to
// use with the defaults its fields document.
type Runner struct {
	// Reveal keeps tokens and secrets in traces; by default they are
	// replaced by labels (AT#2, RT#1).
	Reveal bool
	// OutputLimit bounds the stdout and stderr kept per process. Zero
	// means 256 KiB.
	OutputLimit int
	// Quiet is how long nothing may happen after a message before it is
	// settled. Zero means 300ms. When the driver reports the component
	// idle (nothing it started is pending, short unref'd timers included),
	// the message is settled at once.
	Quiet time.Duration
	// Parallel bounds RunAll's concurrent scenarios. Zero means one per CPU.
	Parallel int
}

// How a message was found to be over (Message.Settled).
const (
	SettledIdle  = "idle"
	SettledQuiet = "quiet"
)

// Run drives component c through scenario sc with the default Runner.
func Run(ctx context.Context, c *Component, sc *scenarios.Scenario) (Trace, error) {
	return Runner{}.Run(ctx, c, sc)
}

// ids of the simulated platform objects; fixed so traces compare.
const (
	flowID    = "6180a8d0f0c4a10012345678"
	stepID    = "step_1"
	accountID = "6180a8d0f0c4a100acc00001"
	apiUser   = "refreshproof@example.com"
)

// run is the state of one scenario run.
type run struct {
	r        Runner
	c        *Component
	sc       *scenarios.Scenario
	p        *mockprovider.Provider
	pl       *platform
	tmp      string
	env      []string
	driver   string
	netLog   string
	trace    Trace
	cur      *container
	pending  map[int][2]int // emits not yet settled, by driver id: message and event index
	msgIndex map[string]int // driver message id → index
	// everReady is set once a container became ready; until then a
	// container that fails to start is a run that could not be made.
	everReady bool
	notReady  *NotReadyError
}

// Run drives component c through scenario sc: it starts the mock
// provider and platform, runs the component's processes as the steps
// say, and returns the trace. An error means the run could not be made
// (the component cannot start at all, a temp dir cannot be made); what
// the component did wrong is in the trace, not in the error.
func (r Runner) Run(ctx context.Context, c *Component, sc *scenarios.Scenario) (Trace, error) {
	if r.OutputLimit <= 0 {
		r.OutputLimit = 256 << 10
	}
	if r.Quiet <= 0 {
		r.Quiet = 300 * time.Millisecond
	}
	if c.SailorDir == "" {
		if err := c.Resolve(); err != nil {
			return Trace{}, err
		}
	}
	if sc.Provider != c.Provider {
		return Trace{}, fmt.Errorf("harness: scenario %s is for %s, the component for %s", sc.Name, sc.Provider, c.Provider)
	}
	d, cfg, err := sc.Build()
	if err != nil {
		return Trace{}, err
	}
	p, err := mockprovider.New(d, cfg)
	if err != nil {
		return Trace{}, err
	}
	gr, ok := d.(mockprovider.GrantResponder)
	if !ok {
		return Trace{}, fmt.Errorf("harness: the %s dialect cannot render a sign-in token response", d.Name())
	}
	tmp, err := os.MkdirTemp("", "refreshproof-run-")
	if err != nil {
		return Trace{}, fmt.Errorf("harness: %w", err)
	}
	defer os.RemoveAll(tmp)

	srv, err := mockprovider.NewUnstartedServer(p, "127.0.0.1:0")
	if err != nil {
		return Trace{}, err
	}
	srv.RealHosts = true // the component is redirected, so real names are right
	if err := srv.StartTLS(); err != nil {
		return Trace{}, err
	}
	defer srv.Close()
	caFile := filepath.Join(tmp, "ca.pem")
	if err := srv.CA.WriteCert(caFile); err != nil {
		return Trace{}, err
	}

	signIn, err := gr.GrantResponse(p, p.Initial())
	if err != nil {
		return Trace{}, err
	}
	var signInObj any
	if err := json.Unmarshal(signIn, &signInObj); err != nil {
		return Trace{}, fmt.Errorf("harness: sign-in response: %w", err)
	}
	keys, err := c.seedKeys(signInObj, p, d.Info())
	if err != nil {
		return Trace{}, err
	}
	pl := &platform{
		flowID: flowID, stepID: stepID, accountID: accountID, user: apiUser, key: p.Random(32),
		policy: c.KeysPolicy, stepFields: c.Cfg,
		journal: p.Journal(), clock: p.Clock(), message: -1,
		keys: keys,
	}
	if sc.Secrets != nil {
		obj, _ := signInObj.(map[string]any)
		pl.enableSecrets(p, sc.Secrets, obj, c.CredentialField)
	}
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Trace{}, fmt.Errorf("harness: platform listener: %w", err)
	}
	plSrv := &http.Server{Handler: pl, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = plSrv.Serve(pln) }()
	defer plSrv.Close()

	ru := &run{r: r, c: c, sc: sc, p: p, pl: pl, tmp: tmp, pending: map[int][2]int{}, msgIndex: map[string]int{}}
	if ru.driver, err = writeDriver(tmp); err != nil {
		return Trace{}, err
	}
	pre, err := nodepreload.Write(tmp)
	if err != nil {
		return Trace{}, err
	}
	ru.netLog = filepath.Join(tmp, "net.log")
	addr := srv.Listener.Addr().(*net.TCPAddr)
	redirect := nodepreload.Redirect{Host: addr.IP.String(), Port: addr.Port, Hosts: d.Hosts(), Block: true, Log: ru.netLog}
	ru.env, err = ru.environment(pre, redirect, caFile, "http://"+pln.Addr().String())
	if err != nil {
		return Trace{}, err
	}

	ru.trace = Trace{
		Version:  TraceVersion,
		Scenario: TraceScenario{Name: sc.Name, Provider: sc.Provider, Source: sc.Source, Description: sc.Description, Labels: sc.Labels},
		Component: TraceComponent{Dir: c.Dir, Name: c.Name, Version: c.Version, Function: c.Function, Strategy: c.Strategy,
			CredentialField: c.CredentialField, SailorVersion: c.SailorVersion},
		Started:     time.Now(),
		InitialKeys: pl.currentKeys(),
	}
	err = ru.steps(ctx)
	if ru.cur != nil {
		grace := 5 * time.Second
		if ctx.Err() != nil {
			grace = 0 // interrupted: end it now
		}
		ru.endContainer("run-ended", grace)
	}
	ru.finish()
	if !r.Reveal {
		ru.trace.Redact(p.Redactor())
		if ru.notReady != nil {
			ru.notReady.redact(p.Redactor())
		}
	}
	return ru.trace, err
}

// environment is what every container of the run starts with: the
// machine's environment less anything that would steer the component
// elsewhere, the sailor's variables, the OAuth client, and the redirect.
func (ru *run) environment(preload string, redirect nodepreload.Redirect, caFile, apiURI string) ([]string, error) {
	client := ru.p.Client()
	set := map[string]string{
		"ELASTICIO_FLOW_ID": flowID, "ELASTICIO_EXEC_ID": "exec_1", "ELASTICIO_STEP_ID": stepID,
		"ELASTICIO_CONTAINER_ID": "container_1", "ELASTICIO_WORKSPACE_ID": "workspace_1",
		"ELASTICIO_USER_ID": "user_1", "ELASTICIO_COMP_ID": "comp_1", "ELASTICIO_FUNCTION": ru.c.Function,
		"ELASTICIO_API_URI": apiURI, "ELASTICIO_API_USERNAME": apiUser, "ELASTICIO_API_KEY": ru.pl.key,
		// The AMQP connection is replaced in memory; these only satisfy
		// the sailor's settings check.
		"ELASTICIO_AMQP_URI": "amqp://guest:guest@127.0.0.1:5672", "ELASTICIO_LISTEN_MESSAGES_ON": "step_1:messages",
		"ELASTICIO_PUBLISH_MESSAGES_TO": "exchange_1", "ELASTICIO_DATA_ROUTING_KEY": "step_1.data",
		"ELASTICIO_ERROR_ROUTING_KEY": "step_1.error", "ELASTICIO_REBOUND_ROUTING_KEY": "step_1.rebound",
		"ELASTICIO_SNAPSHOT_ROUTING_KEY": "step_1.snapshot", "ELASTICIO_MESSAGE_CRYPTO_IV": "0123456789abcdef",
		"ELASTICIO_MESSAGE_CRYPTO_PASSWORD": "refreshproof", "ELASTICIO_COMPONENT_PATH": "",
		"LOG_LEVEL":                    "warn",
		"NODE_EXTRA_CA_CERTS":          caFile,
		"REFRESHPROOF_SAILOR":          ru.c.SailorDir,
		"REFRESHPROOF_CLOCK_OFFSET_MS": "0",
	}
	for _, k := range ru.c.ClientIDEnv {
		set[k] = client.ID
	}
	for _, k := range ru.c.ClientSecretEnv {
		set[k] = client.Secret
	}
	for k, v := range ru.c.Env {
		set[k] = v
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; ours || strings.HasPrefix(k, "ELASTICIO_") || strings.HasPrefix(k, "REFRESHPROOF_") ||
			k == "NODE_OPTIONS" || k == "NODE_TLS_REJECT_UNAUTHORIZED" || strings.HasSuffix(strings.ToUpper(k), "_PROXY") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	extra, err := nodepreload.Env(preload, redirect, nil)
	if err != nil {
		return nil, err
	}
	return append(env, extra...), nil
}

func (ru *run) steps(ctx context.Context) error {
	msgN := 0
	for i, st := range ru.sc.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case st.Advance > 0:
			ru.p.Clock().Advance(st.Advance)
			ru.pl.clockAdvanced(ctx)
			if ru.cur != nil {
				_ = ru.cur.send(map[string]any{"cmd": "clock", "offsetMs": ru.p.Clock().Offset().Milliseconds()})
			}
		case st.Restart:
			if ru.cur != nil {
				ru.endContainer("restart", 5*time.Second)
			}
		case st.Revoke != "":
			if err := ru.revoke(st.Revoke); err != nil {
				return err
			}
		case st.Message != nil:
			ru.message(ctx, i, msgN, st.Message)
			msgN++
			if ru.notReady != nil && !ru.everReady {
				// The component's code never ran: nothing can be judged.
				return ru.notReady
			}
		}
	}
	return nil
}

// mergeBody lays the scenario's body over the component's default one.
func mergeBody(base map[string]any, over json.RawMessage) json.RawMessage {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	var m map[string]any
	if len(over) > 0 && json.Unmarshal(over, &m) == nil {
		for k, v := range m {
			out[k] = v
		}
	}
	b, _ := json.Marshal(out)
	return b
}

// startContainer starts a component process and waits until its sailor
// is ready. A set-up failure is recorded and returns false.
func (ru *run) startContainer(ctx context.Context, deadline time.Time) (string, bool) {
	env := append(append([]string(nil), ru.env...), fmt.Sprintf("REFRESHPROOF_CLOCK_OFFSET_MS=%d", ru.p.Clock().Offset().Milliseconds()))
	var red *mockprovider.Redactor
	if !ru.r.Reveal {
		red = ru.p.Redactor()
	}
	ct, err := startContainer(len(ru.trace.Containers), ru.c, env, ru.driver, ru.r.OutputLimit, red)
	if err != nil {
		ru.notReady = notReady(ru.c, "start", driverEvent{}, Container{}, nil, ru.c.StartTimeout)
		ru.notReady.Cause = err.Error()
		return err.Error(), false
	}
	ru.cur = ct
	ru.trace.Containers = append(ru.trace.Containers, Container{Index: ct.index, Started: ct.started})
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var lastUncaught driverEvent // an uncaught exception before ready, with its location
	for {
		select {
		case ev, ok := <-ct.events:
			if !ok {
				<-ct.exited
				ct.mu.Lock()
				uncaught := append([]string(nil), ct.uncaught...)
				ct.mu.Unlock()
				ru.endContainer("setup-failed", 0)
				ru.notReady = notReady(ru.c, "exit", lastUncaught, ru.trace.Containers[ct.index], uncaught, ru.c.StartTimeout)
				return ru.notReady.Cause, false
			}
			switch ev.Ev {
			case "ready":
				ru.everReady = true
				if ev.Node != "" {
					ru.trace.Component.NodeVersion = ev.Node
				}
				if ev.Sailor != "" {
					// The sailor the driver loaded, from its package.json.
					ru.trace.Component.SailorVersion = ev.Sailor
				}
				return "", true
			case "fatal":
				detail := fmt.Sprintf("the sailor could not start the component (%s): %s", ev.Phase, errorText(ev.Error))
				if loc := ev.Location.String(); loc != "" {
					detail += " (at " + loc + ")"
				}
				ru.trace.Containers[ct.index].Fatal = detail
				ru.endContainer("setup-failed", 2*time.Second)
				ru.notReady = notReady(ru.c, ev.Phase, ev, ru.trace.Containers[ct.index], nil, ru.c.StartTimeout)
				return detail, false
			case "uncaughtException":
				lastUncaught = ev
				ru.handle(ev, -1, nil)
			default:
				ru.handle(ev, -1, nil)
			}
		case <-timer.C:
			ru.endContainer("timeout", 0)
			ru.notReady = notReady(ru.c, "timeout", driverEvent{}, ru.trace.Containers[ct.index], nil, ru.c.StartTimeout)
			return "the component's sailor was not ready within the start-up limit", false
		case <-ctx.Done():
			ru.endContainer("run-ended", 0)
			return "the run was cancelled before the component was ready", false
		}
	}
}

// endContainer stops the current container (grace 0 kills it at once)
// and records how it ended.
func (ru *run) endContainer(reason string, grace time.Duration) {
	ct := ru.cur
	ru.cur = nil
	if grace > 0 {
		ct.stop(grace)
	} else {
		ct.kill()
	}
	// Events still buffered (a late emit) belong to the trace too. The
	// pipe closes when the last holder of fd 3 dies; a process that left
	// the group could keep it open, so the drain is bounded.
	drain := time.NewTimer(2 * time.Second)
	defer drain.Stop()
drainLoop:
	for {
		select {
		case ev, ok := <-ct.events:
			if !ok {
				break drainLoop
			}
			ru.handle(ev, -1, nil)
		case <-drain.C:
			ru.trace.Problems = append(ru.trace.Problems, fmt.Sprintf("container %d: its event pipe stayed open after the process ended (a process it started left its group)", ct.index))
			break drainLoop
		}
	}
	rec := ct.record(reason)
	rec.Fatal = ru.trace.Containers[ct.index].Fatal
	ru.trace.Containers[ct.index] = rec
	ru.trace.Problems = append(ru.trace.Problems, ct.bad...)
}

// handle files one driver event. msg is the message being processed
// (index, or -1); m is its record.
func (ru *run) handle(ev driverEvent, msg int, m *Message) {
	// Events carry the message they belong to; a late one lands where it
	// started, not in the message running now.
	target := m
	if ev.Msg != nil {
		if i, ok := ru.msgIndex[*ev.Msg]; ok && i != msg {
			target = &ru.trace.Messages[i]
		}
	}
	switch ev.Ev {
	case "emit":
		e := Event{ID: ev.ID, Name: ev.Name, Args: ev.Args, Time: time.UnixMilli(ev.T), JournalSeq: ru.p.Journal().Last(), Truncated: ev.Truncated, Unbound: ev.Unbound}
		if ev.Truncated && len(e.Args) == 0 {
			e.Args, _ = json.Marshal(ev.Preview)
		}
		if target == nil {
			ru.trace.Problems = append(ru.trace.Problems, fmt.Sprintf("emit %q outside any message", ev.Name))
			return
		}
		for _, prev := range target.Events {
			if prev.Name == "end" {
				e.AfterEnd = true
			}
		}
		target.Events = append(target.Events, e)
		// Message i is Messages[i]: they are appended in index order.
		ru.pending[ev.ID] = [2]int{target.Index, len(target.Events) - 1}
	case "emit-settled":
		if at, ok := ru.pending[ev.ID]; ok {
			e := &ru.trace.Messages[at[0]].Events[at[1]]
			e.Settled = true
			if ev.OK != nil && !*ev.OK {
				e.SettleError = errorText(ev.Error)
			}
			if ev.OK != nil && *ev.OK && ev.Handled != nil && !*ev.Handled {
				e.Unhandled = true
			}
			delete(ru.pending, ev.ID)
		}
	case "uncaughtException", "unhandledRejection":
		text := ev.Ev + ": " + errorText(ev.Error)
		if ru.cur != nil {
			ru.cur.mu.Lock()
			ru.cur.uncaught = append(ru.cur.uncaught, text)
			ru.cur.mu.Unlock()
		}
		if target != nil {
			target.Detail = strings.TrimSpace(target.Detail + "\n" + text)
		}
	case "protocol-error":
		ru.trace.Problems = append(ru.trace.Problems, "driver: "+ev.Line)
	}
}

// message delivers one message and records what happened until it
// settled, timed out or crashed.
func (ru *run) message(ctx context.Context, step, index int, sm *scenarios.Message) {
	start := time.Now()
	deadline := start.Add(ru.c.Timeout)
	// The journal's counters at the start: with those at the end they give
	// the message's exact counts, whatever the journal evicts meanwhile.
	before := ru.p.Journal().Counts()
	ru.trace.Messages = append(ru.trace.Messages, Message{
		Index: index, Label: sm.Label, Step: step, Body: mergeBody(ru.c.Body, sm.Body), Started: start,
		VirtualTime: ru.p.Clock().Now(), JournalFrom: before.Total, KeysBefore: ru.pl.currentKeys(), Container: -1,
	})
	mi := len(ru.trace.Messages) - 1
	id := fmt.Sprintf("m%d", index)
	ru.msgIndex[id] = mi
	ru.pl.setMessage(index)
	defer ru.pl.setMessage(-1)
	finish := func(o Outcome, detail string) {
		if o == OutcomeTimeout || o == OutcomeCrash {
			// A request the killed process had open still completes on
			// the server; let it land in this message's range.
			ru.settleServers(2 * time.Second)
		}
		m := &ru.trace.Messages[mi]
		m.Outcome = o
		if detail != "" {
			m.Detail = strings.TrimSpace(detail + "\n" + m.Detail)
		}
		m.Ended = time.Now()
		m.Duration = m.Ended.Sub(start)
		after := ru.p.Journal().Counts()
		m.JournalTo = after.Total
		m.Exchanges = after.Sub(before)
		m.KeysAfter = ru.pl.currentKeys()
	}
	if ru.cur != nil && !ru.cur.alive() {
		ru.endContainer("crash", 0)
	}
	if ru.cur == nil {
		if detail, ok := ru.startContainer(ctx, time.Now().Add(ru.c.StartTimeout)); !ok {
			finish(OutcomeNotRun, detail)
			return
		}
		// The message's time starts when the container is ready.
		deadline = time.Now().Add(ru.c.Timeout)
	}
	ct := ru.cur
	ru.trace.Messages[mi].Container = ct.index
	cmd := map[string]any{"cmd": "message", "id": id, "messageId": fmt.Sprintf("%s-%d-%s", ru.sc.Name, index, ru.p.Random(8)),
		"body": json.RawMessage(ru.trace.Messages[mi].Body), "clockOffsetMs": ru.p.Clock().Offset().Milliseconds()}
	if err := ct.send(cmd); err != nil {
		ru.endContainer("crash", 0)
		finish(OutcomeCrash, "the component's process stopped reading: "+err.Error())
		return
	}
	processed := false
	// idle: the driver saw nothing of the component's pending after the
	// message ended; anything that happens later takes it back.
	idle := false
	var lastActivity, idleAt time.Time
	lastSeq := ru.p.Journal().Last()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-ct.events:
			if !ok { // fd 3 closed: the process is gone
				<-ct.exited
				ru.endContainer("crash", 0)
				finish(OutcomeCrash, ru.crashDetail(ct))
				return
			}
			lastActivity = time.Now()
			if ev.Ev == "idle" {
				idle = processed && ev.Msg != nil && *ev.Msg == id
				idleAt = lastActivity
				continue
			}
			idle = false
			if ev.Ev == "processed" && ev.Msg != nil && *ev.Msg == id {
				processed = true
				if len(ev.Error) > 0 {
					ru.trace.Messages[mi].Detail = "processing failed: " + errorText(ev.Error)
				}
				continue
			}
			ru.handle(ev, mi, &ru.trace.Messages[mi])
		case <-tick.C:
			// The journal is looked at every tick, so the message's own
			// last exchange, made before the driver found it idle, is
			// often seen after the idle event: only an exchange that
			// started after it takes idle back (it used to, and the
			// message then waited the whole quiet window for nothing).
			if seq := ru.p.Journal().Last(); seq != lastSeq {
				if !idle || ru.startedSince(lastSeq, idleAt) {
					lastActivity, idle = time.Now(), false
				}
				lastSeq = seq
			}
			// Idle needs no grace: the driver's events come in order, so
			// whatever the component emitted before the report is read
			// already, and the report waits for short unref'd timers.
			quiet := ru.r.Quiet
			if idle {
				quiet = 0
			}
			if processed && len(ru.pending) == 0 && ru.p.InFlight() == 0 && ru.pl.inflight.Load() == 0 && time.Since(lastActivity) >= quiet {
				ru.trace.Messages[mi].Settled = SettledQuiet
				if idle {
					ru.trace.Messages[mi].Settled = SettledIdle
				}
				finish(ru.outcome(mi), "")
				return
			}
		case <-timer.C:
			ru.endContainer("timeout", 0)
			why := "the message did not end within " + ru.c.Timeout.String()
			if processed {
				why = fmt.Sprintf("the message ended but the component was still busy %s after it started (requests or emits in flight)", ru.c.Timeout)
			}
			finish(OutcomeTimeout, why+"; the container was killed")
			return
		case <-ctx.Done():
			ru.endContainer("run-ended", 0)
			finish(OutcomeTimeout, "the run was cancelled")
			return
		}
	}
}

// startedSince reports whether an exchange journaled after seq started at
// or after t, or may have (it was evicted before it could be read).
func (ru *run) startedSince(seq int64, t time.Time) bool {
	page, _ := ru.p.Journal().Page(mockprovider.Filter{Since: seq}, 64)
	if len(page) == 0 || page[0].Seq != seq+1 {
		return true
	}
	for _, e := range page {
		if !e.Time.Before(t) {
			return true
		}
	}
	return false
}

// settleServers waits, at most limit, until neither the provider nor the
// platform is answering a request.
func (ru *run) settleServers(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for (ru.p.InFlight() > 0 || ru.pl.inflight.Load() > 0) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

func (ru *run) crashDetail(ct *container) string {
	rec := ru.trace.Containers[ct.index]
	detail := fmt.Sprintf("the component's process exited (code %d", rec.ExitCode)
	if rec.Signal != "" {
		detail += ", signal " + rec.Signal
	}
	detail += ") during the message"
	if tail := lastLines(rec.Stderr, 8); tail != "" {
		detail += "; stderr ends with:\n" + tail
	}
	return detail
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func (ru *run) outcome(mi int) Outcome {
	ended, failed := false, false
	for _, e := range ru.trace.Messages[mi].Events {
		switch e.Name {
		case "end":
			ended = true
		case "error":
			failed = true
		}
	}
	switch {
	case !ended:
		return OutcomeNoEnd
	case failed:
		return OutcomeError
	}
	return OutcomeOK
}

// finish collects what the provider and platform saw.
func (ru *run) finish() {
	t := &ru.trace
	t.Duration = time.Since(t.Started)
	t.FinalKeys = ru.pl.currentKeys()
	t.KeyUpdates = ru.pl.keyUpdates()
	t.Journal = ru.p.Journal().Entries(mockprovider.Filter{})
	t.Counts = ru.p.Journal().Counts()
	t.Tokens = ru.p.Authority().Tokens()
	t.Families = ru.p.Authority().Families()
	t.Network = readNetLog(ru.netLog, t.Containers)
	if t.Messages == nil {
		t.Messages = []Message{}
	}
}

// readNetLog reads the preload's connection log, attributing each line
// to the container whose process wrote it.
func readNetLog(path string, cs []Container) []NetEvent {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	byPID := map[int]int{}
	for _, c := range cs {
		byPID[c.PID] = c.Index
	}
	var out []NetEvent
	// A Reader, not a Scanner: a line holds the host the component asked
	// for, of any length, and a Scanner stops at the first line over its
	// limit, dropping every connection after it.
	rd := bufio.NewReader(f)
	for {
		line, err := rd.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			break
		}
		var l struct {
			Time  int64  `json:"time"`
			PID   int    `json:"pid"`
			Event string `json:"event"`
			Host  string `json:"host"`
			Port  any    `json:"port"`
			TLS   bool   `json:"tls"`
		}
		// An object a line; null would decode into l without an error.
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("{")) || json.Unmarshal(line, &l) != nil {
			continue
		}
		idx, ok := byPID[l.PID]
		if !ok {
			idx = -1 // a child process the component started
		}
		// The time is the component's clock (Date.now, which it may
		// replace); one JSON cannot hold would make the whole trace
		// unwritable, so it is dropped, keeping the connection.
		at := time.UnixMilli(l.Time)
		if at.Year() < 0 || at.Year() > 9999 {
			at = time.Time{}
		}
		out = append(out, NetEvent{Event: l.Event, Host: l.Host, Port: l.Port, TLS: l.TLS, Container: idx, Time: at})
	}
	return out
}

// Result is one scenario's outcome in RunAll.
type Result struct {
	Scenario *scenarios.Scenario
	Trace    Trace
	Err      error
}

// RunAll runs c through every scenario, Parallel at a time, and returns
// the results in the scenarios' order. progress, when set, is called as
// each one finishes (from one goroutine at a time).
func (r Runner) RunAll(ctx context.Context, c *Component, list []*scenarios.Scenario, progress func(done, total int, res Result)) []Result {
	if c.SailorDir == "" {
		if err := c.Resolve(); err != nil {
			out := make([]Result, len(list))
			for i, sc := range list {
				out[i] = Result{Scenario: sc, Err: err}
			}
			return out
		}
	}
	n := r.Parallel
	if n <= 0 {
		n = runtime.NumCPU()
	}
	out := make([]Result, len(list))
	sem := make(chan struct{}, n)
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for _, i := range longestFirst(list) {
		sc := list[i]
		// Taking the slot here, in order, is what makes the order hold.
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			tr, err := r.Run(ctx, c, sc)
			res := Result{Scenario: sc, Trace: tr, Err: err}
			out[i] = res
			if progress != nil {
				mu.Lock()
				done++
				progress(done, len(list), res)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

// longestFirst orders list's indices by how long each scenario is bound
// to take, longest first, so that a scenario waiting on a scripted delay
// (a 40 s held answer) starts at once and overlaps the others instead of
// running alone at the end. The estimate is the scripted delays a message
// can meet plus a second per message; ties keep the catalogue's order.
func longestFirst(list []*scenarios.Scenario) []int {
	cost := make([]time.Duration, len(list))
	order := make([]int, len(list))
	for i, sc := range list {
		order[i] = i
		for _, st := range sc.Steps {
			if st.Message != nil {
				cost[i] += time.Second
			}
		}
		for _, rule := range sc.Rules {
			cost[i] += rule.Respond.Delay * time.Duration(max(1, min(rule.Times, 3)))
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return cost[order[a]] > cost[order[b]] })
	return order
}

// revoke revokes tokens of the account's grant, as a Revoke step says.
func (ru *run) revoke(what string) error {
	a := ru.p.Authority()
	family := ru.p.Initial().Family
	for _, f := range a.Families() {
		if f.ID != family {
			continue
		}
		switch what {
		case scenarios.RevokeAccess:
			return a.Revoke(f.CurrentAccess)
		case scenarios.RevokeRefresh:
			return a.Revoke(f.CurrentRefresh)
		case scenarios.RevokeFamily:
			return a.RevokeFamily(f.ID)
		}
	}
	return fmt.Errorf("harness: revoke %s: the account's token family %s is gone", what, family)
}
