package cli_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/internal/cli"
)

func TestRunComponent(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	example := filepath.Join("..", "..", "examples", "ms-graph-on401")
	if _, err := os.Stat(filepath.Join(example, "node_modules")); err != nil {
		t.Skip("examples not installed (make deps)")
	}
	traces := t.TempDir()
	code, out, errOut := run(t, "run", example, "--scenarios", "expired-access-token,valid-token", "--trace-dir", traces)
	if code != cli.ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "expired-access-token") || !strings.Contains(out, "1 refresh, 1 updateKeys") {
		t.Errorf("summary:\n%s", out)
	}
	b, err := os.ReadFile(filepath.Join(traces, "microsoft-expired-access-token.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr harness.Trace
	if err := json.Unmarshal(b, &tr); err != nil || tr.Version != harness.TraceVersion || !tr.Redacted || len(tr.Messages) != 1 {
		t.Fatalf("trace: %v version=%d redacted=%v messages=%d", err, tr.Version, tr.Redacted, len(tr.Messages))
	}
	// With --reveal the trace holds live secrets: only its owner may read
	// it, also when it replaces a file others could read.
	revealed := t.TempDir()
	if err := os.WriteFile(filepath.Join(revealed, "microsoft-valid-token.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "run", example, "--scenarios", "valid-token", "--reveal", "--trace-dir", revealed); code != cli.ExitOK {
		t.Fatalf("--reveal: exit %d\n%s\n%s", code, out, errOut)
	}
	if st, err := os.Stat(filepath.Join(revealed, "microsoft-valid-token.json")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("a revealed trace: %v, mode %v, want 0600", err, st.Mode().Perm())
	}
}

func TestRunSetupErrors(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	bare := t.TempDir()
	noSailor := t.TempDir()
	_ = os.WriteFile(filepath.Join(noSailor, "component.json"), []byte(`{"actions":{"listMessages":{"main":"./a.js"}}}`), 0o644)
	_ = os.WriteFile(filepath.Join(noSailor, "a.js"), []byte(`exports.process = async () => ({})`), 0o644)
	example := filepath.Join("..", "..", "examples", "ms-graph-on401")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not a component", []string{"run", bare}, "holds no component.json"},
		{"no sailor", []string{"run", noSailor, "--provider", "microsoft"}, "npm ci"},
		{"no provider", []string{"run", noSailor}, "no provider given"},
		{"unknown action", []string{"run", example, "--action", "listMesages"}, `did you mean "listMessages"`},
		{"unknown scenario", []string{"run", example, "--scenarios", "expired-acess-token"}, "did you mean"},
		{"bad strategy", []string{"run", example, "--strategy", "sometimes"}, "unknown strategy"},
		{"bad body", []string{"run", example, "--body", "[1]"}, "--body must be a JSON object"},
		{"bad keys policy", []string{"run", example, "--keys-policy", "merge"}, "unknown keys policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			if code != cli.ExitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q (want 2 and %q); stdout %q", code, errOut, tc.want, out)
			}
		})
	}
}
