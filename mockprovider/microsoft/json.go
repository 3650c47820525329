package microsoft

import (
	"strconv"

	"github.com/refreshproof/refreshproof/internal/jsontext"
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
	return appendJSON(make([]byte, 0, 256), o)
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

// appendJSON appends v as compact JSON. Neither service escapes <, > and
// & (an @odata.nextLink carries & between query parameters). Objects,
// lists and plain values are written here, into one buffer: through
// encoding/json every nested obj's output was validated and copied again
// at each level, which was most of the cost of a Graph answer. Anything
// else is left to encoding/json.
func appendJSON(b []byte, v any) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case string:
		return jsontext.AppendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case nil:
		return append(b, "null"...), nil
	case obj:
		if v == nil {
			// A nil obj is a nil slice to encoding/json, but MarshalJSON
			// is called on it all the same.
			return append(b, "{}"...), nil
		}
		b = append(b, '{')
		for i, f := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsontext.AppendString(b, f.key)
			b = append(b, ':')
			if b, err = appendJSON(b, f.value); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []obj:
		return appendList(b, v)
	case []any:
		return appendList(b, v)
	case []string:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsontext.AppendString(b, e)
		}
		return append(b, ']'), nil
	}
	return jsontext.Append(b, v)
}

func appendList[E any](b []byte, list []E) ([]byte, error) {
	if list == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, e := range list {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendJSON(b, e); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// marshal returns v as compact JSON. The values passed are built by this
// package from strings, numbers and objs, which always encode.
func marshal(v any) []byte {
	b, err := appendJSON(make([]byte, 0, 1024), v) // a token answer's size: no growing for one
	if err != nil {
		panic("microsoft: encoding a response body: " + err.Error())
	}
	return b
}
