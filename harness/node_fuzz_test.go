package harness

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/salesforce"
)

// FuzzDriverEvents feeds arbitrary bytes to the decoder of the event
// stream a component's driver writes on fd 3 (readEvents), through a real
// pipe, and files every event it yields the way a run does (handle, the
// fatal and processed paths), inside a message and outside any. Nothing
// panics; at most 20 lines that are not events are kept, each quoting at
// most 200 characters of the line; every event has a name; every emit
// still waiting to settle points at an event of the trace. Seeds are the
// events harness/node/driver.js writes.
func FuzzDriverEvents(f *testing.F) {
	for _, s := range []string{
		`{"seq":1,"t":1710000000000,"msg":null,"ev":"ready","sailorVersion":"2.7.8","node":"v22.0.0","messagesDB":false}`,
		`{"seq":2,"t":1710000000001,"msg":"m0","ev":"emit","id":1,"name":"updateKeys","args":[{"oauth":{"access_token":"x"}}]}` + "\n" +
			`{"seq":3,"t":1710000000002,"msg":"m0","ev":"emit-settled","id":1,"ok":true,"handled":false}`,
		`{"seq":4,"t":1,"msg":"m0","ev":"emit","id":2,"name":"data","truncated":true,"size":99999999,"preview":"{\"a\":"}` + "\n" +
			`{"seq":5,"t":2,"msg":"m1","ev":"emit-settled","id":2,"ok":false,"error":{"name":"Error","message":"boom","stack":"Error: boom\n    at x (lib/a.js:3:9)\n    at y"}}`,
		`{"seq":6,"t":3,"msg":"m0","ev":"processed","error":{"name":"TypeError","message":"x is not a function"}}`,
		`{"seq":7,"t":4,"msg":null,"ev":"fatal","phase":"load","error":{"name":"SyntaxError","message":"Unexpected token","stack":"/c/lib/a.js:2\nfoo bar\n    ^^^\n"},"location":{"file":"lib/a.js","line":2,"column":5}}`,
		`{"seq":8,"t":5,"msg":null,"ev":"fatal","phase":"load","error":{"name":"Error","message":"Cannot find module 'jsforce'"},"missingModule":"jsforce","requireStack":["/c/lib/a.js"]}`,
		`{"seq":9,"t":6,"msg":"m0","ev":"uncaughtException","error":{"name":"Error","message":"late"}}` + "\n" +
			`{"seq":10,"t":7,"msg":"m9","ev":"unhandledRejection","error":"not an object"}`,
		`{"seq":11,"t":8,"msg":null,"ev":"protocol-error","line":"{not json","error":"not JSON"}`,
		`{"seq":12,"t":9,"msg":"m0","ev":"amqp","op":"publish","payload":{"body":{}}}`,
		"not json\n\n{\"ev\":\"\"}\r\n[1,2]\n{\"ev\":7}\n\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	p, err := mockprovider.New(salesforce.New(salesforce.Options{}), mockprovider.Config{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	c := &Component{Dir: "/component", Function: "query", Main: "lib/query.js", SailorVersion: "2.7.8"}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			_, _ = w.Write(data)
			w.Close()
		}()
		ct := &container{events: make(chan driverEvent, 1024)}
		go ct.readEvents(r)
		ru := &run{p: p, pending: map[int][2]int{}, msgIndex: map[string]int{"m0": 0, "m1": 1}}
		ru.trace.Messages = []Message{{Index: 0}, {Index: 1}}
		var events []driverEvent
		for ev := range ct.events { // closed when readEvents is done with ct.bad
			events = append(events, ev)
		}
		for i, ev := range events {
			if ev.Ev == "" {
				t.Fatalf("event %d has no name: %+v", i, ev)
			}
			_ = errorText(ev.Error)
			_ = causeText(ev.Error)
			switch ev.Ev {
			case "fatal":
				_ = notReady(c, ev.Phase, ev, Container{Stderr: string(ev.Error)}, nil, 0).Error()
			case "processed":
			default:
				if i%2 == 0 {
					ru.handle(ev, 0, &ru.trace.Messages[0])
				} else { // before the first message, or a late event
					ru.handle(ev, -1, nil)
				}
			}
		}
		for id, at := range ru.pending {
			if at[0] < 0 || at[0] >= len(ru.trace.Messages) || at[1] < 0 || at[1] >= len(ru.trace.Messages[at[0]].Events) {
				t.Fatalf("emit %d waits to settle at %v, outside the trace", id, at)
			}
		}
		if len(ct.bad) > 20 {
			t.Fatalf("%d bad lines kept, want at most 20", len(ct.bad))
		}
		const prefix = "container 0: not an event on fd 3: "
		for _, b := range ct.bad {
			quoted, ok := strings.CutPrefix(b, prefix)
			if !ok || utf8.RuneCountInString(quoted) > 200 {
				t.Fatalf("bad line report %q: want %q and at most 200 characters of the line", b, prefix)
			}
		}
		if _, err := json.Marshal(ru.trace); err != nil {
			t.Fatalf("the trace does not encode: %v", err)
		}
	})
}
