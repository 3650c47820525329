package microsoft_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/microsoft"
)

// q escapes a query value as components send it.
func q(s string) string { return url.QueryEscape(s) }

// TestGraphPathsWire pins the calendar, contacts, mail and drive paths
// the public Outlook and OneDrive components call, byte for byte.
func TestGraphPathsWire(t *testing.T) {
	drive := "/v1.0/drives/" + microsoft.DriveID
	// msg0 is the newest message, in the inbox, with an attachment.
	const msg0 = "AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OABGAAAAAAAiQ8W967B7TKBjgx9rVEURBwAiIsqMbYjsT5e-T7KzowPTAAAAAAEMAAAiIsqMbYjsT5e-T7KzowPTAAbXNnMDAwAAA="
	// The calendars' IDs share this prefix (default, holidays, birthdays).
	const cal = "/v1.0/me/calendars/AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OABGAAAAAAAiQ8W967B7TKBjgx9rVEURBwAiIsqMbYjsT5e-T7KzowPTAAAAAAEGAAAiIsqMbYjsT5e-T7KzowPTAA"
	forbidden := []mockprovider.Rule{{Name: "forbidden", Match: mockprovider.Match{Endpoint: mockprovider.EndpointAPI}, Respond: mockprovider.Respond{Error: "ErrorAccessDenied"}}}
	tests := []struct {
		name   string
		cfg    mockprovider.Config
		method string
		path   string
		body   string
		anon   bool
	}{
		{name: "calendars", path: "/v1.0/me/calendars"},
		{name: "calendar-events-select", path: cal + "AAAAAH6MAAA=/events?$select=subject,start,end"},
		// Outlook's getMyLatestEvents: what is on now.
		{name: "events-now", path: "/v1.0/me/events?$filter=" + q("start/dateTime le '2025-03-17T09:30:00.000Z' and end/dateTime ge '2025-03-17T09:30:00.000Z'")},
		{name: "events-page", path: "/v1.0/me/events?$select=subject&$top=3&$orderby=" + q("start/dateTime desc")},
		{name: "events-bad-filter", path: "/v1.0/me/events?$filter=" + q("start/dateTime le")},
		{name: "events-unknown-property", path: "/v1.0/me/events?$filter=" + q("colour eq 'red'")},
		{name: "event-create", method: http.MethodPost, path: cal + "AAAAACEGAAA=/events",
			body: `{"subject":"Audit sync","start":{"dateTime":"2025-03-18T10:00:00","timeZone":"UTC"},"end":{"dateTime":"2025-03-18T10:30:00","timeZone":"UTC"}}`},
		{name: "event-create-read-only", method: http.MethodPost, path: cal + "AAAAAH6LAAA=/events", body: `{"subject":"x"}`},
		{name: "unknown-calendar", path: "/v1.0/me/calendars/AAMkAGnope/events"},
		// Outlook's getMyLatestContacts.
		{name: "contacts-since", path: "/v1.0/me/contacts?$orderby=" + q("lastModifiedDateTime asc") + "&$top=900&$filter=" + q("lastModifiedDateTime gt 2025-01-25T00:00:00.000Z") + "&$select=displayName,lastModifiedDateTime"},
		{name: "contacts-page", path: "/v1.0/me/contacts?$select=displayName"},
		// Outlook's readMail trigger.
		{name: "folder-messages-since", path: "/v1.0/me/mailFolders/inbox/messages?$orderby=" + q("lastModifiedDateTime asc") + "&$top=1000&$filter=" + q("lastModifiedDateTime gt 2025-03-12T00:00:00.000Z and isRead eq false") + "&$select=subject,isRead,lastModifiedDateTime"},
		{name: "child-folders", path: "/v1.0/me/mailFolders/inbox/childFolders?$top=100"},
		{name: "deleted-items-folder", path: "/v1.0/me/mailFolders/deleteditems"},
		{name: "message-move", method: http.MethodPost, path: "/v1.0/me/mailFolders/inbox/messages/AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OABGAAAAAAAiQ8W967B7TKBjgx9rVEURBwAiIsqMbYjsT5e-T7KzowPTAAAAAAEMAAAiIsqMbYjsT5e-T7KzowPTAAbXNnMDAxAAA=/move?$select=subject",
			body: `{"destinationId":"archive"}`},
		// Outlook's readMail trigger with attachments.
		{name: "message-attachments", path: "/v1.0/me/mailFolders/inbox/messages/" + msg0 + "/attachments"},
		// The OneDrive component.
		{name: "me-drive", path: "/v1.0/me/drive"},
		{name: "me-drives", path: "/v1.0/me/drives"},
		{name: "drive", path: drive},
		{name: "drive-root-children", path: drive + "/root/children"},
		{name: "me-drive-root-children-page", path: "/v1.0/me/drive/root/children?$top=2&$select=name"},
		{name: "drive-path", path: drive + "/root:/reports/q3.txt"},
		{name: "drive-path-children", path: drive + "/root:/reports:/children"},
		{name: "drive-children-since", path: drive + "/root/children?$filter=" + q("lastModifiedDateTime ge 2025-02-20T00:00:00Z and lastModifiedDateTime lt 2025-03-10T00:00:00Z")},
		{name: "drive-path-content", path: drive + "/root:/reports/q3.txt:/content"},
		{name: "drive-path-missing", path: drive + "/root:/reports/q4.txt"},
		{name: "drive-item", path: drive + "/items/01BYE5RZ05QN3ZWBTUFOFD3GSPGOHDJD41"},
		{name: "drive-item-content", path: drive + "/items/01BYE5RZ05QN3ZWBTUFOFD3GSPGOHDJD41/content"},
		{name: "drive-item-missing", path: drive + "/items/01BYE5RZNOPE"},
		{name: "drive-unknown", path: "/v1.0/drives/drive-1/root/children"},
		{name: "drive-upload", method: http.MethodPut, path: drive + "/root:/reports/new/q4.txt:/content", body: "Q4 report\n"},
		{name: "drive-create-folder", method: http.MethodPost, path: drive + "/items/01BYE5RZ56Y2GOVW7725BZO354PWSELRRZ/children",
			body: `{"name":"reports","folder":{},"@microsoft.graph.conflictBehavior":"fail"}`},
		// Paths the mock does not serve: Graph's 400, after the token check.
		{name: "unmocked-segment", path: "/v1.0/me/drive/recent"},
		{name: "unmocked-users", path: "/v1.0/users/48d31887-5fad-4d73-a9f5-3c356e68a038/events"},
		{name: "unmocked-no-token", path: "/v1.0/me/onenote/notebooks", anon: true},
		// A token-less request fails the token check before a rule.
		{name: "forbidden-rule-no-token", cfg: mockprovider.Config{Rules: forbidden}, path: "/v1.0/me/events", anon: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMock(t, microsoft.Options{}, tt.cfg)
			h := bearer(m.p.Initial().Access.Value)
			if tt.anon {
				h = http.Header{}
			}
			r := graphRequest(tt.path, h)
			if tt.method != "" {
				r.method, r.body = tt.method, tt.body
				r.header.Set("Content-Type", "application/json")
			}
			golden(t, "graph/"+tt.name, m.do(r).dump())
		})
	}
}

// lastEntry returns the provider's newest journal entry.
func lastEntry(t *testing.T, p *mockprovider.Provider) mockprovider.Entry {
	t.Helper()
	es := p.Journal().Entries(mockprovider.Filter{})
	if len(es) == 0 {
		t.Fatal("empty journal")
	}
	return es[len(es)-1]
}

// TestGraphUnmockedJournaled checks that only answers to paths the mock
// does not serve are marked unmocked, and only after the token check.
func TestGraphUnmockedJournaled(t *testing.T) {
	m := newMock(t, microsoft.Options{}, mockprovider.Config{})
	at := m.p.Initial().Access.Value
	for _, tc := range []struct {
		path     string
		token    bool
		status   int
		unmocked bool
	}{
		{"/v1.0/me/events", true, 200, false},
		{"/v1.0/me/messages/AAMkAGnope", true, 404, false},
		{"/v1.0/drives/" + microsoft.DriveID + "/root:/nothing.txt", true, 404, false},
		{"/v1.0/me/todo/lists", true, 400, true},
		{"/v1.0/me/drive/items/01BYE5RZ05QN3ZWBTUFOFD3GSPGOHDJD41/thumbnails", true, 400, true},
		{"/v1.0/me/todo/lists", false, 401, false},
	} {
		h := http.Header{}
		if tc.token {
			h = bearer(at)
		}
		r := m.do(graphRequest(tc.path, h))
		e := lastEntry(t, m.p)
		if r.status != tc.status || e.Unmocked != tc.unmocked {
			t.Errorf("%s (token %v): status %d unmocked %v, want %d %v", tc.path, tc.token, r.status, e.Unmocked, tc.status, tc.unmocked)
		}
	}
}

// TestDriveChanges runs what the OneDrive component writes: an upload,
// a folder, a deletion, each seen by the next read, and gone after a
// reset.
func TestDriveChanges(t *testing.T) {
	m := newMock(t, microsoft.Options{}, mockprovider.Config{})
	at := m.p.Initial().Access.Value
	base := "/v1.0/drives/" + microsoft.DriveID
	do := func(method, path, body string) response {
		r := graphRequest(path, bearer(at))
		r.method, r.body = method, body
		return m.do(r)
	}
	if r := do(http.MethodPut, base+"/root:/inbox/a.txt:/content", "hello"); r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	if r := do(http.MethodPut, base+"/root:/inbox/a.txt:/content", "hello again"); r.status != http.StatusOK {
		t.Fatalf("replace: %d %s", r.status, r.body)
	}
	if r := do(http.MethodGet, base+"/root:/inbox/a.txt:/content", ""); r.status != http.StatusOK || string(r.body) != "hello again" {
		t.Fatalf("download: %d %q", r.status, r.body)
	}
	r := do(http.MethodGet, base+"/root:/inbox:/children", "")
	var list struct {
		Value []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			Size int    `json:"size"`
		} `json:"value"`
	}
	if err := json.Unmarshal(r.body, &list); err != nil || len(list.Value) != 1 || list.Value[0].Name != "a.txt" || list.Value[0].Size != 11 {
		t.Fatalf("children of the new folder: %d %s (%v)", r.status, r.body, err)
	}
	if r := do(http.MethodPost, base+"/root/children", `{"name":"inbox","folder":{},"@microsoft.graph.conflictBehavior":"rename"}`); r.status != http.StatusCreated || !strings.Contains(string(r.body), `"name":"inbox 1"`) {
		t.Fatalf("folder with rename: %d %s", r.status, r.body)
	}
	if r := do(http.MethodDelete, base+"/items/"+list.Value[0].ID, ""); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := do(http.MethodGet, base+"/root:/inbox/a.txt", ""); r.status != http.StatusNotFound {
		t.Fatalf("deleted item: %d %s", r.status, r.body)
	}
	m.p.Reset()
	at = m.p.Initial().Access.Value
	if r := do(http.MethodGet, base+"/root:/inbox", ""); r.status != http.StatusNotFound {
		t.Fatalf("after reset: %d %s", r.status, r.body)
	}
}

// TestDrivePaging follows the children's @odata.nextLink to the end.
func TestDrivePaging(t *testing.T) {
	m := newMock(t, microsoft.Options{}, mockprovider.Config{})
	at := m.p.Initial().Access.Value
	names := map[string]bool{}
	path := "/v1.0/me/drive/root/children?$top=2"
	pages := 0
	for path != "" {
		r := m.do(graphRequest(path, bearer(at)))
		var page struct {
			Value []struct {
				Name string `json:"name"`
			} `json:"value"`
			Next string `json:"@odata.nextLink"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil || r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		for _, v := range page.Value {
			if names[v.Name] {
				t.Errorf("%s listed twice", v.Name)
			}
			names[v.Name] = true
		}
		pages++
		path = strings.TrimPrefix(page.Next, "https://graph.microsoft.com")
	}
	if len(names) != 5 || pages != 3 {
		t.Errorf("%d items in %d pages, want 5 in 3: %v", len(names), pages, names)
	}
}

// TestEventCreatedIsListed checks that an event created through the API
// is listed, found by ID, updated and deleted.
func TestEventCreatedIsListed(t *testing.T) {
	m := newMock(t, microsoft.Options{}, mockprovider.Config{})
	at := m.p.Initial().Access.Value
	r := graphRequest("/v1.0/me/events", bearer(at))
	r.method, r.body = http.MethodPost, `{"subject":"Created","start":{"dateTime":"2025-03-20T10:00:00","timeZone":"UTC"},"end":{"dateTime":"2025-03-20T11:00:00","timeZone":"UTC"}}`
	created := m.do(r)
	var ev struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(created.body, &ev); err != nil || created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	list := m.do(graphRequest("/v1.0/me/events?$filter="+q("subject eq 'Created'"), bearer(at)))
	if !strings.Contains(string(list.body), ev.ID) {
		t.Errorf("created event not listed: %s", list.body)
	}
	p := graphRequest("/v1.0/me/events/"+ev.ID, bearer(at))
	p.method, p.body = http.MethodPatch, `{"subject":"Renamed"}`
	if got := m.do(p); got.status != http.StatusOK || !strings.Contains(string(got.body), `"subject":"Renamed"`) {
		t.Errorf("patch: %d %s", got.status, got.body)
	}
	d := graphRequest("/v1.0/me/events/"+ev.ID, bearer(at))
	d.method = http.MethodDelete
	if got := m.do(d); got.status != http.StatusNoContent {
		t.Errorf("delete: %d %s", got.status, got.body)
	}
	if got := m.do(graphRequest("/v1.0/me/events/"+ev.ID, bearer(at))); got.status != http.StatusNotFound {
		t.Errorf("deleted event: %d %s", got.status, got.body)
	}
}

// TestAttachmentDownload lists a message's attachments and downloads
// each, as Outlook's readMail trigger does.
func TestAttachmentDownload(t *testing.T) {
	m := newMock(t, microsoft.Options{}, mockprovider.Config{})
	at := m.p.Initial().Access.Value
	r := m.do(graphRequest("/v1.0/me/messages?$filter="+q("hasAttachments eq true")+"&$select=id,parentFolderId&$top=1", bearer(at)))
	var msgs struct {
		Value []struct{ ID, ParentFolderID string } `json:"value"`
	}
	if err := json.Unmarshal(r.body, &msgs); err != nil || len(msgs.Value) != 1 {
		t.Fatalf("messages with attachments: %d %s", r.status, r.body)
	}
	base := "/v1.0/me/mailFolders/" + msgs.Value[0].ParentFolderID + "/messages/" + msgs.Value[0].ID + "/attachments"
	r = m.do(graphRequest(base, bearer(at)))
	var atts struct {
		Value []struct {
			ID, Name, ContentBytes string
			Size                   int
		} `json:"value"`
	}
	if err := json.Unmarshal(r.body, &atts); err != nil || len(atts.Value) != 1 {
		t.Fatalf("attachments: %d %s", r.status, r.body)
	}
	r = m.do(graphRequest(base+"/"+atts.Value[0].ID+"/$value", bearer(at)))
	want, _ := base64.StdEncoding.DecodeString(atts.Value[0].ContentBytes)
	if r.status != http.StatusOK || string(r.body) != string(want) || len(want) == 0 {
		t.Errorf("$value: %d %q, want %q", r.status, r.body, want)
	}
}
