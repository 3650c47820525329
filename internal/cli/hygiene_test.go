package cli_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/internal/cli"
)

// leftoverSleep returns a sleep argument no other process has, and kills
// whatever sleep with it a failing test leaves.
func leftoverSleep(t *testing.T) string {
	arg := fmt.Sprintf("600.%06d", rand.IntN(1000000))
	t.Cleanup(func() {
		for _, pid := range sleepsWith(arg) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return arg
}

// sleepsWith lists the live sleep processes whose argument is arg,
// whoever their parent is by then.
func sleepsWith(arg string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && string(b) == "sleep\x00"+arg+"\x00" && !processGone(pid) {
			out = append(out, pid)
		}
	}
	return out
}

func needProc(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
}

// A process the command started in its own session (out of its process
// group) holding serve's stdout neither keeps serve waiting nor outlives
// it, and serve names it.
func TestServeCommandEndsSetsidProcesses(t *testing.T) {
	t.Parallel()
	needProc(t)
	arg := leftoverSleep(t)
	start := time.Now()
	code, _, stderr := run(t, "serve", "--provider", "salesforce", "--quiet", "--", "sh", "-c", "setsid sleep "+arg+" & exit 0")
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("serve took %v to return", took)
	}
	if code != cli.ExitOK {
		t.Errorf("exit code %d, want the command's 0; stderr:\n%s", code, stderr)
	}
	if left := sleepsWith(arg); len(left) > 0 {
		t.Errorf("sleep %s still runs after serve returned: %v", arg, left)
	}
	// The command line is the one last seen: a scan can catch the process
	// while it is still setsid, before it execs sleep.
	if !strings.Contains(stderr, "sleep "+arg) || !strings.Contains(stderr, "ended it") {
		t.Errorf("stderr does not name the process ended:\n%s", stderr)
	}
}

// Cancelling serve (Ctrl-C) ends what escaped the group too.
func TestServeCancelEndsSetsidProcesses(t *testing.T) {
	t.Parallel()
	needProc(t)
	arg := leftoverSleep(t)
	s := startServe(t, "--provider", "salesforce", "--quiet", "--", "sh", "-c", "setsid sh -c 'echo ready; exec sleep "+arg+"' & sleep 30")
	line, err := s.lines.ReadString('\n')
	if line == "\n" {
		line, err = s.lines.ReadString('\n')
	}
	if err != nil || line != "ready\n" {
		t.Fatalf("child printed %q, %v; want ready\nstderr:\n%s", line, err, s.stderr.String())
	}
	for deadline := time.Now().Add(5 * time.Second); len(sleepsWith(arg)) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the setsid sleep did not start")
		}
	}
	start := time.Now()
	s.stop(t)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("serve took %v to stop", took)
	}
	if left := sleepsWith(arg); len(left) > 0 {
		t.Errorf("sleep %s still runs after serve stopped: %v", arg, left)
	}
}

// faultyComponent is a copy of the harness's misbehaving fixture
// component (its node_modules linked) whose refreshproof.yaml runs its
// detached action with env.
func faultyComponent(t *testing.T, env map[string]string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a node component; skipped with -short")
	}
	src, err := filepath.Abs(filepath.Join("..", "..", "harness", "testdata", "faulty"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []string{"component.json", "package.json", "lib", "node_modules"} {
		if err := os.Symlink(filepath.Join(src, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	b.WriteString("provider: salesforce\nfunction: detached\nenv:\n")
	for k, v := range env {
		fmt.Fprintf(&b, "  %s: %q\n", k, v)
	}
	if err := os.WriteFile(filepath.Join(dir, "refreshproof.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// check and run end a setsid'd process holding the component's stdout at
// once, and say so; the verdict is the rules' own.
func TestCheckEndsSetsidProcesses(t *testing.T) {
	t.Parallel()
	needProc(t)
	arg := leftoverSleep(t)
	start := time.Now()
	code, out, stderr := run(t, "check", faultyComponent(t, map[string]string{"LEFTOVER_SLEEP": arg}), "-s", "valid-token")
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("check took %v", took)
	}
	// The fixture calls no API, so nothing is judged (exit 2); a leftover
	// is a warning of the harness, never a rule's failure.
	if code != cli.ExitUsage || strings.Contains(out, "--- FAIL") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	if left := sleepsWith(arg); len(left) > 0 {
		t.Errorf("sleep %s still runs after check returned: %v", arg, left)
	}
	if !strings.Contains(out, "warning: the component left 1 process running in salesforce/valid-token; refreshproof ended it:") || !strings.Contains(out, "(sleep "+arg+"), terminated") {
		t.Errorf("the summary does not name the process ended:\n%s", out)
	}

	arg = leftoverSleep(t)
	code, out, stderr = run(t, "run", faultyComponent(t, map[string]string{"LEFTOVER_SLEEP": arg}), "-s", "valid-token")
	if code != cli.ExitOK || !strings.Contains(out, "1 leftover process ended") {
		t.Errorf("run: exit %d, want 0 and the leftover counted\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	if left := sleepsWith(arg); len(left) > 0 {
		t.Errorf("sleep %s still runs after run returned: %v", arg, left)
	}
}

// Ctrl-C during a message ends the component and what it left, at once.
func TestCheckInterruptEndsSetsidProcesses(t *testing.T) {
	t.Parallel()
	needProc(t)
	arg := leftoverSleep(t)
	dir := faultyComponent(t, map[string]string{"LEFTOVER_SLEEP": arg, "LEFTOVER_HANG": "1"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"check", dir, "-s", "valid-token", "--timeout", "60s"}, nil, &out, &errOut)
	}()
	for deadline := time.Now().Add(20 * time.Second); len(sleepsWith(arg)) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the setsid sleep did not start\nstderr:\n%s", errOut.String())
		}
	}
	start := time.Now()
	cancel()
	select {
	case code := <-done:
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("check took %v to return after the interrupt", took)
		}
		if code != cli.ExitUsage || !strings.Contains(errOut.String(), "interrupted") {
			t.Errorf("exit %d, want %d interrupted\nstderr:\n%s", code, cli.ExitUsage, errOut.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("check did not return within 20 s of the interrupt\nstderr:\n%s", errOut.String())
	}
	if left := sleepsWith(arg); len(left) > 0 {
		t.Errorf("sleep %s still runs after check returned: %v", arg, left)
	}
}
