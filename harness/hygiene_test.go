package harness_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sleepsWith lists the live sleep processes whose argument is arg: a
// unique argument finds exactly those a test started, whoever their
// parent is by then.
func sleepsWith(arg string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && string(b) == "sleep\x00"+arg+"\x00" && !gone(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// TestLeftoversEnded: a process the component left behind, also one in
// its own session holding the component's stdout, or one that ignores
// SIGTERM, neither holds the run up nor outlives it, and the trace names
// it; the message's outcome is the component's own.
func TestLeftoversEnded(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	for _, tt := range []struct{ function, signal string }{
		{"detached", "terminated"},
		{"stubborn", "killed with the process group"},
	} {
		t.Run(tt.function, func(t *testing.T) {
			t.Parallel()
			arg := fmt.Sprintf("600.%06d", rand.IntN(1000000))
			t.Cleanup(func() {
				for _, pid := range sleepsWith(arg) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			start := time.Now()
			tr := faulty(t, tt.function, 10*time.Second, map[string]string{"LEFTOVER_SLEEP": arg})
			// The message ends at once; the stop's grace, the tree's and
			// the output wait are a few seconds at most.
			if took := time.Since(start); took > 12*time.Second {
				t.Errorf("the run took %v", took)
			}
			if m := tr.Messages[0]; m.Outcome != "ok" {
				t.Errorf("outcome %s %q, want the component's own ok", m.Outcome, m.Detail)
			}
			if left := sleepsWith(arg); len(left) > 0 {
				t.Errorf("sleep %s still runs after the run: %v", arg, left)
			}
			var found bool
			for _, l := range tr.Containers[0].Leftovers {
				found = found || (l.Command == "sleep "+arg && l.Signal == tt.signal)
			}
			if !found {
				t.Errorf("leftovers %v, want sleep %s %s", tr.Containers[0].Leftovers, arg, tt.signal)
			}
			for _, p := range tr.Problems {
				if strings.Contains(p, "event pipe stayed open") {
					t.Errorf("problem: %s", p)
				}
			}
		})
	}
}
