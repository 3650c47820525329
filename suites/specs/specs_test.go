package specs

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/scenarios"
	"github.com/refreshproof/refreshproof/suites"
)

// specRuns are the real runs the suite judges: a compliant component on
// a plain expiry, and one that takes its refresh token from cfg on every
// message under Salesforce rotation with reuse detection, which fails R07
// and, as its consequence, R06 (as `refreshproof check
// examples/sf-cfg-refresh-token -s salesforce/rotation-reuse-detected`
// reports).
var specRuns = []struct{ example, provider, scenario string }{
	{"sf-query-on401", "salesforce", "expired-access-token"},
	{"sf-cfg-refresh-token", "salesforce", "rotation-reuse-detected"},
}

func exampleDir(name string) string { return filepath.Join("..", "..", "examples", name) }

// TestGinkgoChild is the suite TestGinkgoSpecs runs in a child process:
// Ginkgo allows one RunSpecs per process, and this one fails on purpose.
// It runs each scenario lazily through Config.RunScenario, with the real
// harness on the example component that the scenario belongs to.
func TestGinkgoChild(t *testing.T) {
	if os.Getenv("SUITES_GINKGO_CHILD") == "" {
		t.Skip("run by TestGinkgoSpecs")
	}
	components := map[*scenarios.Scenario]*harness.Component{}
	var list []*scenarios.Scenario
	for _, r := range specRuns {
		c, err := harness.LoadComponent(exampleDir(r.example))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Resolve(); err != nil {
			t.Fatal(err)
		}
		sc, err := scenarios.Builtin(r.provider, r.scenario)
		if err != nil {
			t.Fatal(err)
		}
		components[sc] = c
		list = append(list, sc)
	}
	Run(t, Config{
		Scenarios: list,
		RunScenario: func(ctx context.Context, sc *scenarios.Scenario) (harness.Trace, error) {
			c := components[sc]
			if c == nil {
				return harness.Trace{}, fmt.Errorf("no component for %s", sc)
			}
			ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			return harness.Run(ctx, c, sc)
		},
		Skip: []string{"secrets-stay-secret"},
	})
}

func TestGinkgoSpecs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node components; skipped with -short")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	for _, r := range specRuns {
		if _, err := os.Stat(filepath.Join(exampleDir(r.example), "node_modules")); err != nil {
			t.Skip("not installed (make deps)")
		}
	}
	report := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestGinkgoChild$", "-ginkgo.json-report="+report, "-ginkgo.no-color")
	cmd.Env = append(os.Environ(), "SUITES_GINKGO_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the suite passed, but R06 and R07 must fail:\n%s", out)
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("no report: %v\n%s", err, out)
	}
	var reports []types.Report
	if err := json.Unmarshal(raw, &reports); err != nil || len(reports) != 1 {
		t.Fatalf("report: %v (%d reports)", err, len(reports))
	}
	specs := map[string]types.SpecReport{}
	for _, s := range reports[0].SpecReports {
		if s.LeafNodeType == types.NodeTypeIt {
			specs[s.FullText()] = s
		}
	}
	if want := 2 * len(suites.Rules()); len(specs) != want {
		t.Errorf("%d specs, want %d", len(specs), want)
	}
	name := "[R05] entire-update-keys: hands the platform the entire token response after each refresh (salesforce/expired-access-token)"
	s, ok := specs[name]
	if !ok {
		t.Fatalf("no spec %q\n%s", name, out)
	}
	if s.State != types.SpecStatePassed || !slices.Contains(s.Labels(), "R05") || !slices.Contains(s.Labels(), "entire-update-keys") || !slices.Contains(s.Labels(), "salesforce") {
		t.Errorf("%s: state %s, labels %v", name, s.State, s.Labels())
	}
	var failed []string
	for n, s := range specs {
		switch {
		case s.State == types.SpecStateFailed:
			failed = append(failed, n)
			if !strings.Contains(s.Failure.Message, "never updates cfg") || !strings.Contains(s.Failure.Message, "See https://") {
				t.Errorf("%s: failure message lacks the explanation:\n%s", n, s.Failure.Message)
			}
			// R07 is the root cause; R06 fails as its consequence and says so.
			if strings.HasPrefix(n, "[R06]") && !strings.Contains(s.Failure.Message, "as a consequence of R07") {
				t.Errorf("%s: not linked to its cause R07:\n%s", n, s.Failure.Message)
			}
		case strings.HasPrefix(n, "[R14]"):
			if s.State != types.SpecStateSkipped || !strings.Contains(s.Failure.Message, "skipped by configuration") {
				t.Errorf("%s: %s %q, want skipped by configuration", n, s.State, s.Failure.Message)
			}
		case strings.HasPrefix(n, "[R17]"):
			if s.State != types.SpecStateSkipped || !strings.Contains(s.Failure.Message, "does not apply to strategy on-401") {
				t.Errorf("%s: %s %q", n, s.State, s.Failure.Message)
			}
		}
	}
	want := []string{
		"[R06] credentials-survive: leaves the account's stored keys with a refresh token the provider still accepts (salesforce/rotation-reuse-detected)",
		"[R07] uses-rotated-refresh-token: refreshes with the newest refresh token, never a rotated-out one (salesforce/rotation-reuse-detected)",
	}
	slices.Sort(failed)
	if !slices.Equal(failed, want) {
		t.Errorf("failed specs %q, want %q\n%s", failed, want, out)
	}
}
