package harness

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// problemLine is one problem of a refused refreshproof.yaml: the file,
// then a line and column when the problem has a place.
var problemLine = regexp.MustCompile(`^refreshproof\.yaml:(?:([0-9]+):(?:([0-9]+):)?)? `)

// FuzzComponentYAML feeds arbitrary bytes to the refreshproof.yaml
// decoder. A refused file is a *SetupError whose every line starts with
// the file name and, where it has one, a position inside the file; an
// accepted one prints back to YAML that loads again and prints the same
// (print, parse, print is a fixed point). Seeds are the examples'
// refreshproof.yaml files and the mistakes TestConfigErrors names.
func FuzzComponentYAML(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "examples", "*", ConfigFile))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"provider: salesforc\nstrategy: on401\nkeysPolicy: merge\n",
		"timeout: abc\nbody: [1]\n",
		"expect:\n  failures:\n    - rule: R06\n      reasn: x\n",
		"provider: salesforce\nprovider: microsoft\n",
		"body: [\n",
		"\tprovider: x\n",
		"- provider\n",
		"~\n",
		"timeout: -5s\nstartTimeout: 1h\nstrict: true\n",
		"credential:\n  auth.oauth2.clientId: \"{{clientId}}\"\n  auth.type: OAuth2\nclientIdEnv: [A, B]\n",
		"body: &b {a: *b}\n",
		"cfg: {a: !!binary aGVsbG8=, b: 2001-12-14, c: .nan, d: 0x1F}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Component
		err := decodeComponent(ConfigFile, data, &c)
		if err != nil {
			checkProblems(t, data, err)
			return
		}
		printed := printComponent(t, &c)
		var again Component
		if err := decodeComponent(ConfigFile, printed, &again); err != nil {
			t.Fatalf("the printed form of an accepted file is refused: %v\ninput:\n%q\nprinted:\n%s", err, data, printed)
		}
		if reprinted := printComponent(t, &again); !bytes.Equal(printed, reprinted) {
			t.Fatalf("print, parse, print is not a fixed point\ninput:\n%q\nprinted:\n%s\nreprinted:\n%s", data, printed, reprinted)
		}
	})
}

// checkProblems fails t unless err is a *SetupError whose lines each name
// the file and a position inside data.
func checkProblems(t *testing.T, data []byte, err error) {
	t.Helper()
	var se *SetupError
	if !errors.As(err, &se) {
		t.Fatalf("refused with a %T, not a *SetupError: %v", err, err)
	}
	if se.Problem == "" {
		t.Fatal("refused with an empty problem")
	}
	// YAML breaks lines at \n, \r, \r\n, NEL, LS and PS: counting each
	// bounds the lines the file has.
	lines := 1 + bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) +
		bytes.Count(data, []byte("\u0085")) + bytes.Count(data, []byte("\u2028")) + bytes.Count(data, []byte("\u2029"))
	for _, line := range strings.Split(se.Problem, "\n") {
		m := problemLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("problem line %q does not start with %s[:line[:column]]: (whole problem %q)", line, ConfigFile, se.Problem)
		}
		if m[1] == "" {
			continue
		}
		if n, _ := strconv.Atoi(m[1]); n < 1 || n > lines {
			t.Fatalf("problem %q is at line %d of a file of %d lines", line, n, lines)
		}
	}
}

// printComponent writes the fields of c that are set as YAML, under
// their refreshproof.yaml names: a file that loads back into c.
func printComponent(t *testing.T, c *Component) []byte {
	t.Helper()
	doc := map[string]any{}
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		sf := v.Type().Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || v.Field(i).IsZero() {
			continue
		}
		doc[name] = v.Field(i).Interface()
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatalf("printing %+v: %v", c, err)
	}
	return out
}

// TestConfigProblemOnOneLine: a scalar with a tag of its own is quoted
// raw in the "must be a mapping" problem; its line breaks must not start
// lines that read as problems without a position (FuzzComponentYAML's
// testdata/fuzz/FuzzComponentYAML/tagged-multiline-scalar).
func TestConfigProblemOnOneLine(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte("\n\n!000 00000\n\n000"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadComponent(dir)
	se, ok := err.(*SetupError)
	if !ok {
		t.Fatalf("got %v, want a *SetupError", err)
	}
	if strings.Contains(se.Problem, "\n") || !strings.Contains(se.Problem, `00000\n000`) {
		t.Errorf("problem %q: want one line, the break shown as \\n", se.Problem)
	}
}
