package cli_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/internal/cli"
)

// syncBuffer is a bytes.Buffer safe for the writers serve has at once: the
// exchange logger runs on server goroutines while os/exec copies a child's
// output into the same stream.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runTimeout bounds every command a test runs: a command that should end
// on its own but hangs fails the test instead of the whole package run.
const runTimeout = 30 * time.Second

// run runs the command line args to completion and returns its exit code,
// stdout and stderr.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runFor(t, runTimeout, args...)
}

// runFor is run with another bound, for commands that run components
// through many scenarios.
func runFor(t *testing.T, limit time.Duration, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- cli.Run(ctx, args, nil, &out, &errOut) }()
	select {
	case code = <-done:
	case <-time.After(limit + 5*time.Second):
		// The context did not stop it either; report rather than hang.
		t.Fatalf("refreshproof %s did not return\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), out.String(), errOut.String())
	}
	return code, out.String(), errOut.String()
}

func TestVersion(t *testing.T) {
	code, out, errOut := run(t, "version")
	if code != cli.ExitOK {
		t.Fatalf("exit code %d, want 0; stderr: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "refreshproof ") || !strings.HasSuffix(out, "\n") {
		t.Errorf("version printed %q, want one line starting with %q", out, "refreshproof ")
	}
}

func TestHelp(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		// Users find out about running their own test suite only from here.
		{"serve", []string{"serve", "--help"}, []string{"-- COMMAND", "--provider", "NODE_EXTRA_CA_CERTS"}},
		{"root lists commands", []string{"--help"}, []string{"serve", "scenarios", "version", "Exit codes"}},
		{"scenarios", []string{"scenarios", "--help"}, []string{"list", "show", "validate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			if code != cli.ExitOK {
				t.Fatalf("exit code %d, want 0; stderr: %s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("help does not mention %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	code, _, errOut := run(t, "sevre")
	if code != cli.ExitUsage {
		t.Errorf("exit code %d, want %d", code, cli.ExitUsage)
	}
	// Cobra's own suggestion; a user's typo should not be a dead end.
	if !strings.Contains(errOut, "serve") {
		t.Errorf("stderr does not suggest serve: %s", errOut)
	}
}
