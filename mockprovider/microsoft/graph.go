package microsoft

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// serveGraph answers /v1.0/... and /beta/... on graph.microsoft.com:
// the signed-in user and their mail. Every request is authenticated
// first, so an unknown path with a dead token is a 401, as on Graph.
func (d *Dialect) serveGraph(x *mockprovider.Exchange, r route) *mockprovider.Response {
	tok, fail := d.authenticate(x)
	if fail != nil {
		return fail
	}
	segs := r.segs
	lower := make([]string, len(segs))
	for i, s := range segs {
		lower[i] = strings.ToLower(s) // Graph matches segments without case
	}
	if len(segs) == 0 {
		return d.serviceDocument(x, r)
	}
	g := graphReq{d: d, x: x, r: r}
	if lower[0] == "drives" {
		return g.serveDrive(segs, false)
	}
	if lower[0] != "me" {
		return g.unmockedSegment(segs[0])
	}
	d.mu.Lock()
	appOnly := d.appOnly[tok.Family]
	d.mu.Unlock()
	if appOnly {
		return d.delegatedOnly(x)
	}
	if len(segs) == 1 {
		return g.get(d.me)
	}
	switch lower[1] {
	case "messages":
		switch {
		case len(segs) == 2:
			return g.get(func(g graphReq) *mockprovider.Response { return g.messages("", allMessages()) })
		case len(segs) == 3:
			return g.get(func(g graphReq) *mockprovider.Response { return g.message(segs[2], "") })
		case len(segs) == 4 && lower[3] == "move":
			return g.post(func(g graphReq) *mockprovider.Response { return g.moveMessage(segs[2], "") })
		case len(segs) <= 6 && lower[3] == "attachments":
			return g.get(func(g graphReq) *mockprovider.Response { return g.messageAttachments(segs[2], "", "", segs[4:]) })
		}
		return g.unmockedSegment(segs[3])
	case "mailfolders":
		if len(segs) == 2 {
			return g.get(func(g graphReq) *mockprovider.Response { return g.folders() })
		}
		f, ok := findFolder(segs[2])
		if !ok {
			return d.itemNotFound(x)
		}
		switch {
		case len(segs) == 3:
			return g.get(func(g graphReq) *mockprovider.Response { return g.folder(f) })
		case lower[3] == "childfolders" && len(segs) == 4:
			// The mock's folders have no subfolders.
			return g.get(func(g graphReq) *mockprovider.Response {
				return g.list(nil, listing{context: "users('" + userID + "')/mailFolders('" + segs[2] + "')/childFolders", typ: entityType{"MailFolder", true}, pageSize: 10, maxTop: 1000})
			})
		case lower[3] != "messages":
			return g.unmockedSegment(segs[3])
		case len(segs) == 4:
			return g.get(func(g graphReq) *mockprovider.Response { return g.messages(segs[2], f.messages()) })
		case len(segs) == 5:
			return g.get(func(g graphReq) *mockprovider.Response { return g.message(segs[4], f.id) })
		case len(segs) == 6 && lower[5] == "move":
			return g.post(func(g graphReq) *mockprovider.Response { return g.moveMessage(segs[4], f.id) })
		case len(segs) <= 8 && lower[5] == "attachments":
			return g.get(func(g graphReq) *mockprovider.Response { return g.messageAttachments(segs[4], f.id, segs[2], segs[6:]) })
		}
		return g.unmockedSegment(segs[5])
	case "calendars":
		if len(segs) == 2 {
			return g.get(func(g graphReq) *mockprovider.Response { return g.calendarsList() })
		}
		c, ok := findCalendar(segs[2])
		if !ok {
			return d.itemNotFound(x)
		}
		switch {
		case len(segs) == 3:
			return g.get(func(g graphReq) *mockprovider.Response {
				return g.entity(c.obj(), "users('"+userID+"')/calendars", typeCalendar, "id")
			})
		case lower[3] != "events":
			return g.unmockedSegment(segs[3])
		case len(segs) == 4 && x.Request.Method == http.MethodPost:
			return g.createEvent(c)
		case len(segs) == 4:
			return g.get(func(g graphReq) *mockprovider.Response { return g.eventsList(c, true) })
		}
		return g.unmockedSegment(segs[4])
	case "calendar":
		// The default calendar by its navigation property.
		c := calendars[0]
		switch {
		case len(segs) == 2:
			return g.get(func(g graphReq) *mockprovider.Response {
				return g.entity(c.obj(), "users('"+userID+"')/calendars", typeCalendar, "id")
			})
		case lower[2] != "events":
			return g.unmockedSegment(segs[2])
		case len(segs) == 3 && x.Request.Method == http.MethodPost:
			return g.createEvent(c)
		case len(segs) == 3:
			return g.get(func(g graphReq) *mockprovider.Response { return g.eventsList(c, true) })
		}
		return g.unmockedSegment(segs[3])
	case "events":
		switch {
		case len(segs) == 2 && x.Request.Method == http.MethodPost:
			return g.createEvent(calendars[0])
		case len(segs) == 2:
			return g.get(func(g graphReq) *mockprovider.Response { return g.eventsList(calendars[0], false) })
		case len(segs) == 3:
			switch x.Request.Method {
			case http.MethodGet, http.MethodHead:
				_, ev, ok := g.findEvent(segs[2])
				if !ok {
					return d.itemNotFound(x)
				}
				return g.entity(ev, "users('"+userID+"')/events", typeEvent, "@odata.etag", "id")
			case http.MethodPatch, http.MethodDelete:
				return g.updateEvent(segs[2])
			}
			return d.methodNotAllowed(x)
		}
		return g.unmockedSegment(segs[3])
	case "contacts":
		switch len(segs) {
		case 2:
			return g.get(func(g graphReq) *mockprovider.Response { return g.contactsList() })
		case 3:
			return g.get(func(g graphReq) *mockprovider.Response {
				for _, c := range contactList() {
					if id, _ := c.get("id"); id == segs[2] {
						return g.entity(c, "users('"+userID+"')/contacts", typeContact, "@odata.etag", "id")
					}
				}
				return d.itemNotFound(x)
			})
		}
		return g.unmockedSegment(segs[3])
	case "drive", "drives":
		return g.serveDrive(segs[1:], true)
	case "sendmail":
		if len(segs) > 2 {
			return g.unmockedSegment(segs[2])
		}
		return g.post(d.sendMail)
	case "revokesigninsessions":
		if len(segs) > 2 {
			return g.unmockedSegment(segs[2])
		}
		return g.post(func(g graphReq) *mockprovider.Response {
			// The caller's whole family goes: its refresh tokens and, for
			// clients evaluated continuously, its access tokens.
			_ = x.Provider.Authority().RevokeFamily(x.Token)
			x.Note = strings.TrimSpace(x.Note + " revoked family " + tok.Family)
			return g.ok(http.StatusOK, obj{{"@odata.context", g.metadata("Edm.Boolean")}, {"value", true}})
		})
	}
	return g.unmockedSegment(segs[1])
}

// unmockedSegment is Graph's 400 for a segment, marked as a path the
// mock does not serve: Graph may serve it, but the mock cannot say what
// it would answer.
func (g graphReq) unmockedSegment(seg string) *mockprovider.Response {
	g.x.Unmocked = true
	g.x.Note = strings.TrimSpace(g.x.Note + " path not mocked: " + g.x.Path)
	return g.d.unknownSegment(g.x, seg)
}

// authenticate judges the bearer token, or returns Graph's 401. Graph
// reads only the Authorization header: a token in the query is as good
// as none.
func (d *Dialect) authenticate(x *mockprovider.Exchange) (mockprovider.Token, *mockprovider.Response) {
	if x.TokenWhere != "bearer" {
		return mockprovider.Token{}, d.unauthorized(x, msgEmptyToken, false)
	}
	tok, ok := x.Provider.Authority().Authenticate(x.Token)
	switch {
	case !ok && !strings.Contains(x.Token, "."):
		return tok, d.unauthorized(x, d.malformedMessage(), false)
	case !ok && strings.Count(x.Token, ".") == 2:
		// A JWT Graph did not issue for itself, an ID token say.
		return tok, d.unauthorized(x, msgAudience, false)
	case !ok, tok.Kind == mockprovider.RefreshToken:
		return tok, d.unauthorized(x, msgCompact, false)
	}
	switch tok.State {
	case mockprovider.StateExpired:
		return tok, d.unauthorized(x, d.expiredMessage(), false)
	case mockprovider.StateRevoked, mockprovider.StateRotated:
		e, _ := lookup("InvalidAuthenticationToken_CAE")
		return tok, d.unauthorized(x, e.graph.message(d), true)
	}
	return tok, nil
}

// graphReq is one authenticated Graph request.
type graphReq struct {
	d *Dialect
	x *mockprovider.Exchange
	r route
}

func (g graphReq) get(f func(graphReq) *mockprovider.Response) *mockprovider.Response {
	if g.x.Request.Method != http.MethodGet && g.x.Request.Method != http.MethodHead {
		return g.d.methodNotAllowed(g.x)
	}
	return f(g)
}

func (g graphReq) post(f func(graphReq) *mockprovider.Response) *mockprovider.Response {
	if g.x.Request.Method != http.MethodPost {
		return g.d.methodNotAllowed(g.x)
	}
	return f(g)
}

// metadata is an @odata.context value.
func (g graphReq) metadata(fragment string) string {
	return g.x.URL(GraphHost) + "/" + g.r.version + "/$metadata#" + fragment
}

// ok is a Graph success with its header set; a nil body sends none.
func (g graphReq) ok(status int, body any) *mockprovider.Response {
	reqID, clientID := graphRequestIDs(g.x)
	h := graphHeader(reqID, clientID)
	h["Cache-Control"] = []string{"private"}
	resp := &mockprovider.Response{Status: status, Header: h}
	if body != nil {
		h["Content-Type"] = []string{"application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"}
		h["Odata-Version"] = []string{"4.0"} // OData-Version, canonicalised
		resp.Body = marshal(body)
	}
	return resp
}

func (d *Dialect) serviceDocument(x *mockprovider.Exchange, r route) *mockprovider.Response {
	g := graphReq{d: d, x: x, r: r}
	return g.get(func(g graphReq) *mockprovider.Response {
		return g.ok(http.StatusOK, obj{
			{"@odata.context", g.x.URL(GraphHost) + "/" + g.r.version + "/$metadata"},
			{"value", []obj{
				{{"name", "me"}, {"kind", "Singleton"}, {"url", "me"}},
				{{"name", "users"}, {"kind", "EntitySet"}, {"url", "users"}},
			}},
		})
	})
}

// meUser is the signed-in user: Graph's documentation user (providers.md
// B.4). It is shared by every answer and never changed.
var meUser = obj{
	{"businessPhones", []string{"+1 412 555 0109"}},
	{"displayName", userName},
	{"givenName", "Megan"},
	{"jobTitle", "Auditor"},
	{"mail", userUPN},
	{"mobilePhone", nil},
	{"officeLocation", "12/1110"},
	{"preferredLanguage", "en-US"},
	{"surname", "Bowen"},
	{"userPrincipalName", userUPN},
	{"id", userID},
}

// me answers /me.
func (d *Dialect) me(g graphReq) *mockprovider.Response {
	user := meUser
	sel, fail := g.selectOf(user, entityType{"User", false})
	if fail != nil {
		return fail
	}
	ctx := "users/$entity"
	if sel != nil {
		ctx = "users(" + strings.Join(sel, ",") + ")/$entity"
		user = project(user, sel)
	}
	return g.ok(http.StatusOK, append(obj{{"@odata.context", g.metadata(ctx)}}, user...))
}

// messages lists msgs a page at a time. folderArg is the folder as the
// path named it, "" for /me/messages.
func (g graphReq) messages(folderArg string, msgs []obj) *mockprovider.Response {
	ctx := "users('" + userID + "')/messages"
	if folderArg != "" {
		ctx = "users('" + userID + "')/mailFolders('" + folderArg + "')/messages"
	}
	return g.list(msgs, listing{context: ctx, typ: typeMessage, pageSize: g.d.pageSize(), maxTop: 1000, always: []string{"@odata.etag", "id"}})
}

// pageLink is the request's URL on Graph's host with the paging option
// name set to value, other query parameters kept as sent. Clients must
// follow it as is rather than compute $skip themselves.
func (g graphReq) pageLink(name, value string) string {
	var parts []string
	for _, p := range strings.Split(g.x.Request.URL.RawQuery, "&") {
		k, _, _ := strings.Cut(p, "=")
		if uk, err := url.QueryUnescape(k); p == "" || (err == nil && uk == name) {
			continue
		}
		parts = append(parts, p)
	}
	parts = append(parts, name+"="+url.QueryEscape(value))
	return g.x.URL(GraphHost) + (&url.URL{Path: g.x.Path}).EscapedPath() + "?" + strings.Join(parts, "&")
}

// queryOption returns an OData system query option; Graph accepts them
// with or without the $ on v1.0.
func queryOption(q map[string][]string, name string) (string, bool) {
	for _, k := range []string{name, strings.TrimPrefix(name, "$")} {
		if v, ok := q[k]; ok && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

func (g graphReq) message(id, folderID string) *mockprovider.Response {
	for _, m := range allMessages() {
		mid, _ := m.get("id")
		pid, _ := m.get("parentFolderId")
		if mid == id && (folderID == "" || pid == folderID) {
			sel, fail := g.selectOf(m, typeMessage)
			if fail != nil {
				return fail
			}
			ctx := "users('" + userID + "')/messages/$entity"
			if sel != nil {
				ctx = "users('" + userID + "')/messages(" + strings.Join(sel, ",") + ")/$entity"
			}
			return g.ok(http.StatusOK, append(obj{{"@odata.context", g.metadata(ctx)}}, project(m, sel, "@odata.etag", "id")...))
		}
	}
	return g.d.itemNotFound(g.x)
}

func (g graphReq) folders() *mockprovider.Response {
	var list []obj
	for _, f := range mailFolders {
		list = append(list, f.obj())
	}
	sel, fail := g.selectOf(list[0], typeMailFolder)
	if fail != nil {
		return fail
	}
	ctx := "users('" + userID + "')/mailFolders"
	if sel != nil {
		ctx += "(" + strings.Join(sel, ",") + ")"
		for i := range list {
			list[i] = project(list[i], sel, "id")
		}
	}
	return g.ok(http.StatusOK, obj{{"@odata.context", g.metadata(ctx)}, {"value", list}})
}

func (g graphReq) folder(f mailFolder) *mockprovider.Response {
	o := f.obj()
	sel, fail := g.selectOf(o, typeMailFolder)
	if fail != nil {
		return fail
	}
	ctx := "users('" + userID + "')/mailFolders/$entity"
	if sel != nil {
		ctx = "users('" + userID + "')/mailFolders(" + strings.Join(sel, ",") + ")/$entity"
		o = project(o, sel, "id")
	}
	return g.ok(http.StatusOK, append(obj{{"@odata.context", g.metadata(ctx)}}, o...))
}

// sendMail accepts any JSON object and answers 202 with no body; the
// mail goes nowhere.
func (d *Dialect) sendMail(g graphReq) *mockprovider.Response {
	// decodeObject, not a bare Unmarshal: null decodes into a map
	// without error, and Graph has no message to send in it.
	if _, fail := g.decodeObject(); fail != nil {
		return fail
	}
	return g.ok(http.StatusAccepted, nil)
}

// selectOf reads $select against the properties of example, returning
// the property names as the entity spells them, in the order requested.
// No $select returns nil. A name that is not a property is Graph's 400
// for an unknown property; an empty name ("subject,", ",") is a 400 for
// the option, not a $select of nothing: answering the whole entity would
// hide a component's malformed list [unverified: Graph's wording for it].
func (g graphReq) selectOf(example obj, typ entityType) (sel []string, fail *mockprovider.Response) {
	v, ok := queryOption(g.x.Request.URL.Query(), "$select")
	if !ok || strings.TrimSpace(v) == "" {
		return nil, nil
	}
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, g.d.badQueryOption(g.x, "$select", v)
		}
		found := ""
		for _, f := range example {
			if strings.EqualFold(f.key, name) && !strings.HasPrefix(f.key, "@") {
				found = f.key
				break
			}
		}
		if found == "" {
			return nil, g.d.unknownProperty(g.x, name, typ.name, typ.outlook)
		}
		sel = append(sel, found)
	}
	return sel, nil
}

// project keeps the always-sent keys and the selected ones, in the
// entity's own order, as Graph does. A nil sel keeps everything.
func project(o obj, sel []string, always ...string) obj {
	if sel == nil {
		return o
	}
	var out obj
	for _, f := range o {
		for _, k := range append(always, sel...) {
			if f.key == k {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// The mailbox: fixed folders and 35 messages, the same on every run.

type mailFolder struct {
	wellKnown, name, id string
}

const (
	idPrefix     = "AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OAAuAAAAAAAiQ8W967B7TKBjgx9rVEURAQAiIsqMbYjsT5e-T7KzowPTAAAAAAE"
	msgIDPrefix  = "AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OABGAAAAAAAiQ8W967B7TKBjgx9rVEURBwAiIsqMbYjsT5e-T7KzowPTAAAAAAEMAAAiIsqMbYjsT5e-T7KzowPTAA"
	rootFolderID = idPrefix + "IAAA="
)

// mailFolders are in the order Graph lists them: by display name.
var mailFolders = []mailFolder{
	{"archive", "Archive", idPrefix + "bAAA="},
	{"conversationhistory", "Conversation History", idPrefix + "gAAA="},
	{"deleteditems", "Deleted Items", idPrefix + "KAAA="},
	{"drafts", "Drafts", idPrefix + "PAAA="},
	{"inbox", "Inbox", idPrefix + "MAAA="},
	{"junkemail", "Junk Email", idPrefix + "iAAA="},
	{"outbox", "Outbox", idPrefix + "LAAA="},
	{"sentitems", "Sent Items", idPrefix + "JAAA="},
}

func findFolder(arg string) (mailFolder, bool) {
	for _, f := range mailFolders {
		if strings.EqualFold(arg, f.wellKnown) || arg == f.id {
			return f, true
		}
	}
	return mailFolder{}, false
}

func (f mailFolder) messages() []obj {
	var out []obj
	for _, m := range allMessages() {
		if pid, _ := m.get("parentFolderId"); pid == f.id {
			out = append(out, m)
		}
	}
	return out
}

func (f mailFolder) obj() obj {
	msgs := f.messages()
	unread := 0
	for _, m := range msgs {
		if r, _ := m.get("isRead"); r == false {
			unread++
		}
	}
	return obj{
		{"id", f.id},
		{"displayName", f.name},
		{"parentFolderId", rootFolderID},
		{"childFolderCount", 0},
		{"unreadItemCount", unread},
		{"totalItemCount", len(msgs)},
		{"sizeInBytes", len(msgs) * 24576},
		{"isHidden", false},
	}
}

type person struct{ name, address string }

func (p person) recipient() obj {
	return obj{{"emailAddress", obj{{"name", p.name}, {"address", p.address}}}}
}

var (
	megan    = person{userName, userUPN}
	contacts = []person{
		{"Microsoft Planner", "noreply@Planner.Office365.com"},
		{"Alex Wilber", "AlexW@M365x214355.onmicrosoft.com"},
		{"Patti Fernandez", "PattiF@M365x214355.onmicrosoft.com"},
		{"Diego Siciliani", "DiegoS@M365x214355.onmicrosoft.com"},
		{"Lynne Robbins", "LynneR@M365x214355.onmicrosoft.com"},
		{"Microsoft 365 Message center", "o365mc@microsoft.com"},
		{"Isaiah Langer", "IsaiahL@M365x214355.onmicrosoft.com"},
	}
	subjects = []string{
		"You have late tasks!",
		"Quarterly audit: documents needed by Friday",
		"Re: Contoso marketing plan",
		"Team lunch on Thursday",
		"Updated expense policy",
		"Major update from Message center",
		"Re: Project Falcon status",
		"Invoice INV-20417 approved",
		"Weekly digest: Retail team",
		"Can we move our 1:1?",
		"Draft: Q3 audit findings",
	}

	messagesOnce sync.Once
	messagesAll  []obj
)

// allMessages returns the mailbox's messages, newest first, as
// /me/messages lists them. Callers must not modify them.
func allMessages() []obj {
	messagesOnce.Do(func() {
		inbox, _ := findFolder("inbox")
		sent, _ := findFolder("sentitems")
		drafts, _ := findFolder("drafts")
		newest := time.Date(2025, time.March, 14, 16, 42, 5, 0, time.UTC)
		for i := range 35 {
			folder, from, to := inbox, contacts[i%len(contacts)], megan
			switch i % 7 {
			case 3:
				folder, from, to = sent, megan, contacts[(i+2)%len(contacts)]
			case 6:
				folder, from, to = drafts, megan, contacts[(i+4)%len(contacts)]
			}
			received := newest.Add(-time.Duration(i) * (5*time.Hour + 17*time.Minute + 23*time.Second))
			stamp := received.Format("2006-01-02T15:04:05Z")
			key := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "msg%03d", i))
			subject := subjects[i%len(subjects)]
			preview := fmt.Sprintf("Hi %s, %s. Message %d of the refreshproof mock mailbox.", strings.Fields(to.name)[0], strings.ToLower(strings.TrimPrefix(subject, "Re: ")), i+1)
			importance := "normal"
			if i%9 == 1 {
				importance = "high"
			}
			classification := "focused"
			if from.address == contacts[0].address || from.address == contacts[5].address {
				classification = "other"
			}
			messagesAll = append(messagesAll, obj{
				{"@odata.etag", `W/"CQAAABYAAAAiIsqMbYjsT5e/T7KzowPTAAA` + key + `"`},
				{"id", msgIDPrefix + key + "AAA="},
				{"createdDateTime", stamp},
				{"lastModifiedDateTime", stamp},
				{"changeKey", "CQAAABYAAAAiIsqMbYjsT5e/T7KzowPTAAA" + key},
				{"categories", []string{}},
				{"receivedDateTime", stamp},
				{"sentDateTime", stamp},
				{"hasAttachments", i%5 == 0},
				{"internetMessageId", fmt.Sprintf("<MW2PR16MB22990%04dA9E6C4C2D0@MW2PR16MB2299.namprd16.prod.outlook.com>", 1000+i*37)},
				{"subject", subject},
				{"bodyPreview", preview},
				{"importance", importance},
				{"parentFolderId", folder.id},
				{"conversationId", "AAQkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OAAQA" + key + "="},
				{"isDeliveryReceiptRequested", false},
				{"isReadReceiptRequested", false},
				{"isRead", i%3 != 0 || folder.id != inbox.id},
				{"isDraft", folder.id == drafts.id},
				{"inferenceClassification", classification},
				{"body", obj{{"contentType", "html"}, {"content", "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body><p>" + preview + "</p></body></html>"}}},
				{"sender", from.recipient()},
				{"from", from.recipient()},
				{"toRecipients", []obj{to.recipient()}},
				{"ccRecipients", []obj{}},
				{"bccRecipients", []obj{}},
				{"replyTo", []obj{}},
				{"flag", obj{{"flagStatus", "notFlagged"}}},
			})
		}
	})
	return messagesAll
}
