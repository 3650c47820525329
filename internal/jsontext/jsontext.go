// Package jsontext writes JSON text as encoding/json writes it, except
// that <, > and & are left as they are. The services the mocks stand for
// do not escape them (their answers carry URLs and HTML), and neither do
// the messages people read in reports.
package jsontext

import (
	"bytes"
	"encoding/json"
)

// Append appends the compact encoding of v to b.
func Append(b []byte, v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return b, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// AppendString appends s as a JSON string. A string of printable ASCII
// with nothing to escape, the usual key or value, is copied as it is,
// without going through encoding/json. It takes a string, not an any:
// boxing each key and value was most of the allocations of a mock's
// answer.
func AppendString(b []byte, s string) []byte {
	if plainASCII(s) {
		return append(append(append(b, '"'), s...), '"')
	}
	b, _ = Append(b, s) // a string always encodes
	return b
}

// String is the compact encoding of v.
func String(v any) (string, error) {
	b, err := Append(nil, v)
	return string(b), err
}

// plainASCII reports whether encoding/json writes s as it is, quoted:
// printable ASCII without a quote or a backslash.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
