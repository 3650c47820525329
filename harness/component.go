package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

// Strategy is how a component decides to refresh.
type Strategy string

const (
	// StrategyOn401 refreshes when the API answers 401 (the platform's
	// documented default).
	StrategyOn401 Strategy = "on-401"
	// StrategyEveryCall refreshes before every API call.
	StrategyEveryCall Strategy = "every-call"
	// StrategyBeforeExpiry refreshes when the token's lifetime has passed.
	StrategyBeforeExpiry Strategy = "before-expiry"
)

// Strategies lists the valid strategies.
var Strategies = []Strategy{StrategyOn401, StrategyEveryCall, StrategyBeforeExpiry, StrategyPlatformSecrets}

// KeysPolicy is how the mock platform applies an updateKeys body to the
// account's stored keys.
type KeysPolicy string

const (
	// KeysReplace replaces the keys with the emitted object, as the
	// platform documents ("keys object is overwritten entirely").
	KeysReplace KeysPolicy = "replace"
	// KeysShallow merges the emitted object's top-level fields.
	KeysShallow KeysPolicy = "shallow"
	// KeysDeep merges objects recursively.
	KeysDeep KeysPolicy = "deep"
)

// ConfigFile is the name of the component description a component
// directory may hold.
const ConfigFile = "refreshproof.yaml"

// Component describes a component under test. Zero fields take the
// defaults Resolve documents.
type Component struct {
	// Dir is the component directory, holding component.json and its
	// installed node_modules.
	Dir string `yaml:"-" json:"dir"`
	// Provider is "salesforce" or "microsoft".
	Provider string `yaml:"provider" json:"provider"`
	// Function is the action or trigger to run, by its component.json name.
	Function string `yaml:"function" json:"function"`
	// CredentialField is where in cfg the component reads the OAuth token
	// response: a field ("oauth", "oauth2", "myOauth"), a dotted path to a
	// nested object ("auth.oauth2.keys", the REST API component's layout),
	// or "." for the credential's top level. Empty means "oauth".
	CredentialField string `yaml:"credentialField" json:"credentialField"`
	// Credential holds the other fields of the credential, by dotted path
	// in cfg, for components that keep their OAuth client in it rather
	// than in environment variables. A value may name {{clientId}},
	// {{clientSecret}}, {{tokenUrl}} and {{authUrl}} of the mock:
	//
	//	credential:
	//	  auth.type: OAuth2
	//	  auth.oauth2.clientId: "{{clientId}}"
	//	  auth.oauth2.clientSecret: "{{clientSecret}}"
	//	  auth.oauth2.tokenUri: "{{tokenUrl}}"
	Credential map[string]string `yaml:"credential" json:"credential,omitempty"`
	// ClientIDEnv and ClientSecretEnv name the environment variables that
	// carry the OAuth client. Empty means OAUTH_CLIENT_ID and
	// OAUTH_CLIENT_SECRET plus the provider's (MSAPP_CLIENT_ID,
	// SALESFORCE_KEY, ...).
	ClientIDEnv     []string `yaml:"clientIdEnv" json:"clientIdEnv,omitempty"`
	ClientSecretEnv []string `yaml:"clientSecretEnv" json:"clientSecretEnv,omitempty"`
	// Strategy is how the component refreshes. Empty means on-401.
	Strategy Strategy `yaml:"strategy" json:"strategy"`
	// Body is the default message body; a scenario's message body is
	// merged over it. Nil means {}.
	Body map[string]any `yaml:"body" json:"body,omitempty"`
	// Cfg holds extra step configuration fields.
	Cfg map[string]any `yaml:"cfg" json:"cfg,omitempty"`
	// Env holds extra environment variables for the component.
	Env map[string]string `yaml:"env" json:"env,omitempty"`
	// Timeout bounds each message, from its start to quiescence. Zero
	// means 30s.
	Timeout time.Duration `yaml:"timeout" json:"timeout,omitempty"`
	// StartTimeout bounds a container's start, until its sailor is ready,
	// apart from the message it starts for: a slow start (a loaded CI
	// machine, a component that warms a cache) is not the message's time.
	// Zero means 60s.
	StartTimeout time.Duration `yaml:"startTimeout" json:"startTimeout,omitempty"`
	// KeysPolicy is how updateKeys is applied. Empty means replace.
	KeysPolicy KeysPolicy `yaml:"keysPolicy" json:"keysPolicy,omitempty"`
	// Expect lists the rule failures a team expects while it adopts the
	// gate: check reports them as expected, and says when one passes.
	Expect Expectations `yaml:"expect" json:"expect,omitzero"`
	// Strict makes check fail on warnings, as --strict does.
	Strict bool `yaml:"strict" json:"strict,omitempty"`

	// Filled by Resolve.
	Name          string `yaml:"-" json:"name,omitempty"`
	Version       string `yaml:"-" json:"version,omitempty"`
	SailorDir     string `yaml:"-" json:"-"`
	SailorVersion string `yaml:"-" json:"sailorVersion,omitempty"`
	// ProviderFrom says where Resolve found the provider when none was
	// given ("component.json's credentials.oauth2.token_uri is at ...").
	ProviderFrom string `yaml:"-" json:"providerFrom,omitempty"`
	Main         string `yaml:"-" json:"main,omitempty"`
}

// Expectations are the failures a team knows about.
type Expectations struct {
	Failures []ExpectedFailure `yaml:"failures" json:"failures,omitempty"`
}

// ExpectedFailure is one rule expected to fail, on one scenario
// ("salesforce/rotation" or just "rotation") or, when Scenario is empty,
// on every scenario.
type ExpectedFailure struct {
	Rule     string `yaml:"rule" json:"rule"`
	Scenario string `yaml:"scenario" json:"scenario,omitempty"`
	Reason   string `yaml:"reason" json:"reason"`
}

// Matches tells whether the expectation covers rule on scenario
// (provider/name).
func (e ExpectedFailure) Matches(rule, scenario string) bool {
	if !strings.EqualFold(e.Rule, rule) {
		return false
	}
	if e.Scenario == "" || e.Scenario == scenario {
		return true
	}
	_, name, _ := strings.Cut(scenario, "/")
	return e.Scenario == name
}

// SetupError is a component that cannot be run, with what to do about it.
type SetupError struct {
	Problem string
	Fix     string
}

func (e *SetupError) Error() string {
	if e.Fix == "" {
		return "harness: " + e.Problem
	}
	return "harness: " + e.Problem + "; " + e.Fix
}

func setupErr(fix, format string, args ...any) error {
	return &SetupError{Problem: fmt.Sprintf(format, args...), Fix: fix}
}

// LoadComponent reads dir's refreshproof.yaml, if any. Fields it leaves
// empty can be set by the caller (flags) before Resolve.
func LoadComponent(dir string) (*Component, error) {
	return loadComponent(dir, filepath.Join(dir, ConfigFile), true)
}

// LoadComponentFile is LoadComponent with the description read from file
// (which must exist) instead of dir's refreshproof.yaml.
func LoadComponentFile(dir, file string) (*Component, error) {
	return loadComponent(dir, file, false)
}

func loadComponent(dir, file string, optional bool) (*Component, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, setupErr("", "component directory %s: %v", dir, err)
	}
	c := &Component{}
	data, err := os.ReadFile(file)
	switch {
	case errors.Is(err, os.ErrNotExist) && optional:
	case err != nil:
		return nil, setupErr("", "reading %s: %v", file, err)
	default:
		if err := decodeComponent(file, data, c); err != nil {
			return nil, err
		}
	}
	c.Dir = abs
	return c, nil
}

// Resolve fills defaults and checks that the component can run: its
// component.json, the function, the function's main file, and the
// component's own installed sailor. Each problem is a *SetupError that
// says what to do.
func (c *Component) Resolve() error {
	if err := c.resolveProvider(); err != nil {
		return err
	}
	info, ok := scenarios.ProviderInfo(c.Provider)
	if !ok {
		names := strings.Join(scenarios.Providers, "|")
		if c.Provider == "" {
			return setupErr("pass --provider "+names+" or set provider in "+ConfigFile, "no provider given")
		}
		msg := fmt.Sprintf("unknown provider %q", c.Provider)
		if s := mockprovider.Suggest(c.Provider, scenarios.Providers); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return setupErr("use one of "+strings.Join(scenarios.Providers, ", "), "%s", msg)
	}
	if c.CredentialField == "" {
		c.CredentialField = "oauth"
	}
	if c.CredentialField != TopLevel && slices.Contains(strings.Split(c.CredentialField, "."), "") {
		return setupErr(`give a field ("oauth"), a dotted path ("auth.oauth2.keys") or "." for the top level`, "credentialField %q has an empty part", c.CredentialField)
	}
	for path, v := range c.Credential {
		if slices.Contains(strings.Split(path, "."), "") {
			return setupErr(`give each credential field as a dotted path, e.g. auth.oauth2.clientId`, "credential field %q has an empty part", path)
		}
		if _, err := expandCredential(v, map[string]string{"clientId": "", "clientSecret": "", "tokenUrl": "", "authUrl": ""}); err != nil {
			return setupErr("use {{clientId}}, {{clientSecret}}, {{tokenUrl}} or {{authUrl}}", "%v", err)
		}
	}
	if c.Strategy == "" {
		c.Strategy = StrategyOn401
	}
	if !slices.Contains(Strategies, c.Strategy) {
		return setupErr("use on-401, every-call, before-expiry or platform-secrets", "unknown strategy %q", c.Strategy)
	}
	if c.KeysPolicy == "" {
		c.KeysPolicy = KeysReplace
	}
	if !slices.Contains([]KeysPolicy{KeysReplace, KeysShallow, KeysDeep}, c.KeysPolicy) {
		return setupErr("use replace, shallow or deep", "unknown keys policy %q", c.KeysPolicy)
	}
	if c.Timeout < 0 {
		return setupErr("give timeout a positive duration such as 30s, or leave it out for 30s", "timeout %s is negative", c.Timeout)
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.StartTimeout < 0 {
		return setupErr("give startTimeout a positive duration such as 60s, or leave it out for 60s", "startTimeout %s is negative", c.StartTimeout)
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = 60 * time.Second
	}
	if len(c.ClientIDEnv) == 0 {
		c.ClientIDEnv = info.ClientIDEnv
	}
	if len(c.ClientSecretEnv) == 0 {
		c.ClientSecretEnv = info.ClientSecretEnv
	}

	if st, err := os.Stat(c.Dir); err != nil || !st.IsDir() {
		return setupErr("pass the directory that holds component.json", "%s is not a directory", c.Dir)
	}
	raw, err := os.ReadFile(filepath.Join(c.Dir, "component.json"))
	if err != nil {
		return setupErr("pass the directory of an elastic.io component (the one with component.json)", "no component.json in %s", c.Dir)
	}
	var desc struct {
		Title    string                     `json:"title"`
		Triggers map[string]json.RawMessage `json:"triggers"`
		Actions  map[string]json.RawMessage `json:"actions"`
	}
	if err := json.Unmarshal(raw, &desc); err != nil {
		return setupErr("fix the JSON", "component.json in %s: %v", c.Dir, err)
	}
	var names []string
	for n := range desc.Triggers {
		names = append(names, n)
	}
	for n := range desc.Actions {
		names = append(names, n)
	}
	sort.Strings(names)
	if c.Function == "" {
		if len(names) == 1 {
			c.Function = names[0]
		} else {
			return setupErr(fmt.Sprintf("pass --action with one of: %s", strings.Join(names, ", ")), "no function given")
		}
	}
	def2, ok := desc.Triggers[c.Function]
	if !ok {
		def2, ok = desc.Actions[c.Function]
	}
	if !ok {
		msg := fmt.Sprintf("component.json has no action or trigger %q", c.Function)
		if s := mockprovider.Suggest(c.Function, names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return setupErr("its functions are: "+strings.Join(names, ", "), "%s", msg)
	}
	var fn struct {
		Main string `json:"main"`
	}
	if err := json.Unmarshal(def2, &fn); err != nil || fn.Main == "" {
		return setupErr("give it a \"main\" file", "function %q in component.json has no main", c.Function)
	}
	if !nodeFileExists(filepath.Join(c.Dir, fn.Main)) {
		return setupErr("fix \"main\" in component.json", "function %q: main file %s does not exist", c.Function, fn.Main)
	}
	c.Main = fn.Main

	var pkg struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if b, err := os.ReadFile(filepath.Join(c.Dir, "package.json")); err == nil {
		_ = json.Unmarshal(b, &pkg)
	}
	c.Name, c.Version = pkg.Name, pkg.Version
	if c.Name == "" {
		c.Name = filepath.Base(c.Dir)
	}

	c.SailorDir = filepath.Join(c.Dir, "node_modules", "elasticio-sailor-nodejs")
	var sailor struct {
		Version string `json:"version"`
	}
	b, err := os.ReadFile(filepath.Join(c.SailorDir, "package.json"))
	if err != nil {
		return setupErr(fmt.Sprintf("run `npm ci` (or `npm install`) in %s", c.Dir), "the component's sailor (elasticio-sailor-nodejs) is not installed")
	}
	_ = json.Unmarshal(b, &sailor)
	c.SailorVersion = sailor.Version
	if err := checkSailor(sailor.Version, c.SailorDir); err != nil {
		return err
	}
	if _, err := exec.LookPath("node"); err != nil {
		return setupErr("install Node.js 18 or newer and put node on PATH", "node is not on PATH")
	}
	return nil
}

// nodeFileExists resolves a module path the way require does for a file.
func nodeFileExists(p string) bool {
	for _, cand := range []string{p, p + ".js", p + ".cjs", p + ".mjs", filepath.Join(p, "index.js")} {
		if st, err := os.Stat(cand); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}

// templateRE matches a handlebars reference in component.json
// ("https://{{prodEnv}}.salesforce.com/...").
var templateRE = regexp.MustCompile(`\{\{\s*[^{}]*\}\}`)

// InferProvider tells which provider a component talks to from its
// component.json: the hosts of the URLs in credentials.oauth2 (auth_uri,
// token_uri, ...), matched against each dialect's hosts. A template in a
// host part ("{{prodEnv}}.salesforce.com") stands for any name. why says
// which field showed it; provider is empty when nothing did (a component
// whose URLs come from its credentials, as the REST API component's).
func InferProvider(componentJSON []byte) (provider, why string) {
	var desc struct {
		Credentials struct {
			OAuth2 map[string]any `json:"oauth2"`
		} `json:"credentials"`
	}
	if json.Unmarshal(componentJSON, &desc) != nil {
		return "", ""
	}
	keys := make([]string, 0, len(desc.Credentials.OAuth2))
	for k := range desc.Credentials.OAuth2 {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, _ := desc.Credentials.OAuth2[k].(string)
		u, err := url.Parse(templateRE.ReplaceAllString(strings.TrimSpace(v), "login"))
		if err != nil || u.Host == "" {
			continue
		}
		if info, ok := scenarios.ProviderOfHost(strings.ToLower(u.Hostname())); ok {
			return info.Name, fmt.Sprintf("component.json's credentials.oauth2.%s is at %s (%s)", k, u.Hostname(), info.Title)
		}
	}
	return "", ""
}

// resolveProvider takes the provider from component.json when none was
// given, and refuses one that component.json contradicts: a check against
// the wrong provider's mock would judge nothing.
func (c *Component) resolveProvider() error {
	raw, err := os.ReadFile(filepath.Join(c.Dir, "component.json"))
	if err != nil {
		return nil // Resolve reports the missing file
	}
	inferred, why := InferProvider(raw)
	switch {
	case c.Provider == "" && inferred != "":
		c.Provider, c.ProviderFrom = inferred, why
	case c.Provider != "" && inferred != "" && c.Provider != inferred:
		if _, known := scenarios.ProviderInfo(c.Provider); known {
			return setupErr(fmt.Sprintf("pass --provider %s (or leave --provider out), or point refreshproof at the component you meant", inferred),
				"the component talks to %s: %s, but this run would mock %s", inferred, why, c.Provider)
		}
	}
	return nil
}
