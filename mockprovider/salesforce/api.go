package salesforce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// apiLimit is the org's daily API request allocation.
const apiLimit = 15000

// defaultBatchSize is the page size of a query (REST API guide, "Query").
const defaultBatchSize = 2000

// versionsListed is how many versions /services/data lists.
const versionsListed = 6

// serveAPI answers the REST API. The versions list is public; everything
// else needs a valid session for the org's current instance.
func (d *Dialect) serveAPI(x *mockprovider.Exchange) *mockprovider.Response {
	path := strings.TrimSuffix(x.Path, "/")
	if path == prefixData {
		// "Versions: authentication is not required" (REST API guide).
		if x.Request.Method != http.MethodGet && x.Request.Method != http.MethodHead {
			return d.methodNotAllowed(x, "GET,HEAD")
		}
		return d.apiOK(http.StatusOK, d.versions())
	}
	if resp := d.authenticate(x); resp != nil {
		return resp
	}
	resp := d.route(x, path)
	d.mu.Lock()
	d.apiUsage++
	usage := d.apiUsage
	d.mu.Unlock()
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	resp.Header["Sforce-Limit-Info"] = []string{"api-usage=" + strconv.Itoa(usage) + "/" + strconv.Itoa(apiLimit)}
	return resp
}

// authenticate returns the 401 of a request without a valid session, or
// nil. Without an Authorization header the API answers as for an invalid
// session; with one it cannot read (no token, another scheme) it answers
// INVALID_AUTH_HEADER (restforce #489, #811) [unverified which applies to
// a missing header].
func (d *Dialect) authenticate(x *mockprovider.Exchange) *mockprovider.Response {
	if strings.TrimSpace(x.Request.Header.Get("Authorization")) == "" {
		x.Note = "no Authorization header"
		return d.fail("INVALID_SESSION_ID")
	}
	if x.Token == "" {
		x.Note = "Authorization header is not Bearer or OAuth with a token"
		return d.fail("INVALID_AUTH_HEADER")
	}
	if current := d.instanceHost(); x.Host != "" && x.Host != current {
		x.Note = fmt.Sprintf("stale instance %s: the org is on %s", x.Host, current)
		return d.fail("INVALID_SESSION_ID")
	}
	t, ok := x.Provider.Authority().Authenticate(x.Token)
	switch {
	case !ok:
		x.Note = "unknown access token"
	case t.Kind != mockprovider.AccessToken:
		x.Note = "a refresh token is not a session ID"
	case t.State != mockprovider.StateValid:
		x.Note = "access token " + t.Label + " is " + string(t.State)
	default:
		return nil
	}
	return d.fail("INVALID_SESSION_ID")
}

// apiOK renders a successful API answer; a nil body with status 204 is
// empty.
func (d *Dialect) apiOK(status int, body any) *mockprovider.Response {
	if status == http.StatusNoContent {
		return &mockprovider.Response{Status: status, Header: apiHeader(""), Body: []byte{}}
	}
	return d.apiJSON(status, marshal(body))
}

// varyEncoding is the Vary field of API answers. Answers share it: the
// slice is full, so a caller appending a value copies it, and nothing
// writes into header values in place.
var varyEncoding = []string{"Accept-Encoding"}

// apiJSON is apiOK for a body encoded already.
func (d *Dialect) apiJSON(status int, body []byte) *mockprovider.Response {
	h := apiHeader(contentTypeJSON)
	h["Vary"] = varyEncoding[:1:1]
	return &mockprovider.Response{Status: status, Header: h, Body: body}
}

func (d *Dialect) methodNotAllowed(x *mockprovider.Exchange, allowed string) *mockprovider.Response {
	return d.failWith("METHOD_NOT_ALLOWED", fmt.Sprintf("HTTP Method '%s' not allowed. Allowed are %s", x.Request.Method, allowed))
}

// splitVersionPath splits /services/data/vNN.N/rest into "NN.N" and
// "/rest" (empty or starting with a slash).
func splitVersionPath(path string) (ver, rest string, ok bool) {
	s, ok := strings.CutPrefix(path, prefixData+"/v")
	if !ok {
		return "", "", false
	}
	digits := func(i int) int {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i
	}
	dot := digits(0)
	if dot == 0 || dot == len(s) || s[dot] != '.' {
		return "", "", false
	}
	end := digits(dot + 1)
	if end == dot+1 || (end < len(s) && s[end] != '/') {
		return "", "", false
	}
	return s[:end], s[end:], true
}

// route serves an authenticated API request.
func (d *Dialect) route(x *mockprovider.Exchange, path string) *mockprovider.Response {
	ver, tail, ok := splitVersionPath(path)
	if !ok {
		return d.unmocked(x)
	}
	v, ok := parseVersion(ver)
	if !ok || v > d.version || v < oldestVersion {
		return d.fail("NOT_FOUND")
	}
	rest := strings.TrimPrefix(tail, "/")
	parts := strings.Split(rest, "/")
	get := x.Request.Method == http.MethodGet || x.Request.Method == http.MethodHead
	switch {
	case rest == "":
		if !get {
			return d.methodNotAllowed(x, "GET,HEAD")
		}
		return d.apiOK(http.StatusOK, d.resources(x, ver))
	case rest == "limits":
		if !get {
			return d.methodNotAllowed(x, "GET,HEAD")
		}
		return d.apiOK(http.StatusOK, d.limits())
	case parts[0] == "query" || parts[0] == "queryAll":
		if !get {
			return d.methodNotAllowed(x, "GET,HEAD")
		}
		if len(parts) == 1 {
			return d.query(x, ver)
		}
		if len(parts) == 2 {
			return d.queryMore(x, ver, parts[1])
		}
	case parts[0] == "sobjects":
		return d.sobjects(x, ver, parts[1:])
	case rest == "search":
		if !get {
			return d.methodNotAllowed(x, "GET,HEAD")
		}
		return d.search(x, ver)
	case rest == "parameterizedSearch":
		if !get {
			// POST with a JSON body is also served by Salesforce; no
			// component calls it [not mocked].
			x.Unmocked = true
			return d.methodNotAllowed(x, "GET,HEAD")
		}
		return d.parameterizedSearch(x, ver)
	}
	return d.unmocked(x)
}

// unmocked is the API's 404 for a path, marked as one the mock does not
// serve: after the session checks, a resource Salesforce may have (a
// Chatter feed, an Apex REST class) answers as an unknown one does.
func (d *Dialect) unmocked(x *mockprovider.Exchange) *mockprovider.Response {
	x.Unmocked = true
	x.Note = strings.TrimSpace(x.Note + " path not mocked: " + x.Path)
	return d.fail("NOT_FOUND")
}

// standardObjects are standard objects every org has that the mock's org
// lacks: a request for one is a path the mock does not serve, not a type
// the org lacks.
var standardObjects = []string{
	"Asset", "Attachment", "Campaign", "CampaignMember", "Case", "CaseComment", "ContentDocument", "ContentVersion",
	"Contract", "Document", "EmailMessage", "Event", "Group", "Note", "OpportunityLineItem", "Order", "OrderItem",
	"Pricebook2", "PricebookEntry", "Product2", "Profile", "Quote", "RecordType", "Task", "User", "UserRole",
}

// versions is the body of /services/data: the newest few versions, oldest
// first.
func (d *Dialect) versions() []object {
	var out []object
	for v := max(oldestVersion, d.version-versionsListed+1); v <= d.version; v++ {
		s := strconv.Itoa(v) + ".0"
		out = append(out, object{{"label", versionLabel(v)}, {"url", "/services/data/v" + s}, {"version", s}})
	}
	return out
}

// resources is the body of /services/data/vXX.X.
func (d *Dialect) resources(x *mockprovider.Exchange, ver string) object {
	base := "/services/data/v" + ver + "/"
	var o object
	for _, name := range []string{"tooling", "metadata", "eclair", "folders", "chatter", "tabs", "appMenu", "quickActions", "queryAll", "commerce", "wave", "iot", "analytics", "search", "identity", "composite", "parameterizedSearch", "theme", "nouns", "recent", "licensing", "limits", "async-queries", "query", "match", "compactLayouts", "knowledgeManagement", "sobjects", "actions", "support"} {
		if name == "identity" {
			o = append(o, field{name, d.identityURL(x)})
			continue
		}
		o = append(o, field{name, base + name})
	}
	return o
}

func (d *Dialect) limits() object {
	d.mu.Lock()
	used := d.apiUsage + 1 // this call counts
	d.mu.Unlock()
	lim := func(max, remaining int) object { return object{{"Max", max}, {"Remaining", remaining}} }
	return object{
		{"ConcurrentAsyncGetReportInstances", lim(200, 200)},
		{"ConcurrentSyncReportRuns", lim(20, 20)},
		{"DailyApiRequests", lim(apiLimit, apiLimit-used)},
		{"DailyAsyncApexExecutions", lim(250000, 250000)},
		{"DailyBulkApiBatches", lim(15000, 15000)},
		{"DataStorageMB", lim(5, 5)},
		{"FileStorageMB", lim(20, 20)},
		{"HourlyODataCallout", lim(10000, 10000)},
		{"SingleEmail", lim(15, 15)},
	}
}

// cursor is the rest of a query's results, served page by page.
type cursor struct {
	records []object
	batch   int
}

// Patterns are compiled on first use, not when the package initialises:
// every command of the binary pays its packages' initialisation at start.
var soql = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?is)^\s*SELECT\s+(.+?)\s+FROM\s+([A-Za-z_][A-Za-z0-9_]*)` +
		`(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s+(ASC|DESC))?(?:\s+NULLS\s+(?:FIRST|LAST))?)?` +
		`(?:\s+LIMIT\s+(\d+))?(?:\s+OFFSET\s+(\d+))?\s*$`)
})

var condition = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?is)^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=|!=)\s*('(?:[^'\\]|\\.)*'|-?\d+(?:\.\d+)?|true|false|null)\s*$`)
})

var and = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\s+AND\s+`) })

// soqlError is the message of a query error: the query, a caret under the
// column, and the reason, as the API shows it.
func soqlError(q, near, reason string) string {
	col := strings.Index(strings.ToLower(q), strings.ToLower(near))
	if col < 0 {
		col = 0
	}
	return fmt.Sprintf("\n%s\n%s^\nERROR at Row:1:Column:%d\n%s", q, strings.Repeat(" ", col), col+1, reason)
}

// query answers GET query?q=SOQL for the small SOQL subset components
// use: a field list or COUNT(), one object, AND-ed equality conditions,
// one ORDER BY field, LIMIT and OFFSET.
func (d *Dialect) query(x *mockprovider.Exchange, ver string) *mockprovider.Response {
	q := x.Request.URL.Query().Get("q")
	if strings.TrimSpace(q) == "" {
		return d.fail("MALFORMED_QUERY")
	}
	key := answerKey{version: ver, soql: q, batch: batchSize(x)}
	d.mu.Lock()
	body, known := d.data().answer(key)
	d.mu.Unlock()
	if known {
		return d.apiJSON(http.StatusOK, body)
	}
	m := soql().FindStringSubmatch(q)
	if m == nil {
		tok := strings.Fields(q)[0]
		return d.failWith("MALFORMED_QUERY", soqlError(q, tok, fmt.Sprintf("unexpected token: '%s'", tok)))
	}
	t, ok := sobjectByName(m[2])
	if !ok {
		return d.failWith("INVALID_TYPE", soqlError(q, m[2], fmt.Sprintf("sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", m[2])))
	}
	noSuchColumn := func(name string) *mockprovider.Response {
		return d.failWith("INVALID_FIELD", soqlError(q, name, fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, t.name)))
	}
	count := strings.EqualFold(strings.Join(strings.Fields(m[1]), ""), "COUNT()")
	var fields []fieldDef
	if !count {
		for _, name := range strings.Split(m[1], ",") {
			name = strings.TrimSpace(name)
			f, ok := t.field(name)
			if !ok {
				return noSuchColumn(name)
			}
			fields = append(fields, f)
		}
	}
	type cond struct {
		f      fieldDef
		negate bool
		value  string
	}
	var conds []cond
	if m[3] != "" {
		for _, c := range and().Split(m[3], -1) {
			cm := condition().FindStringSubmatch(c)
			if cm == nil {
				// A condition of only non-ASCII spaces (NBSP between two
				// ANDs) has no first token: the regexps' \s is ASCII, Fields
				// is not.
				tok := strings.TrimSpace(c)
				if fs := strings.Fields(c); len(fs) > 0 {
					tok = fs[0]
				}
				return d.failWith("MALFORMED_QUERY", soqlError(q, strings.TrimSpace(c), fmt.Sprintf("unexpected token: '%s'", tok)))
			}
			f, ok := t.field(cm[1])
			if !ok {
				return noSuchColumn(cm[1])
			}
			val := cm[3]
			if strings.HasPrefix(val, "'") {
				val = strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(val[1 : len(val)-1])
			} else if n, err := strconv.ParseFloat(val, 64); err == nil {
				val = strconv.FormatFloat(n, 'g', -1, 64)
			} else {
				val = strings.ToLower(val)
			}
			conds = append(conds, cond{f, cm[2] == "!=", val})
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var matched []*record
	for _, r := range d.data().records[t.name] {
		keep := true
		for _, c := range conds {
			// Text comparisons in SOQL ignore case.
			if strings.EqualFold(literal(r.value(c.f)), c.value) == c.negate {
				keep = false
				break
			}
		}
		if keep {
			matched = append(matched, r)
		}
	}
	if m[4] != "" {
		f, ok := t.field(m[4])
		if !ok {
			return noSuchColumn(m[4])
		}
		sortRecords(matched, f, strings.EqualFold(m[5], "DESC"))
	}
	if m[7] != "" {
		off, _ := strconv.Atoi(m[7])
		matched = matched[min(off, len(matched)):]
	}
	if m[6] != "" {
		n, _ := strconv.Atoi(m[6])
		matched = matched[:min(n, len(matched))]
	}
	if count {
		resp := d.apiOK(http.StatusOK, object{{"totalSize", len(matched)}, {"done", true}, {"records", []object{}}})
		d.data().remember(key, resp.Body)
		return resp
	}
	rendered := make([]object, len(matched))
	for i, r := range matched {
		rendered[i] = r.render(ver, fields)
	}
	c := &cursor{records: rendered, batch: key.batch}
	resp := d.page(x, ver, c, "", 0)
	if len(c.records) <= c.batch {
		// One page: no cursor was registered, so the same query answers
		// the same bytes until a record changes.
		d.data().remember(key, resp.Body)
	}
	return resp
}

// batchSize reads Sforce-Query-Options: batchSize=N. Salesforce accepts
// 200 to 2000; smaller values are honoured too, so tests can page small
// sets.
func batchSize(x *mockprovider.Exchange) int {
	for _, opt := range strings.Split(x.Request.Header.Get("Sforce-Query-Options"), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(opt), "=")
		if strings.EqualFold(strings.TrimSpace(k), "batchSize") {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
				return min(n, defaultBatchSize)
			}
		}
	}
	return defaultBatchSize
}

// page renders the records of c from offset on; d.mu is held. A first
// page with more to come registers c under a new locator.
func (d *Dialect) page(x *mockprovider.Exchange, ver string, c *cursor, locator string, offset int) *mockprovider.Response {
	end := min(offset+c.batch, len(c.records))
	o := object{{"totalSize", len(c.records)}, {"done", end == len(c.records)}}
	if end < len(c.records) {
		if locator == "" {
			d.cursorN++
			locator = makeID("01g", d.cursorN*7919+4242) // apart from record IDs
			d.cursors[locator] = c
		}
		o = append(o, field{"nextRecordsUrl", fmt.Sprintf("/services/data/v%s/query/%s-%d", ver, locator, end)})
	}
	o = append(o, field{"records", c.records[offset:end]})
	return d.apiOK(http.StatusOK, o)
}

// queryMore answers query/{locator}-{offset}.
func (d *Dialect) queryMore(x *mockprovider.Exchange, ver, next string) *mockprovider.Response {
	locator, off, ok := strings.Cut(next, "-")
	offset, err := strconv.Atoi(off)
	d.mu.Lock()
	defer d.mu.Unlock()
	c, known := d.cursors[locator]
	if !ok || err != nil || !known || offset < 0 || offset >= len(c.records) {
		return d.fail("INVALID_QUERY_LOCATOR")
	}
	return d.page(x, ver, c, locator, offset)
}

// sobjectSummary is an object's entry in describeGlobal and the
// objectDescribe of its basic information.
func sobjectSummary(t *sobjectType, ver string) object {
	base := "/services/data/v" + ver + "/sobjects/" + t.name
	return object{
		{"activateable", false}, {"createable", true}, {"custom", false}, {"customSetting", false},
		{"deletable", true}, {"deprecatedAndHidden", false}, {"feedEnabled", true}, {"hasSubtypes", false},
		{"isSubtype", false}, {"keyPrefix", t.prefix}, {"label", t.label}, {"labelPlural", t.labelPlural},
		{"layoutable", true}, {"mergeable", t.name != "Opportunity"}, {"mruEnabled", true}, {"name", t.name},
		{"queryable", true}, {"replicateable", true}, {"retrieveable", true}, {"searchable", true},
		{"triggerable", true}, {"undeletable", true}, {"updateable", true},
		{"urls", object{
			{"compactLayouts", base + "/describe/compactLayouts"},
			{"rowTemplate", base + "/{ID}"},
			{"approvalLayouts", base + "/describe/approvalLayouts"},
			{"describe", base + "/describe"},
			{"quickActions", base + "/quickActions"},
			{"layouts", base + "/describe/layouts"},
			{"sobject", base},
		}},
	}
}

// sobjects answers sobjects, sobjects/{type}, sobjects/{type}/describe
// and sobjects/{type}/{id}.
func (d *Dialect) sobjects(x *mockprovider.Exchange, ver string, parts []string) *mockprovider.Response {
	method := x.Request.Method
	get := method == http.MethodGet || method == http.MethodHead
	if len(parts) == 0 {
		if !get {
			return d.methodNotAllowed(x, "GET,HEAD")
		}
		list := make([]object, len(sobjectTypes))
		for i, t := range sobjectTypes {
			list[i] = sobjectSummary(t, ver)
		}
		return d.apiOK(http.StatusOK, object{{"encoding", "UTF-8"}, {"maxBatchSize", 200}, {"sobjects", list}})
	}
	t, ok := sobjectByName(parts[0])
	switch {
	case !ok && slices.ContainsFunc(standardObjects, func(s string) bool { return strings.EqualFold(s, parts[0]) }):
		return d.unmocked(x)
	case !ok:
		return d.fail("NOT_FOUND")
	case len(parts) > 2, len(parts) == 2 && slices.Contains([]string{"updated", "deleted", "listviews", "quickActions", "layouts", "compactLayouts", "approvalLayouts"}, parts[1]):
		// Describe layouts, changed-record polling, related lists: served
		// by Salesforce, not by the mock.
		return d.unmocked(x)
	}
	if len(parts) == 1 {
		switch method {
		case http.MethodGet, http.MethodHead:
			d.mu.Lock()
			defer d.mu.Unlock()
			var recent []object
			list := d.data().records[t.name]
			for i := len(list) - 1; i >= 0 && len(recent) < 3; i-- {
				name, _ := t.field("Name")
				recent = append(recent, list[i].render(ver, []fieldDef{{name: "Id"}, name}))
			}
			return d.apiOK(http.StatusOK, object{{"objectDescribe", sobjectSummary(t, ver)}, {"recentItems", recent}})
		case http.MethodPost:
			return d.create(x, t)
		}
		return d.methodNotAllowed(x, "GET,HEAD,POST")
	}
	if parts[1] == "describe" {
		if !get {
			return d.methodNotAllowed(x, "GET,HEAD")
		}
		return d.apiOK(http.StatusOK, describe(t, ver))
	}
	d.mu.Lock()
	r, found := d.data().find(t, parts[1])
	d.mu.Unlock()
	if !found {
		return d.fail("NOT_FOUND")
	}
	switch method {
	case http.MethodGet, http.MethodHead:
		var fields []fieldDef
		if list := x.Request.URL.Query().Get("fields"); list != "" {
			for _, name := range strings.Split(list, ",") {
				f, ok := t.field(strings.TrimSpace(name))
				if !ok {
					return d.failWith("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", strings.TrimSpace(name), t.name))
				}
				fields = append(fields, f)
			}
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.apiOK(http.StatusOK, r.render(ver, fields))
	case http.MethodPatch:
		values, resp := d.writable(x, t)
		if resp != nil {
			return resp
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		for k, v := range values {
			r.values[k] = v
		}
		r.values["LastModifiedDate"] = sfDateTime(x.Provider.Clock().Now())
		r.recompute()
		d.data().changed()
		return d.apiOK(http.StatusNoContent, nil)
	case http.MethodDelete:
		d.mu.Lock()
		defer d.mu.Unlock()
		d.data().remove(r)
		return d.apiOK(http.StatusNoContent, nil)
	}
	return d.methodNotAllowed(x, "GET,PATCH,HEAD,DELETE")
}

func describe(t *sobjectType, ver string) object {
	o := sobjectSummary(t, ver)
	fields := make([]object, len(t.fields))
	for i, f := range t.fields {
		fields[i] = object{
			{"createable", !f.computed}, {"label", f.label}, {"name", f.name},
			{"nillable", f.typ != "id" && !contains(t.required, f.name)}, {"type", f.typ}, {"updateable", !f.computed},
		}
	}
	return append(o, field{"fields", fields})
}

// writable decodes a create or update body into field values, or returns
// the API's error for it.
func (d *Dialect) writable(x *mockprovider.Exchange, t *sobjectType) (map[string]any, *mockprovider.Response) {
	dec := json.NewDecoder(bytes.NewReader(x.Body))
	dec.UseNumber()
	var in map[string]any
	if err := dec.Decode(&in); err != nil || in == nil {
		return nil, d.fail("JSON_PARSER_ERROR")
	}
	out := map[string]any{}
	var readOnly []string
	for k, v := range in {
		if k == "attributes" {
			continue
		}
		f, ok := t.field(k)
		if !ok {
			return nil, d.failWith("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", k, t.name))
		}
		if f.computed {
			readOnly = append(readOnly, f.name)
			continue
		}
		switch v.(type) {
		case string, json.Number, bool, nil:
		default:
			return nil, d.fail("JSON_PARSER_ERROR")
		}
		out[f.name] = v
	}
	if len(readOnly) > 0 {
		slices.Sort(readOnly)
		return nil, d.failFields("INVALID_FIELD_FOR_INSERT_UPDATE", fmt.Sprintf("Unable to create/update fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", strings.Join(readOnly, ", ")), readOnly)
	}
	return out, nil
}

// create answers POST sobjects/{type}.
func (d *Dialect) create(x *mockprovider.Exchange, t *sobjectType) *mockprovider.Response {
	values, resp := d.writable(x, t)
	if resp != nil {
		return resp
	}
	var missing []string
	for _, name := range t.required {
		if v, ok := values[name]; !ok || v == nil || v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return d.failFields("REQUIRED_FIELD_MISSING", fmt.Sprintf("Required fields are missing: [%s]", strings.Join(missing, ", ")), missing)
	}
	d.mu.Lock()
	r := d.data().add(t.name, values, sfDateTime(x.Provider.Clock().Now()))
	d.mu.Unlock()
	x.Note = "created " + t.name + " " + r.id
	return d.apiOK(http.StatusCreated, object{{"id", r.id}, {"success", true}, {"errors", []any{}}})
}
