package microsoft

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// This file is the signed-in user's calendars, events and contacts, and
// the mail actions beyond reading: what the Outlook components call. The
// shapes follow Graph's v1.0 reference examples (event, calendar,
// contact); values are the mock tenant's.

// graphState is what a run changes on Graph: events created, the drive.
type graphState struct {
	mu sync.Mutex
	// anchor is the UTC day the calendar is built around: the virtual
	// day of the run's first calendar request, so that a component asking
	// for "now" finds something, and the calendar does not move when the
	// scenario advances the clock.
	anchor  time.Time
	created map[string][]obj // by calendar ID, in creation order
	nextID  int
	drive   *driveStore
}

func newGraphState() *graphState {
	return &graphState{created: map[string][]obj{}, drive: newDriveStore()}
}

type calendar struct {
	id, name, color string
	isDefault, edit bool
}

const calPrefix = "AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OABGAAAAAAAiQ8W967B7TKBjgx9rVEURBwAiIsqMbYjsT5e-T7KzowPTAAAAAAEGAAAiIsqMbYjsT5e-T7KzowPTAA"

// calendars are in the order Graph lists them: the default first.
var calendars = []calendar{
	{calPrefix + "AAAAACEGAAA=", "Calendar", "auto", true, true},
	{calPrefix + "AAAAAH6LAAA=", "United States holidays", "lightGreen", false, false},
	{calPrefix + "AAAAAH6MAAA=", "Birthdays", "lightOrange", false, false},
}

func findCalendar(id string) (calendar, bool) {
	for _, c := range calendars {
		if c.id == id {
			return c, true
		}
	}
	return calendar{}, false
}

func (c calendar) obj() obj {
	return obj{
		{"id", c.id},
		{"name", c.name},
		{"color", c.color},
		{"hexColor", ""},
		{"isDefaultCalendar", c.isDefault},
		{"changeKey", "DxYSthXJXEWwAQSYQnXvIgAAIxGttg=="},
		{"canShareWithDelegates", c.edit},
		{"canViewPrivateItems", true},
		{"canEdit", c.edit},
		{"allowedOnlineMeetingProviders", []string{"teamsForBusiness"}},
		{"defaultOnlineMeetingProvider", "teamsForBusiness"},
		{"isTallyingResponses", c.edit},
		{"isRemovable", !c.isDefault},
		{"owner", obj{{"name", userName}, {"address", userUPN}}},
	}
}

// eventSpec is one fixed event, placed relative to the anchor day.
type eventSpec struct {
	day             int // days after the anchor
	start, duration time.Duration
	subject         string
	allDay          bool
	attendee        int // index into contacts, -1 for none
}

var eventSpecs = []eventSpec{
	{day: -2, start: 9 * time.Hour, duration: 15 * time.Minute, subject: "Daily stand-up", attendee: 1},
	{day: -2, start: 14 * time.Hour, duration: time.Hour, subject: "Quarterly audit kick-off", attendee: 2},
	{day: -1, start: 9 * time.Hour, duration: 15 * time.Minute, subject: "Daily stand-up", attendee: 1},
	{day: -1, start: 11*time.Hour + 30*time.Minute, duration: 30 * time.Minute, subject: "1:1 with Patti", attendee: 2},
	{day: 0, duration: 24 * time.Hour, subject: "Audit fieldwork", allDay: true, attendee: -1},
	{day: 0, start: 9 * time.Hour, duration: 15 * time.Minute, subject: "Daily stand-up", attendee: 1},
	{day: 0, start: 13 * time.Hour, duration: time.Hour, subject: "Contoso marketing plan review", attendee: 3},
	{day: 0, start: 16 * time.Hour, duration: 30 * time.Minute, subject: "Project Falcon status", attendee: 6},
	{day: 1, start: 9 * time.Hour, duration: 15 * time.Minute, subject: "Daily stand-up", attendee: 1},
	{day: 1, start: 12 * time.Hour, duration: time.Hour, subject: "Team lunch", attendee: 4},
	{day: 2, start: 9 * time.Hour, duration: 15 * time.Minute, subject: "Daily stand-up", attendee: 1},
	{day: 2, start: 15 * time.Hour, duration: 90 * time.Minute, subject: "Expense policy walkthrough", attendee: 4},
	{day: 3, start: 9 * time.Hour, duration: 15 * time.Minute, subject: "Daily stand-up", attendee: 1},
	{day: 3, start: 10 * time.Hour, duration: time.Hour, subject: "Q3 audit findings: draft review", attendee: 3},
	{day: 4, start: 9 * time.Hour, duration: 15 * time.Minute, subject: "Daily stand-up", attendee: 1},
	{day: 6, start: 9 * time.Hour, duration: 15 * time.Minute, subject: "Daily stand-up", attendee: 1},
	{day: 7, start: 9 * time.Hour, duration: 15 * time.Minute, subject: "Daily stand-up", attendee: 1},
	{day: 7, start: 14 * time.Hour, duration: time.Hour, subject: "Retail team weekly", attendee: 6},
}

// graphDateTime is a dateTimeTimeZone's dateTime: seven fraction digits,
// no offset.
func graphDateTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000") }

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// anchorDay returns the calendar's anchor, fixing it on first use.
func (s *graphState) anchorDay(x *mockprovider.Exchange) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.anchor.IsZero() {
		n := now(x)
		s.anchor = time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
	}
	return s.anchor
}

// events returns a calendar's events: the fixed ones then those created
// in this run. Birthdays and holidays hold one each.
func (d *Dialect) events(x *mockprovider.Exchange, c calendar) []obj {
	anchor := d.state().anchorDay(x)
	var out []obj
	switch c.name {
	case "Calendar":
		for i, e := range eventSpecs {
			start := anchor.AddDate(0, 0, e.day).Add(e.start)
			out = append(out, event(c, i, e.subject, start, start.Add(e.duration), e.allDay, e.attendee, anchor.AddDate(0, 0, -14)))
		}
	case "United States holidays":
		day := anchor.AddDate(0, 0, 5)
		out = append(out, event(c, 0, "Company holiday", day, day.AddDate(0, 0, 1), true, -1, anchor.AddDate(0, -3, 0)))
	case "Birthdays":
		day := anchor.AddDate(0, 0, 3)
		out = append(out, event(c, 0, "Alex Wilber's birthday", day, day.AddDate(0, 0, 1), true, -1, anchor.AddDate(-1, 0, 0)))
	}
	st := d.state()
	st.mu.Lock()
	out = append(out, st.created[c.id]...)
	st.mu.Unlock()
	return out
}

func eventID(c calendar, n int) string {
	key := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "e%s%03d", c.id[len(c.id)-6:len(c.id)-4], n%1000))
	return "AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OABGAAAAAAAiQ8W967B7TKBjgx9rVEURBwAiIsqMbYjsT5e-T7KzowPTAAAAAAENAAAiIsqMbYjsT5e-T7KzowPTAA" + key + "AAA="
}

func event(c calendar, n int, subject string, start, end time.Time, allDay bool, attendee int, created time.Time) obj {
	id := eventID(c, n)
	key := id[len(id)-16 : len(id)-4]
	attendees := []obj{}
	organizer := megan
	if attendee >= 0 {
		p := contacts[attendee]
		attendees = append(attendees, obj{
			{"type", "required"},
			{"status", obj{{"response", "none"}, {"time", "0001-01-01T00:00:00Z"}}},
			{"emailAddress", obj{{"name", p.name}, {"address", p.address}}},
		})
	}
	showAs := "busy"
	if allDay {
		showAs = "free"
	}
	preview := subject + ": an event of the refreshproof mock calendar."
	return obj{
		{"@odata.etag", `W/"DxYSthXJXEWwAQSYQnXvIgAA` + key + `"`},
		{"id", id},
		{"createdDateTime", stamp(created)},
		{"lastModifiedDateTime", stamp(created.Add(time.Hour))},
		{"changeKey", "DxYSthXJXEWwAQSYQnXvIgAA" + key},
		{"categories", []string{}},
		{"transactionId", nil},
		{"originalStartTimeZone", "UTC"},
		{"originalEndTimeZone", "UTC"},
		{"iCalUId", "040000008200E00074C5B7101A82E00800000000" + fmt.Sprintf("%032x", n+1)},
		{"reminderMinutesBeforeStart", 15},
		{"isReminderOn", !allDay},
		{"hasAttachments", false},
		{"subject", subject},
		{"bodyPreview", preview},
		{"importance", "normal"},
		{"sensitivity", "normal"},
		{"isAllDay", allDay},
		{"isCancelled", false},
		{"isOrganizer", true},
		{"responseRequested", true},
		{"seriesMasterId", nil},
		{"showAs", showAs},
		{"type", "singleInstance"},
		{"webLink", "https://outlook.office365.com/owa/?itemid=" + id + "&exvsurl=1&path=/calendar/item"},
		{"onlineMeetingUrl", nil},
		{"isOnlineMeeting", false},
		{"onlineMeetingProvider", "unknown"},
		{"allowNewTimeProposals", true},
		{"isDraft", false},
		{"hideAttendees", false},
		{"recurrence", nil},
		{"onlineMeeting", nil},
		{"responseStatus", obj{{"response", "organizer"}, {"time", "0001-01-01T00:00:00Z"}}},
		{"body", obj{{"contentType", "html"}, {"content", "<html><body><p>" + preview + "</p></body></html>"}}},
		{"start", obj{{"dateTime", graphDateTime(start)}, {"timeZone", "UTC"}}},
		{"end", obj{{"dateTime", graphDateTime(end)}, {"timeZone", "UTC"}}},
		{"location", obj{{"displayName", ""}, {"locationType", "default"}, {"uniqueIdType", "unknown"}, {"address", obj{}}, {"coordinates", obj{}}}},
		{"locations", []obj{}},
		{"attendees", attendees},
		{"organizer", obj{{"emailAddress", obj{{"name", organizer.name}, {"address", organizer.address}}}}},
	}
}

// calendarsList answers /me/calendars.
func (g graphReq) calendarsList() *mockprovider.Response {
	list := make([]obj, len(calendars))
	for i, c := range calendars {
		list[i] = c.obj()
	}
	return g.list(list, listing{context: "users('" + userID + "')/calendars", typ: typeCalendar, pageSize: 10, maxTop: 1000, always: []string{"id"}})
}

// eventsList answers /me/events and /me/calendars/{id}/events.
func (g graphReq) eventsList(c calendar, viaCalendar bool) *mockprovider.Response {
	ctx := "users('" + userID + "')/events"
	if viaCalendar {
		ctx = "users('" + userID + "')/calendars('" + c.id + "')/events"
	}
	return g.list(g.d.events(g.x, c), listing{context: ctx, typ: typeEvent, pageSize: 10, maxTop: 1000, always: []string{"@odata.etag", "id"}})
}

// entity answers a single entity with $select applied.
func (g graphReq) entity(o obj, set string, typ entityType, always ...string) *mockprovider.Response {
	sel, fail := g.selectOf(o, typ)
	if fail != nil {
		return fail
	}
	ctx := set + "/$entity"
	if sel != nil {
		ctx = set + "(" + strings.Join(sel, ",") + ")/$entity"
	}
	return g.ok(http.StatusOK, append(obj{{"@odata.context", g.metadata(ctx)}}, project(o, sel, always...)...))
}

// findEvent looks an event up in every calendar.
func (g graphReq) findEvent(id string) (calendar, obj, bool) {
	for _, c := range calendars {
		for _, e := range g.d.events(g.x, c) {
			if v, _ := e.get("id"); v == id {
				return c, e, true
			}
		}
	}
	return calendar{}, nil, false
}

// decodeObject reads a JSON object body, or returns Graph's 400.
func (g graphReq) decodeObject() (map[string]any, *mockprovider.Response) {
	if jsonBlank(g.x.Body) {
		return nil, g.d.badPayload(g.x, true)
	}
	var v map[string]any
	if err := json.Unmarshal(g.x.Body, &v); err != nil || v == nil {
		return nil, g.d.badPayload(g.x, false)
	}
	return v, nil
}

// jsonBlank reports whether body holds nothing but JSON's whitespace.
// strings.TrimSpace is wider (it trims \v, \f, U+0085, U+00A0): a body
// of "{}\v" trimmed by it would pass as an object although no JSON
// parser, Graph's included, accepts the trailing byte.
func jsonBlank(body []byte) bool {
	return len(bytes.Trim(body, " \t\r\n")) == 0
}

// dateTimeTZ reads a dateTimeTimeZone; only UTC and offset-free values
// are understood, other zones are read as UTC [simplification].
func dateTimeTZ(v any) (time.Time, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return time.Time{}, false
	}
	s, _ := m["dateTime"].(string)
	return parseGraphTime(s)
}

// createEvent answers POST /me/events and /me/calendars/{id}/events: 201
// with the event as stored. A start or end left out defaults to the next
// half hour [unverified: Graph's validation of a bare event].
func (g graphReq) createEvent(c calendar) *mockprovider.Response {
	if !c.edit {
		e, _ := lookup("ErrorAccessDenied")
		return g.d.renderGraph(g.x, e.graph)
	}
	in, fail := g.decodeObject()
	if fail != nil {
		return fail
	}
	n := now(g.x)
	start, ok := dateTimeTZ(in["start"])
	if !ok {
		start = n.Truncate(30 * time.Minute).Add(30 * time.Minute)
	}
	end, ok := dateTimeTZ(in["end"])
	if !ok || end.Before(start) {
		end = start.Add(30 * time.Minute)
	}
	subject, _ := in["subject"].(string)
	allDay, _ := in["isAllDay"].(bool)
	s := g.d.state()
	s.mu.Lock()
	s.nextID++
	ev := event(c, 500+s.nextID, subject, start, end, allDay, -1, n)
	ev = setField(ev, "lastModifiedDateTime", stamp(n))
	if b, ok := in["body"].(map[string]any); ok {
		ct, _ := b["contentType"].(string)
		content, _ := b["content"].(string)
		if ct == "" {
			ct = "text"
		}
		ev = setField(ev, "body", obj{{"contentType", ct}, {"content", content}})
		ev = setField(ev, "bodyPreview", content[:min(len(content), 255)])
	}
	s.created[c.id] = append(s.created[c.id], ev)
	s.mu.Unlock()
	g.x.Note = strings.TrimSpace(g.x.Note + " created event in " + c.name)
	return g.ok(http.StatusCreated, append(obj{{"@odata.context", g.metadata("users('" + userID + "')/events/$entity")}}, ev...))
}

// setField replaces key's value in a copy of o.
func setField(o obj, key string, v any) obj {
	out := append(obj(nil), o...)
	for i := range out {
		if out[i].key == key {
			out[i].value = v
			return out
		}
	}
	return append(out, field{key, v})
}

// updateEvent answers PATCH and DELETE on an event created in this run;
// the fixed events answer 403, as a calendar the user may only read does
// [simplification: the mock's fixed calendar does not change].
func (g graphReq) updateEvent(id string) *mockprovider.Response {
	c, ev, ok := g.findEvent(id)
	if !ok {
		return g.d.itemNotFound(g.x)
	}
	var in map[string]any
	if g.x.Request.Method == http.MethodPatch {
		var fail *mockprovider.Response
		if in, fail = g.decodeObject(); fail != nil {
			return fail
		}
	}
	s := g.d.state()
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := -1
	for i, e := range s.created[c.id] {
		if v, _ := e.get("id"); v == id {
			idx = i
		}
	}
	if idx < 0 {
		e, _ := lookup("ErrorAccessDenied")
		return g.d.renderGraph(g.x, e.graph)
	}
	if g.x.Request.Method == http.MethodDelete {
		s.created[c.id] = append(s.created[c.id][:idx], s.created[c.id][idx+1:]...)
		return g.ok(http.StatusNoContent, nil)
	}
	if v, ok := in["subject"].(string); ok {
		ev = setField(ev, "subject", v)
	}
	for _, k := range []string{"start", "end"} {
		if t, ok := dateTimeTZ(in[k]); ok {
			ev = setField(ev, k, obj{{"dateTime", graphDateTime(t)}, {"timeZone", "UTC"}})
		}
	}
	ev = setField(ev, "lastModifiedDateTime", stamp(now(g.x)))
	s.created[c.id][idx] = ev
	return g.ok(http.StatusOK, append(obj{{"@odata.context", g.metadata("users('" + userID + "')/events/$entity")}}, ev...))
}

// contactList is the user's contacts, oldest change first.
func contactList() []obj {
	people := []struct {
		given, surname, title, dept, company string
		person
	}{
		{"Adele", "Vance", "Retail Manager", "Retail", "Contoso", person{"Adele Vance", "AdeleV@M365x214355.onmicrosoft.com"}},
		{"Alex", "Wilber", "Marketing Assistant", "Marketing", "Contoso", contacts[1]},
		{"Diego", "Siciliani", "HR Manager", "HR", "Contoso", contacts[3]},
		{"Grady", "Archie", "Designer", "R&D", "Contoso", person{"Grady Archie", "GradyA@M365x214355.onmicrosoft.com"}},
		{"Isaiah", "Langer", "Sales Rep", "Sales", "Contoso", contacts[6]},
		{"Johanna", "Lorenz", "Senior Engineer", "Engineering", "Contoso", person{"Johanna Lorenz", "JohannaL@M365x214355.onmicrosoft.com"}},
		{"Joni", "Sherman", "Paralegal", "Legal", "Contoso", person{"Joni Sherman", "JoniS@M365x214355.onmicrosoft.com"}},
		{"Lee", "Gu", "Director", "Manufacturing", "Contoso", person{"Lee Gu", "LeeG@M365x214355.onmicrosoft.com"}},
		{"Lidia", "Holloway", "Product Manager", "Engineering", "Contoso", person{"Lidia Holloway", "LidiaH@M365x214355.onmicrosoft.com"}},
		{"Lynne", "Robbins", "Planner", "Retail", "Contoso", contacts[4]},
		{"Nestor", "Wilke", "Director", "Operations", "Contoso", person{"Nestor Wilke", "NestorW@M365x214355.onmicrosoft.com"}},
		{"Patti", "Fernandez", "President", "Executive Management", "Contoso", contacts[2]},
		{"Pradeep", "Gupta", "Accountant", "Finance", "Fabrikam", person{"Pradeep Gupta", "pradeep@fabrikam.example"}},
	}
	base := time.Date(2025, time.January, 6, 8, 15, 0, 0, time.UTC)
	out := make([]obj, len(people))
	for i, p := range people {
		key := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "con%03d", i))
		changed := base.Add(time.Duration(i) * (49*time.Hour + 11*time.Minute))
		out[i] = obj{
			{"@odata.etag", `W/"EQAAABYAAAAiIsqMbYjsT5e/T7KzowPTAAA` + key + `"`},
			{"id", "AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OABGAAAAAAAiQ8W967B7TKBjgx9rVEURBwAiIsqMbYjsT5e-T7KzowPTAAAAAAEOAAAiIsqMbYjsT5e-T7KzowPTAA" + key + "AAA="},
			{"createdDateTime", stamp(changed.Add(-72 * time.Hour))},
			{"lastModifiedDateTime", stamp(changed)},
			{"changeKey", "EQAAABYAAAAiIsqMbYjsT5e/T7KzowPTAAA" + key},
			{"categories", []string{}},
			{"parentFolderId", idPrefix + "DAAA="},
			{"birthday", nil},
			{"fileAs", p.surname + ", " + p.given},
			{"displayName", p.name},
			{"givenName", p.given},
			{"initials", p.given[:1] + "." + p.surname[:1] + "."},
			{"middleName", nil},
			{"nickName", nil},
			{"surname", p.surname},
			{"title", nil},
			{"yomiGivenName", nil},
			{"yomiSurname", nil},
			{"yomiCompanyName", nil},
			{"generation", nil},
			{"imAddresses", []string{}},
			{"jobTitle", p.title},
			{"companyName", p.company},
			{"department", p.dept},
			{"officeLocation", nil},
			{"profession", nil},
			{"businessHomePage", nil},
			{"assistantName", nil},
			{"manager", nil},
			{"homePhones", []string{}},
			{"mobilePhone", nil},
			{"businessPhones", []string{fmt.Sprintf("+1 425 555 01%02d", 10+i)}},
			{"spouseName", nil},
			{"personalNotes", ""},
			{"children", []string{}},
			{"emailAddresses", []obj{{{"name", p.name}, {"address", p.address}}}},
			{"homeAddress", obj{}},
			{"businessAddress", obj{}},
			{"otherAddress", obj{}},
		}
	}
	return out
}

// contactsList answers /me/contacts.
func (g graphReq) contactsList() *mockprovider.Response {
	return g.list(contactList(), listing{context: "users('" + userID + "')/contacts", typ: typeContact, pageSize: 10, maxTop: 1000, always: []string{"@odata.etag", "id"}})
}

// moveMessage answers POST .../messages/{id}/move: 201 with the message
// as it is in the destination folder. Exchange gives a moved message a
// new ID; the mock keeps the old one, and its mailbox does not change
// [simplification].
func (g graphReq) moveMessage(id, folderID string) *mockprovider.Response {
	in, fail := g.decodeObject()
	if fail != nil {
		return fail
	}
	dest, _ := in["destinationId"].(string)
	f, ok := findFolder(dest)
	if !ok {
		return g.d.itemNotFound(g.x)
	}
	for _, m := range allMessages() {
		mid, _ := m.get("id")
		pid, _ := m.get("parentFolderId")
		if mid == id && (folderID == "" || pid == folderID) {
			moved := setField(m, "parentFolderId", f.id)
			moved = setField(moved, "lastModifiedDateTime", stamp(now(g.x)))
			return g.ok(http.StatusCreated, append(obj{{"@odata.context", g.metadata("users('" + userID + "')/messages/$entity")}}, moved...))
		}
	}
	return g.d.itemNotFound(g.x)
}

// attachments returns a message's file attachments: one text file for
// each message that has any.
func attachments(m obj) []obj {
	if has, _ := m.get("hasAttachments"); has != true {
		return nil
	}
	id, _ := m.get("id")
	subject, _ := m.get("subject")
	changed, _ := m.get("lastModifiedDateTime")
	mid := id.(string)
	content := fmt.Sprintf("Attachment of %q, kept by the refreshproof mock mailbox.\n", subject)
	return []obj{{
		{"@odata.type", "#microsoft.graph.fileAttachment"},
		{"@odata.mediaContentType", "text/plain"},
		{"id", mid[:len(mid)-4] + "BEgAQAC" + base64.StdEncoding.EncodeToString([]byte(mid[len(mid)-12:len(mid)-4]))},
		{"lastModifiedDateTime", changed},
		{"name", "notes.txt"},
		{"contentType", "text/plain"},
		{"size", len(content) + 183}, // Exchange counts the item's overhead too [unverified amount]
		{"isInline", false},
		{"contentId", nil},
		{"contentLocation", nil},
		{"contentBytes", base64.StdEncoding.EncodeToString([]byte(content))},
	}}
}

// messageAttachments answers .../messages/{id}/attachments[/{aid}[/$value]];
// rest is what follows "attachments".
func (g graphReq) messageAttachments(msgID, folderID, folderArg string, rest []string) *mockprovider.Response {
	var msg obj
	for _, m := range allMessages() {
		mid, _ := m.get("id")
		pid, _ := m.get("parentFolderId")
		if mid == msgID && (folderID == "" || pid == folderID) {
			msg = m
		}
	}
	if msg == nil {
		return g.d.itemNotFound(g.x)
	}
	atts := attachments(msg)
	ctx := "users('" + userID + "')/messages('" + msgID + "')/attachments"
	if folderArg != "" {
		ctx = "users('" + userID + "')/mailFolders('" + folderArg + "')/messages('" + msgID + "')/attachments"
	}
	if len(rest) == 0 {
		return g.list(atts, listing{context: ctx, typ: entityType{"Attachment", true}, pageSize: 10, maxTop: 1000, always: []string{"@odata.type", "@odata.mediaContentType", "id"}})
	}
	var att obj
	for _, a := range atts {
		if id, _ := a.get("id"); id == rest[0] {
			att = a
		}
	}
	if att == nil {
		return g.d.itemNotFound(g.x)
	}
	switch {
	case len(rest) == 1:
		return g.entity(att, ctx, entityType{"Attachment", true}, "@odata.type", "@odata.mediaContentType", "id")
	case len(rest) == 2 && rest[1] == "$value":
		b64, _ := att.get("contentBytes")
		raw, _ := base64.StdEncoding.DecodeString(b64.(string))
		reqID, clientID := graphRequestIDs(g.x)
		h := graphHeader(reqID, clientID)
		h.Set("Content-Type", "text/plain")
		return &mockprovider.Response{Status: http.StatusOK, Header: h, Body: raw}
	}
	return g.unmockedSegment(rest[1])
}
