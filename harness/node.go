package harness

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/refreshproof/refreshproof/internal/proctree"
	"github.com/refreshproof/refreshproof/mockprovider"
)

//go:embed node/driver.js
var driverJS []byte

// driverEvent is one line the driver writes on fd 3 (harness/node/driver.js).
type driverEvent struct {
	Seq       int             `json:"seq"`
	T         int64           `json:"t"`
	Msg       *string         `json:"msg"`
	Ev        string          `json:"ev"`
	ID        int             `json:"id"`
	Name      string          `json:"name"`
	Args      json.RawMessage `json:"args"`
	OK        *bool           `json:"ok"`
	Error     json.RawMessage `json:"error"`
	Phase     string          `json:"phase"`
	Op        string          `json:"op"`
	Truncated bool            `json:"truncated"`
	Unbound   bool            `json:"unbound"`
	Handled   *bool           `json:"handled"`
	Preview   string          `json:"preview"`
	Sailor    string          `json:"sailorVersion"`
	Node      string          `json:"node"`
	Line      string          `json:"line"`
	// Location, MissingModule and RequireStack come with fatal (and
	// uncaughtException) events.
	Location      *sourceLocation `json:"location"`
	MissingModule string          `json:"missingModule"`
	RequireStack  []string        `json:"requireStack"`
}

// sourceLocation is a place in the component's own code, relative to its
// directory.
type sourceLocation struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

func (l *sourceLocation) String() string {
	if l == nil || l.File == "" {
		return ""
	}
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	}
	return l.File
}

// errorText renders a driver error object {name, message, stack} briefly.
func errorText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var e struct {
		Name    string `json:"name"`
		Message string `json:"message"`
		Stack   string `json:"stack"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return string(raw)
	}
	s := e.Message
	if e.Name != "" && !strings.HasPrefix(s, e.Name) {
		s = e.Name + ": " + s
	}
	if e.Stack != "" {
		lines := strings.SplitN(e.Stack, "\n", 4)
		if len(lines) > 1 {
			s += "\n" + strings.Join(lines[1:min(3, len(lines))], "\n")
		}
	}
	return s
}

// boundedBuffer keeps the first head and the last tail bytes written, and
// counts them all: a component printing megabytes costs a bounded amount.
type boundedBuffer struct {
	mu         sync.Mutex
	head, tail []byte
	headMax    int
	tailMax    int
	total      int64
}

func newBoundedBuffer(limit int) *boundedBuffer {
	return &boundedBuffer{headMax: limit / 4, tailMax: limit - limit/4}
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total += int64(len(p))
	rest := p
	if n := b.headMax - len(b.head); n > 0 {
		n = min(n, len(rest))
		b.head = append(b.head, rest[:n]...)
		rest = rest[n:]
	}
	if len(rest) == 0 {
		return len(p), nil
	}
	if len(rest) >= b.tailMax {
		b.tail = append(b.tail[:0], rest[len(rest)-b.tailMax:]...)
	} else {
		b.tail = append(b.tail, rest...)
		if over := len(b.tail) - b.tailMax; over > 0 {
			b.tail = append(b.tail[:0], b.tail[over:]...)
		}
	}
	return len(p), nil
}

// String returns what was kept; a gap is marked with the bytes left out.
func (b *boundedBuffer) String() (string, int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	kept := int64(len(b.head) + len(b.tail))
	if kept == b.total {
		return string(b.head) + string(b.tail), b.total, false
	}
	return fmt.Sprintf("%s\n[... %d bytes left out ...]\n%s", b.head, b.total-kept, b.tail), b.total, true
}

// output is a process's stdout or stderr: redacted as it streams, then
// bounded. Redacting first means the cut between head and tail never
// leaves two pieces of a secret that redaction, coming later, would no
// longer find.
type output struct {
	*mockprovider.Stream
	kept *boundedBuffer
	mu   sync.Mutex
	n    int64 // bytes the process wrote, before redaction
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.n += int64(len(p))
	o.mu.Unlock()
	return o.Stream.Write(p)
}

// newOutput keeps limit bytes of the stream; a nil redactor keeps the
// secrets (--reveal).
func newOutput(r *mockprovider.Redactor, limit int) *output {
	b := newBoundedBuffer(limit)
	return &output{Stream: r.Stream(b), kept: b}
}

// String returns what was kept, once what the stream held back is in,
// and how many bytes the process wrote.
func (o *output) String() (string, int64, bool) {
	_ = o.Flush() // a bounded buffer does not fail
	s, _, cut := o.kept.String()
	o.mu.Lock()
	defer o.mu.Unlock()
	return s, o.n, cut
}

// container is one running component process with the driver.
type container struct {
	index   int
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stdout  *output
	stderr  *output
	events  chan driverEvent
	exited  chan struct{} // closed when the process has been waited for
	waitErr error
	started time.Time
	ended   time.Time
	bad     []string // lines on fd 3 that were not events
	// tree follows every process the component starts, also one that
	// left the group (setsid) or lost its parent; leftovers are those
	// that still ran when the container ended.
	tree      *proctree.Tree
	leftovers []proctree.Proc

	mu       sync.Mutex
	uncaught []string
}

// startContainer starts the driver for c in its own process group. red
// redacts its output (nil keeps it as it is).
func startContainer(index int, c *Component, env []string, driverPath string, outputLimit int, red *mockprovider.Redactor) (*container, error) {
	evR, evW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("harness: event pipe: %w", err)
	}
	cmd := exec.Command("node", driverPath)
	cmd.Dir = c.Dir
	marker := proctree.NewMarker()
	cmd.Env = append(env[:len(env):len(env)], marker)
	cmd.ExtraFiles = []*os.File{evW} // fd 3
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// stdout and stderr are copied through pipes, and Wait waits for the
	// copies: a process the component started that holds them would keep
	// Wait, and so the run, waiting for as long as it lives.
	cmd.WaitDelay = waitDelay
	ct := &container{index: index, cmd: cmd, stdout: newOutput(red, outputLimit), stderr: newOutput(red, outputLimit), events: make(chan driverEvent, 1024), exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = ct.stdout, ct.stderr
	ct.stdin, err = cmd.StdinPipe()
	if err != nil {
		evR.Close()
		evW.Close()
		return nil, fmt.Errorf("harness: stdin pipe: %w", err)
	}
	ct.started = time.Now()
	if err := cmd.Start(); err != nil {
		evR.Close()
		evW.Close()
		return nil, fmt.Errorf("harness: starting node: %w", err)
	}
	evW.Close() // the child holds its own copy
	ct.tree = proctree.Watch(cmd.Process.Pid, marker, 0)
	go ct.readEvents(evR)
	go func() {
		ct.waitErr = cmd.Wait()
		ct.ended = time.Now()
		close(ct.exited)
	}()
	return ct, nil
}

func (ct *container) readEvents(r *os.File) {
	defer close(ct.events)
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var ev driverEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Ev == "" {
			if len(ct.bad) < 20 {
				ct.bad = append(ct.bad, fmt.Sprintf("container %d: not an event on fd 3: %.200s", ct.index, sc.Text()))
			}
			continue
		}
		ct.events <- ev
	}
}

// send writes one command line to the driver.
func (ct *container) send(cmd any) error {
	b, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	_, err = ct.stdin.Write(append(b, '\n'))
	return err
}

// waitDelay bounds how long Wait waits for the output copies once the
// process has exited; treeGrace is how long the processes the component
// left get between SIGTERM and SIGKILL.
const (
	waitDelay = 2 * time.Second
	treeGrace = time.Second
)

// kill ends the process with its group, then everything else it started
// (SIGTERM, treeGrace, SIGKILL), then waits for the process.
func (ct *container) kill() {
	if ct.cmd.Process != nil {
		ct.leftovers = append(ct.leftovers, ct.tree.End(treeGrace, func() {
			_ = syscall.Kill(-ct.cmd.Process.Pid, syscall.SIGKILL)
		})...)
	}
	<-ct.exited
}

// stop asks the driver to exit, then kills what is left after grace.
func (ct *container) stop(grace time.Duration) {
	_ = ct.send(map[string]string{"cmd": "exit"})
	_ = ct.stdin.Close()
	select {
	case <-ct.exited:
	case <-ct.tree.RootExited():
		// Wait may still wait for output a leftover holds; ending the
		// tree closes it.
	case <-time.After(grace):
	}
	// Whatever the component started goes too.
	ct.kill()
}

func (ct *container) alive() bool {
	select {
	case <-ct.exited:
		return false
	default:
		return true
	}
}

// record fills a trace Container from the process's end.
func (ct *container) record(reason string) Container {
	out := Container{Index: ct.index, Started: ct.started, Ended: ct.ended, Reason: reason}
	if ct.cmd.Process != nil {
		out.PID = ct.cmd.Process.Pid
	}
	out.Stdout, out.StdoutBytes, out.Truncated = ct.stdout.String()
	var tr bool
	out.Stderr, out.StderrBytes, tr = ct.stderr.String()
	out.Truncated = out.Truncated || tr
	out.ExitCode = ct.cmd.ProcessState.ExitCode()
	var ee *exec.ExitError
	if errors.As(ct.waitErr, &ee) {
		if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			out.Signal = st.Signal().String()
		}
	}
	ct.mu.Lock()
	out.Uncaught = append(out.Uncaught, ct.uncaught...)
	ct.mu.Unlock()
	for _, p := range ct.leftovers {
		out.Leftovers = append(out.Leftovers, Leftover(p))
	}
	return out
}

// writeDriver puts the driver script in dir.
func writeDriver(dir string) (string, error) {
	p := filepath.Join(dir, "refreshproof-driver.js")
	if err := os.WriteFile(p, driverJS, 0o644); err != nil {
		return "", fmt.Errorf("harness: %w", err)
	}
	return p, nil
}

// The sailor releases the driver runs (harness/node/driver.js reads their
// lib/ and handles each difference): every elasticio-sailor-nodejs from
// 2.6.0 up to, not including, 2.8.0.
var (
	minSailor = [3]int{2, 6, 0}
	endSailor = [3]int{2, 8, 0}
)

// SupportedSailors names the elasticio-sailor-nodejs releases refreshproof
// drives.
const SupportedSailors = "2.6.0 to 2.7.x"

// parseVersion reads the major.minor.patch core of a semantic version
// ("2.7.8", "2.6.0-dev.3", "v2.6.1").
func parseVersion(v string) ([3]int, bool) {
	var out [3]int
	core, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(v), "v"), "-")
	core, _, _ = strings.Cut(core, "+")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

func lessVersion(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// checkSailor tells whether the installed sailor (the version its
// package.json names) is one the driver runs. A sailor outside the range
// is a *SetupError naming the range and the version found.
func checkSailor(version, dir string) error {
	fix := fmt.Sprintf("pin elasticio-sailor-nodejs to a release from %s in the component's package.json and run `npm ci` in %s", SupportedSailors, filepath.Dir(filepath.Dir(dir)))
	v, ok := parseVersion(version)
	if !ok {
		return setupErr(fix, "the component's sailor in %s has no readable version (package.json says %q); refreshproof drives elasticio-sailor-nodejs %s", dir, version, SupportedSailors)
	}
	if lessVersion(v, minSailor) || !lessVersion(v, endSailor) {
		return setupErr(fix, "the component's sailor is elasticio-sailor-nodejs %s; refreshproof drives %s", version, SupportedSailors)
	}
	return nil
}

// NotReadyError is a run that could not be made: the component's first
// container never became ready (its sailor or its code failed to load, a
// hook failed, the process died, or start-up outlasted the time limit), so
// the component processed no message and no rule can judge the run. Run
// returns it together with the partial trace.
type NotReadyError struct {
	// Phase is how far start-up got: "start" (node could not be started),
	// "sailor", "prepare", "load", "startup", "init" (the driver's phases,
	// harness/node/driver.js), "exit" (the process ended without saying
	// why) or "timeout".
	Phase string
	// Cause is what Node, the sailor or the harness reported.
	Cause string
	// Location is the file and line in the component's own code, relative
	// to its directory, when Node reported one.
	Location string
	// Stderr is the end of the process's standard error.
	Stderr string
	// SailorVersion is the installed sailor's version.
	SailorVersion string
	// Fix says what to do about it.
	Fix string
}

func (e *NotReadyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "harness: the component never became ready (%s): %s", e.Phase, e.Cause)
	if e.Location != "" {
		fmt.Fprintf(&b, "\n  at %s", e.Location)
	}
	if e.Stderr != "" {
		fmt.Fprintf(&b, "\n  stderr ends with:\n    %s", strings.ReplaceAll(e.Stderr, "\n", "\n    "))
	}
	if e.Fix != "" {
		fmt.Fprintf(&b, "\n  fix: %s", e.Fix)
	}
	return b.String()
}

// redact replaces secrets in what the error quotes from the process.
func (e *NotReadyError) redact(r *mockprovider.Redactor) {
	e.Cause, e.Stderr = r.String(e.Cause), r.String(e.Stderr)
}

// nodeErrorLine matches the "/abs/file.js:12" line Node prints above an
// uncaught error.
var nodeErrorLine = regexp.MustCompile(`(?m)^(/[^\s:]+):(\d+)$`)

// notReady builds the error for a container that never became ready. ev
// is the driver's fatal event (Ev empty when there was none), rec the
// container's record and uncaught what the process reported uncaught.
func notReady(c *Component, phase string, ev driverEvent, rec Container, uncaught []string, timeout time.Duration) *NotReadyError {
	e := &NotReadyError{Phase: phase, SailorVersion: c.SailorVersion, Location: ev.Location.String()}
	e.Stderr = lastLines(rec.Stderr, 12)
	if len(ev.Error) > 0 {
		e.Cause = causeText(ev.Error)
	}
	inDir := "in " + c.Dir
	switch phase {
	case "start":
		e.Fix = "install Node.js 18 or newer and put node on PATH"
	case "sailor":
		e.Fix = fmt.Sprintf("reinstall the component's dependencies (`npm ci` %s); refreshproof drives elasticio-sailor-nodejs %s", inDir, SupportedSailors)
	case "prepare":
		e.Fix = "the sailor could not read its settings, the step from the mock platform API or component.json; the cause says which (component.json must be valid JSON)"
	case "load":
		e.Fix = loadFix(c, ev, e.Location)
	case "startup", "init":
		e.Fix = fmt.Sprintf("the component's %s hook failed before any message; make it succeed (it runs with the step's cfg against the mock platform and provider)", phase)
		if e.Location != "" {
			e.Fix += "; it threw at " + e.Location
		}
	case "timeout":
		e.Cause = fmt.Sprintf("the component's sailor was not ready within the start-up limit (%s)", timeout)
		e.Fix = "raise --start-timeout (or startTimeout in refreshproof.yaml): it bounds a container's start, before any message"
	default: // the process ended on its own
		e.Phase = "exit"
		e.Cause = fmt.Sprintf("the component's process exited (code %d", rec.ExitCode)
		if rec.Signal != "" {
			e.Cause += ", signal " + rec.Signal
		}
		e.Cause += ") before its sailor was ready"
		if len(uncaught) > 0 {
			e.Cause += ": " + uncaught[0]
		}
		if e.Location == "" {
			if m := nodeErrorLine.FindStringSubmatch(rec.Stderr); m != nil {
				file := m[1]
				if rel, err := filepath.Rel(c.Dir, file); err == nil && !strings.HasPrefix(rel, "..") {
					file = rel
				}
				e.Location = file + ":" + m[2]
			}
		}
		e.Fix = fmt.Sprintf("see why with `node -e \"require('./%s')\"` %s", strings.TrimPrefix(c.Main, "./"), inDir)
	}
	if e.Cause == "" {
		e.Cause = "no error was reported"
	}
	return e
}

// causeText renders a driver error object briefly: its name and the first
// line of its message and, for a syntax error, the source line and the
// caret Node put in its stack.
func causeText(raw json.RawMessage) string {
	var e struct {
		Name    string `json:"name"`
		Message string `json:"message"`
		Stack   string `json:"stack"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return string(raw)
	}
	s, _, _ := strings.Cut(e.Message, "\n")
	if e.Name != "" && !strings.HasPrefix(s, e.Name) {
		s = e.Name + ": " + s
	}
	if e.Name == "SyntaxError" {
		lines := strings.SplitN(e.Stack, "\n", 4)
		if len(lines) >= 3 && nodeErrorLine.MatchString(lines[0]) && strings.Contains(lines[2], "^") {
			s += "\n    " + lines[1] + "\n    " + lines[2]
		}
	}
	return s
}

// loadFix says what to do about a step module that failed to load.
func loadFix(c *Component, ev driverEvent, where string) string {
	var cause struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(ev.Error, &cause)
	file := where
	if i := strings.LastIndexByte(file, ':'); i > 0 {
		file = file[:i]
	}
	switch {
	case cause.Name == "SyntaxError" && where != "":
		return fmt.Sprintf("correct the syntax error at %s (`node --check %s` %s shows it)", where, file, "in "+c.Dir)
	case ev.MissingModule != "" && (strings.HasPrefix(ev.MissingModule, ".") || strings.HasPrefix(ev.MissingModule, "/")):
		return fmt.Sprintf("%s requires %q, which does not exist: correct the path", orFunction(where, c), ev.MissingModule)
	case ev.MissingModule != "":
		return fmt.Sprintf("install the component's dependencies (`npm ci` in %s), and list %q in its package.json if it is not there", c.Dir, ev.MissingModule)
	}
	return fmt.Sprintf("the module of %q throws while it loads; run `node -e \"require('./%s')\"` in %s to see it without the harness", c.Function, strings.TrimPrefix(c.Main, "./"), c.Dir)
}

func orFunction(where string, c *Component) string {
	if where != "" {
		return where
	}
	return c.Main
}
