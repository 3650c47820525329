package jsontext

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAppendMatchesEncodingJSONButHTML(t *testing.T) {
	values := []any{
		"plain", "", "<a href=\"x?a=1&b=2\">", "tab\there", "quote\"back\\slash", "é ☃", "\u2028", "\x7f", "\x00",
		42, 1.5, true, nil, []string{"a", "<b>"}, map[string]any{"k": "v&w"},
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		// encoding/json escapes <, > and & as \u003c, \u003e, \u0026.
		want = []byte(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(want)))
		got, err := Append([]byte("prefix:"), v)
		if err != nil || string(got) != "prefix:"+string(want) {
			t.Errorf("Append(%#v) = %q, %v; want %q", v, got, err, "prefix:"+string(want))
		}
		if s, ok := v.(string); ok {
			if got := AppendString(nil, s); string(got) != string(want) {
				t.Errorf("AppendString(%q) = %q, want %q", s, got, want)
			}
		}
	}
}

func TestAppendError(t *testing.T) {
	b, err := Append([]byte("kept"), func() {})
	if err == nil || string(b) != "kept" {
		t.Errorf("Append(func) = %q, %v; want the buffer unchanged and an error", b, err)
	}
	if _, err := String(make(chan int)); err == nil {
		t.Error("String(chan) gave no error")
	}
}
