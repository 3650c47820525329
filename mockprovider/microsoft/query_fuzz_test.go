package microsoft_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/microsoft"
)

// selectPaths are the Graph resources that read $select: single entities
// and collections, Outlook-backed and not. The message and drive item
// IDs are looked up once (selectTarget).
var selectPaths = []string{
	"/v1.0/me",
	"/v1.0/me/messages",
	"/v1.0/me/messages/{message}",
	"/v1.0/me/mailFolders",
	"/v1.0/me/mailFolders/inbox",
	"/v1.0/me/mailFolders/inbox/messages",
	"/v1.0/me/events",
	"/v1.0/me/calendars",
	"/v1.0/me/calendar",
	"/v1.0/me/contacts",
	"/v1.0/me/drive/root",
	"/v1.0/me/drive/root/children",
}

// serveGraph sends one request with the run's first access token and
// returns the status and body.
func serveGraph(p *mockprovider.Provider, method, path, rawQuery, body string) (int, []byte) {
	req := httptest.NewRequest(http.MethodGet, "/", strings.NewReader(body))
	req.Method = method
	req.URL = &url.URL{Path: path, RawQuery: rawQuery}
	req.Host = microsoft.GraphHost
	req.Header.Set("Authorization", "Bearer "+p.Initial().Access.Value)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	p.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

// graphErrorEnvelope fails t unless body is Graph's error envelope:
// {"error":{"code":"...","message":"...",...}} with a code and a message.
func graphErrorEnvelope(t *testing.T, status int, body []byte) {
	t.Helper()
	var env struct {
		Error *struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error == nil || env.Error.Code == nil || *env.Error.Code == "" || env.Error.Message == nil {
		t.Fatalf("status %d, body is not Graph's error envelope: %s", status, short(body))
	}
}

// short is the start of an answer, enough to see which one it was.
func short(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// selected reads a $select value as Graph's answer must honour it: the
// names lower-cased; ok is false when the option is blank (no projection).
func selected(v string) (names map[string]bool, ok bool) {
	if strings.TrimSpace(v) == "" {
		return nil, false
	}
	names = map[string]bool{}
	for _, n := range strings.Split(v, ",") {
		names[strings.ToLower(strings.TrimSpace(n))] = true
	}
	return names, true
}

// FuzzGraphSelect sends arbitrary $select values to every resource that
// reads the option: the answer is 200 with only the selected properties
// (and the ones Graph always sends: id and @odata annotations), or 400
// with Graph's error envelope. Never a panic, never the whole entity for
// a $select that names something.
func FuzzGraphSelect(f *testing.F) {
	p, err := mockprovider.New(microsoft.New(microsoft.Options{}), mockprovider.Config{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	// The real request shapes of the package's tests and the public
	// components, then the edges of the list syntax.
	for i, sel := range []string{"sender,subject", "subject", "subject,isRead", "displayName,mail", "id", "name,size,file", "start,end,subject", "SUBJECT", " subject , isRead ", "nosuch", "@odata.etag", "", " ", ",", "subject,", ",subject", "subject,,isRead", "start/dateTime", "subject&$top=1"} {
		f.Add(uint8(i), sel, true)
	}
	f.Add(uint8(0), "displayName", false) // select without the $, as v1.0 allows
	f.Fuzz(func(t *testing.T, which uint8, sel string, dollar bool) {
		path := selectPaths[int(which)%len(selectPaths)]
		if strings.Contains(path, "{message}") {
			path = strings.ReplaceAll(path, "{message}", firstMessageID(t, p))
		}
		name := "$select"
		if !dollar {
			name = "select"
		}
		status, body := serveGraph(p, http.MethodGet, path, name+"="+url.QueryEscape(sel), "")
		switch status {
		case http.StatusOK:
		case http.StatusBadRequest:
			graphErrorEnvelope(t, status, body)
			return
		default:
			t.Fatalf("%s?$select=%q: status %d: %s", path, sel, status, short(body))
		}
		var entity map[string]json.RawMessage
		if err := json.Unmarshal(body, &entity); err != nil {
			t.Fatalf("%s?$select=%q: 200 body is not a JSON object: %q", path, sel, body)
		}
		if _, ok := entity["@odata.context"]; !ok {
			t.Fatalf("%s?$select=%q: 200 without @odata.context: %s", path, sel, body)
		}
		names, projected := selected(sel)
		if !projected {
			return
		}
		items := []map[string]json.RawMessage{entity}
		if raw, ok := entity["value"]; ok { // a collection
			items = nil
			if err := json.Unmarshal(raw, &items); err != nil {
				t.Fatalf("%s?$select=%q: value is not a list of objects: %s", path, sel, raw)
			}
		}
		for _, it := range items {
			for k := range it {
				if !strings.HasPrefix(k, "@") && k != "id" && !names[strings.ToLower(k)] {
					t.Fatalf("%s?$select=%q: 200 answers %q, which was not selected: %s", path, sel, k, short(body))
				}
			}
		}
	})
}

// firstMessageID is the ID of the mailbox's first message.
func firstMessageID(t *testing.T, p *mockprovider.Provider) string {
	t.Helper()
	status, body := serveGraph(p, http.MethodGet, "/v1.0/me/messages", "$top=1&$select=id", "")
	var list struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	if err := json.Unmarshal(body, &list); status != http.StatusOK || err != nil || len(list.Value) != 1 {
		t.Fatalf("listing a message: %d %s", status, body)
	}
	return list.Value[0].ID
}

// FuzzSendMail posts arbitrary bodies to /me/sendMail: the answer is 202
// with no body when the body is a JSON object, and Graph's 400 envelope
// otherwise. Never a panic.
func FuzzSendMail(f *testing.F) {
	p, err := mockprovider.New(microsoft.New(microsoft.Options{}), mockprovider.Config{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	// The body of the package's send-mail test, the shape of Graph's
	// reference example, and what is not an object.
	f.Add(`{"message":{"subject":"hi","toRecipients":[{"emailAddress":{"address":"a@example.com"}}]}}`)
	f.Add(`{"message":{"subject":"Meet for lunch?","body":{"contentType":"Text","content":"The new cafeteria is open."},"toRecipients":[{"emailAddress":{"address":"frannis@contoso.com"}}],"ccRecipients":[{"emailAddress":{"address":"danas@contoso.com"}}]},"saveToSentItems":"false"}`)
	f.Add(`{}`)
	f.Add(` {"message":{}} `)
	f.Add(``)
	f.Add(`   `)
	f.Add(`null`)
	f.Add(`[]`)
	f.Add(`"message"`)
	f.Add(`{"message":`)
	f.Add(`{"a":1}{"b":2}`)
	f.Fuzz(func(t *testing.T, body string) {
		status, answer := serveGraph(p, http.MethodPost, "/v1.0/me/sendMail", "", body)
		var obj map[string]json.RawMessage
		isObject := json.Unmarshal([]byte(body), &obj) == nil && obj != nil
		switch {
		case status == http.StatusAccepted && isObject:
			if len(answer) != 0 {
				t.Fatalf("202 with a body: %q", answer)
			}
		case status == http.StatusBadRequest && !isObject:
			graphErrorEnvelope(t, status, answer)
		default:
			t.Fatalf("body %q (a JSON object: %v): status %d: %s", body, isObject, status, answer)
		}
	})
}
