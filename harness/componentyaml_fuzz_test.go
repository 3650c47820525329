package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigProblemOnOneLine: a scalar with a tag of its own is quoted
// raw in the "must be a mapping" problem; its line breaks must not start
// lines that read as problems without a position (FuzzComponentYAML's
// testdata/fuzz/FuzzComponentYAML/tagged-multiline-scalar).
func TestConfigProblemOnOneLine(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte("\n\n!000 00000\n\n000"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadComponent(dir)
	se, ok := err.(*SetupError)
	if !ok {
		t.Fatalf("got %v, want a *SetupError", err)
	}
	if strings.Contains(se.Problem, "\n") || !strings.Contains(se.Problem, `00000\n000`) {
		t.Errorf("problem %q: want one line, the break shown as \\n", se.Problem)
	}
}
