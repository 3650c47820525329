package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

// Platform is the mock elastic.io platform API of one scenario, for use
// in process without a component process: tests that record traces
// against the real mocks send it the requests a component would. It
// journals into the provider's journal, as in a run.
type Platform struct {
	pl *platform
}

// NewPlatform returns the mock platform for scenario sc over provider p
// (built from the same scenario), with the account's keys holding the
// sign-in token response under credentialField ("oauth" when empty) and,
// for a Secrets-mode scenario, the secret.
func NewPlatform(p *mockprovider.Provider, sc *scenarios.Scenario, credentialField string) (*Platform, error) {
	if credentialField == "" {
		credentialField = "oauth"
	}
	gr, ok := p.Dialect().(mockprovider.GrantResponder)
	if !ok {
		return nil, fmt.Errorf("harness: the %s dialect cannot render a sign-in token response", p.Dialect().Name())
	}
	signIn, err := gr.GrantResponse(p, p.Initial())
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(signIn, &obj); err != nil {
		return nil, fmt.Errorf("harness: sign-in response: %w", err)
	}
	pl := &platform{
		flowID: flowID, stepID: stepID, accountID: accountID, user: apiUser, key: p.Random(32),
		policy: KeysReplace, journal: p.Journal(), clock: p.Clock(), message: -1,
		keys: map[string]any{credentialField: obj},
	}
	if sc.Secrets != nil {
		pl.enableSecrets(p, sc.Secrets, obj, credentialField)
	}
	return &Platform{pl: pl}, nil
}

// ServeHTTP answers one platform API request.
func (x *Platform) ServeHTTP(w http.ResponseWriter, r *http.Request) { x.pl.ServeHTTP(w, r) }

// Credentials are the API user and key the platform accepts (the task's
// ELASTICIO_API_USERNAME and ELASTICIO_API_KEY).
func (x *Platform) Credentials() (user, key string) { return x.pl.user, x.pl.key }

// SecretPath is the path of the scenario's secret; see SecretPath.
func (x *Platform) SecretPath() string { return SecretPath() }

// StepConfig is the cfg a container of the step starts with.
func (x *Platform) StepConfig() map[string]any { return x.pl.stepConfig() }

// ClockAdvanced runs what the platform does when the scenario's clock
// has moved on: the Secrets service's background refresh when it is due.
func (x *Platform) ClockAdvanced(ctx context.Context) { x.pl.clockAdvanced(ctx) }

// SetMessage tells the platform which message is running (-1: none), for
// the updateKeys it records.
func (x *Platform) SetMessage(i int) { x.pl.setMessage(i) }

// Keys returns the account's stored keys, and KeyUpdates the updateKeys
// bodies received.
func (x *Platform) Keys() json.RawMessage   { return x.pl.currentKeys() }
func (x *Platform) KeyUpdates() []KeyUpdate { return x.pl.keyUpdates() }
