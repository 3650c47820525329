package check_test

import (
	"context"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/check"
	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/scenarios"
)

func TestForStrategy(t *testing.T) {
	all := scenarios.Catalogue()
	secrets := check.ForStrategy(all, harness.StrategyPlatformSecrets)
	classic := check.ForStrategy(all, harness.StrategyOn401)
	if len(secrets) == 0 || len(classic) == 0 || len(secrets)+len(classic) != len(all) {
		t.Fatalf("%d Secrets-mode and %d classic scenarios of %d", len(secrets), len(classic), len(all))
	}
	for _, sc := range secrets {
		if sc.Secrets == nil || !strings.Contains(strings.Join(sc.Labels, ","), "secrets") {
			t.Errorf("%s: selected for platform-secrets without a secrets block and label", sc)
		}
	}
	for _, sc := range classic {
		if sc.Secrets != nil {
			t.Errorf("%s: a Secrets-mode scenario selected for on-401", sc)
		}
	}
}

// TestSecretsComponentJudgedClassic: a Secrets-mode component checked
// as self-refreshing reads a secret the classic scenario does not have;
// nothing is judged, and the reason names the strategy to use.
func TestSecretsComponentJudgedClassic(t *testing.T) {
	c := component(t, "sf-secrets-query")
	c.Strategy = harness.StrategyOn401
	sc, err := scenarios.Builtin("salesforce", "valid-token")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := check.Run(context.Background(), check.Options{Component: c, Scenarios: []*scenarios.Scenario{sc}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.NotExercised) != 1 || !strings.Contains(rec.NotExercised[0].Error, "--strategy platform-secrets") {
		t.Errorf("not exercised: %+v, want the hint to use --strategy platform-secrets", rec.NotExercised)
	}
	if _, err := check.Run(context.Background(), check.Options{Component: c, Scenarios: check.ForStrategy(scenarios.Catalogue(), harness.StrategyPlatformSecrets)}); err == nil || !strings.Contains(err.Error(), "--strategy platform-secrets") {
		t.Errorf("Secrets-mode scenarios for an on-401 component: %v", err)
	}
}
