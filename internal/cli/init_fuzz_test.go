package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/refreshproof/refreshproof/harness"
)

// FuzzInit runs init on arbitrary component.json files (and an input
// schema file the metadata may name): init either refuses with a usage
// error or writes a refreshproof.yaml that loads as check loads it, with
// the body and step fields init inferred. Never a panic, never a file
// that does not load.
func FuzzInit(f *testing.F) {
	examples, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*", "component.json"))
	for _, p := range examples {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), "", "")
	}
	two := `{"title":"t","credentials":{"fields":{"auth":{"viewClass":"OAuthFieldView"}},"oauth2":{"client_id":"{{MS_ID}}","client_secret":"{{MS_SECRET}}","token_uri":"https://login.microsoftonline.com/common/oauth2/v2.0/token"}},` +
		`"actions":{"listMessages":{"main":"./a.js","metadata":{"in":"./schemas/in.json"}},"sendMail":{"main":"./b.js","fields":{"folder":{"required":true}}}},"triggers":{"poll":{"main":"./c.js","fields":{"interval":{"default":"5m"}}}}}`
	f.Add(two, `{"type":"object","required":["top"],"properties":{"top":{"type":"number","default":5},"q":{"type":"string"}}}`, "listMessages")
	f.Add(two, `{"properties":{"when":{"default":"2025-03-17"},"yes":{"default":"yes"},"n":{"default":"0x1F"},"multi":{"default":"a\nb: c"},"nested":{"default":{"#":["- x",null,1e300]}}}}`, "listMessages")
	f.Add(two, `"../../etc/passwd"`, "listMessages")
	f.Add(two, "", "poll")
	f.Add(`{"credentials":{"fields":{"oauth":{"viewClass":"OAuthFieldView"}},"oauth2":{"token_uri":"https://login.salesforce.com/services/oauth2/token"}},"actions":{"a: b #c":{"main":"./a.js","fields":{"k: v":{"default":"'\"{{x}}\""}}}}}`, "", "")
	f.Add(`{"authClientTypes":["oauth2"],"actions":{"q":{"main":"q.js"}}}`, "", "")
	f.Add(`[]`, "", "")
	f.Fuzz(func(t *testing.T, component, schema, action string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "component.json"), []byte(component), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, "schemas"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "schemas", "in.json"), []byte(schema), 0o644); err != nil {
			t.Fatal(err)
		}
		o := &initOpts{action: action}
		if err := runInit(&streams{in: bytes.NewReader(nil), out: io.Discard, err: io.Discard}, o, dir); err != nil {
			var e *exitError
			if !errors.As(err, &e) || e.code != ExitUsage {
				t.Fatalf("init fails without a usage error: %v", err)
			}
			return
		}
		c, err := harness.LoadComponent(dir)
		if err != nil {
			t.Fatalf("init succeeded but its file does not load: %v", err)
		}
		// What init read from component.json, as JSON; the loaded
		// description must say the same (YAML and JSON differ in number
		// types only, which marshalling evens out).
		var desc componentJSON
		_ = json.Unmarshal([]byte(component), &desc)
		in, err := infer(dir, []byte(component), &desc, o)
		if err != nil {
			t.Fatalf("infer: %v", err)
		}
		for name, pair := range map[string][2]any{"body": {in.c.Body, c.Body}, "cfg": {in.c.Cfg, c.Cfg}, "function": {in.c.Function, c.Function}, "credential field": {in.c.CredentialField, c.CredentialField}} {
			want, _ := json.Marshal(pair[0])
			got, _ := json.Marshal(pair[1])
			if !bytes.Equal(want, got) {
				t.Fatalf("%s: init inferred %s, %s loads %s", name, want, harness.ConfigFile, got)
			}
		}
	})
}
