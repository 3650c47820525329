package cli_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDepsNoTestFramework keeps Ginkgo and Gomega (and go-cmp, a test
// library too, which R05's message used for its diff until 2026-12-03:
// 0.4 MB and 0.6 ms of start-up) out of the CLI binary.
// They came in once through the suites package's Ginkgo entry points (now
// suites/specs), which the CLI never calls, and cost the binary about
// 4 MB (22.7 MB against 18.6 MB) and start-up time and idle memory, on
// every platform the npm package ships. An import of suites/specs, or of
// Ginkgo's reporters for JUnit, from any package the CLI links would bring
// them back; this test names the path that did.
func TestDepsNoTestFramework(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	const cmd = "github.com/refreshproof/refreshproof/cmd/refreshproof"
	// The platforms npmpack builds for, with cgo off as it builds them: a
	// file with a build constraint can import a package on one only.
	for _, p := range []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64"} {
		goos, goarch, _ := strings.Cut(p, "/")
		list := exec.Command(goTool, "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, cmd)
		list.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
		out, err := list.Output()
		if err != nil {
			msg := ""
			if ee, ok := err.(*exec.ExitError); ok {
				msg = string(ee.Stderr)
			}
			t.Fatalf("%s: go list -deps %s: %v\n%s", p, cmd, err, msg)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			pkg, imports, _ := strings.Cut(line, " ")
			for _, imp := range strings.Fields(imports) {
				if framework(imp) && !framework(pkg) {
					t.Errorf("%s: %s imports %s, which links a test framework into the CLI", p, pkg, imp)
				}
			}
		}
	}
}

func framework(pkg string) bool {
	return strings.HasPrefix(pkg, "github.com/onsi/ginkgo") || strings.HasPrefix(pkg, "github.com/onsi/gomega") ||
		strings.HasPrefix(pkg, "github.com/google/go-cmp") ||
		pkg == "github.com/refreshproof/refreshproof/suites/specs"
}
