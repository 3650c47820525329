package reports

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadRecord feeds arbitrary bytes to ReadRecord, the decoder of the
// run records `refreshproof report --from` renders again and merges.
// A record it accepts is one JSON value, writes and reads back to the
// same bytes, merges with itself alone, and renders to every report
// format without a panic or an error.
func FuzzReadRecord(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "record.json.golden"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	var b bytes.Buffer
	if err := sampleRecord().WriteJSON(&b); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte(`{"version":1,"tool":"t","results":[{"ruleId":"R01","scenario":"s","status":"failed","evidence":[99,-1]}]}`))
	f.Add([]byte(`{"version":1,"results":[{"ruleId":"R02","scenario":"x","status":"warned","causedBy":"R02"}],"traces":[{"scenario":"x"}]}`))
	f.Add([]byte(`{"version":1,"traces":[{"scenario":"s","journal":[{"seq":1}],"messages":[{"events":[{"seq":7}]}]}]}`))
	f.Add([]byte(`{"version":1,"errors":[{"scenario":"s","error":"e"}],"notExercised":[{"scenario":"s"}],"notes":[{}]}`))
	f.Add([]byte(`{"version":1,"tool":"a"}{"version":1,"tool":"b"}`)) // two records in one file
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"durationNs":-1,"started":"0001-01-01T00:00:00Z"}`))
	f.Add([]byte(`<testsuites/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := ReadRecord(bytes.NewReader(data))
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("ReadRecord accepted input that is not one JSON value: %q", data)
		}
		var first, second bytes.Buffer
		if err := rec.WriteJSON(&first); err != nil {
			t.Fatalf("WriteJSON: %v", err)
		}
		again, err := ReadRecord(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("ReadRecord(WriteJSON(rec)): %v\n%s", err, first.Bytes())
		}
		if err := again.WriteJSON(&second); err != nil {
			t.Fatalf("WriteJSON again: %v", err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("a record does not read back as written:\nfirst:  %s\nsecond: %s", first.Bytes(), second.Bytes())
		}
		if _, err := Merge(rec); err != nil {
			t.Fatalf("Merge of one record: %v", err)
		}
		_ = Summarize(rec).Headline()
		_ = ExitCode(rec)
		for name, write := range map[string]func(io.Writer, Record) error{"JUnit": WriteJUnit, "Markdown": WriteMarkdown, "HTML": WriteHTML} {
			if err := write(io.Discard, rec); err != nil {
				t.Fatalf("Write%s: %v", name, err)
			}
		}
	})
}
