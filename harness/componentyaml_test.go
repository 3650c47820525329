package harness_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/harness"
)

// TestConfigErrors: every mistake in refreshproof.yaml is reported at its
// file:line:column, with a suggestion when a name is close to a valid one.
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"misspelt field", "provider: salesforce\nfucntion: query\n", []string{`refreshproof.yaml:2:1: unknown field "fucntion"; did you mean "function"?`}},
		{"unknown field, nothing close", "provider: salesforce\nzzz: 1\n", []string{`refreshproof.yaml:2:1: unknown field "zzz" (the fields are provider, function, credentialField`}},
		{"values", "provider: salesforc\nstrategy: on401\nkeysPolicy: merge\n", []string{
			`refreshproof.yaml:1:11: provider: unknown value "salesforc"; did you mean "salesforce"?`,
			`refreshproof.yaml:2:11: strategy: unknown value "on401"; did you mean "on-401"?`,
			`refreshproof.yaml:3:13: keysPolicy: unknown value "merge" (use replace, shallow, deep)`,
		}},
		{"types", "timeout: abc\nbody: [1]\n", []string{
			"refreshproof.yaml:1:10: timeout: want a duration such as 30s",
			"refreshproof.yaml:2:7: body: want a mapping of fields",
		}},
		{"nested", "expect:\n  failures:\n    - rule: R06\n      reasn: x\n", []string{`refreshproof.yaml:4:7: unknown field "expect.failures[0].reasn"; did you mean "reason"?`}},
		{"duplicate", "provider: salesforce\nprovider: microsoft\n", []string{`refreshproof.yaml:2:1: duplicate field "provider" (first at line 1)`}},
		{"syntax", "body: [\n", []string{"refreshproof.yaml:1: invalid YAML"}},
		{"tab", "\tprovider: x\n", []string{"refreshproof.yaml:1:1: tab character in indentation"}},
		{"not a mapping", "- provider\n", []string{"refreshproof.yaml:1:1: refreshproof.yaml must be a mapping of fields"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, harness.ConfigFile), []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := harness.LoadComponent(dir)
			if err == nil {
				t.Fatal("loaded")
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, filepath.Join(dir, w)) {
					t.Errorf("error\n%s\nlacks\n%s", msg, w)
				}
			}
			if got := strings.Count(msg, "refreshproof.yaml:"); got != len(tc.want) {
				t.Errorf("%d problems reported, want %d:\n%s", got, len(tc.want), msg)
			}
		})
	}
}

func TestConfigLoads(t *testing.T) {
	dir := t.TempDir()
	for _, text := range []string{"", "# only a comment\n", "~\n"} {
		if err := os.WriteFile(filepath.Join(dir, harness.ConfigFile), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := harness.LoadComponent(dir); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
	text := "provider: microsoft\nfunction: listMessages\ntimeout: 10s\nclientIdEnv: [MY_ID]\nbody: {top: 3}\nexpect:\n  failures:\n    - {rule: R05, reason: known}\n"
	if err := os.WriteFile(filepath.Join(dir, harness.ConfigFile), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := harness.LoadComponent(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Provider != "microsoft" || c.Function != "listMessages" || c.Timeout != 10*time.Second || c.ClientIDEnv[0] != "MY_ID" || c.Body["top"] != 3 || c.Expect.Failures[0].Rule != "R05" {
		t.Errorf("loaded %+v", c)
	}
}
