//go:build linux

package proctree

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const supported = true

var selfPID = os.Getpid()

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER from linux/prctl.h.
const prSetChildSubreaper = 36

var subreaper sync.Once

// becomeSubreaper makes this program the child subreaper of what it
// starts, once: a descendant whose parent dies reparents to it, not to
// init, so it stays reachable. Failing that (an old kernel), orphans go
// to init and only the marker finds them.
func becomeSubreaper() {
	subreaper.Do(func() {
		_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	})
}

// stat is what /proc/PID/stat says of a process that the tree uses.
type stat struct {
	pid, ppid int
	pgrp      int
	state     byte
	start     uint64 // clock ticks after boot: a pid reused later has another
}

func readStat(pid int) (stat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, false
	}
	// The command name in parentheses may hold spaces and parentheses:
	// the fields follow its last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return stat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return stat{}, false
	}
	s := stat{pid: pid, state: f[0][0]}
	s.ppid, _ = strconv.Atoi(f[1])
	s.pgrp, _ = strconv.Atoi(f[2])
	s.start, _ = strconv.ParseUint(f[19], 10, 64)
	return s, true
}

func allStats() []stat {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	out := make([]stat, 0, len(names))
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if s, ok := readStat(pid); ok {
			out = append(out, s)
		}
	}
	return out
}

func cmdline(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		// A zombie or a kernel thread has none; its name will do.
		c, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		return "[" + strings.TrimSpace(string(c)) + "]"
	}
	return truncate(string(bytes.ReplaceAll(bytes.TrimRight(b, "\x00"), []byte{0}, []byte{' '})), 200)
}

func hasMarker(pid int, marker string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false // another user's process, or gone
	}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if string(kv) == marker {
			return true
		}
	}
	return false
}

type member struct {
	start   uint64
	command string
}

// Scan records the root's descendants now running: those reachable
// from the root or from a process recorded before by parent links, and
// orphans (reparented to this program or init) that carry the marker.
func (t *Tree) Scan() {
	if !supported {
		return
	}
	becomeSubreaper()
	all := allStats()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.scanLocked(all)
}

func (t *Tree) scanLocked(all []stat) {
	if t.members == nil {
		t.members = map[int]member{}
	}
	byPID := make(map[int]stat, len(all))
	children := map[int][]int{}
	for _, s := range all {
		byPID[s.pid] = s
		children[s.ppid] = append(children[s.ppid], s.pid)
	}
	if t.rootStart == 0 {
		if s, ok := byPID[t.root]; ok {
			t.rootStart = s.start
		}
	}
	var queue []int
	if s, ok := byPID[t.root]; ok && s.start == t.rootStart {
		queue = append(queue, t.root)
		if s.state == 'Z' || s.state == 'X' {
			t.goneOnce.Do(func() { close(t.rootGone) })
		}
	} else {
		t.goneOnce.Do(func() { close(t.rootGone) })
	}
	for pid, m := range t.members {
		if s, ok := byPID[pid]; ok && s.start == m.start {
			queue = append(queue, pid)
		}
	}
	add := func(s stat) bool {
		if s.pid == t.root || s.pid == selfPID {
			return false
		}
		if m, ok := t.members[s.pid]; ok && m.start == s.start {
			return false
		}
		t.members[s.pid] = member{start: s.start, command: cmdline(s.pid)}
		return true
	}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			if add(byPID[c]) {
				queue = append(queue, c)
			}
		}
	}
	if t.marker == "" {
		return
	}
	for _, s := range all {
		if (s.ppid == selfPID || s.ppid == 1) && s.pid != t.root {
			if _, ok := t.members[s.pid]; !ok && hasMarker(s.pid, t.marker) {
				add(s)
				// Its own descendants follow from the next scan, or the
				// scans End makes.
			}
		}
	}
}

// running tells whether the member pid still runs (not gone, not a
// zombie, not a new process that reused the pid), and its stat; a zombie
// whose parent is this program is reaped.
func running(pid int, m member) (stat, bool) {
	s, ok := readStat(pid)
	if !ok || s.start != m.start {
		return s, false
	}
	if s.state == 'Z' || s.state == 'X' {
		if s.ppid == selfPID {
			// Only a pid that os/exec does not wait for: the tree never
			// holds its root, and every member is a descendant of it.
			var ws syscall.WaitStatus
			_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		}
		return s, false
	}
	return s, true
}

func (t *Tree) end(grace time.Duration, first func()) []Proc {
	t.mu.Lock()
	defer t.mu.Unlock()
	ended := map[int]*Proc{}
	// What runs now is what the command left; first may end part of it.
	t.scanLocked(allStats())
	for pid, m := range t.members {
		if _, ok := running(pid, m); ok {
			ended[pid] = &Proc{PID: pid, Command: m.command, Signal: GroupKilled}
		}
	}
	if first != nil {
		first()
	}
	// signal sends sig to every member still running, recording it, and
	// tells whether any runs.
	signal := func(sig syscall.Signal, name string) bool {
		t.scanLocked(allStats())
		any := false
		for pid, m := range t.members {
			s, ok := running(pid, m)
			if !ok {
				continue
			}
			any = true
			p := ended[pid]
			if p == nil {
				p = &Proc{PID: pid, Command: m.command}
				ended[pid] = p
			}
			if first != nil && p.Signal == GroupKilled && s.pgrp == t.root && sig == syscall.SIGTERM {
				// first sent it SIGKILL with the group, which takes a
				// moment; a SIGTERM now would misname what ended it.
				continue
			}
			if p.Signal != name && p.Signal != "killed" {
				_ = syscall.Kill(pid, sig)
				p.Signal = name
			}
		}
		return any
	}
	waitGone := func(limit time.Duration, sig syscall.Signal, name string) bool {
		deadline := time.Now().Add(limit)
		for {
			// Signalling again reaches what was forked meanwhile.
			if !signal(sig, name) {
				return true
			}
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if signal(syscall.SIGTERM, "terminated") && !waitGone(grace, syscall.SIGTERM, "terminated") {
		signal(syscall.SIGKILL, "killed")
		waitGone(time.Second, syscall.SIGKILL, "killed")
	}
	// A member that was another member's zombie child reparents here
	// only once that parent has gone, which may be after the last check:
	// look once more a moment later, so none stays a zombie of this
	// program.
	later := make(map[int]member, len(t.members))
	for pid, m := range t.members {
		later[pid] = m
	}
	go func() {
		time.Sleep(time.Second)
		for pid, m := range later {
			running(pid, m)
		}
	}()
	out := make([]Proc, 0, len(ended))
	for _, p := range ended {
		out = append(out, *p)
	}
	sortProcs(out)
	return out
}
