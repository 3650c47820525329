// Package scenarios holds the scenario model of refreshproof: what a
// component under test must survive, written in YAML, loaded strictly
// with line and column in every error, and compiled to the mock
// provider's dialect and configuration. It also embeds the built-in
// catalogue (Catalogue, Builtin) and selects scenarios by name and by a
// label filter (Select).
//
// A scenario file looks like this (schema.json in this directory describes
// every field for editors):
//
//	name: rotation
//	description: Refresh tokens rotate with reuse detection.
//	provider: salesforce
//	labels: [rotation, restart]
//	credentials:
//	  accessToken: expired
//	tokens:
//	  rotation: reuse-detection
//	rules:
//	  - name: first-refresh-fails
//	    match: {endpoint: refresh, nth: 1}
//	    respond: {error: invalid_grant}
//	    once: true
//	steps:
//	  - message: {body: {query: "SELECT Id FROM Account"}}
//	  - advance: 3h
//	  - restart: true
//	  - message: {}
//
// Message bodies are what the component's action receives as msg.body.
// The catalogue uses bodies a typical action takes (a SOQL query for
// Salesforce, a Graph resource and page size for Microsoft); a component
// ignores fields it does not use. By convention "concurrency": N asks a
// component that supports it to make N API calls in parallel.
//
// Durations are Go durations ("2h", "90m") and may start with whole days
// ("90d", "1d12h"); see ParseDuration.
package scenarios

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// Providers lists the provider names a scenario can name.
var Providers = []string{"salesforce", "microsoft"}

// Scenario is one situation a component must survive: the provider and
// its configuration, scripted faults, and the steps a harness drives.
type Scenario struct {
	// Name identifies the scenario: lower-case letters, digits and
	// hyphens, unique per provider in the catalogue.
	Name string `json:"name"`
	// Description says what situation this is and what a conforming
	// component does in it.
	Description string `json:"description,omitempty"`
	// Provider is "salesforce" or "microsoft".
	Provider string `json:"provider"`
	// Labels select scenarios with a label filter (see Select).
	Labels []string `json:"labels,omitempty"`
	// Seed makes token values reproducible. Zero picks a random seed.
	Seed uint64 `json:"seed,omitempty"`
	// Credentials are the account's initial tokens and client.
	Credentials Credentials `json:"credentials,omitzero"`
	// Tokens overrides fields of the provider's token policy.
	Tokens Tokens `json:"tokens,omitzero"`
	// Salesforce holds options of the Salesforce dialect; it must be nil
	// unless Provider is "salesforce".
	Salesforce *SalesforceOptions `json:"salesforce,omitempty"`
	// Microsoft holds options of the Microsoft dialect; it must be nil
	// unless Provider is "microsoft".
	Microsoft *MicrosoftOptions `json:"microsoft,omitempty"`
	// Secrets, when set, makes this a scenario for components whose
	// tokens the platform's Secrets service refreshes (strategy
	// platform-secrets): the step configuration carries secretId instead
	// of the token response. Nil means a scenario for self-refreshing
	// components.
	Secrets *SecretsOptions `json:"secrets,omitempty"`
	// Rules script the provider's behaviour, first match wins.
	Rules []Rule `json:"rules,omitempty"`
	// Steps are what the harness does, in order. Parse makes an omitted
	// list one message with an empty body.
	Steps []Step `json:"steps"`
	// Source is where the scenario came from: a file path, or
	// "builtin:PROVIDER/NAME" for the catalogue.
	Source string `json:"source,omitempty"`
}

// Credentials describe the account's initial grant and the OAuth client.
// Empty fields keep the provider's defaults.
type Credentials struct {
	// AccessToken is the state the initial access token starts in:
	// valid (the default), expired or revoked.
	AccessToken mockprovider.TokenState `json:"accessToken,omitempty"`
	// Scope granted to the initial grant. Empty means the provider's.
	Scope string `json:"scope,omitempty"`
	// ClientID and ClientSecret replace those of the provider's default
	// client (the one that owns the initial grant).
	ClientID     string `json:"clientId,omitempty"`
	ClientSecret string `json:"clientSecret,omitempty"`
	// Public, when set, says whether that client is public (has no
	// secret). Nil keeps the provider's default.
	Public *bool `json:"public,omitempty"`
}

// Tokens overrides fields of the provider's token policy
// (mockprovider.Policy). A nil field, or an empty Rotation, keeps the
// provider's default.
type Tokens struct {
	// AccessTokenLifetime is how long an access token is valid.
	AccessTokenLifetime *time.Duration `json:"accessTokenLifetime,omitempty"`
	// AccessTokenJitter adds a random part in [0, jitter] to each access
	// token's lifetime.
	AccessTokenJitter *time.Duration `json:"accessTokenJitter,omitempty"`
	// SlidingAccess extends an access token's lifetime on every use.
	SlidingAccess *bool `json:"slidingAccess,omitempty"`
	// RefreshTokenIdle expires a refresh token unused for this long; zero
	// means never.
	RefreshTokenIdle *time.Duration `json:"refreshTokenIdle,omitempty"`
	// FamilyLifetime is a fixed deadline for every token of a grant,
	// counted from the grant; zero means none.
	FamilyLifetime *time.Duration `json:"familyLifetime,omitempty"`
	// Rotation is the refresh-token rotation policy.
	Rotation mockprovider.Rotation `json:"rotation,omitempty"`
	// RejectConcurrentRefresh makes a refresh fail while another one with
	// the same refresh token is being answered.
	RejectConcurrentRefresh *bool `json:"rejectConcurrentRefresh,omitempty"`
	// ConcurrentRefreshWindow also counts refreshes of one refresh token
	// that arrive within this long of each other as concurrent.
	ConcurrentRefreshWindow *time.Duration `json:"concurrentRefreshWindow,omitempty"`
}

// SalesforceOptions are options of the Salesforce dialect. The zero value
// means the dialect's defaults.
type SalesforceOptions struct {
	// InstanceHost is the host of instance_url (default: the dialect's
	// my.salesforce.com host).
	InstanceHost string `json:"instanceHost,omitempty"`
	// MoveInstanceAfterRefresh, when positive, moves the org to
	// MovedInstanceHost after that many successful refreshes: later token
	// responses carry the new instance_url and the old host answers 401.
	MoveInstanceAfterRefresh int `json:"moveInstanceAfterRefresh,omitempty"`
	// MovedInstanceHost is the host the org moves to (default: the
	// dialect's).
	MovedInstanceHost string `json:"movedInstanceHost,omitempty"`
	// WWWAuthenticate says whether API 401s carry "WWW-Authenticate:
	// Token". Nil means true.
	WWWAuthenticate *bool `json:"wwwAuthenticate,omitempty"`
	// APIVersion is the newest REST API version, "NN.0" (default: the
	// dialect's).
	APIVersion string `json:"apiVersion,omitempty"`
	// Sandbox makes the org a sandbox (test.salesforce.com).
	Sandbox bool `json:"sandbox,omitempty"`
	// OrgID and UserID are the 18-character IDs of the org and the user in
	// the identity URL (default: the dialect's).
	OrgID  string `json:"orgId,omitempty"`
	UserID string `json:"userId,omitempty"`
}

// MicrosoftOptions are options of the Microsoft dialect. The zero value
// means the dialect's defaults.
type MicrosoftOptions struct {
	// Tenants are the tenant path segments the token endpoint accepts
	// ("common", "organizations", a tenant ID or domain). Empty accepts
	// common, organizations, consumers, any GUID and any domain.
	Tenants []string `json:"tenants,omitempty"`
	// SPA makes the client a single-page app: public, with a fixed 24h
	// refresh-token family lifetime (AADSTS700084 after it).
	SPA bool `json:"spa,omitempty"`
	// ExpiredMessage picks the message of Graph's 401 for an expired
	// token: empty is "Lifetime validation failed, the token is expired.",
	// "legacy" is "Access token has expired or is not yet valid.", any
	// other value is used verbatim.
	ExpiredMessage string `json:"expiredMessage,omitempty"`
	// IDToken says whether token responses carry an id_token. Nil means
	// true.
	IDToken *bool `json:"idToken,omitempty"`
	// PageSize is the number of items per Graph page (default: the
	// dialect's).
	PageSize int `json:"pageSize,omitempty"`
}

// SecretsOptions describe the mock platform's Secrets service in a
// Secrets-mode scenario. The zero value is the service as the components
// that use it read it (platform.md §3.2).
type SecretsOptions struct {
	// ArrayData answers data as a one-element array, as the platform's
	// API documentation shows in its refresh example, instead of the
	// single object the components read.
	ArrayData bool `json:"arrayData,omitempty"`
	// RefreshFailureStatus is the HTTP status the platform answers a
	// refresh request with when its own token request failed. Zero means
	// 200 with the secret, now in state error. What the real platform
	// answers is not documented, so it is an option.
	RefreshFailureStatus int `json:"refreshFailureStatus,omitempty"`
	// WithOAuth also puts the token response in the step configuration
	// under the credential field, as a credential of both generations
	// would carry it.
	WithOAuth bool `json:"withOAuth,omitempty"`
	// BackgroundRefresh says whether the platform refreshes the secret
	// itself one minute before it expires, when the virtual clock passes
	// that point. Nil means true, as the Secrets guide describes.
	BackgroundRefresh *bool `json:"backgroundRefresh,omitempty"`
}

// Rule is one scripted behaviour of the provider. In YAML, match.path is
// the PathPrefix, respond.headers the Header, and "once: true" is
// "times: 1".
type Rule = mockprovider.Rule

// Step is one thing the harness does. Exactly one field is set.
type Step struct {
	// Message sends one message to the running component.
	Message *Message `json:"message,omitempty"`
	// Advance moves the provider's virtual clock forward.
	Advance time.Duration `json:"advance,omitempty"`
	// Restart replaces the container: the new one reads cfg from the
	// account keys as stored by then.
	Restart bool `json:"restart,omitempty"`
	// Revoke revokes tokens of the account's grant at the provider, within
	// their lifetime, as a user or an admin does (a password change, a
	// revoked session): RevokeAccess the newest access token,
	// RevokeRefresh the newest refresh token and the access tokens it
	// issued, RevokeFamily every token of the grant.
	Revoke string `json:"revoke,omitempty"`
}

// The tokens a Revoke step revokes.
const (
	RevokeAccess  = "access"
	RevokeRefresh = "refresh"
	RevokeFamily  = "family"
)

// RevokeTargets lists the values of Step.Revoke.
var RevokeTargets = []string{RevokeAccess, RevokeRefresh, RevokeFamily}

// Message is one message for the component.
type Message struct {
	// Body is the message body, a JSON object; "{}" when omitted.
	Body json.RawMessage `json:"body"`
	// Label names the message in traces and reports.
	Label string `json:"label,omitempty"`
}

// String returns the scenario's catalogue name, "provider/name".
func (s *Scenario) String() string { return s.Provider + "/" + s.Name }

// HasLabel reports whether s carries label.
func (s *Scenario) HasLabel(label string) bool {
	for _, l := range s.Labels {
		if l == label {
			return true
		}
	}
	return false
}

// Build compiles s to the mock provider's dialect and configuration. The
// configuration starts from the dialect's defaults (Dialect.Defaults):
// Credentials override its first client and scope, Tokens override
// fields of its policy. Build reports a scenario the mock cannot run; a
// scenario Parse accepted always builds.
func (s *Scenario) Build() (mockprovider.Dialect, mockprovider.Config, error) {
	if s.Salesforce != nil && s.Provider != "salesforce" {
		return nil, mockprovider.Config{}, fmt.Errorf("scenario %s: salesforce options given for a %s scenario", s.Name, s.Provider)
	}
	if s.Microsoft != nil && s.Provider != "microsoft" {
		return nil, mockprovider.Config{}, fmt.Errorf("scenario %s: microsoft options given for a %s scenario", s.Name, s.Provider)
	}
	d, err := newDialect(s.Provider, s.Salesforce, s.Microsoft)
	if err != nil {
		return nil, mockprovider.Config{}, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	def := d.Defaults()

	var policy mockprovider.Policy
	if def.Policy != nil {
		policy = *def.Policy
	}
	s.Tokens.apply(&policy)

	clients := append([]mockprovider.Client(nil), def.Clients...)
	if len(clients) == 0 {
		clients = []mockprovider.Client{{}}
	}
	c := &clients[0]
	cr := s.Credentials
	if cr.ClientID != "" {
		c.ID = cr.ClientID
	}
	if cr.Public != nil {
		c.Public = *cr.Public
		if c.Public {
			c.Secret = ""
		}
	}
	if cr.ClientSecret != "" {
		c.Secret = cr.ClientSecret
	}
	if c.Public && c.Secret != "" {
		return nil, mockprovider.Config{}, fmt.Errorf("scenario %s: credentials: a public client has no secret", s.Name)
	}

	scope := def.Scope
	if cr.Scope != "" {
		scope = cr.Scope
	}
	cfg := mockprovider.Config{
		Policy:         &policy,
		Clients:        clients,
		Scope:          scope,
		InitialAccess:  cr.AccessToken,
		Rules:          append([]mockprovider.Rule(nil), s.Rules...),
		Seed:           s.Seed,
		JournalCap:     def.JournalCap,
		JournalMaxBody: def.JournalMaxBody,
		JournalBytes:   def.JournalBytes,
		MaxRequestBody: def.MaxRequestBody,
	}
	if cfg.InitialAccess == "" {
		cfg.InitialAccess = mockprovider.StateValid
	}
	if err := cfg.Validate(d); err != nil {
		return nil, mockprovider.Config{}, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	return d, cfg, nil
}

// apply overrides p's fields with t's set ones.
func (t Tokens) apply(p *mockprovider.Policy) {
	if t.AccessTokenLifetime != nil {
		p.AccessTokenLifetime = *t.AccessTokenLifetime
	}
	if t.AccessTokenJitter != nil {
		p.AccessTokenJitter = *t.AccessTokenJitter
	}
	if t.SlidingAccess != nil {
		p.SlidingAccess = *t.SlidingAccess
	}
	if t.RefreshTokenIdle != nil {
		p.RefreshTokenIdle = *t.RefreshTokenIdle
	}
	if t.FamilyLifetime != nil {
		p.FamilyLifetime = *t.FamilyLifetime
	}
	if t.Rotation != "" {
		p.Rotation = t.Rotation
	}
	if t.RejectConcurrentRefresh != nil {
		p.RejectConcurrentRefresh = *t.RejectConcurrentRefresh
	}
	if t.ConcurrentRefreshWindow != nil {
		p.ConcurrentRefreshWindow = *t.ConcurrentRefreshWindow
	}
}

// errUnknownProvider is wrapped by newDialect for a provider it does not
// know.
var errUnknownProvider = errors.New("unknown provider")
