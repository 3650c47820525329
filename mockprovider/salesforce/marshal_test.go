package salesforce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// TestMarshalAsEncodingJSON: the direct paths of marshal write what
// encoding/json (HTML left unescaped) writes.
func TestMarshalAsEncodingJSON(t *testing.T) {
	cases := map[string]any{
		"plain string":   "SELECT Id FROM Account",
		"html":           "<a href=\"x\">&</a>",
		"control":        "line\nbreak\ttab\x01",
		"backslash":      `C:\path`,
		"unicode":        "Zürich \u2028 \xff",
		"numbers":        []any{0, -12, 3.5e7, 15000.0, true, false, nil},
		"nil lists":      object{{"a", []object(nil)}, {"b", []any(nil)}, {"c", []object{}}},
		"nested":         object{{"records", []object{{{"Id", "001"}, {"attributes", object{{"type", "Account"}}}}}}, {"done", true}},
		"list of values": []any{"x", object{{"k", "v"}}, []any{1, "2"}},
		"json numbers":   []any{json.Number("0"), json.Number("-0.5"), json.Number("3.5E7"), json.Number("1e-3"), json.Number("120"), json.Number("")},
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			if got := string(marshal(v)); got != string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
				t.Errorf("marshal = %s\nencoding/json = %s", got, want.String())
			}
		})
	}
}

// TestJSONNumber: jsonNumber accepts exactly the JSON numbers.
func TestJSONNumber(t *testing.T) {
	for _, s := range []string{"0", "-0", "7", "120", "-12.50", "3.5E7", "1e-3", "2E+10", "0.0",
		"", "-", "01", "1.", ".5", "1e", "1e+", "+1", "0x10", "1_000", "1.2.3", "--1", "1e5e5", "NaN", "Infinity", "12a"} {
		want := json.Valid([]byte(s)) && s != ""
		if got := jsonNumber(s); got != want {
			t.Errorf("jsonNumber(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestSignatureKeptHMAC: the signature made with a kept HMAC is
// Signature's, for each client and after others signed in between.
func TestSignatureKeptHMAC(t *testing.T) {
	d := New(Options{})
	for i := 0; i < 40; i++ {
		secret := fmt.Sprint("secret-", i%20)
		id, at := fmt.Sprint("https://login.salesforce.com/id/00D/005", i), fmt.Sprint(1764676800000+i)
		if got, want := d.signature(secret, id, at), Signature(secret, id, at); got != want {
			t.Fatalf("signature(%s, %s, %s) = %s, want %s", secret, id, at, got, want)
		}
	}
}
