package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

// componentFlags are the flags that describe a component and pick
// scenarios; check will share them.
type componentFlags struct {
	provider, action, strategy, credentialField string
	scenarios, labelFilter                      string
	parallel                                    int
	timeout, startTimeout                       time.Duration
	reveal                                      bool
	body, cfg, keysPolicy                       string
	clientIDEnv, clientSecretEnv                []string
}

func (f *componentFlags) add(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVarP(&f.provider, "provider", "p", "", providerList()+" (default: provider in refreshproof.yaml)")
	fl.StringVarP(&f.action, "action", "a", "", "the action or trigger to run, by its component.json name")
	fl.StringVar(&f.strategy, "strategy", "", "how the component refreshes: on-401 (default), every-call, before-expiry, or platform-secrets (the platform's Secrets service refreshes)")
	fl.StringVar(&f.credentialField, "credential-field", "", `the cfg field holding the OAuth token (default "oauth")`)
	fl.StringVarP(&f.scenarios, "scenarios", "s", "", "comma-separated built-in scenario names or files (default: the provider's whole catalogue)")
	fl.StringVarP(&f.labelFilter, "label-filter", "l", "", `only scenarios whose labels match, e.g. "rotation || refresh-rejected"`)
	fl.IntVar(&f.parallel, "parallel", 0, "scenarios run at once (default: one per CPU)")
	fl.DurationVar(&f.timeout, "timeout", 0, "time limit per message, from the moment its container is ready (default 30s)")
	fl.DurationVar(&f.startTimeout, "start-timeout", 0, "time limit for a container's start, until its sailor is ready (default 60s)")
	fl.BoolVar(&f.reveal, "reveal", false, "keep tokens and secrets in traces (default: replaced by labels such as AT#2)")
	fl.StringVar(&f.body, "body", "", `default message body, a JSON object (scenario bodies merge over it), e.g. '{"query":"SELECT Id FROM Account"}'`)
	fl.StringVar(&f.cfg, "cfg", "", "extra step configuration fields, a JSON object")
	fl.StringSliceVar(&f.clientIDEnv, "client-id-env", nil, "environment variables that carry the OAuth client id (default: OAUTH_CLIENT_ID and the provider's)")
	fl.StringSliceVar(&f.clientSecretEnv, "client-secret-env", nil, "environment variables that carry the OAuth client secret")
	fl.StringVar(&f.keysPolicy, "keys-policy", "", "how the mock platform stores updateKeys: replace (default, as the platform does), shallow, deep")
}

// validate rejects flag values that cannot make a run: they would
// otherwise fall back to a default without a word.
func (f *componentFlags) validate(cmd *cobra.Command) error {
	if cmd.Flags().Changed("parallel") && f.parallel < 1 {
		return usageErr("--parallel must be 1 or more, not %d", f.parallel)
	}
	if cmd.Flags().Changed("timeout") && f.timeout <= 0 {
		return usageErr("--timeout must be above zero, not %s (it bounds each message; the default is 30s)", f.timeout)
	}
	if cmd.Flags().Changed("start-timeout") && f.startTimeout <= 0 {
		return usageErr("--start-timeout must be above zero, not %s (it bounds a container's start; the default is 60s)", f.startTimeout)
	}
	return nil
}

// jsonObject parses a flag holding a JSON object.
func jsonObject(flag, text string) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil || m == nil {
		return nil, usageErr("--%s must be a JSON object, e.g. '{\"key\":\"value\"}'", flag)
	}
	return m, nil
}

// component loads dir's refreshproof.yaml, applies the flags over it and
// checks the component can run.
func (f *componentFlags) component(dir string) (*harness.Component, error) {
	if _, err := os.Stat(filepath.Join(dir, "component.json")); err != nil {
		if abs, aerr := filepath.Abs(dir); aerr == nil {
			dir = abs
		}
		return nil, usageErr("%s holds no component.json: point refreshproof at an elastic.io component directory, e.g.\n  refreshproof check examples/sf-query-on401\n(the built-in examples are in examples/)", dir)
	}
	c, err := harness.LoadComponent(dir)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return f.applyFlags(c)
}

// applyFlags lays the flags over a loaded component description and
// checks the component can run.
func (f *componentFlags) applyFlags(c *harness.Component) (*harness.Component, error) {
	var err error
	if _, serr := os.Stat(filepath.Join(c.Dir, "component.json")); serr != nil {
		return nil, usageErr("%s holds no component.json: point refreshproof at an elastic.io component directory, e.g.\n  refreshproof check examples/sf-query-on401\n(the built-in examples are in examples/)", c.Dir)
	}
	if f.provider != "" {
		c.Provider = f.provider
	}
	if f.action != "" {
		c.Function = f.action
	}
	if f.strategy != "" {
		c.Strategy = harness.Strategy(f.strategy)
	}
	if f.credentialField != "" {
		c.CredentialField = f.credentialField
	}
	if f.timeout > 0 {
		c.Timeout = f.timeout
	}
	if f.startTimeout > 0 {
		c.StartTimeout = f.startTimeout
	}
	if f.body != "" {
		if c.Body, err = jsonObject("body", f.body); err != nil {
			return nil, err
		}
	}
	if f.cfg != "" {
		if c.Cfg, err = jsonObject("cfg", f.cfg); err != nil {
			return nil, err
		}
	}
	if len(f.clientIDEnv) > 0 {
		c.ClientIDEnv = f.clientIDEnv
	}
	if len(f.clientSecretEnv) > 0 {
		c.ClientSecretEnv = f.clientSecretEnv
	}
	if f.keysPolicy != "" {
		c.KeysPolicy = harness.KeysPolicy(f.keysPolicy)
	}
	if err := c.Resolve(); err != nil {
		return nil, usageErr("%v", err)
	}
	return c, nil
}

// selectScenarios picks the scenarios for the component's provider.
func (f *componentFlags) selectScenarios(provider string) ([]*scenarios.Scenario, error) {
	var list []*scenarios.Scenario
	if f.scenarios != "" {
		for _, ref := range strings.Split(f.scenarios, ",") {
			if ref = strings.TrimSpace(ref); ref == "" {
				continue
			}
			sc, err := resolveScenario(provider, ref)
			if err != nil {
				return nil, err
			}
			list = append(list, sc)
		}
	} else {
		for _, sc := range scenarios.Catalogue() {
			if sc.Provider == provider {
				list = append(list, sc)
			}
		}
	}
	if f.labelFilter != "" {
		var err error
		if list, err = scenarios.Select(list, nil, f.labelFilter); err != nil {
			return nil, usageErr("%v", err)
		}
	}
	if len(list) == 0 {
		return nil, usageErr("no scenario selected")
	}
	return list, nil
}

func newRunCmd(s *streams) *cobra.Command {
	f := &componentFlags{}
	var traceDir string
	c := &cobra.Command{
		Use:   "run [DIR]",
		Short: "Run a component through scenarios and record traces (no verdicts)",
		Long: `run drives an unmodified elastic.io Node.js component through scenarios, with
its own sailor, a mock platform API and the mock provider, and records one trace
per scenario: every HTTP exchange, every emitted event, the account's keys
before and after each message, the processes' output. It prints a line per
scenario; --trace-dir writes the traces as JSON (secrets replaced by labels).

DIR (default: the current directory) holds component.json and its installed
node_modules; refreshproof.yaml there may set provider, function,
credentialField, strategy, body, cfg, env and timeout. Flags override it.`,
		Example: `  refreshproof run examples/ms-graph-on401 --scenarios expired-access-token,rotation --trace-dir traces/`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if err := f.validate(cmd); err != nil {
				return err
			}
			comp, err := f.component(dir)
			if err != nil {
				return err
			}
			list, err := f.selectScenarios(comp.Provider)
			if err != nil {
				return err
			}
			if traceDir != "" {
				if err := os.MkdirAll(traceDir, 0o755); err != nil {
					return usageErr("--trace-dir: %v", err)
				}
			}
			r := harness.Runner{Reveal: f.reveal, Parallel: f.parallel}
			fmt.Fprintf(s.err, "running %s (%s, %s) through %s\n", comp.Name, comp.Function, comp.Strategy, plural(len(list), comp.Provider+" scenario", comp.Provider+" scenarios"))
			var failed error
			index := map[*scenarios.Scenario]int{}
			for i, sc := range list {
				index[sc] = i + 1 // numbered in catalogue order, not as they finish
			}
			r.RunAll(cmd.Context(), comp, list, func(_, total int, res harness.Result) {
				if res.Err != nil {
					fmt.Fprintf(s.out, "[%d/%d] %-45s could not run: %v\n", index[res.Scenario], total, res.Scenario.Name, res.Err)
					failed = errors.Join(failed, res.Err)
					return
				}
				fmt.Fprintf(s.out, "[%d/%d] %-45s %s\n", index[res.Scenario], total, res.Scenario.Name, summary(res.Trace))
				if traceDir != "" {
					if err := writeTrace(filepath.Join(traceDir, res.Scenario.Provider+"-"+res.Scenario.Name+".json"), res.Trace); err != nil {
						failed = errors.Join(failed, err)
					}
				}
			})
			if failed != nil {
				return usageErr("some scenarios could not run")
			}
			return nil
		},
	}
	f.add(c)
	c.Flags().StringVar(&traceDir, "trace-dir", "", "write each trace as JSON into this directory")
	return c
}

// summary is one line about a trace: outcomes, refreshes, key updates.
func summary(t harness.Trace) string {
	var outcomes []string
	for _, m := range t.Messages {
		outcomes = append(outcomes, string(m.Outcome))
	}
	refresh, api := 0, 0
	for _, e := range t.Journal {
		switch {
		case e.Kind == mockprovider.KindToken && e.Grant == "refresh_token":
			refresh++
		case e.Kind == mockprovider.KindAPI:
			api++
		}
	}
	blocked := 0
	for _, n := range t.Network {
		if n.Event == "blocked" {
			blocked++
		}
	}
	s := fmt.Sprintf("%s %s; %s, %s, %d updateKeys", map[bool]string{true: "message", false: "messages"}[len(outcomes) == 1], strings.Join(outcomes, ","),
		plural(api, "API call", "API calls"), plural(refresh, "refresh", "refreshes"), len(t.KeyUpdates))
	if blocked > 0 {
		s += ", " + plural(blocked, "blocked connection", "blocked connections")
	}
	leftovers := 0
	for _, c := range t.Containers {
		leftovers += len(c.Leftovers)
	}
	if leftovers > 0 {
		s += ", " + plural(leftovers, "leftover process", "leftover processes") + " ended"
	}
	return s + fmt.Sprintf(" (%.1fs)", t.Duration.Seconds())
}

func writeTrace(path string, t harness.Trace) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	// A revealed trace holds live tokens and the client secret.
	return writeOutput(path, append(b, '\n'), !t.Redacted)
}

// providerList names the providers refreshproof mocks: "salesforce or
// microsoft".
func providerList() string {
	p := scenarios.Providers
	if len(p) < 2 {
		return strings.Join(p, "")
	}
	return strings.Join(p[:len(p)-1], ", ") + " or " + p[len(p)-1]
}
