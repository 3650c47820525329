package check

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// readsSecrets tells whether trace tr shows a Secrets-mode component: it
// called the platform's Secrets service, or its component.json declares
// the oauth2 auth-client type (authClientTypes), which is how a component
// asks for a Secrets credential.
func readsSecrets(tr harness.Trace) bool {
	if declaresAuthClient(tr.Component.Dir) {
		return true
	}
	for _, e := range tr.Journal {
		if e.Kind == mockprovider.KindPlatform && strings.HasPrefix(e.Path, "/v2/workspaces/") && strings.Contains(e.Path, "/secrets/") {
			return true
		}
	}
	return false
}

func declaresAuthClient(dir string) bool {
	if dir == "" {
		return false
	}
	raw, err := os.ReadFile(filepath.Join(dir, "component.json"))
	if err != nil {
		return false
	}
	var desc struct {
		AuthClientTypes []string `json:"authClientTypes"`
	}
	return json.Unmarshal(raw, &desc) == nil && slices.Contains(desc.AuthClientTypes, "oauth2")
}

// secretsHint is the reason given when a component judged as
// self-refreshing called the Secrets service.
func secretsHint() string {
	return fmt.Sprintf("the component uses the platform's Secrets service (its component.json declares authClientTypes oauth2, or it called /v2/workspaces/{id}/secrets/{id}), so its tokens are the platform's to refresh: judge it with --strategy %s (or strategy: %s in refreshproof.yaml)",
		harness.StrategyPlatformSecrets, harness.StrategyPlatformSecrets)
}

// StrategyHint returns a sentence for the user when component c looks
// like a Secrets-mode component (its component.json declares
// authClientTypes oauth2) but is judged with another strategy, and ""
// otherwise. Such a component may still run on the classic scenarios
// (outlook falls back to cfg.oauth), so a run that exercised it does not
// tell by itself.
func StrategyHint(c *harness.Component) string {
	if c.Strategy == harness.StrategyPlatformSecrets || !declaresAuthClient(c.Dir) {
		return ""
	}
	return "note: " + secretsHint()
}
