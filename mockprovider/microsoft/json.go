package microsoft

import (
	"bytes"
	"encoding/json"
)

// field is one member of an obj.
type field struct {
	key   string
	value any
}

// obj is a JSON object that keeps its members in order: both services
// serve fixed key orders, and a client that scans the body text (or a
// golden file) sees the difference.
type obj []field

// MarshalJSON writes the members in order, without HTML escaping.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := encode(&b, f.key); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := encode(&b, f.value); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// get returns the value of key.
func (o obj) get(key string) (any, bool) {
	for _, f := range o {
		if f.key == key {
			return f.value, true
		}
	}
	return nil, false
}

// encode appends v as compact JSON. Neither service escapes <, > and &
// (an @odata.nextLink carries & between query parameters).
func encode(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

// marshal returns v as compact JSON. The values passed are built by this
// package from strings, numbers and objs, which always encode.
func marshal(v any) []byte {
	var b bytes.Buffer
	if err := encode(&b, v); err != nil {
		panic("microsoft: encoding a response body: " + err.Error())
	}
	return b.Bytes()
}
