package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestCITemplates keeps ci/ true: every template is YAML, and every flag
// it passes to refreshproof check or report exists.
func TestCITemplates(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "ci", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	help := map[string]string{}
	for _, cmd := range []string{"check", "report"} {
		_, out, _ := run(t, cmd, "--help")
		help[cmd] = out
	}
	flag := regexp.MustCompile(`--[a-z][a-z-]*`)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var doc yaml.Node
			if err := yaml.Unmarshal(b, &doc); err != nil {
				t.Fatalf("not YAML: %v", err)
			}
			var calls int
			var walk func(n *yaml.Node)
			walk = func(n *yaml.Node) {
				if n.Kind == yaml.ScalarNode {
					for _, cmd := range []string{"check", "report"} {
						i := strings.Index(n.Value, "refreshproof "+cmd)
						if i < 0 {
							continue
						}
						calls++
						for _, fl := range flag.FindAllString(n.Value[i:], -1) {
							if !strings.Contains(help[cmd], fl) {
								t.Errorf("%s passes %s to refreshproof %s, which has no such flag", f, fl, cmd)
							}
						}
					}
				}
				for _, c := range n.Content {
					walk(c)
				}
			}
			walk(&doc)
			if calls == 0 {
				t.Error("the template never runs refreshproof check or report")
			}
		})
	}
}
