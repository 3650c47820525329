package harness_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/scenarios"
)

// FuzzComponentJSON feeds arbitrary component.json files, function names
// and providers to what reads component.json: InferProvider,
// DeclaresAuthClient and Resolve. Resolve runs in a directory with a
// sailor of a supported version installed, so the file decides how far
// it gets. Nothing panics; Resolve refuses with a *SetupError or resolves
// a function with a main file and the provider the file names. Seeds are
// every component.json in the repository.
func FuzzComponentJSON(f *testing.F) {
	for _, pattern := range []string{"../examples/*/component.json", "testdata/*/component.json", "testdata/sailors/*/component.json", "node/testdata/*/component.json"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data, "", "")
			}
		}
	}
	f.Add([]byte(`{"credentials":{"oauth2":{"token_uri":"https://{{prodEnv}}.salesforce.com/services/oauth2/token"}},"actions":{"q":{"main":"./lib/q.js"}}}`), "q", "microsoft")
	f.Add([]byte(`{"authClientTypes":["oauth2"],"triggers":{"t":{"main":"lib/q"}},"actions":{"t":{"main":7}}}`), "t", "salesforce")
	f.Add([]byte(`{"credentials":{"oauth2":{"auth_uri":"https://login.microsoftonline.com:99999/x","a":"%zz://"}}}`), "", "")
	f.Add([]byte(`{"actions":{"a":{"main":"../../../../../../etc/hostname"},"b":{}}}`), "a", "salesforce")
	f.Add([]byte(`[]`), "", "")

	dir := f.TempDir()
	sailor := filepath.Join(dir, "node_modules", "elasticio-sailor-nodejs")
	if err := os.MkdirAll(sailor, 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sailor, "package.json"), []byte(`{"name":"elasticio-sailor-nodejs","version":"2.7.8"}`), 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "lib"), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lib", "q.js"), []byte("module.exports.process = async function () {};\n"), 0o644); err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, componentJSON []byte, function, provider string) {
		inferred, why := harness.InferProvider(componentJSON)
		if (inferred == "") != (why == "") {
			t.Fatalf("InferProvider = %q, %q: a provider and no reason, or a reason and no provider", inferred, why)
		}
		if inferred != "" && (!slices.Contains(scenarios.Providers, inferred) || !strings.Contains(why, "credentials.oauth2.")) {
			t.Fatalf("InferProvider = %q, %q: not a provider, or not said where it was seen", inferred, why)
		}
		if again, _ := harness.InferProvider(componentJSON); again != inferred {
			t.Fatalf("InferProvider changed its mind: %q then %q", inferred, again)
		}
		_ = harness.DeclaresAuthClient(componentJSON)

		if err := os.WriteFile(filepath.Join(dir, "component.json"), componentJSON, 0o644); err != nil {
			t.Fatal(err)
		}
		c := &harness.Component{Dir: dir, Function: function, Provider: provider}
		err := c.Resolve()
		if err != nil {
			var se *harness.SetupError
			if !errors.As(err, &se) || se.Problem == "" {
				t.Fatalf("Resolve refused with %T %v, not a *SetupError with a problem", err, err)
			}
			return
		}
		if c.Function == "" || c.Main == "" {
			t.Fatalf("resolved without a function or main: %+v", c)
		}
		if !slices.Contains(scenarios.Providers, c.Provider) {
			t.Fatalf("resolved with provider %q", c.Provider)
		}
		if inferred != "" && c.Provider != inferred {
			t.Fatalf("component.json talks to %s (%s), but Resolve accepted provider %q", inferred, why, c.Provider)
		}
	})
}
