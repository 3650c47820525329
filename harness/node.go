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
	"strings"
	"sync"
	"syscall"
	"time"
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
	Preview   string          `json:"preview"`
	Sailor    string          `json:"sailorVersion"`
	Node      string          `json:"node"`
	Line      string          `json:"line"`
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

// container is one running component process with the driver.
type container struct {
	index   int
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stdout  *boundedBuffer
	stderr  *boundedBuffer
	events  chan driverEvent
	exited  chan struct{} // closed when the process has been waited for
	waitErr error
	started time.Time
	ended   time.Time
	bad     []string // lines on fd 3 that were not events

	mu       sync.Mutex
	uncaught []string
}

// startContainer starts the driver for c in its own process group.
func startContainer(index int, c *Component, env []string, driverPath string, outputLimit int) (*container, error) {
	evR, evW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("harness: event pipe: %w", err)
	}
	cmd := exec.Command("node", driverPath)
	cmd.Dir = c.Dir
	cmd.Env = env
	cmd.ExtraFiles = []*os.File{evW} // fd 3
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	ct := &container{index: index, cmd: cmd, stdout: newBoundedBuffer(outputLimit), stderr: newBoundedBuffer(outputLimit), events: make(chan driverEvent, 1024), exited: make(chan struct{})}
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

// kill ends the whole process group, then waits for the process.
func (ct *container) kill() {
	if ct.cmd.Process != nil {
		_ = syscall.Kill(-ct.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-ct.exited
}

// stop asks the driver to exit, then kills the group after grace.
func (ct *container) stop(grace time.Duration) {
	_ = ct.send(map[string]string{"cmd": "exit"})
	_ = ct.stdin.Close()
	select {
	case <-ct.exited:
	case <-time.After(grace):
	}
	// Whatever the component started in its group goes too.
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
