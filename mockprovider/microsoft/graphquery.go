package microsoft

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// This file reads the OData query options components send to Graph
// collections ($filter, $orderby, $select, $top, $skip) and pages a
// collection as Graph does. It understands the subset the public
// components use: comparisons joined by and/or, on properties and
// property paths (start/dateTime), against quoted strings, unquoted
// DateTimeOffset values, numbers, true, false and null.

// entityType names an entity set's type for error messages; outlook is
// true for the Outlook-backed entities (mail, calendar, contacts), whose
// errors come from Exchange's request broker.
type entityType struct {
	name    string
	outlook bool
}

var (
	typeMessage    = entityType{"Message", true}
	typeEvent      = entityType{"Event", true}
	typeCalendar   = entityType{"Calendar", true}
	typeContact    = entityType{"Contact", true}
	typeDriveItem  = entityType{"DriveItem", false}
	typeUser       = entityType{"User", false}
	typeMailFolder = entityType{"MailFolder", true}
)

// listing says how one collection request pages.
type listing struct {
	// context is the @odata.context fragment before any $select.
	context string
	typ     entityType
	// pageSize is the default page; maxTop caps $top.
	pageSize, maxTop int
	// always are the keys kept whatever $select says.
	always []string
	// skipToken pages with $skiptoken, as OneDrive does, rather than
	// $skip, as Outlook does.
	skipToken bool
}

// filterClause is one comparison of a $filter.
type filterClause struct {
	path  []string
	op    string
	value any // string, float64, bool, time.Time or nil
}

// filterExpr is a $filter in disjunctive form: any group whose clauses
// all hold keeps the item ("a and b or c" is (a and b) or c, as OData's
// precedence has it).
type filterExpr [][]filterClause

var filterOps = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true}

// parseFilter parses a $filter expression; ok is false when Graph would
// answer msgInvalidFilter.
func parseFilter(s string) (expr filterExpr, ok bool) {
	toks, ok := filterTokens(s)
	if !ok {
		return nil, false
	}
	var group []filterClause
	for i := 0; i < len(toks); {
		if len(toks)-i < 3 {
			return nil, false
		}
		path, op, lit := toks[i], strings.ToLower(toks[i+1]), toks[i+2]
		if !filterOps[op] || strings.HasPrefix(path, "'") {
			return nil, false
		}
		v, ok := filterLiteral(lit)
		if !ok {
			return nil, false
		}
		group = append(group, filterClause{path: strings.Split(path, "/"), op: op, value: v})
		i += 3
		if i == len(toks) {
			break
		}
		switch strings.ToLower(toks[i]) {
		case "and":
		case "or":
			expr = append(expr, group)
			group = nil
		default:
			return nil, false
		}
		i++
		if i == len(toks) {
			return nil, false
		}
	}
	if len(group) == 0 {
		return nil, false
	}
	return append(expr, group), true
}

// msgInvalidFilter is Graph's message for a $filter it cannot parse
// [unverified: Outlook's wording, seen in client reports].
const msgInvalidFilter = "Invalid filter clause"

// filterTokens splits a $filter on spaces outside quoted strings; a
// quoted string keeps its quotes, ” inside one is a quote.
func filterTokens(s string) ([]string, bool) {
	var toks []string
	var cur strings.Builder
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\'' && i+1 < len(s) && s[i+1] == '\'':
			cur.WriteString("''")
			i++
		case c == '\'':
			inQuote = !inQuote
			cur.WriteByte(c)
		case !inQuote && (c == ' ' || c == '\t'):
			if cur.Len() > 0 {
				toks = append(toks, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if inQuote {
		return nil, false
	}
	if cur.Len() > 0 {
		toks = append(toks, cur.String())
	}
	return toks, true
}

func filterLiteral(s string) (any, bool) {
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	case "null":
		return nil, true
	}
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), true
	}
	if t, ok := parseGraphTime(s); ok {
		return t, true
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return n, true
	}
	return nil, false
}

// parseGraphTime reads a DateTimeOffset, or a dateTimeTimeZone's
// dateTime (no offset, fractions to seven digits), as UTC.
func parseGraphTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// resolve returns the value at path in o and the property names as o
// spells them; ok is false when a name is not a property.
func resolve(o obj, path []string) (any, bool) {
	var cur any = o
	for _, name := range path {
		m, isObj := cur.(obj)
		if !isObj {
			return nil, false
		}
		found := false
		for _, f := range m {
			if strings.EqualFold(f.key, name) && !strings.HasPrefix(f.key, "@") {
				cur, found = f.value, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return cur, true
}

// compare orders a and b: -1, 0, 1, or ok false when they do not compare.
// Strings that both read as times compare as times, so that a filter on
// a dateTimeTimeZone's dateTime works whatever the precision.
func compare(a, b any) (int, bool) {
	if a == nil || b == nil {
		if a == nil && b == nil {
			return 0, true
		}
		return 0, false
	}
	toTime := func(v any) (time.Time, bool) {
		switch v := v.(type) {
		case time.Time:
			return v, true
		case string:
			return parseGraphTime(v)
		}
		return time.Time{}, false
	}
	if ta, ok := toTime(a); ok {
		if tb, ok := toTime(b); ok {
			return ta.Compare(tb), true
		}
	}
	switch av := a.(type) {
	case string:
		if bv, ok := b.(string); ok {
			return strings.Compare(strings.ToLower(av), strings.ToLower(bv)), true
		}
	case bool:
		if bv, ok := b.(bool); ok {
			switch {
			case av == bv:
				return 0, true
			case !av:
				return -1, true
			}
			return 1, true
		}
	case int:
		return compare(float64(av), b)
	case int64:
		return compare(float64(av), b)
	case float64:
		if bv, ok := b.(float64); ok {
			switch {
			case av < bv:
				return -1, true
			case av > bv:
				return 1, true
			}
			return 0, true
		}
		if bv, ok := b.(int); ok {
			return compare(av, float64(bv))
		}
	}
	return 0, false
}

func (c filterClause) holds(o obj) bool {
	v, _ := resolve(o, c.path)
	n, ok := compare(v, c.value)
	if !ok {
		return c.op == "ne"
	}
	switch c.op {
	case "eq":
		return n == 0
	case "ne":
		return n != 0
	case "gt":
		return n > 0
	case "ge":
		return n >= 0
	case "lt":
		return n < 0
	}
	return n <= 0 // le
}

func (e filterExpr) keeps(o obj) bool {
	for _, group := range e {
		all := true
		for _, c := range group {
			if !c.holds(o) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// list answers a collection request over items: $filter, $orderby,
// $select, then a page of $top from $skip (or $skiptoken), with an
// @odata.nextLink while items remain.
func (g graphReq) list(items []obj, l listing) *mockprovider.Response {
	q := g.x.Request.URL.Query()
	top := l.pageSize
	if v, ok := queryOption(q, "$top"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return g.d.badQueryOption(g.x, "$top", v)
		}
		top = min(n, l.maxTop)
	}
	skip := 0
	skipName := "$skip"
	if l.skipToken {
		skipName = "$skiptoken"
	}
	if v, ok := queryOption(q, skipName); ok {
		n, err := parseSkip(v, l.skipToken)
		if err != nil || n < 0 {
			return g.d.badQueryOption(g.x, skipName, v)
		}
		skip = n
	}
	example := obj(nil)
	if len(items) > 0 {
		example = items[0]
	}
	if v, ok := queryOption(q, "$filter"); ok && strings.TrimSpace(v) != "" {
		expr, ok := parseFilter(v)
		if !ok {
			return g.d.graphError(g.x, http.StatusBadRequest, "BadRequest", msgInvalidFilter, nil)
		}
		for _, group := range expr {
			for _, c := range group {
				if _, ok := resolve(example, c.path); example != nil && !ok {
					return g.d.unknownProperty(g.x, strings.Join(c.path, "/"), l.typ.name, l.typ.outlook)
				}
			}
		}
		var kept []obj
		for _, it := range items {
			if expr.keeps(it) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if v, ok := queryOption(q, "$orderby"); ok && strings.TrimSpace(v) != "" {
		type key struct {
			path []string
			desc bool
		}
		var keys []key
		for _, part := range strings.Split(v, ",") {
			f := strings.Fields(part)
			if len(f) == 0 || len(f) > 2 || (len(f) == 2 && !strings.EqualFold(f[1], "asc") && !strings.EqualFold(f[1], "desc")) {
				return g.d.badQueryOption(g.x, "$orderby", v)
			}
			k := key{path: strings.Split(f[0], "/"), desc: len(f) == 2 && strings.EqualFold(f[1], "desc")}
			if _, ok := resolve(example, k.path); example != nil && !ok {
				return g.d.unknownProperty(g.x, f[0], l.typ.name, l.typ.outlook)
			}
			keys = append(keys, k)
		}
		items = append([]obj(nil), items...)
		sort.SliceStable(items, func(i, j int) bool {
			for _, k := range keys {
				a, _ := resolve(items[i], k.path)
				b, _ := resolve(items[j], k.path)
				n, _ := compare(a, b)
				if n != 0 {
					return (n < 0) != k.desc
				}
			}
			return false
		})
	}
	var sel []string
	if example != nil {
		var fail *mockprovider.Response
		if sel, fail = g.selectOf(example, l.typ); fail != nil {
			return fail
		}
	}
	ctx := l.context
	if sel != nil {
		ctx += "(" + strings.Join(sel, ",") + ")"
	}
	page := []obj{}
	for i := skip; i < len(items) && i < skip+top; i++ {
		page = append(page, project(items[i], sel, l.always...))
	}
	body := obj{{"@odata.context", g.metadata(ctx)}, {"value", page}}
	// The link follows the value, as Outlook streams it [unverified].
	if skip+top < len(items) {
		if l.skipToken {
			body = append(body, field{"@odata.nextLink", g.pageLink("$skiptoken", skipTokenFor(skip+top))})
		} else {
			body = append(body, field{"@odata.nextLink", g.pageLink("$skip", strconv.Itoa(skip+top))})
		}
	}
	return g.ok(http.StatusOK, body)
}

// skipTokenFor makes an opaque-looking OneDrive skip token for an offset
// [unverified format: the real ones are opaque; clients must not read
// them].
func skipTokenFor(n int) string {
	return base64Std(fmt.Sprintf("Paged=TRUE&p_SortBehavior=0&p_ID=%d", n))
}

func parseSkip(v string, token bool) (int, error) {
	if !token {
		return strconv.Atoi(v)
	}
	raw, err := decodeStd(v)
	if err != nil {
		return 0, err
	}
	_, n, ok := strings.Cut(raw, "p_ID=")
	if !ok {
		return 0, fmt.Errorf("microsoft: skip token without p_ID")
	}
	return strconv.Atoi(n)
}
