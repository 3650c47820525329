package suites

import (
	"context"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/scenarios"
)

// exampleCases lists, for each example component, the scenarios that
// show its behaviour and its exact verdicts on them (see TestExamples).
// The compliant examples fail none. Token-endpoint timeouts are left out
// to keep the test fast (each takes 10–30 s).
var exampleCases = []struct {
	dir       string
	scenarios []string
	failed    []string
}{
	{"ms-graph-on401", []string{"valid-token", "expired-access-token", "concurrent-401", "repeated-401", "refresh-rejected-aadsts50173",
		"token-endpoint-unavailable-then-success", "malformed-token-response-html", "api-forbidden", "api-throttled-429", "rotation"}, nil},
	{"ms-graph-every-call", []string{"valid-token", "expired-access-token", "concurrent-401", "repeated-401", "refresh-rejected-aadsts50173",
		"api-forbidden", "rotation"}, nil},
	{"sf-query-on401", []string{"valid-token", "expired-access-token", "concurrent-401", "repeated-401", "refresh-rejected-invalid-grant",
		"rotation-reuse-detected", "instance-url-moved", "refresh-token-omitted", "api-forbidden", "malformed-token-response-missing-id"}, nil},
	{"sf-drops-refresh-token", []string{"expired-access-token", "refresh-token-omitted"}, []string{"R06"}},
	{"ms-emits-access-token-only", []string{"valid-token", "expired-access-token"}, []string{"R05", "R06<R05"}},
	{"ms-retries-twice", []string{"expired-access-token", "repeated-401"}, []string{"R08"}},
	{"sf-loops-on-401", []string{"expired-access-token", "repeated-401"}, []string{"R08"}},
	{"ms-swallows-refresh-failure", []string{"expired-access-token", "refresh-rejected-aadsts70008"}, []string{"R09"}},
	{"sf-refreshes-on-403", []string{"expired-access-token", "api-forbidden"}, []string{"R11"}},
	{"ms-logs-token", []string{"valid-token", "expired-access-token"}, []string{"R14"}},
	{"sf-cfg-refresh-token", []string{"expired-access-token", "rotation-reuse-detected"}, []string{"R06<R07", "R07"}},
	{"ms-unbound-emit", []string{"expired-access-token"}, []string{"R05", "warn:R06<R05"}},
}

// TestExamples runs the example components through their scenarios with
// the real harness and checks the exact verdicts of each: the rules that
// failed as a root cause ("R05"), those that failed as a consequence of
// another ("R06<R05"), and the warnings ("warn:R06<R05").
func TestExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node components; skipped with -short")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	for _, ex := range exampleCases {
		t.Run(ex.dir, func(t *testing.T) {
			c, err := harness.LoadComponent(filepath.Join("..", "examples", ex.dir))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Resolve(); err != nil {
				t.Fatal(err)
			}
			var list []*scenarios.Scenario
			for _, name := range ex.scenarios {
				sc, err := scenarios.Builtin(c.Provider, name)
				if err != nil {
					t.Fatal(err)
				}
				list = append(list, sc)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			failed := map[string]bool{}
			for _, res := range (harness.Runner{}).RunAll(ctx, c, list, nil) {
				if res.Err != nil {
					t.Fatalf("%s: %v", res.Scenario, res.Err)
				}
				var ids []string
				for _, v := range Judge(res.Trace, c.Strategy) {
					id := v.Rule
					if v.CausedBy != "" {
						id += "<" + v.CausedBy
					}
					switch v.Status {
					case Failed:
					case Warned:
						id = "warn:" + id
					default:
						continue
					}
					failed[id] = true
					ids = append(ids, id)
					t.Logf("%s\n", v.Message())
				}
				t.Logf("%s: failed %v", res.Scenario, ids)
			}
			var got []string
			for id := range failed {
				got = append(got, id)
			}
			sort.Strings(got)
			if diff := cmp.Diff(ex.failed, got, cmp.Transformer("empty", func(s []string) string { return strings.Join(s, ",") })); diff != "" {
				t.Errorf("failed rules of %s (-want +got):\n%s", ex.dir, diff)
			}
		})
	}
}
