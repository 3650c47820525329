package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

// latestRelease is the version generated CI files pin when this build is
// not a release itself (a build from a work tree). TestCIVersionsAgree
// keeps it equal to the Makefile's VERSION.
const latestRelease = "0.1.0"

type initOpts struct {
	provider, action, strategy, credentialField string
	clientIDEnv, clientSecretEnv                []string
	body, cfg                                   string
	ci                                          string
	force                                       bool
}

func newInitCmd(s *streams) *cobra.Command {
	o := &initOpts{}
	c := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write refreshproof.yaml (and a CI file) for the component in DIR",
		Long: `init reads DIR/component.json (default: the current directory) and writes a
commented refreshproof.yaml: the provider (from the OAuth URLs in
credentials.oauth2), the action or trigger to run, the credentials field
(the one with viewClass OAuthFieldView; for one with HTTPAuthView, the
token response at FIELD.oauth2.keys and a credential block with the OAuth
client and URLs), the environment variables of the
OAuth client (from credentials.oauth2's {{...}} templates) and a message body
(from the defaults in the function's input metadata).

It asks nothing: what it cannot infer it takes from a flag, and when a flag
is needed the error names it. It never replaces a file without --force.

With --ci github it also writes .github/workflows/refreshproof.yml, with
--ci gitlab .gitlab-ci.yml, at the root of the git repository holding DIR
(DIR itself outside one).`,
		Example: `  refreshproof init
  refreshproof init components/outlook --action listMessages --ci github
  refreshproof init . --body '{"query":"SELECT Id FROM Account"}' --strategy every-call`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return runInit(s, o, dir)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.provider, "provider", "p", "", "salesforce or microsoft (default: from the OAuth URLs in component.json)")
	f.StringVarP(&o.action, "action", "a", "", "the action or trigger to run (default: the only one)")
	f.StringVar(&o.strategy, "strategy", "", "how the component refreshes: on-401 (default), every-call, before-expiry")
	f.StringVar(&o.credentialField, "credential-field", "", "the credentials field holding the OAuth token (default: the OAuthFieldView field)")
	f.StringSliceVar(&o.clientIDEnv, "client-id-env", nil, "environment variables that carry the OAuth client id (default: from credentials.oauth2.client_id)")
	f.StringSliceVar(&o.clientSecretEnv, "client-secret-env", nil, "environment variables that carry the OAuth client secret (default: from credentials.oauth2.client_secret)")
	f.StringVar(&o.body, "body", "", `the message body, a JSON object (default: the input metadata's defaults), e.g. '{"query":"SELECT Id FROM Account"}'`)
	f.StringVar(&o.cfg, "cfg", "", "extra step configuration fields, a JSON object (default: the function's field defaults)")
	f.StringVar(&o.ci, "ci", "", "also write a CI file: github or gitlab")
	f.BoolVar(&o.force, "force", false, "replace files that exist")
	return c
}

// componentJSON is the part of component.json init reads.
type componentJSON struct {
	Title   string `json:"title"`
	EnvVars map[string]struct {
		Required bool `json:"required"`
	} `json:"envVars"`
	Credentials struct {
		Fields map[string]struct {
			ViewClass string `json:"viewClass"`
		} `json:"fields"`
		OAuth2 map[string]any `json:"oauth2"`
	} `json:"credentials"`
	Triggers map[string]componentFunction `json:"triggers"`
	Actions  map[string]componentFunction `json:"actions"`
}

type componentFunction struct {
	Title  string `json:"title"`
	Main   string `json:"main"`
	Fields map[string]struct {
		Required bool `json:"required"`
		Default  any  `json:"default"`
	} `json:"fields"`
	Metadata struct {
		// In is a JSON schema, or the path of a file holding one.
		In json.RawMessage `json:"in"`
	} `json:"metadata"`
}

// inferred is a refreshproof.yaml init will write, with where each value
// came from, for the comments.
type inferred struct {
	c                                 harness.Component
	providerWhy, functionWhy, credWhy string
	clientWhy, bodyWhy, cfgWhy        string
	functions                         []string
	strategyGiven                     bool
	ciVersion, ciDirectory, ciRoot    string
}

var templateVar = regexp.MustCompile(`^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$`)

func runInit(s *streams, o *initOpts, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return usageErr("%s: %v", dir, err)
	}
	raw, err := os.ReadFile(filepath.Join(abs, "component.json"))
	if err != nil {
		return usageErr("%s holds no component.json: run init in an elastic.io component directory, or pass it (refreshproof init DIR)", abs)
	}
	var desc componentJSON
	if err := json.Unmarshal(raw, &desc); err != nil {
		return usageErr("%s: %v", filepath.Join(abs, "component.json"), err)
	}
	var ci string
	switch o.ci {
	case "", "github", "gitlab":
		ci = o.ci
	default:
		return usageErr("--ci must be github or gitlab, not %q", o.ci)
	}
	in, err := infer(abs, raw, &desc, o)
	if err != nil {
		return err
	}

	type file struct {
		path string
		data []byte
	}
	files := []file{{filepath.Join(abs, harness.ConfigFile), renderConfig(in)}}
	if ci != "" {
		in.ciRoot, in.ciDirectory = repoRootOf(abs)
		in.ciVersion = latestRelease
		if v := strings.TrimPrefix(Build().Version, "v"); releaseVersion.MatchString(v) {
			in.ciVersion = v
		}
		if ci == "github" {
			files = append(files, file{filepath.Join(in.ciRoot, ".github", "workflows", "refreshproof.yml"), renderGitHub(in)})
		} else {
			files = append(files, file{filepath.Join(in.ciRoot, ".gitlab-ci.yml"), renderGitLab(in)})
		}
	}
	// Refuse before writing anything, so a refusal leaves no half-done init.
	if !o.force {
		for _, f := range files {
			if _, err := os.Stat(f.path); err == nil {
				hint := "pass --force to replace it"
				if filepath.Base(f.path) == ".gitlab-ci.yml" {
					hint = "add this to it, or pass --force to replace it:\n\n" + gitlabInclude(in)
				}
				return usageErr("%s exists; %s", f.path, hint)
			}
		}
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return usageErr("%v", err)
		}
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			return usageErr("%v", err)
		}
		fmt.Fprintf(s.out, "wrote %s\n", f.path)
	}
	// The description must load as check loads it.
	if _, err := harness.LoadComponent(abs); err != nil {
		return fmt.Errorf("cli: init wrote a %s that does not load: %w", harness.ConfigFile, err)
	}
	fmt.Fprintf(s.out, "%s: provider %s, %s %q, strategy %s\n", harness.ConfigFile, in.c.Provider, kindOf(&desc, in.c.Function), in.c.Function, in.c.Strategy)
	if _, err := os.Stat(filepath.Join(abs, "node_modules", "elasticio-sailor-nodejs")); err != nil {
		fmt.Fprintf(s.out, "next: npm ci (the component's sailor is not installed), then refreshproof check %s\n", dir)
	} else {
		fmt.Fprintf(s.out, "next: refreshproof check %s\n", dir)
	}
	return nil
}

var releaseVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

func kindOf(desc *componentJSON, name string) string {
	if _, ok := desc.Triggers[name]; ok {
		return "trigger"
	}
	return "action"
}

// infer fills a component description from component.json and the flags.
func infer(dir string, raw []byte, desc *componentJSON, o *initOpts) (*inferred, error) {
	in := &inferred{}
	c := &in.c

	// A component that declares an oauth2 auth-client leaves its tokens
	// to the platform's Secrets service: no OAuth URLs, client or token
	// field in component.json, and a strategy of its own.
	secrets := harness.DeclaresAuthClient(raw)

	// A credential field of viewClass HTTPAuthView with OAuth2 chosen in
	// it holds the OAuth client, the provider's URLs and, under
	// oauth2.keys, the token response (the REST API component's layout).
	// A Secrets-mode component has one too, but keeps no tokens in it.
	var oauthFields, httpAuthFields, allFields []string
	for name, f := range desc.Credentials.Fields {
		allFields = append(allFields, name)
		switch f.ViewClass {
		case "OAuthFieldView":
			oauthFields = append(oauthFields, name)
		case "HTTPAuthView":
			httpAuthFields = append(httpAuthFields, name)
		}
	}
	sort.Strings(oauthFields)
	sort.Strings(httpAuthFields)
	sort.Strings(allFields)
	httpAuth := ""
	if !secrets && len(oauthFields) == 0 && len(httpAuthFields) == 1 {
		httpAuth = httpAuthFields[0]
	}

	// Provider: from the hosts of the OAuth URLs, as check infers it.
	switch {
	case o.provider != "":
		if !slices.Contains(scenarios.Providers, o.provider) {
			return nil, usageErr("--provider must be %s, not %q", providerList(), o.provider)
		}
		c.Provider, in.providerWhy = o.provider, "given with --provider"
	default:
		c.Provider, in.providerWhy = harness.InferProvider(raw)
		if c.Provider == "" && secrets {
			return nil, usageErr("the component leaves its tokens to the platform's Secrets service (authClientTypes oauth2), so component.json names no OAuth URL to tell the provider by; pass --provider %s", strings.Join(scenarios.Providers, " or --provider "))
		}
		if c.Provider == "" && httpAuth != "" && o.credentialField == "" {
			return nil, usageErr("cannot tell the provider: the OAuth URLs are entered in the credential (field %q, viewClass HTTPAuthView), not named in component.json; pass --provider %s", httpAuth, strings.Join(scenarios.Providers, " or --provider "))
		}
		if c.Provider == "" {
			return nil, usageErr("cannot tell the provider: credentials.oauth2 in component.json has no URL of %s; pass --provider %s", providerList(), strings.Join(scenarios.Providers, " or --provider "))
		}
	}

	// Function: the only one, or --action.
	for n := range desc.Actions {
		in.functions = append(in.functions, n)
	}
	for n := range desc.Triggers {
		in.functions = append(in.functions, n)
	}
	sort.Strings(in.functions)
	var fn componentFunction
	switch {
	case o.action != "":
		f, ok := desc.Actions[o.action]
		if !ok {
			f, ok = desc.Triggers[o.action]
		}
		if !ok {
			msg := fmt.Sprintf("--action %q: component.json has no such action or trigger", o.action)
			if s := mockprovider.Suggest(o.action, in.functions); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			return nil, usageErr("%s (it has: %s)", msg, strings.Join(in.functions, ", "))
		}
		c.Function, fn, in.functionWhy = o.action, f, "given with --action"
	case len(in.functions) == 1:
		c.Function = in.functions[0]
		fn = desc.Actions[c.Function]
		if _, ok := desc.Triggers[c.Function]; ok {
			fn = desc.Triggers[c.Function]
		}
		in.functionWhy = "the only " + kindOf(desc, c.Function) + " in component.json"
	case len(in.functions) == 0:
		return nil, usageErr("component.json has no actions or triggers; add one, then run init again")
	default:
		return nil, usageErr("component.json has %d actions and triggers (%s); pass --action with the one to check", len(in.functions), strings.Join(in.functions, ", "))
	}

	// Credential field: the OAuth field of the credentials.
	switch {
	case o.credentialField != "":
		c.CredentialField, in.credWhy = o.credentialField, "given with --credential-field"
	case secrets:
		// The component reads its token from the secret, not from cfg.
		c.CredentialField, in.credWhy = "oauth", "not used: the platform keeps the tokens in a secret"
	case httpAuth != "":
		// check fills the credential as the platform does once a user
		// has authorised: the client and URLs the user entered, the
		// token response beside them.
		c.CredentialField = httpAuth + ".oauth2.keys"
		c.Credential = map[string]string{
			httpAuth + ".type":                "OAuth2",
			httpAuth + ".oauth2.clientId":     "{{clientId}}",
			httpAuth + ".oauth2.clientSecret": "{{clientSecret}}",
			httpAuth + ".oauth2.tokenUri":     "{{tokenUrl}}",
			httpAuth + ".oauth2.authUri":      "{{authUrl}}",
		}
		in.credWhy = fmt.Sprintf("the credentials field %q has viewClass HTTPAuthView: it holds the OAuth client and URLs, and the token response at %s", httpAuth, c.CredentialField)
	default:
		oauth, all := oauthFields, allFields
		switch {
		case len(oauth) == 1:
			c.CredentialField, in.credWhy = oauth[0], "the credentials field with viewClass OAuthFieldView"
		case len(oauth) > 1:
			return nil, usageErr("component.json has %d OAuth credentials fields (%s); pass --credential-field with the one that holds the token", len(oauth), strings.Join(oauth, ", "))
		case slices.Contains(all, "oauth"):
			c.CredentialField, in.credWhy = "oauth", "the credentials field named oauth"
		default:
			return nil, usageErr("component.json has no credentials field with viewClass OAuthFieldView; pass --credential-field with the cfg field that holds the OAuth token")
		}
	}

	// Strategy: not in component.json, but for a Secrets-mode component.
	c.Strategy = harness.StrategyOn401
	if secrets {
		c.Strategy, in.strategyGiven = harness.StrategyPlatformSecrets, true
	}
	if o.strategy != "" {
		c.Strategy, in.strategyGiven = harness.Strategy(o.strategy), true
		if !slices.Contains(harness.Strategies, c.Strategy) {
			return nil, usageErr("--strategy must be one of %s, not %q", strategyList(), o.strategy)
		}
	}

	// OAuth client: the {{VAR}} templates of credentials.oauth2.
	fromTemplate := func(key string) []string {
		v, _ := desc.Credentials.OAuth2[key].(string)
		if m := templateVar.FindStringSubmatch(strings.TrimSpace(v)); m != nil {
			return []string{m[1]}
		}
		return nil
	}
	c.ClientIDEnv, c.ClientSecretEnv = o.clientIDEnv, o.clientSecretEnv
	var why []string
	if c.Credential != nil {
		// Under HTTPAuthView the templates name the credential's own
		// fields, which the credential block fills; no variables.
		fromTemplate = func(string) []string { return nil }
	}
	if len(c.ClientIDEnv) == 0 {
		c.ClientIDEnv = fromTemplate("client_id")
		why = append(why, "the id from credentials.oauth2.client_id")
	} else {
		why = append(why, "the id given with --client-id-env")
	}
	if len(c.ClientSecretEnv) == 0 {
		c.ClientSecretEnv = fromTemplate("client_secret")
		why = append(why, "the secret from credentials.oauth2.client_secret")
	} else {
		why = append(why, "the secret given with --client-secret-env")
	}
	in.clientWhy = strings.Join(why, ", ")

	// Body and cfg: flags, else the defaults component.json gives.
	var err error
	if o.body != "" {
		if c.Body, err = jsonObject("body", o.body); err != nil {
			return nil, err
		}
		in.bodyWhy = "given with --body"
	} else if c.Body, in.bodyWhy, err = bodyDefaults(dir, c.Function, fn); err != nil {
		return nil, err
	}
	if o.cfg != "" {
		if c.Cfg, err = jsonObject("cfg", o.cfg); err != nil {
			return nil, err
		}
		in.cfgWhy = "given with --cfg"
	} else {
		c.Cfg = map[string]any{}
		var missing []string
		for name, f := range fn.Fields {
			switch {
			case f.Default != nil:
				c.Cfg[name] = f.Default
			case f.Required:
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return nil, usageErr("%s %q requires the field(s) %s, which have no default in component.json; pass --cfg with values, e.g. --cfg '{\"%s\":\"...\"}'", kindOf(desc, c.Function), c.Function, strings.Join(missing, ", "), missing[0])
		}
		in.cfgWhy = "the defaults of the function's fields"
	}
	return in, nil
}

// bodyDefaults builds a message body from the function's input metadata:
// each property's default. A required property without one needs --body.
func bodyDefaults(dir, name string, fn componentFunction) (map[string]any, string, error) {
	body := map[string]any{}
	schemaJSON := bytes.TrimSpace(fn.Metadata.In)
	if len(schemaJSON) == 0 || string(schemaJSON) == "null" {
		return body, "the function has no input metadata", nil
	}
	var path string
	if err := json.Unmarshal(schemaJSON, &path); err == nil {
		b, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil {
			return nil, "", usageErr("%q: its input metadata %s cannot be read (%v); pass --body with a message body", name, path, err)
		}
		schemaJSON = b
	}
	var schema struct {
		Required   any `json:"required"`
		Properties map[string]struct {
			Default  any  `json:"default"`
			Required bool `json:"required"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(schemaJSON, &schema); err != nil {
		return nil, "", usageErr("%q: its input metadata is not a JSON schema (%v); pass --body with a message body", name, err)
	}
	required := map[string]bool{}
	if list, ok := schema.Required.([]any); ok {
		for _, r := range list {
			if s, ok := r.(string); ok {
				required[s] = true
			}
		}
	}
	var missing []string
	for prop, p := range schema.Properties {
		switch {
		case p.Default != nil:
			body[prop] = p.Default
		case p.Required || required[prop]:
			missing = append(missing, prop)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, "", usageErr("%q requires the input(s) %s, which have no default in its metadata; pass --body with a message body, e.g. --body '{\"%s\":\"...\"}'", name, strings.Join(missing, ", "), missing[0])
	}
	return body, "the defaults of the function's input metadata", nil
}

// repoRootOf returns the root of the git work tree holding dir (dir itself
// outside one) and dir relative to it.
func repoRootOf(dir string) (root, rel string) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			r, err := filepath.Rel(d, dir)
			if err != nil {
				break
			}
			return d, filepath.ToSlash(r)
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return dir, "."
}

// yamlValue writes v as a one-line YAML value.
func yamlValue(v any) string {
	switch v := v.(type) {
	case string:
		b, _ := yaml.Marshal(v)
		return strings.TrimSpace(string(b))
	case nil:
		return "{}"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func renderConfig(in *inferred) []byte {
	c := in.c
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# How `refreshproof check` runs this component. Written by `refreshproof init`\n")
	p("# from component.json; edit freely. Flags of check override these fields.\n\n")
	p("# The mock provider: salesforce or microsoft.\n# (%s)\n", in.providerWhy)
	p("provider: %s\n\n", c.Provider)
	p("# The action or trigger to run (%s).\n", in.functionWhy)
	if len(in.functions) > 1 {
		p("# component.json has: %s.\n", strings.Join(in.functions, ", "))
	}
	p("function: %s\n\n", yamlValue(c.Function))
	p("# The cfg field that holds the OAuth token response.\n# (%s)\n", in.credWhy)
	p("credentialField: %s\n\n", yamlValue(c.CredentialField))
	if len(c.Credential) > 0 {
		p("# The credential's other fields, by dotted path in cfg: check fills them\n")
		p("# with the mock's client ({{clientId}}, {{clientSecret}}) and URLs\n")
		p("# ({{tokenUrl}}, {{authUrl}}), as a user authorising the component would.\n")
		p("credential:\n")
		keys := make([]string, 0, len(c.Credential))
		for k := range c.Credential {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p("  %s: %s\n", yamlValue(k), yamlValue(c.Credential[k]))
		}
		p("\n")
	}
	p("# How the component decides to refresh; rules that do not apply to it are\n")
	p("# skipped. on-401: when the API answers 401 (the platform's documented way);\n")
	p("# every-call: before every API call; before-expiry: when the token's\n")
	p("# lifetime has passed.")
	if !in.strategyGiven {
		p(" component.json cannot tell; on-401 is the default.")
	}
	p("\nstrategy: %s\n\n", c.Strategy)
	if len(c.ClientIDEnv) > 0 || len(c.ClientSecretEnv) > 0 {
		p("# The environment variables that carry the OAuth client; check sets them\n")
		p("# to the mock provider's client.\n# (%s)\n", in.clientWhy)
		if len(c.ClientIDEnv) > 0 {
			p("clientIdEnv: %s\n", yamlValue(c.ClientIDEnv))
		}
		if len(c.ClientSecretEnv) > 0 {
			p("clientSecretEnv: %s\n", yamlValue(c.ClientSecretEnv))
		}
		p("\n")
	} else {
		p("# The OAuth client's environment variables: component.json names none, so\n")
		p("# check sets OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET and the provider's usual ones.\n")
		p("# clientIdEnv: [MY_CLIENT_ID]\n# clientSecretEnv: [MY_CLIENT_SECRET]\n\n")
	}
	p("# The message body every scenario sends; a scenario's own body is merged\n")
	p("# over it.\n# (%s)\n", in.bodyWhy)
	p("body: %s\n\n", yamlValue(c.Body))
	p("# Step configuration besides the credentials.\n# (%s)\n", in.cfgWhy)
	p("cfg: %s\n\n", yamlValue(c.Cfg))
	p("# Time limit per message, from its start until the component is quiet.\n")
	p("# timeout: 30s\n\n")
	p("# Rule failures the team knows about while it adopts the gate: check reports\n")
	p("# them without failing, and says when one starts passing. For example:\n")
	p("#   failures:\n")
	p("#     - rule: R06\n")
	p("#       scenario: %s/rotation   # optional; every scenario when left out\n", c.Provider)
	p("#       reason: our platform fork merges keys\n")
	p("expect:\n  failures: []\n")
	return []byte(b.String())
}

// renderGitHub is ci/github/workflow.yml with the component's directory
// (TestInitCI keeps the two the same).
func renderGitHub(in *inferred) []byte {
	return fmt.Appendf(nil, `# refreshproof in GitHub Actions: copy to .github/workflows/refreshproof.yml
# in your component's repository (or let `+"`refreshproof init --ci github`"+`
# write it). The job fails when a rule fails (exit 1) or the check cannot
# be made (exit 2); the Markdown report becomes the job summary, failed
# and warned rules become annotations, and the reports are uploaded as the
# artifact refreshproof-reports.
name: refreshproof

on:
  push:
  pull_request:

jobs:
  token-refresh:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      # Runs npm ci in the component directory, installs refreshproof from
      # npm and checks; defaults come from refreshproof.yaml.
      - uses: refreshproof/refreshproof/ci/github@v%[1]s
        with:
          version: "%[1]s"
          directory: %[2]s
`, in.ciVersion, yamlValue(in.ciDirectory))
}

func gitlabInclude(in *inferred) string {
	return fmt.Sprintf(`include:
  - remote: https://raw.githubusercontent.com/refreshproof/refreshproof/v%[1]s/ci/gitlab/refreshproof.yml
    inputs:
      version: "%[1]s"
      directory: %[2]s
`, in.ciVersion, yamlValue(in.ciDirectory))
}

func renderGitLab(in *inferred) []byte {
	return []byte(`# refreshproof in GitLab CI (written by ` + "`refreshproof init --ci gitlab`" + `): the
# template adds a job, refreshproof, in the test stage, that fails when a
# token-refresh rule fails; the JUnit report shows in merge requests.
stages:
  - test

` + gitlabInclude(in))
}

// strategyList names the strategies, for messages.
func strategyList() string {
	names := make([]string, len(harness.Strategies))
	for i, s := range harness.Strategies {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
