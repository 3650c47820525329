package suites

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshproof/refreshproof/harness"
)

// ginkgoTraces are two synthetic runs: a conforming one and the frozen
// cfg under Salesforce rotation, which fails R06 and R07.
func ginkgoTraces() []harness.Trace {
	good := conforming(sf).build()
	good.Scenario.Name = "expired-access-token"
	good.Scenario.Labels = []string{"expiry", "refresh"}
	bad := cfgFrozen().build()
	bad.Scenario.Name = "rotation-reuse-detected"
	bad.Scenario.Labels = []string{"rotation", "reuse-detection"}
	return []harness.Trace{good, bad}
}

// TestGinkgoChild is the suite TestGinkgoSpecs runs in a child process:
// Ginkgo allows one RunSpecs per process, and this one fails on purpose.
func TestGinkgoChild(t *testing.T) {
	if os.Getenv("SUITES_GINKGO_CHILD") == "" {
		t.Skip("run by TestGinkgoSpecs")
	}
	Run(t, Config{Traces: ginkgoTraces(), Skip: []string{"secrets-stay-secret"}})
}

func TestGinkgoSpecs(t *testing.T) {
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
	if want := 2 * len(Rules()); len(specs) != want {
		t.Errorf("%d specs, want %d", len(specs), want)
	}
	name := "[R05] entire-update-keys: hands the platform the entire token response after each refresh (salesforce/expired-access-token)"
	s, ok := specs[name]
	if !ok {
		t.Fatalf("no spec %q", name)
	}
	if s.State != types.SpecStatePassed || !contains(s.Labels(), "R05") || !contains(s.Labels(), "entire-update-keys") || !contains(s.Labels(), "salesforce") {
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
	for _, w := range want {
		if !contains(failed, w) {
			t.Errorf("spec %q did not fail; failed: %v", w, failed)
		}
	}
	if len(failed) != len(want) {
		t.Errorf("failed specs %v, want %v", failed, want)
	}
}
