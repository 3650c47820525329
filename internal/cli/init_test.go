package cli_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/internal/cli"
)

// copyComponent copies what init reads of an example (component.json,
// package.json, lib/) into a new directory, without its refreshproof.yaml.
func copyComponent(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"component.json", "package.json", "lib"} {
		if out, err := exec.Command("cp", "-R", filepath.Join(examples, name, f), dst).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v %s", err, out)
		}
	}
	return dst
}

// initFlags are the flags init needs for an example: what component.json
// cannot tell, taken from the example's own refreshproof.yaml.
func initFlags(t *testing.T, name string) (want *harness.Component, flags []string) {
	t.Helper()
	want, err := harness.LoadComponent(filepath.Join(examples, name))
	if err != nil {
		t.Fatal(err)
	}
	if want.Strategy == "" {
		want.Strategy = harness.StrategyOn401 // what Resolve makes of it
	}
	if want.Provider == "salesforce" {
		// The Salesforce examples' query input is required and has no default.
		b, _ := json.Marshal(want.Body)
		flags = append(flags, "--body", string(b))
	}
	if want.Strategy == harness.StrategyPlatformSecrets || len(want.Credential) > 0 {
		// A Secrets-mode component.json names no OAuth URL, nor does one
		// whose user enters them in the credential (HTTPAuthView).
		flags = append(flags, "--provider", want.Provider)
	}
	if want.Strategy != harness.StrategyPlatformSecrets && want.Strategy != harness.StrategyOn401 {
		flags = append(flags, "--strategy", string(want.Strategy))
	}
	if want.CredentialField == "." {
		// Keys at the credential's top level: the code says so, not
		// component.json.
		flags = append(flags, "--credential-field", ".")
	}
	return want, flags
}

// TestInitExamples: on every example component, init writes a
// refreshproof.yaml that describes the component as the example's own
// does, given only what component.json cannot tell (the strategy, a
// required query).
func TestInitExamples(t *testing.T) {
	entries, err := os.ReadDir(examples)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			want, flags := initFlags(t, e.Name())
			dir := copyComponent(t, e.Name())
			code, out, errOut := run(t, append([]string{"init", dir}, flags...)...)
			if code != cli.ExitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			got, err := harness.LoadComponent(dir)
			if err != nil {
				t.Fatal(err)
			}
			type view struct {
				Provider, Function, CredentialField string
				Credential                          map[string]string
				Strategy                            harness.Strategy
				Body, Cfg                           map[string]any
			}
			for _, c := range []*harness.Component{got, want} {
				if c.CredentialField == "" {
					c.CredentialField = "oauth" // what Resolve makes of it
				}
				if len(c.Cfg) == 0 {
					c.Cfg = nil // "cfg: {}" and none are the same
				}
			}
			// Every field the examples set is compared, so check with
			// init's file judges as with the example's (TestCheckExamples);
			// TestInitReproducesVerdicts runs a few to show it.
			g := view{got.Provider, got.Function, got.CredentialField, got.Credential, got.Strategy, got.Body, got.Cfg}
			w := view{want.Provider, want.Function, want.CredentialField, want.Credential, want.Strategy, want.Body, want.Cfg}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("init wrote %+v, the example has %+v", g, w)
			}
			if want.Strategy == harness.StrategyPlatformSecrets {
				return // the platform holds the client: no client variables
			}
			if len(want.Credential) > 0 {
				// The client is the credential's own fields, which the
				// credential block fills; component.json's templates
				// name those fields, not environment variables.
				if len(got.ClientIDEnv) != 0 || len(got.ClientSecretEnv) != 0 {
					t.Errorf("client env %v %v from an HTTPAuthView credential's templates", got.ClientIDEnv, got.ClientSecretEnv)
				}
				return
			}
			if !slices.Equal(got.ClientIDEnv, []string{"OAUTH_CLIENT_ID"}) || !slices.Equal(got.ClientSecretEnv, []string{"OAUTH_CLIENT_SECRET"}) {
				t.Errorf("client env %v %v, want component.json's templates", got.ClientIDEnv, got.ClientSecretEnv)
			}
		})
	}
	if n == 0 {
		t.Fatal("no examples")
	}
}

// TestInitReproducesVerdicts: check with the description init wrote gives
// the verdicts TestCheckExamples expects, for a few examples (a Salesforce
// one, a Microsoft one, one with another strategy, one with warnings).
func TestInitReproducesVerdicts(t *testing.T) {
	needExamples(t)
	// As TestCheckExamples expects them (see verdictSet).
	want := map[string][]string{
		"sf-drops-refresh-token": {"R06"},
		"ms-retries-twice":       {"R08"},
		"ms-graph-every-call":    {},
		"ms-unbound-emit":        {"R05", "warn:R06<R05", "warn:R07<R05"},
		"ms-nested-credential":   {},
	}
	for name, ids := range want {
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(examples, name, "node_modules")); err != nil {
				t.Skip("not installed (make deps)")
			}
			t.Parallel()
			_, flags := initFlags(t, name)
			dir := filepath.Join(t.TempDir(), name)
			copyExample(t, name, dir)
			if err := os.Remove(filepath.Join(dir, harness.ConfigFile)); err != nil {
				t.Fatal(err)
			}
			if code, out, errOut := run(t, append([]string{"init", dir}, flags...)...); code != cli.ExitOK {
				t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
			}
			record := filepath.Join(t.TempDir(), "run.json")
			code, out, errOut := runFor(t, 5*time.Minute, "check", dir, "--label-filter", "!timeout", "--parallel", "1", "--timeout", "10s", "--json-report", record)
			wantCode := cli.ExitOK
			if slices.ContainsFunc(ids, func(id string) bool { return !strings.HasPrefix(id, "warn:") }) {
				wantCode = cli.ExitFailed
			}
			if code != wantCode {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, wantCode, out, lastLines(errOut, 20))
			}
			if got := verdictSet(readRecord(t, record)); !slices.Equal(got, ids) {
				t.Errorf("verdicts %v, want %v", got, ids)
			}
		})
	}
}

func writeAt(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

const twoActions = `{"title":"t",
 "credentials":{"fields":{"auth":{"viewClass":"OAuthFieldView"}},
   "oauth2":{"client_id":"{{MS_ID}}","client_secret":"{{MS_SECRET}}","token_uri":"https://login.microsoftonline.com/common/oauth2/v2.0/token"}},
 "actions":{"listMessages":{"main":"./a.js","metadata":{"in":"./schemas/in.json"}},
            "sendMail":{"main":"./b.js","fields":{"folder":{"required":true}}}},
 "triggers":{"poll":{"main":"./c.js","fields":{"interval":{"default":"5m"}}}}}`

// TestInitErrors: what init cannot infer is an error naming the flag that
// gives it; nothing is replaced without --force.
func TestInitErrors(t *testing.T) {
	dir := t.TempDir()
	writeAt(t, filepath.Join(dir, "component.json"), twoActions)
	writeAt(t, filepath.Join(dir, "schemas", "in.json"), `{"type":"object","required":["top"],"properties":{"top":{"type":"number","default":5},"q":{"type":"string"}}}`)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no component.json", []string{"init", t.TempDir()}, "holds no component.json"},
		{"several functions", []string{"init", dir}, "has 3 actions and triggers (listMessages, poll, sendMail); pass --action"},
		{"misspelt action", []string{"init", dir, "--action", "listMesages"}, `did you mean "listMessages"?`},
		{"required field", []string{"init", dir, "--action", "sendMail"}, `"sendMail" requires the field(s) folder, which have no default in component.json; pass --cfg`},
		{"bad ci", []string{"init", dir, "--action", "poll", "--ci", "jenkins"}, "--ci must be github or gitlab"},
		{"bad strategy", []string{"init", dir, "--action", "poll", "--strategy", "on401"}, "--strategy must be"},
		{"bad body", []string{"init", dir, "--action", "poll", "--body", "[1]"}, "--body must be a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(t, tc.args...)
			if code != cli.ExitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, harness.ConfigFile)); err == nil {
				t.Error("a refused init wrote refreshproof.yaml")
			}
		})
	}

	t.Run("unknown provider", func(t *testing.T) {
		d := t.TempDir()
		writeAt(t, filepath.Join(d, "component.json"), `{"credentials":{"fields":{"oauth":{"viewClass":"OAuthFieldView"}},"oauth2":{"token_uri":"https://auth.example.com/token"}},"actions":{"a":{"main":"./a.js"}}}`)
		if code, _, errOut := run(t, "init", d); code != cli.ExitUsage || !strings.Contains(errOut, "pass --provider salesforce or --provider microsoft") {
			t.Errorf("exit %d, %s", code, errOut)
		}
		if code, _, errOut := run(t, "init", d, "--provider", "salesforce"); code != cli.ExitOK {
			t.Errorf("with --provider: exit %d, %s", code, errOut)
		}
	})

	t.Run("inferred and written", func(t *testing.T) {
		code, out, errOut := run(t, "init", dir, "--action", "listMessages")
		if code != cli.ExitOK {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		c, err := harness.LoadComponent(dir)
		if err != nil {
			t.Fatal(err)
		}
		if c.Provider != "microsoft" || c.CredentialField != "auth" || c.ClientIDEnv[0] != "MS_ID" || c.ClientSecretEnv[0] != "MS_SECRET" || c.Body["top"] != 5 || len(c.Body) != 1 {
			t.Errorf("wrote %+v", c)
		}
		text, _ := os.ReadFile(filepath.Join(dir, harness.ConfigFile))
		for _, comment := range []string{"# component.json has: listMessages, poll, sendMail.", "credentials.oauth2.token_uri is at login.microsoftonline.com", "#     - rule: R06"} {
			if !strings.Contains(string(text), comment) {
				t.Errorf("refreshproof.yaml lacks %q:\n%s", comment, text)
			}
		}
	})
	t.Run("never overwrites without --force", func(t *testing.T) {
		before, _ := os.ReadFile(filepath.Join(dir, harness.ConfigFile))
		code, _, errOut := run(t, "init", dir, "--action", "poll")
		if code != cli.ExitUsage || !strings.Contains(errOut, "refreshproof.yaml exists; pass --force") {
			t.Errorf("exit %d, %s", code, errOut)
		}
		if after, _ := os.ReadFile(filepath.Join(dir, harness.ConfigFile)); string(after) != string(before) {
			t.Error("refreshproof.yaml changed")
		}
		if code, _, errOut := run(t, "init", dir, "--action", "poll", "--force"); code != cli.ExitOK {
			t.Fatalf("--force: exit %d, %s", code, errOut)
		}
		c, err := harness.LoadComponent(dir)
		if err != nil || c.Function != "poll" || c.Cfg["interval"] != "5m" {
			t.Errorf("after --force: %+v, %v", c, err)
		}
	})
}

// TestInitCI: --ci github writes ci/github/workflow.yml (the directory set
// to the component's place in its repository), --ci gitlab an include of
// the template; an existing .gitlab-ci.yml is left alone, with the lines
// to add.
func TestInitCI(t *testing.T) {
	template, err := os.ReadFile(filepath.Join(repoRoot, "ci", "github", "workflow.yml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("github, component at the root", func(t *testing.T) {
		dir := copyComponent(t, "ms-graph-on401")
		if code, _, errOut := run(t, "init", dir, "--ci", "github"); code != cli.ExitOK {
			t.Fatalf("exit %d, %s", code, errOut)
		}
		got, err := os.ReadFile(filepath.Join(dir, ".github", "workflows", "refreshproof.yml"))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(template) {
			t.Errorf("init --ci github wrote\n%s\nci/github/workflow.yml is\n%s", got, template)
		}
	})
	t.Run("github, component in a repository", func(t *testing.T) {
		root := t.TempDir()
		if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, "components", "outlook")
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("cp", "-R", copyComponent(t, "ms-graph-on401"), dir).CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
		if code, _, errOut := run(t, "init", dir, "--ci", "github"); code != cli.ExitOK {
			t.Fatalf("exit %d, %s", code, errOut)
		}
		got, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "refreshproof.yml"))
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Replace(string(template), "directory: .\n", "directory: components/outlook\n", 1)
		if string(got) != want {
			t.Errorf("wrote\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("gitlab", func(t *testing.T) {
		dir := copyComponent(t, "ms-graph-on401")
		writeAt(t, filepath.Join(dir, ".gitlab-ci.yml"), "stages: [build]\n")
		code, _, errOut := run(t, "init", dir, "--ci", "gitlab")
		if code != cli.ExitUsage || !strings.Contains(errOut, ".gitlab-ci.yml exists; add this to it") || !strings.Contains(errOut, "ci/gitlab/refreshproof.yml") {
			t.Fatalf("exit %d, %s", code, errOut)
		}
		if _, err := os.Stat(filepath.Join(dir, harness.ConfigFile)); err == nil {
			t.Error("a refused init wrote refreshproof.yaml")
		}
		if code, _, errOut := run(t, "init", dir, "--ci", "gitlab", "--force"); code != cli.ExitOK {
			t.Fatalf("--force: exit %d, %s", code, errOut)
		}
		b, _ := os.ReadFile(filepath.Join(dir, ".gitlab-ci.yml"))
		for _, want := range []string{"include:\n  - remote: https://raw.githubusercontent.com/refreshproof/refreshproof/v0.1.0/ci/gitlab/refreshproof.yml\n", "      directory: .\n", "  - test\n"} {
			if !strings.Contains(string(b), want) {
				t.Errorf(".gitlab-ci.yml lacks %q:\n%s", want, b)
			}
		}
	})
}
