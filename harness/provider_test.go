package harness_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/harness"
)

func TestInferProvider(t *testing.T) {
	for _, tc := range []struct{ dir, want string }{
		{"sf-query-on401", "salesforce"},
		{"ms-graph-on401", "microsoft"},
	} {
		raw, err := os.ReadFile(filepath.Join("..", "examples", tc.dir, "component.json"))
		if err != nil {
			t.Fatal(err)
		}
		if got, why := harness.InferProvider(raw); got != tc.want || !strings.Contains(why, "credentials.oauth2.") {
			t.Errorf("%s: %q (%s), want %s", tc.dir, got, why, tc.want)
		}
	}
	templated := []byte(`{"credentials":{"oauth2":{"token_uri":"https://{{prodEnv}}.salesforce.com/services/oauth2/token"}}}`)
	if got, _ := harness.InferProvider(templated); got != "salesforce" {
		t.Errorf("a templated Salesforce host: %q", got)
	}
	if got, _ := harness.InferProvider([]byte(`{"credentials":{"oauth2":{"token_uri":"{{tokenUri}}"}}}`)); got != "" {
		t.Errorf("a URL from the credentials: %q, want none", got)
	}

	// A provider that contradicts component.json is refused; none given
	// is taken from it.
	c := &harness.Component{Dir: filepath.Join("..", "examples", "ms-graph-on401"), Provider: "salesforce"}
	var se *harness.SetupError
	if err := c.Resolve(); !errors.As(err, &se) || !strings.Contains(err.Error(), "talks to microsoft") {
		t.Errorf("mismatch: %v", err)
	}
	c = &harness.Component{Dir: filepath.Join("..", "examples", "ms-graph-on401")}
	if err := c.Resolve(); err != nil || c.Provider != "microsoft" || c.ProviderFrom == "" {
		t.Errorf("inferred: %v, provider %q (%s)", err, c.Provider, c.ProviderFrom)
	}
}
