package salesforce

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// This file answers search (SOSL, GET search?q=FIND {...}) and
// parameterizedSearch (GET parameterizedSearch?q=...) for the subset of
// SOSL components send: one search term, IN ... FIELDS, RETURNING types
// with field lists and LIMIT, an overall LIMIT. Both answer
// {"searchRecords":[...]}, the shape of API version 37.0 and later (REST
// API guide, "Search"); records come type by type in RETURNING order.

// Patterns are compiled on first use, not when the package initialises:
// every command of the binary pays its packages' initialisation at start.
var sosl = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?is)^\s*FIND\s+\{((?:[^}\\]|\\.)*)\}` +
		`(?:\s+IN\s+(ALL|NAME|EMAIL|PHONE)\s+FIELDS)?` +
		`(?:\s+RETURNING\s+(.+?))?` +
		`(?:\s+LIMIT\s+(\d+))?\s*$`)
})

// returningItem is one type of a RETURNING clause: Account(Id, Name LIMIT 5).
var returningItem = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?is)^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(\s*([^)]*?)\s*\))?\s*$`)
})

var itemLimit = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?is)\s+LIMIT\s+(\d+)\s*$`) })

// searchScope says which fields a search term is matched against.
type searchScope string

func (s searchScope) matches(f fieldDef) bool {
	switch s {
	case "NAME":
		return f.name == "Name" || f.name == "FirstName" || f.name == "LastName"
	case "EMAIL":
		return f.typ == "email"
	case "PHONE":
		return f.typ == "phone"
	}
	switch f.typ {
	case "string", "email", "phone", "picklist", "url":
		return true
	}
	return false
}

// searchTarget is one type to return and its fields.
type searchTarget struct {
	t      *sobjectType
	fields []fieldDef
	limit  int
}

// maxSearchRecords is SOSL's overall default and maximum [REST API guide:
// "the default is 2000"].
const maxSearchRecords = 2000

// search answers GET search?q=SOSL.
func (d *Dialect) search(x *mockprovider.Exchange, ver string) *mockprovider.Response {
	q := x.Request.URL.Query().Get("q")
	if strings.TrimSpace(q) == "" {
		return d.fail("MALFORMED_SEARCH")
	}
	m := sosl().FindStringSubmatch(q)
	if m == nil {
		if !strings.Contains(q, "{") {
			return d.fail("MALFORMED_SEARCH")
		}
		tok := strings.Fields(q)[0]
		return d.failWith("MALFORMED_SEARCH", soqlError(q, tok, fmt.Sprintf("unexpected token: '%s'", tok)))
	}
	term := strings.NewReplacer(`\}`, "}", `\{`, "{", `\\`, `\`).Replace(m[1])
	var targets []searchTarget
	if m[3] != "" {
		for _, part := range splitTopLevel(m[3]) {
			im := returningItem().FindStringSubmatch(part)
			if im == nil {
				return d.failWith("MALFORMED_SEARCH", soqlError(q, strings.TrimSpace(part), fmt.Sprintf("unexpected token: '%s'", strings.TrimSpace(part))))
			}
			t, ok := sobjectByName(im[1])
			if !ok {
				return d.failWith("INVALID_TYPE", soqlError(q, im[1], fmt.Sprintf("sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", im[1])))
			}
			st := searchTarget{t: t, limit: maxSearchRecords}
			list := im[2]
			if lm := itemLimit().FindStringSubmatch(" " + list); lm != nil {
				st.limit, _ = strconv.Atoi(lm[1])
				list = strings.TrimSpace(itemLimit().ReplaceAllString(" "+list, ""))
			}
			for _, name := range strings.Split(list, ",") {
				name = strings.TrimSpace(name)
				if name == "" {
					continue
				}
				f, ok := t.field(name)
				if !ok {
					return d.failWith("INVALID_FIELD", soqlError(q, name, fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, t.name)))
				}
				st.fields = append(st.fields, f)
			}
			targets = append(targets, st)
		}
	} else {
		for _, t := range sobjectTypes {
			targets = append(targets, searchTarget{t: t, limit: maxSearchRecords})
		}
	}
	limit := maxSearchRecords
	if m[4] != "" {
		n, _ := strconv.Atoi(m[4])
		limit = min(n, maxSearchRecords)
	}
	scope := searchScope(strings.ToUpper(m[2]))
	return d.searchAnswer(ver, term, scope, targets, limit)
}

// splitTopLevel splits a RETURNING list on commas outside parentheses.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// termMatcher reports whether a text value matches a search term: every
// word of the term must start a word of the value, a trailing * making it
// a prefix, and case is ignored (SOSL tokenizes text into words).
func termMatcher(term string) func(string) bool {
	words := strings.Fields(strings.ToLower(strings.Trim(term, `"`)))
	return func(v string) bool {
		have := strings.FieldsFunc(strings.ToLower(v), func(r rune) bool {
			return r == ' ' || r == ',' || r == '.' || r == '@' || r == '-' || r == '(' || r == ')'
		})
		for _, w := range words {
			prefix := strings.HasSuffix(w, "*")
			w = strings.TrimSuffix(w, "*")
			found := false
			for _, h := range have {
				if h == w || (prefix && strings.HasPrefix(h, w)) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return len(words) > 0
	}
}

// searchAnswer runs a search over the org's records.
func (d *Dialect) searchAnswer(ver, term string, scope searchScope, targets []searchTarget, limit int) *mockprovider.Response {
	if len(strings.Trim(strings.TrimSpace(term), `*"`)) < 2 {
		return d.failWith("INVALID_SEARCH", "search term must be longer than one character: "+term)
	}
	match := termMatcher(term)
	records := []object{}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, st := range targets {
		fields := st.fields
		if fields == nil {
			fields = []fieldDef{{name: "Id"}}
		}
		n := 0
		for _, r := range d.data().records[st.t.name] {
			if len(records) >= limit || n >= st.limit {
				break
			}
			hit := false
			for _, f := range st.t.fields {
				if s, ok := r.value(f).(string); ok && scope.matches(f) && match(s) {
					hit = true
					break
				}
			}
			if hit {
				records = append(records, r.render(ver, fields))
				n++
			}
		}
	}
	return d.apiOK(http.StatusOK, object{{"searchRecords", records}})
}

// parameterizedSearch answers GET parameterizedSearch?q=term with the
// parameters the REST API guide lists that components use: sobject (one
// or more), {type}.fields, {type}.limit, fields, in, overallLimit.
func (d *Dialect) parameterizedSearch(x *mockprovider.Exchange, ver string) *mockprovider.Response {
	v := x.Request.URL.Query()
	term := v.Get("q")
	if strings.TrimSpace(term) == "" {
		return d.failWith("MALFORMED_SEARCH", "Missing the required parameter: q") // [unverified wording]
	}
	scope := searchScope(strings.ToUpper(v.Get("in")))
	switch scope {
	case "", "ALL", "NAME", "EMAIL", "PHONE":
	default:
		return d.failWith("INVALID_SEARCH", fmt.Sprintf("Invalid search scope: %s", v.Get("in"))) // [unverified wording]
	}
	readFields := func(t *sobjectType, list string) ([]fieldDef, *mockprovider.Response) {
		var fields []fieldDef
		for _, name := range strings.Split(list, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			f, ok := t.field(name)
			if !ok {
				return nil, d.failWith("INVALID_FIELD", fmt.Sprintf("No such column '%s' on entity '%s'.", name, t.name))
			}
			fields = append(fields, f)
		}
		return fields, nil
	}
	var targets []searchTarget
	names := v["sobject"]
	if len(names) == 0 {
		for _, t := range sobjectTypes {
			names = append(names, t.name)
		}
	}
	for _, name := range names {
		t, ok := sobjectByName(name)
		if !ok {
			return d.failWith("INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", name))
		}
		st := searchTarget{t: t, limit: maxSearchRecords}
		list := v.Get(t.name + ".fields")
		if list == "" {
			list = v.Get("fields")
		}
		var fail *mockprovider.Response
		if st.fields, fail = readFields(t, list); fail != nil {
			return fail
		}
		if l := v.Get(t.name + ".limit"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil || n < 1 {
				return d.failWith("INVALID_SEARCH", fmt.Sprintf("Invalid limit: %s", l)) // [unverified wording]
			}
			st.limit = n
		}
		targets = append(targets, st)
	}
	limit := maxSearchRecords
	if l := v.Get("overallLimit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return d.failWith("INVALID_SEARCH", fmt.Sprintf("Invalid overallLimit: %s", l)) // [unverified wording]
		}
		limit = min(n, maxSearchRecords)
	}
	return d.searchAnswer(ver, term, scope, targets, limit)
}
