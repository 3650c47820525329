package microsoft

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// This file is the signed-in user's OneDrive for Business: /me/drive,
// /drives/{id}, items by ID and by path (root:/a/b:), their children and
// content, as the OneDrive component calls them. Shapes follow Graph's
// driveItem and drive reference examples; the tree is fixed at the start
// of a run and uploads, folders and deletions change it for that run.

// DriveID is the ID of the signed-in user's drive, the one /me/drive and
// /me/drives name; components configured with a drive ID need this one.
const DriveID = "b!-RIj2DuyvEyV1T4NlOaMHk8XkS_I8MdFlUCq1BlcjgmhRfAj3-Z8RY2VpuvV_tpd"

const (
	rootItemID = "01BYE5RZ56Y2GOVW7725BZO354PWSELRRZ"
	driveWeb   = "https://m365x214355-my.sharepoint.com/personal/meganb_m365x214355_onmicrosoft_com/Documents"
	driveQuota = int64(1099511627776)
)

type driveItem struct {
	id, name, parent string
	folder           bool
	content          []byte
	created, changed time.Time
	version          int
}

type driveStore struct {
	items map[string]*driveItem
	n     int
}

// newDriveStore returns the drive as every run starts with it.
func newDriveStore() *driveStore {
	s := &driveStore{items: map[string]*driveItem{}}
	base := time.Date(2025, time.February, 3, 10, 12, 31, 0, time.UTC)
	s.items[rootItemID] = &driveItem{id: rootItemID, name: "root", folder: true, created: base.AddDate(-1, 0, 0), changed: base}
	add := func(parent, name string, folder bool, content string, day int) string {
		s.n++
		id := fmt.Sprintf("01BYE5RZ%02dQN3ZWBTUFOFD3GSPGOHDJD%02d", s.n, 36+s.n)
		t := base.Add(time.Duration(day)*24*time.Hour + time.Duration(s.n)*7*time.Minute)
		s.items[id] = &driveItem{id: id, name: name, parent: parent, folder: folder, content: []byte(content), created: t, changed: t, version: 1}
		return id
	}
	docs := add(rootItemID, "Documents", true, "", 0)
	add(docs, "Quarterly audit.docx", false, "PK\x03\x04 refreshproof mock document: quarterly audit\n", 2)
	add(docs, "Expense policy.pdf", false, "%PDF-1.7\n% refreshproof mock document: expense policy\n", 5)
	reports := add(rootItemID, "reports", true, "", 1)
	add(reports, "q2.txt", false, "Q2 report: revenue up 4%, costs flat.\n", 9)
	add(reports, "q3.txt", false, "Q3 report: revenue up 6%, audit findings pending.\n", 40)
	archive := add(reports, "archive", true, "", 12)
	add(archive, "q1.txt", false, "Q1 report: archived.\n", 13)
	add(rootItemID, "Photos", true, "", 3)
	add(rootItemID, "budget.xlsx", false, "PK\x03\x04 refreshproof mock workbook: budget\n", 20)
	add(rootItemID, "notes.txt", false, "Meeting notes, kept by the refreshproof mock drive.\n", 31)
	return s
}

func (s *driveStore) children(id string) []*driveItem {
	var out []*driveItem
	for _, it := range s.items {
		if it.parent == id {
			out = append(out, it)
		}
	}
	// OneDrive lists folders and files by name [unverified: its default
	// order is not documented].
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].name) < strings.ToLower(out[j].name) })
	return out
}

// byPath finds the item at p, a path under the root ("reports/q3.txt").
// Names compare without case, as on OneDrive.
func (s *driveStore) byPath(p string) (*driveItem, bool) {
	cur := s.items[rootItemID]
	for _, name := range strings.Split(strings.Trim(p, "/"), "/") {
		if name == "" {
			continue
		}
		var next *driveItem
		for _, c := range s.children(cur.id) {
			if strings.EqualFold(c.name, name) {
				next = c
				break
			}
		}
		if next == nil {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

// pathOf is an item's parentReference path: /drive/root:/a/b.
func (s *driveStore) pathOf(it *driveItem) string {
	var names []string
	for cur := it; cur != nil && cur.id != rootItemID; cur = s.items[cur.parent] {
		names = append([]string{cur.name}, names...)
	}
	return "/drive/root:" + strings.TrimSuffix("/"+strings.Join(names, "/"), "/")
}

func (s *driveStore) remove(it *driveItem) {
	for _, c := range s.children(it.id) {
		s.remove(c)
	}
	delete(s.items, it.id)
}

func (s *driveStore) add(parent *driveItem, name string, folder bool, content []byte, at time.Time) *driveItem {
	s.n++
	id := fmt.Sprintf("01BYE5RZ%02dX7MFOGV4QBFH3YGF2OAVYN%02d", s.n%100, s.n%97)
	it := &driveItem{id: id, name: name, parent: parent.id, folder: folder, content: content, created: at, changed: at, version: 1}
	s.items[id] = it
	parent.changed = at
	return it
}

var userIdentity = obj{{"user", obj{{"email", userUPN}, {"id", userID}, {"displayName", userName}}}}

// render is the driveItem resource for it; s's lock is held.
func (s *driveStore) render(it *driveItem) obj {
	o := obj{
		{"createdDateTime", stamp(it.created)},
		{"eTag", fmt.Sprintf(`"{%s},%d"`, itemGUID(it.id), it.version)},
		{"id", it.id},
		{"lastModifiedDateTime", stamp(it.changed)},
		{"name", it.name},
	}
	web := driveWeb
	if it.id != rootItemID {
		web += strings.TrimPrefix(s.pathOf(it), "/drive/root:")
	}
	o = append(o, field{"webUrl", web}, field{"cTag", fmt.Sprintf(`"c:{%s},%d"`, itemGUID(it.id), it.version)})
	size := len(it.content)
	if it.folder {
		size = 0
		for _, c := range s.children(it.id) {
			size += len(c.content)
		}
	}
	o = append(o, field{"size", size}, field{"createdBy", userIdentity}, field{"lastModifiedBy", userIdentity})
	if it.id == rootItemID {
		o = append(o, field{"parentReference", obj{{"driveType", "business"}, {"driveId", DriveID}}})
	} else {
		parent := s.items[it.parent]
		o = append(o, field{"parentReference", obj{{"driveType", "business"}, {"driveId", DriveID}, {"id", parent.id}, {"path", s.pathOf(parent)}}})
	}
	o = append(o, field{"fileSystemInfo", obj{{"createdDateTime", stamp(it.created)}, {"lastModifiedDateTime", stamp(it.changed)}}})
	if it.folder {
		o = append(o, field{"folder", obj{{"childCount", len(s.children(it.id))}}})
	} else {
		o = append(o, field{"file", obj{{"mimeType", mimeType(it.name)}}})
	}
	if it.id == rootItemID {
		o = append(o, field{"root", obj{}})
	}
	return o
}

// itemGUID derives the GUID OneDrive's eTag and cTag carry from an ID.
func itemGUID(id string) string {
	h := pairwise("driveItem", id)
	b := []byte(strings.ToUpper(fmt.Sprintf("%x", h)))
	return fmt.Sprintf("%s-%s-%s-%s-%s", b[0:8], b[8:12], b[12:16], b[16:20], b[20:32])
}

func mimeType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".docx":
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".txt":
		return "text/plain"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		t, _, _ = strings.Cut(t, ";")
		return t
	}
	return "application/octet-stream"
}

// driveObj is the drive resource.
func driveObj(s *graphState) obj {
	used := 0
	for _, it := range s.drive.items {
		used += len(it.content)
	}
	return obj{
		{"createdDateTime", "2024-02-03T10:12:31Z"},
		{"description", ""},
		{"id", DriveID},
		{"lastModifiedDateTime", stamp(s.drive.items[rootItemID].changed)},
		{"name", "OneDrive"},
		{"webUrl", driveWeb},
		{"driveType", "business"},
		{"createdBy", obj{{"user", obj{{"displayName", "System Account"}}}}},
		{"lastModifiedBy", userIdentity},
		{"owner", userIdentity},
		{"quota", obj{{"deleted", 0}, {"remaining", driveQuota - int64(used)}, {"state", "normal"}, {"total", driveQuota}, {"used", used}}},
	}
}

// serveDrive answers /me/drive/..., /me/drives and /drives/{id}/...;
// segs start at "drive" or "drives" (after /me for the user's drive).
func (g graphReq) serveDrive(segs []string, me bool) *mockprovider.Response {
	d := g.d
	lower0 := strings.ToLower(segs[0])
	var rest []string
	switch {
	case me && lower0 == "drives":
		if len(segs) > 1 {
			// /me/drives/{id} is a navigation Graph serves, but no
			// component calls it.
			return g.unmockedSegment(segs[1])
		}
		return g.get(func(g graphReq) *mockprovider.Response {
			st := d.state()
			st.mu.Lock()
			drive := driveObj(st)
			st.mu.Unlock()
			return g.ok(http.StatusOK, obj{{"@odata.context", g.metadata("drives")}, {"value", []obj{drive}}})
		})
	case me:
		rest = segs[1:]
	default: // drives
		if len(segs) == 1 {
			// Listing every drive needs an organisation's admin consent;
			// no component calls it.
			return g.unmockedSegment(segs[0])
		}
		if segs[1] != DriveID {
			return d.graphError(g.x, http.StatusBadRequest, "invalidRequest", "The provided drive id appears to be malformatted, or does not represent a valid drive.", nil)
		}
		rest = segs[2:]
	}
	if len(rest) == 0 {
		return g.get(func(g graphReq) *mockprovider.Response {
			st := d.state()
			st.mu.Lock()
			drive := driveObj(st)
			st.mu.Unlock()
			return g.ok(http.StatusOK, append(obj{{"@odata.context", g.metadata("drives/$entity")}}, drive...))
		})
	}
	s := d.state()
	s.mu.Lock()
	defer s.mu.Unlock()
	// The item: root, root:/path[:], or items/{id}.
	var it *driveItem
	var after []string
	head := rest[0]
	switch {
	case strings.EqualFold(head, "root"):
		it, after = s.drive.items[rootItemID], rest[1:]
	case strings.HasPrefix(strings.ToLower(head), "root:"):
		// root:/a/b:/children splits into "root:", "a", "b:", "children".
		joined := strings.Join(rest, "/")[len("root:"):]
		p, tail, closed := strings.Cut(joined, ":")
		if closed {
			after = strings.Split(strings.TrimPrefix(tail, "/"), "/")
			if len(after) == 1 && after[0] == "" {
				after = nil
			}
		}
		var ok bool
		if it, ok = s.drive.byPath(p); !ok {
			if g.x.Request.Method == http.MethodPut && len(after) == 1 && strings.EqualFold(after[0], "content") {
				return g.upload(nil, p)
			}
			return g.driveItemNotFound()
		}
	case strings.EqualFold(head, "items"):
		if len(rest) == 1 {
			return g.unmockedSegment(head)
		}
		var ok bool
		if it, ok = s.drive.items[rest[1]]; !ok {
			return g.driveItemNotFound()
		}
		after = rest[2:]
	default:
		return g.unmockedSegment(head)
	}
	if len(after) == 0 {
		switch g.x.Request.Method {
		case http.MethodGet, http.MethodHead:
			return g.entityAt(it)
		case http.MethodDelete:
			if it.id == rootItemID {
				return d.graphError(g.x, http.StatusForbidden, "accessDenied", "Access denied", nil)
			}
			s.drive.remove(it)
			g.x.Note = strings.TrimSpace(g.x.Note + " deleted " + it.name)
			return g.ok(http.StatusNoContent, nil)
		}
		return d.methodNotAllowed(g.x)
	}
	if len(after) > 1 {
		return g.unmockedSegment(after[1])
	}
	switch strings.ToLower(after[0]) {
	case "children":
		switch g.x.Request.Method {
		case http.MethodGet, http.MethodHead:
			if !it.folder {
				return g.list(nil, listing{context: "drives('" + DriveID + "')/items('" + it.id + "')/children", typ: typeDriveItem, pageSize: 200, maxTop: 1000, skipToken: true})
			}
			var list []obj
			for _, c := range s.drive.children(it.id) {
				list = append(list, s.drive.render(c))
			}
			return g.list(list, listing{context: "drives('" + DriveID + "')/items('" + it.id + "')/children", typ: typeDriveItem, pageSize: 200, maxTop: 1000, always: []string{"id"}, skipToken: true})
		case http.MethodPost:
			return g.createFolder(it)
		}
		return d.methodNotAllowed(g.x)
	case "content":
		switch g.x.Request.Method {
		case http.MethodGet, http.MethodHead:
			if it.folder {
				return d.graphError(g.x, http.StatusNotFound, "itemNotFound", "The resource could not be found.", nil)
			}
			// Graph answers 302 to a pre-authenticated download URL on
			// the tenant's SharePoint host; the mock serves the bytes
			// itself, since that host is not the provider's [deviation].
			reqID, clientID := graphRequestIDs(g.x)
			h := graphHeader(reqID, clientID)
			h.Set("Content-Type", mimeType(it.name))
			return &mockprovider.Response{Status: http.StatusOK, Header: h, Body: append([]byte(nil), it.content...)}
		case http.MethodPut:
			return g.upload(it, "")
		}
		return d.methodNotAllowed(g.x)
	}
	return g.unmockedSegment(after[0])
}

func (g graphReq) entityAt(it *driveItem) *mockprovider.Response {
	return g.entity(g.d.state().drive.render(it), "drives('"+DriveID+"')/items", typeDriveItem, "id")
}

// driveItemNotFound is OneDrive's 404 for an item or path.
func (g graphReq) driveItemNotFound() *mockprovider.Response {
	e, _ := lookup("itemNotFound")
	return g.d.renderGraph(g.x, e.graph)
}

// upload answers PUT .../content: it replaces an item's bytes (200) or
// creates the file at p, and any missing folders on the way (201). The
// drive's lock is held.
func (g graphReq) upload(it *driveItem, p string) *mockprovider.Response {
	s := g.d.state().drive
	at := now(g.x)
	status := http.StatusOK
	if it == nil {
		parent := s.items[rootItemID]
		names := strings.Split(strings.Trim(p, "/"), "/")
		for _, name := range names[:len(names)-1] {
			next, ok := s.byPath(strings.TrimPrefix(s.pathOf(parent), "/drive/root:") + "/" + name)
			if !ok {
				next = s.add(parent, name, true, nil, at)
			}
			if !next.folder {
				return g.d.graphError(g.x, http.StatusConflict, "nameAlreadyExists", "The specified item name already exists.", nil)
			}
			parent = next
		}
		it = s.add(parent, names[len(names)-1], false, nil, at)
		status = http.StatusCreated
	} else if it.folder {
		return g.d.graphError(g.x, http.StatusBadRequest, "invalidRequest", "Cannot upload content to a folder.", nil)
	} else {
		it.version++
	}
	it.content = append([]byte(nil), g.x.Body...)
	it.changed = at
	g.x.Note = strings.TrimSpace(fmt.Sprintf("%s uploaded %d bytes to %s", g.x.Note, len(it.content), it.name))
	return g.ok(status, append(obj{{"@odata.context", g.metadata("drives('" + DriveID + "')/items/$entity")}}, s.render(it)...))
}

// createFolder answers POST .../children with a folder facet: 201 with
// the folder; a name taken fails with 409 under conflictBehavior fail
// (the default) and gets a number under rename. The drive's lock is held.
func (g graphReq) createFolder(parent *driveItem) *mockprovider.Response {
	var in map[string]json.RawMessage
	if jsonBlank(g.x.Body) {
		return g.d.badPayload(g.x, true)
	}
	if err := json.Unmarshal(g.x.Body, &in); err != nil {
		return g.d.badPayload(g.x, false)
	}
	var name, behavior string
	_ = json.Unmarshal(in["name"], &name)
	_ = json.Unmarshal(in["@microsoft.graph.conflictBehavior"], &behavior)
	if _, folder := in["folder"]; !folder || strings.TrimSpace(name) == "" || strings.ContainsAny(name, `/\:*?"<>|`) {
		return g.d.graphError(g.x, http.StatusBadRequest, "invalidRequest", "Invalid request", nil)
	}
	s := g.d.state().drive
	taken := func(n string) *driveItem {
		for _, c := range s.children(parent.id) {
			if strings.EqualFold(c.name, n) {
				return c
			}
		}
		return nil
	}
	if old := taken(name); old != nil {
		switch behavior {
		case "replace":
			s.remove(old)
		case "rename":
			for i := 1; taken(name) != nil; i++ {
				name = fmt.Sprintf("%s %d", strings.TrimSuffix(name, fmt.Sprintf(" %d", i-1)), i)
			}
		default:
			return g.d.graphError(g.x, http.StatusConflict, "nameAlreadyExists", "The specified item name already exists.", nil)
		}
	}
	it := s.add(parent, name, true, nil, now(g.x))
	g.x.Note = strings.TrimSpace(g.x.Note + " created folder " + name)
	return g.ok(http.StatusCreated, append(obj{{"@odata.context", g.metadata("drives('" + DriveID + "')/items/$entity")}}, s.render(it)...))
}
