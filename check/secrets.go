package check

import (
	"fmt"
	"strings"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

// ForStrategy keeps the scenarios written for components of strategy s:
// the Secrets-mode scenarios (those with a secrets block) for
// platform-secrets, the others for every other strategy. A component of
// one generation cannot be judged on a scenario of the other: its step
// configuration has no token response, or no secret.
func ForStrategy(list []*scenarios.Scenario, s harness.Strategy) []*scenarios.Scenario {
	secrets := s == harness.StrategyPlatformSecrets
	var out []*scenarios.Scenario
	for _, sc := range list {
		if (sc.Secrets != nil) == secrets {
			out = append(out, sc)
		}
	}
	return out
}

// readsSecrets tells whether the component called the platform's Secrets
// service in trace tr, which shows a Secrets-mode component.
func readsSecrets(tr harness.Trace) bool {
	for _, e := range tr.Journal {
		if e.Kind == mockprovider.KindPlatform && strings.HasPrefix(e.Path, "/v2/workspaces/") && strings.Contains(e.Path, "/secrets/") {
			return true
		}
	}
	return false
}

// secretsHint is the reason given when a component judged as
// self-refreshing called the Secrets service.
func secretsHint(tr harness.Trace) string {
	return fmt.Sprintf("the component called the platform's Secrets service (GET or POST /v2/workspaces/{id}/secrets/{id}), so its tokens are the platform's to refresh: judge it with --strategy %s (or strategy: %s in refreshproof.yaml)",
		harness.StrategyPlatformSecrets, harness.StrategyPlatformSecrets)
}
