package harness

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

// maxConfigSize bounds refreshproof.yaml: it is a page of settings.
const maxConfigSize = 1 << 20

// configEnums are the fields of refreshproof.yaml with a closed set of
// values, checked where they are written so the error can point there.
var configEnums = map[string][]string{
	"provider":   scenarios.Providers,
	"strategy":   strategyNames(),
	"keysPolicy": {string(KeysReplace), string(KeysShallow), string(KeysDeep)},
}

func strategyNames() []string {
	out := make([]string, len(Strategies))
	for i, s := range Strategies {
		out[i] = string(s)
	}
	return out
}

var typeErrorLine = regexp.MustCompile(`^line ([0-9]+): (.*)$`)

// decodeComponent decodes refreshproof.yaml strictly into c. Every
// problem is reported as "file:line:column: message", with a suggestion
// when a field name or value is close to a valid one, as scenario files
// are; all of them, in file order, in one *SetupError.
func decodeComponent(file string, data []byte, c *Component) (err error) {
	if len(data) > maxConfigSize {
		return setupErr("", "%s: file is larger than %d bytes", file, maxConfigSize)
	}
	defer func() {
		// The YAML parser is third-party code fed user input: a panic in
		// it is a bad file, not a crash.
		if r := recover(); r != nil {
			err = setupErr("", "%s: cannot parse YAML: %v", file, r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		e := scenarios.SyntaxError(file, data, err)
		return &SetupError{Problem: position(file, e.Line, e.Column) + e.Msg}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // an empty file is fine
	}
	top := doc.Content[0]
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		return nil
	}
	var problems []positioned
	add := func(n *yaml.Node, format string, args ...any) {
		problems = append(problems, positioned{n.Line, n.Column, fmt.Sprintf(format, args...)})
	}
	if top.Kind != yaml.MappingNode {
		add(top, "%s must be a mapping of fields (provider: salesforce, ...), got %s", ConfigFile, kindOf(top))
	} else {
		checkFields(top, reflect.TypeFor[Component](), "", add)
	}
	if len(problems) == 0 {
		if err := top.Decode(c); err != nil {
			var te *yaml.TypeError
			if !errors.As(err, &te) {
				return setupErr("", "%s: %v", file, err)
			}
			for _, msg := range te.Errors {
				if m := typeErrorLine.FindStringSubmatch(msg); m != nil {
					line, _ := strconv.Atoi(m[1])
					n, field := nodeAtLine(top, line, "")
					p := positioned{line: line, msg: m[2]}
					if n != nil {
						p.column = n.Column
						p.msg = fmt.Sprintf("%s: %s", field, friendlyType(m[2]))
					}
					problems = append(problems, p)
					continue
				}
				problems = append(problems, positioned{msg: msg})
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	slices.SortStableFunc(problems, func(a, b positioned) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return a.column - b.column
	})
	lines := make([]string, len(problems))
	for i, p := range problems {
		// One problem a line: a value quoted raw (a scalar with a tag of
		// its own, a YAML error quoting the text) must not start a line
		// that reads as another problem without a position.
		lines[i] = position(file, p.line, p.column) + oneLine.Replace(p.msg)
	}
	return &SetupError{Problem: strings.Join(lines, "\n")}
}

// oneLine shows line breaks inside a problem's message as escapes.
var oneLine = strings.NewReplacer("\r\n", `\r\n`, "\n", `\n`, "\r", `\r`, "\u0085", `\u0085`, "\u2028", `\u2028`, "\u2029", `\u2029`)

type positioned struct {
	line, column int
	msg          string
}

func position(file string, line, column int) string {
	switch {
	case line == 0:
		return file + ": "
	case column == 0:
		return fmt.Sprintf("%s:%d: ", file, line)
	}
	return fmt.Sprintf("%s:%d:%d: ", file, line, column)
}

// yamlFields returns the YAML field names of a struct type, in order.
func yamlFields(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		names = append(names, name)
	}
	return names
}

func fieldType(t reflect.Type, name string) reflect.Type {
	for f := range t.Fields() {
		if n, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); n == name {
			return f.Type
		}
	}
	return nil
}

// checkFields refuses unknown and duplicate keys in the mapping n against
// the struct type t, recursing into nested structs and lists of them.
// Maps (body, cfg, env) are free-form.
func checkFields(n *yaml.Node, t reflect.Type, path string, add func(*yaml.Node, string, ...any)) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch t.Kind() {
	case reflect.Pointer:
		checkFields(n, t.Elem(), path, add)
		return
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct && n.Kind == yaml.SequenceNode {
			for i, item := range n.Content {
				checkFields(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), add)
			}
		}
		return
	case reflect.Struct:
	default:
		return
	}
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		add(n, "%s must be a mapping, got %s", path, kindOf(n))
		return
	}
	known := yamlFields(t)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		where := key
		if path != "" {
			where = path + "." + key
		}
		if line, dup := seen[key]; dup {
			add(k, "duplicate field %q (first at line %d)", where, line)
			continue
		}
		seen[key] = k.Line
		if !slices.Contains(known, key) {
			if s := mockprovider.Suggest(key, known); s != "" {
				add(k, "unknown field %q; did you mean %q?", where, s)
			} else {
				add(k, "unknown field %q (the fields are %s)", where, strings.Join(known, ", "))
			}
			continue
		}
		if values, ok := configEnums[key]; ok && path == "" && v.Kind == yaml.ScalarNode && v.Tag != "!!null" && !slices.Contains(values, v.Value) {
			msg := fmt.Sprintf("%s: unknown value %q", key, v.Value)
			if s := mockprovider.Suggest(v.Value, values); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else {
				msg += fmt.Sprintf(" (use %s)", strings.Join(values, ", "))
			}
			add(v, "%s", msg)
			continue
		}
		checkFields(v, fieldType(t, key), where, add)
	}
}

// nodeAtLine finds the value node that starts on line, and its field path.
func nodeAtLine(n *yaml.Node, line int, path string) (*yaml.Node, string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			where := k.Value
			if path != "" {
				where = path + "." + k.Value
			}
			if v.Line == line {
				return v, where
			}
			if found, p := nodeAtLine(v, line, where); found != nil {
				return found, p
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			where := fmt.Sprintf("%s[%d]", path, i)
			if item.Line == line && item.Kind == yaml.ScalarNode {
				return item, where
			}
			if found, p := nodeAtLine(item, line, where); found != nil {
				return found, p
			}
		}
	}
	return nil, ""
}

// friendlyType rewrites the YAML decoder's type errors in the words of
// the format.
func friendlyType(msg string) string {
	switch {
	case strings.Contains(msg, "into time.Duration"):
		return "want a duration such as 30s or 2m (" + msg + ")"
	case strings.Contains(msg, "into map["):
		return "want a mapping of fields (" + msg + ")"
	case strings.Contains(msg, "into []string"):
		return "want a list of names, e.g. [OAUTH_CLIENT_ID] (" + msg + ")"
	}
	return msg
}

func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	if n.Tag == "!!str" {
		return fmt.Sprintf("the string %q", n.Value)
	}
	return n.Value
}
