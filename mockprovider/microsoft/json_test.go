package microsoft

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// reference encodes v as the package did through encoding/json: objects
// in order, every other value by encoding/json without HTML escaping.
func reference(t *testing.T, v any) string {
	t.Helper()
	switch v := v.(type) {
	case obj:
		if v == nil {
			return "{}"
		}
		s := "{"
		for i, f := range v {
			if i > 0 {
				s += ","
			}
			s += reference(t, f.key) + ":" + reference(t, f.value)
		}
		return s + "}"
	case []obj:
		if v == nil {
			return "null"
		}
		s := "["
		for i, o := range v {
			if i > 0 {
				s += ","
			}
			s += reference(t, o)
		}
		return s + "]"
	case []any:
		if v == nil {
			return "null"
		}
		s := "["
		for i, e := range v {
			if i > 0 {
				s += ","
			}
			s += reference(t, e)
		}
		return s + "]"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// TestMarshalAsEncodingJSON: the direct paths of marshal write what
// encoding/json writes.
func TestMarshalAsEncodingJSON(t *testing.T) {
	cases := map[string]any{
		"plain string": "/me/messages?$top=10&$skip=10",
		"html":         `<a href="x">&</a>`,
		"control":      "line\nbreak\ttab\x01\x7f",
		"backslash":    `C:\path`,
		"unicode":      "Zürich \u2028 \xff",
		"values":       []any{0, -12, int64(1) << 40, 3.5, 1e21, 1e-7, true, false, nil, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		"strings":      []string{"a", "b\"c"},
		"nil lists":    obj{{"a", []obj(nil)}, {"b", []any(nil)}, {"c", []obj{}}, {"d", []string(nil)}, {"e", obj(nil)}},
		"nested":       obj{{"@odata.context", "https://graph.microsoft.com/v1.0/$metadata#users/$entity"}, {"value", []obj{{{"id", "1"}, {"from", obj{{"emailAddress", obj{{"name", "Megan"}}}}}}}}},
		"other types":  obj{{"map", map[string]int{"b": 2, "a": 1}}, {"bytes", []byte("hi")}, {"float32", float32(0.1)}},
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			if got, want := string(marshal(v)), reference(t, v); got != want {
				t.Errorf("marshal = %s\nencoding/json = %s", got, want)
			}
		})
	}
}

// TestGraphHeaderKeysCanonical: the header keys written directly are the
// ones Header.Set would have made.
func TestGraphHeaderKeysCanonical(t *testing.T) {
	h := graphHeader("r", "c")
	h["Cache-Control"] = nil
	for k := range h {
		if c := http.CanonicalHeaderKey(k); c != k {
			t.Errorf("key %q, Header.Set writes %q", k, c)
		}
	}
}
