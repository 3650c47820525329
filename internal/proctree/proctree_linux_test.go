//go:build linux

package proctree

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// uniqueSleep is a sleep argument no other process on the machine has, so
// a /proc scan finds exactly the processes a test started.
func uniqueSleep() string { return fmt.Sprintf("600.%06d", rand.IntN(1000000)) }

// runningWith lists the pids of live sleep processes with argument s.
func runningWith(s string) []int {
	var out []int
	for _, st := range allStats() {
		if st.state == 'Z' || st.pid == selfPID {
			continue
		}
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", st.pid))
		if string(b) == "sleep\x00"+s+"\x00" {
			out = append(out, st.pid)
		}
	}
	return out
}

// start runs script, in which %[1]s is arg, with marker in its
// environment. Whatever sleep arg a failing test leaves goes with it.
func start(t *testing.T, marker, arg, script string) *exec.Cmd {
	t.Helper()
	t.Cleanup(func() {
		for _, pid := range runningWith(arg) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	cmd := exec.Command("sh", "-c", fmt.Sprintf(script, arg))
	cmd.Env = append(os.Environ(), marker)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTreeEndsEscapedDescendants(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, script, signal string
		rootExits            bool // the root has exited before End
		noMarker             bool
	}{
		// setsid leaves the group and the session; its parent then exits,
		// so it reparents to this program and only the marker or an
		// earlier scan still ties it to the tree.
		{name: "setsid orphan", script: "setsid sleep %s </dev/null >/dev/null 2>&1 & exit 0", signal: "terminated", rootExits: true},
		{name: "setsid orphan without marker", script: "setsid sleep %s </dev/null >/dev/null 2>&1 & sleep 0.6; exit 0", signal: "terminated", rootExits: true, noMarker: true},
		{name: "ignores SIGTERM", script: "(trap '' TERM; exec sleep %s) & wait", signal: "killed"},
		{name: "grandchild of a live child", script: "sh -c 'setsid sleep %s & wait' & wait", signal: "terminated"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			arg := uniqueSleep()
			marker := NewMarker()
			cmd := start(t, marker, arg, tt.script)
			if tt.noMarker {
				marker = ""
			}
			tree := Watch(cmd.Process.Pid, marker, 50*time.Millisecond)
			waitFor(t, "the sleep to start", func() bool { return len(runningWith(arg)) == 1 })
			pid := runningWith(arg)[0]
			waited := make(chan struct{})
			go func() { _ = cmd.Wait(); close(waited) }()
			if tt.rootExits {
				<-waited
				select {
				case <-tree.RootExited():
				case <-time.After(time.Second):
					t.Error("RootExited did not close within a second of the root's exit")
				}
			} else {
				_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			}
			began := time.Now()
			ended := tree.End(300*time.Millisecond, nil)
			if took := time.Since(began); took > 2*time.Second {
				t.Errorf("End took %v", took)
			}
			<-waited
			var found *Proc
			for i := range ended {
				if ended[i].PID == pid {
					found = &ended[i]
				}
			}
			if found == nil || !strings.Contains(found.Command, "sleep "+arg) || found.Signal != tt.signal {
				t.Errorf("ended %v, want pid %d (sleep %s) %s", ended, pid, arg, tt.signal)
			}
			if left := runningWith(arg); len(left) > 0 {
				t.Errorf("still running: %v", left)
			}
			if s, ok := readStat(pid); ok && s.ppid == selfPID {
				t.Errorf("pid %d left as this program's child (state %c)", pid, s.state)
			}
		})
	}
}

func TestTreeLeavesOthersAlone(t *testing.T) {
	t.Parallel()
	// Two trees side by side, as parallel containers: ending one ends
	// only its own processes, although both orphans reparent here.
	argA, argB := uniqueSleep(), uniqueSleep()
	ma, mb := NewMarker(), NewMarker()
	a := start(t, ma, argA, "setsid sleep %s >/dev/null 2>&1 & exit 0")
	b := start(t, mb, argB, "setsid sleep %s >/dev/null 2>&1 & exit 0")
	ta, tb := Watch(a.Process.Pid, ma, 0), Watch(b.Process.Pid, mb, 0)
	_ = a.Wait()
	_ = b.Wait()
	waitFor(t, "both sleeps", func() bool { return len(runningWith(argA)) == 1 && len(runningWith(argB)) == 1 })
	if ended := ta.End(time.Second, nil); len(ended) != 1 || !strings.Contains(ended[0].Command, argA) {
		t.Errorf("tree A ended %v, want its sleep only", ended)
	}
	if len(runningWith(argB)) != 1 {
		t.Error("ending tree A ended B's process")
	}
	if ended := tb.End(time.Second, nil); len(ended) != 1 || !strings.Contains(ended[0].Command, argB) {
		t.Errorf("tree B ended %v, want its sleep only", ended)
	}
	if ended := tb.End(time.Second, nil); ended != nil {
		t.Errorf("a second End ended %v", ended)
	}
}

func TestTreeReportsWhatTheGroupKillEnded(t *testing.T) {
	t.Parallel()
	arg := uniqueSleep()
	marker := NewMarker()
	cmd := start(t, marker, arg, "sleep %s & wait")
	tree := Watch(cmd.Process.Pid, marker, 0)
	waitFor(t, "the sleep to start", func() bool { return len(runningWith(arg)) == 1 })
	ended := tree.End(time.Second, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	_ = cmd.Wait()
	if len(ended) != 1 || ended[0].Command != "sleep "+arg || ended[0].Signal != GroupKilled {
		t.Errorf("ended %v, want the sleep, %s", ended, GroupKilled)
	}
	if left := runningWith(arg); len(left) > 0 {
		t.Errorf("still running: %v", left)
	}
}
