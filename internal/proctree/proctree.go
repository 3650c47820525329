// Package proctree follows and ends every process a started command
// leaves behind: its children, theirs, and those that left its process
// group or session (setsid) or lost their parent.
//
// A process group kill misses a process that called setsid, and an
// orphan reparents away from the command, so neither the group nor the
// parent-child links alone find everything. On Linux the calling program
// becomes a child subreaper (orphans of its descendants reparent to it,
// not to init), a Tree records the command's descendants by walking
// /proc from its pid while they are alive, and every process started
// with the Tree's marker in its environment belongs to it too, whoever
// its parent is by then. Elsewhere a Tree finds nothing and callers keep
// their process group kill.
package proctree

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Proc is one process a Tree ended.
type Proc struct {
	PID int `json:"pid"`
	// Command is its command line, arguments joined by spaces, at most
	// 200 bytes.
	Command string `json:"command"`
	// Signal is how it ended: "terminated" by SIGTERM, "killed" by
	// SIGKILL after the grace, or GroupKilled.
	Signal string `json:"signal"`
}

func (p Proc) String() string { return fmt.Sprintf("pid %d (%s, %s)", p.PID, p.Command, p.Signal) }

// GroupKilled is the Signal of a process that ended with the root's
// process group, before the Tree signalled it.
const GroupKilled = "killed with the process group"

// MarkerEnv is the environment variable a Tree's marker goes in.
const MarkerEnv = "REFRESHPROOF_PROCESS_TREE"

var markerSeq struct {
	sync.Mutex
	n int
}

// NewMarker returns an environment entry unique to this program and call:
// a command started with it marks every process that inherits its
// environment.
func NewMarker() string {
	markerSeq.Lock()
	defer markerSeq.Unlock()
	markerSeq.n++
	return fmt.Sprintf("%s=%d.%d.%d", MarkerEnv, selfPID, time.Now().UnixNano(), markerSeq.n)
}

// Tree is the processes one command started. Watch it once the command
// runs; End it once the command should be gone.
type Tree struct {
	root   int
	marker string
	every  time.Duration

	mu        sync.Mutex
	rootStart uint64         // the root's start time, which tells a reused pid apart
	members   map[int]member // descendants ever seen, by pid
	stop      chan struct{}
	done      chan struct{}
	rootGone  chan struct{} // closed when a scan finds the root exited
	goneOnce  sync.Once
	ended     bool
}

// Watch follows the descendants of the process root, started with marker
// (from NewMarker, or "" for none) in its environment, scanning /proc
// every interval (zero means 250ms) until End.
func Watch(root int, marker string, every time.Duration) *Tree {
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	t := &Tree{root: root, marker: marker, every: every, members: map[int]member{}, stop: make(chan struct{}), done: make(chan struct{}), rootGone: make(chan struct{})}
	if !supported {
		close(t.done)
		return t
	}
	t.Scan()
	go t.loop()
	return t
}

func (t *Tree) loop() {
	defer close(t.done)
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			t.Scan()
		}
	}
}

// RootExited is closed once a scan finds the root exited (a zombie or
// gone), at most a scan interval late; it never closes where trees are
// not supported. A caller waiting for os/exec's Wait, which also waits
// for the output pipes a leftover may hold, can end the tree then.
func (t *Tree) RootExited() <-chan struct{} { return t.rootGone }

// End records the tree a last time, calls first (nil for none; the
// caller ends the root there with SIGKILL to its process group, the
// root's pid), then ends what
// still runs: SIGTERM to every descendant, grace for them to exit,
// SIGKILL to the rest. It reaps those that reparented to this program
// and returns, in pid order, every descendant that ran when End was
// called. It returns within about grace plus one second.
func (t *Tree) End(grace time.Duration, first func()) []Proc {
	t.mu.Lock()
	again := t.ended
	t.ended = true
	t.mu.Unlock()
	if again || !supported {
		if first != nil {
			first()
		}
		return nil
	}
	close(t.stop)
	<-t.done
	return t.end(grace, first)
}

// truncate shortens a command line for a report.
func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

func sortProcs(ps []Proc) { sort.Slice(ps, func(i, j int) bool { return ps[i].PID < ps[j].PID }) }
