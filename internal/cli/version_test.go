package cli_test

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/internal/cli"
)

func TestVersionJSON(t *testing.T) {
	code, out, errOut := run(t, "version", "-o", "json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var b cli.BuildInfo
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	want := cli.Build()
	if b != want {
		t.Errorf("printed %+v, want %+v", b, want)
	}
	if b.Version == "" || !strings.HasPrefix(b.GoVersion, "go") || b.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("incomplete build info %+v", b)
	}
	code, out, _ = run(t, "version")
	if code != cli.ExitOK || !strings.Contains(out, b.Version) || !strings.Contains(out, b.GoVersion) {
		t.Errorf("text version %q lacks %s or %s", out, b.Version, b.GoVersion)
	}
	if code, _, errOut := run(t, "version", "-o", "yaml"); code != cli.ExitUsage || !strings.Contains(errOut, "text or json") {
		t.Errorf("-o yaml: exit %d, %s", code, errOut)
	}
}
