package harness_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/scenarios"
)

// faulty runs one action of the misbehaving fixture component.
func faulty(t *testing.T, function string, timeout time.Duration, env map[string]string) harness.Trace {
	t.Helper()
	needNode(t)
	c, err := harness.LoadComponent(filepath.Join("testdata", "faulty"))
	if err != nil {
		t.Fatal(err)
	}
	c.Provider, c.Function, c.Timeout, c.Env = "salesforce", function, timeout, env
	if err := c.Resolve(); err != nil {
		t.Fatalf("%v (the test set-up runs npm ci in harness/testdata/faulty; see .ci/run)", err)
	}
	sc, err := scenarios.Builtin("salesforce", "valid-token")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	tr, err := harness.Run(context.Background(), c, sc)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > timeout+15*time.Second {
		t.Errorf("the run took %v with a %v message limit", took, timeout)
	}
	return tr
}

// gone reports whether pid no longer runs (absent, or a zombie waiting
// for init to reap it).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] == "Z"
}

func TestFailurePaths(t *testing.T) {
	t.Run("hang", func(t *testing.T) {
		t.Parallel()
		tr := faulty(t, "hang", 2*time.Second, nil)
		m := tr.Messages[0]
		if m.Outcome != harness.OutcomeTimeout || !strings.Contains(m.Detail, "did not end within 2s") {
			t.Errorf("outcome %s %q, want a timeout", m.Outcome, m.Detail)
		}
		if c := tr.Containers[0]; c.Reason != "timeout" || c.Signal != "killed" {
			t.Errorf("container %+v, want killed for the timeout", c)
		}
	})
	t.Run("crash", func(t *testing.T) {
		t.Parallel()
		tr := faulty(t, "crash", 10*time.Second, nil)
		m := tr.Messages[0]
		if m.Outcome != harness.OutcomeCrash || !strings.Contains(m.Detail, "boom from a timer") {
			t.Errorf("outcome %s %q, want a crash naming the exception", m.Outcome, m.Detail)
		}
		if c := tr.Containers[0]; c.Reason != "crash" || c.ExitCode != 4 || len(c.Uncaught) != 1 {
			t.Errorf("container %+v, want a crash with exit 4 and the uncaught exception", c)
		}
	})
	t.Run("exit", func(t *testing.T) {
		t.Parallel()
		tr := faulty(t, "exit", 10*time.Second, nil)
		if m := tr.Messages[0]; m.Outcome != harness.OutcomeCrash || !strings.Contains(m.Detail, "code 7") {
			t.Errorf("outcome %s %q, want a crash with code 7", m.Outcome, m.Detail)
		}
	})
	t.Run("flood", func(t *testing.T) {
		t.Parallel()
		tr := faulty(t, "flood", 20*time.Second, nil)
		c := tr.Containers[0]
		if tr.Messages[0].Outcome != harness.OutcomeOK || c.StdoutBytes < 6<<20 || !c.Truncated || len(c.Stdout) > 300<<10 {
			t.Errorf("outcome %s, stdout %d bytes counted, %d kept, truncated %v", tr.Messages[0].Outcome, c.StdoutBytes, len(c.Stdout), c.Truncated)
		}
		if !strings.Contains(c.Stdout, "bytes left out") {
			t.Error("the gap in the output is not marked")
		}
	})
	t.Run("orphan", func(t *testing.T) {
		t.Parallel()
		pidFile := filepath.Join(t.TempDir(), "pid")
		tr := faulty(t, "orphan", 10*time.Second, map[string]string{"ORPHAN_PID_FILE": pidFile})
		if tr.Messages[0].Outcome != harness.OutcomeOK {
			t.Fatalf("outcome %s: %s", tr.Messages[0].Outcome, tr.Messages[0].Detail)
		}
		b, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(string(b))
		deadline := time.Now().Add(5 * time.Second)
		for !gone(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d the component started outlived the run", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	t.Run("foreign host", func(t *testing.T) {
		t.Parallel()
		tr := faulty(t, "foreign", 10*time.Second, nil)
		var blocked bool
		for _, n := range tr.Network {
			blocked = blocked || (n.Event == "blocked" && n.Host == "api.example.org")
		}
		if !blocked {
			t.Errorf("network %+v, want the call to api.example.org blocked and recorded", tr.Network)
		}
		if m := tr.Messages[0]; m.Outcome != harness.OutcomeError {
			t.Errorf("outcome %s, want the component's error", m.Outcome)
		}
		if !strings.Contains(tr.Containers[0].Stderr, "blocked a connection to api.example.org") {
			t.Errorf("stderr does not say loudly what was blocked: %q", tr.Containers[0].Stderr)
		}
	})
	// Both emit data and updateKeys after end without awaiting them: from
	// a timer, and from an unref'd one, which Node does not list among
	// what keeps it alive; the driver notes it, so that message too waits
	// for the emits and still settles by idle, not by the quiet window.
	for name, action := range map[string]string{"emits after end": "late", "emits after end from an unref'd timer": "lateunref"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tr := faulty(t, action, 10*time.Second, nil)
			m := tr.Messages[0]
			var late []string
			for _, e := range m.Events {
				if e.AfterEnd {
					late = append(late, e.Name)
				}
			}
			if strings.Join(late, ",") != "data,updateKeys" || len(tr.KeyUpdates) != 1 || m.Settled != harness.SettledIdle {
				t.Errorf("after end: %v, key updates %d, settled %q; want data and updateKeys waited for, then idle", late, len(tr.KeyUpdates), m.Settled)
			}
		})
	}
	t.Run("keeps a timer running", func(t *testing.T) {
		t.Parallel()
		tr := faulty(t, "ticking", 10*time.Second, nil)
		if m := tr.Messages[0]; m.Outcome != harness.OutcomeOK || m.Settled != harness.SettledQuiet {
			t.Errorf("outcome %s, settled %q; want ok after the quiet window (never idle)", m.Outcome, m.Settled)
		}
	})
}

// TestSettledByIdle: a component that leaves nothing pending settles by
// the driver's idle report in every message, also when its last exchange
// reaches the journal after that report (each message's last API call or
// updateKeys), which used to send it to the full quiet window.
func TestSettledByIdle(t *testing.T) {
	c := component(t, "ms-graph-on401")
	for _, name := range []string{"valid-token", "rotation"} {
		tr := runScenario(t, c, name)
		for _, m := range tr.Messages {
			if m.Outcome != harness.OutcomeOK || m.Settled != harness.SettledIdle {
				t.Errorf("%s message %s: outcome %s, settled %q; want ok, idle", name, m.Label, m.Outcome, m.Settled)
			}
		}
	}
}
