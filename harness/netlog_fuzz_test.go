package harness

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzNetLog feeds arbitrary bytes to readNetLog, the reader of the
// connection log the preload writes from inside the component's process
// (one JSON object a line). Every line that is a JSON object with the
// preload's fields is one event, in order, whatever the lines around it;
// the rest are skipped. Every event marshals (a trace must be writable).
// The log's lines carry the host the component asked for, so their
// length is the component's to choose. Seeds are the lines the preload
// writes (internal/nodepreload/redirect.js).
func FuzzNetLog(f *testing.F) {
	f.Add([]byte(`{"time":1741944413000,"pid":41,"event":"redirected","host":"login.salesforce.com","port":443,"tls":true}` + "\n"))
	f.Add([]byte(`{"time":1741944413000,"pid":42,"event":"blocked","host":"example.com","port":"443"}` + "\n" + `not json` + "\n" + `{"event":"blocked","host":"a"}`))
	f.Add([]byte(`{"pid":-1,"time":-9223372036854775808}` + "\n\n" + `[]` + "\n" + `{"port":{"x":[1]}}` + "\r\n"))
	// A host longer than bufio.Scanner's line limit (64 KiB), then a
	// blocked connection that must still be in the trace.
	f.Add([]byte(`{"event":"blocked","host":"` + strings.Repeat("a", 70_000) + `"}` + "\n" + `{"event":"blocked","host":"example.com"}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "net.log")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got := readNetLog(path, []Container{{Index: 0, PID: 41}})
		var want []string
		for _, line := range bytes.Split(data, []byte("\n")) {
			// The preload's fields, with their types: a line whose
			// field has another type is not one of its lines.
			var l struct {
				Time  int64  `json:"time"`
				PID   int    `json:"pid"`
				Event string `json:"event"`
				Host  string `json:"host"`
				Port  any    `json:"port"`
				TLS   bool   `json:"tls"`
			}
			if json.Unmarshal(line, &l) == nil && bytes.HasPrefix(bytes.TrimSpace(line), []byte("{")) {
				want = append(want, l.Host)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%d events from %d object lines", len(got), len(want))
		}
		for i, e := range got {
			if e.Host != want[i] {
				t.Fatalf("event %d: host %.40q, want %.40q", i, e.Host, want[i])
			}
			if _, err := json.Marshal(e); err != nil {
				t.Fatalf("event %d does not marshal: %v", i, err)
			}
		}
	})
}
