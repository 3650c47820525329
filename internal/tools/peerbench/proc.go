package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a started server: its process group is stopped as a whole.
type proc struct {
	cmd    *exec.Cmd
	start  time.Time
	stdout *bufio.Reader // nil unless asked for
	done   chan struct{}
}

var (
	procsMu sync.Mutex
	procs   = map[*proc]bool{}
)

// startCmd starts cmd in its own process group, its output (stdout too,
// unless wantStdout) in logf.
func startCmd(cmd *exec.Cmd, logf *os.File, wantStdout bool) (*proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = logf
	p := &proc{cmd: cmd, done: make(chan struct{})}
	if wantStdout {
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		p.stdout = bufio.NewReader(out)
	} else {
		cmd.Stdout = logf
	}
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	procsMu.Lock()
	procs[p] = true
	procsMu.Unlock()
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

// stop ends the process group: SIGTERM, then SIGKILL after 3 s.
func (p *proc) stop() {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
	}
	// Children (a JVM under a Node.js wrapper) may outlive the leader.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
	}
	procsMu.Lock()
	delete(procs, p)
	procsMu.Unlock()
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func stopAll() {
	procsMu.Lock()
	var ps []*proc
	for p := range procs {
		ps = append(ps, p)
	}
	procsMu.Unlock()
	for _, p := range ps {
		p.stop()
	}
}

// tree lists pid and its descendants.
func tree(pid int) []int {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(n); err == nil {
			children[st.ppid] = append(children[st.ppid], n)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

type stat struct {
	ppid       int
	utime, sys uint64 // clock ticks
}

// readStat reads /proc/PID/stat; the command name may hold spaces, so
// fields are counted after its closing parenthesis.
func readStat(pid int) (stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return stat{}, fmt.Errorf("unreadable /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return stat{}, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ppid, _ := strconv.Atoi(f[1])
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return stat{ppid: ppid, utime: ut, sys: st}, nil
}

// clockTick is USER_HZ, 100 on every Linux the kernel ABI promises.
const clockTick = 100

// cpu returns the CPU time used so far by pid and its descendants.
func cpu(pid int) time.Duration {
	var ticks uint64
	for _, p := range tree(pid) {
		if st, err := readStat(p); err == nil {
			ticks += st.utime + st.sys
		}
	}
	return time.Duration(ticks) * time.Second / clockTick
}

// peakRSS sums VmHWM over pid and its descendants: the server of a peer
// started through a wrapper (a JVM under Node.js) is a child.
func peakRSS(pid int) int64 {
	var kb int64
	for _, p := range tree(pid) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				kb += n
			}
		}
	}
	return kb << 10
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// runLogged runs a set-up command (npm install, go build), its output
// kept for the error.
func runLogged(ctx context.Context, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	return runCmdLogged(cmd)
}

// runCmdLogged runs cmd (made with exec.CommandContext) as runLogged does.
func runCmdLogged(cmd *exec.Cmd) error {
	name, args := cmd.Args[0], cmd.Args[1:]
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, lastLines(out.String(), 5))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// logTail is the end of a peer's log, for an error message.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return "(no output)"
	}
	return lastLines(string(b), 3)
}
