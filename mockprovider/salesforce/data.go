package salesforce

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// fieldDef is one field of an sObject type.
type fieldDef struct {
	name, typ, label string
	// computed fields (Id, Name of a person, audit dates) cannot be
	// written through the API.
	computed bool
}

// sobjectType is one sObject type the mock org has.
type sobjectType struct {
	name, label, labelPlural, prefix string
	fields                           []fieldDef
	required                         []string
}

func (t *sobjectType) field(name string) (fieldDef, bool) {
	for _, f := range t.fields {
		if strings.EqualFold(f.name, name) {
			return f, true
		}
	}
	return fieldDef{}, false
}

var audit = []fieldDef{
	{"OwnerId", "reference", "Owner ID", false},
	{"CreatedDate", "datetime", "Created Date", true},
	{"LastModifiedDate", "datetime", "Last Modified Date", true},
}

// sobjectTypes are the standard objects the mock org serves.
var sobjectTypes = []*sobjectType{
	{"Account", "Account", "Accounts", "001", append([]fieldDef{
		{"Id", "id", "Account ID", true},
		{"Name", "string", "Account Name", false},
		{"Type", "picklist", "Account Type", false},
		{"Industry", "picklist", "Industry", false},
		{"BillingCity", "string", "Billing City", false},
		{"BillingCountry", "string", "Billing Country", false},
		{"Phone", "phone", "Account Phone", false},
		{"Website", "url", "Website", false},
		{"AnnualRevenue", "currency", "Annual Revenue", false},
		{"NumberOfEmployees", "int", "Employees", false},
	}, audit...), []string{"Name"}},
	{"Contact", "Contact", "Contacts", "003", append([]fieldDef{
		{"Id", "id", "Contact ID", true},
		{"AccountId", "reference", "Account ID", false},
		{"FirstName", "string", "First Name", false},
		{"LastName", "string", "Last Name", false},
		{"Name", "string", "Full Name", true},
		{"Title", "string", "Title", false},
		{"Email", "email", "Email", false},
		{"Phone", "phone", "Business Phone", false},
	}, audit...), []string{"LastName"}},
	{"Opportunity", "Opportunity", "Opportunities", "006", append([]fieldDef{
		{"Id", "id", "Opportunity ID", true},
		{"AccountId", "reference", "Account ID", false},
		{"Name", "string", "Name", false},
		{"StageName", "picklist", "Stage", false},
		{"Amount", "currency", "Amount", false},
		{"Probability", "percent", "Probability (%)", false},
		{"CloseDate", "date", "Close Date", false},
		{"Type", "picklist", "Opportunity Type", false},
	}, audit...), []string{"Name", "StageName", "CloseDate"}},
	{"Lead", "Lead", "Leads", "00Q", append([]fieldDef{
		{"Id", "id", "Lead ID", true},
		{"FirstName", "string", "First Name", false},
		{"LastName", "string", "Last Name", false},
		{"Name", "string", "Full Name", true},
		{"Company", "string", "Company", false},
		{"Title", "string", "Title", false},
		{"Email", "email", "Email", false},
		{"Status", "picklist", "Status", false},
		{"LeadSource", "picklist", "Lead Source", false},
	}, audit...), []string{"LastName", "Company"}},
}

func sobjectByName(name string) (*sobjectType, bool) {
	for _, t := range sobjectTypes {
		if strings.EqualFold(t.name, name) {
			return t, true
		}
	}
	return nil, false
}

// record is one row. Values hold JSON values: string, json.Number, bool
// or nil.
type record struct {
	typ    *sobjectType
	id     string
	values map[string]any
}

// store is the mock org's data.
type store struct {
	records map[string][]*record // by type name, in creation order
	byID    map[string]*record   // by 15-character ID
	seq     map[string]int       // by type name
	// answers are query answers already rendered, for as long as no
	// record changes: rendering and encoding the records was most of an
	// API call's cost, and a component polls the same query again and
	// again. Whatever changes a record calls changed.
	answers     map[answerKey][]byte
	answerBytes int
}

// answerKey is what a query answer depends on besides the records.
type answerKey struct {
	version, soql string
	batch         int
}

// Bounds of the answer cache: small answers only, so that it stays well
// under a MiB.
const (
	maxAnswers     = 64
	maxAnswerBytes = 16 << 10
)

// changed forgets every rendered answer: a record was added, changed or
// removed.
func (s *store) changed() { s.answers, s.answerBytes = nil, 0 }

// answer returns the rendered answer for k, if any.
func (s *store) answer(k answerKey) ([]byte, bool) {
	b, ok := s.answers[k]
	return b, ok
}

// remember keeps a rendered answer. Its slice is full, so that nothing
// appended to an answer handed out writes into the one kept.
func (s *store) remember(k answerKey, body []byte) {
	if len(body) > maxAnswerBytes {
		return
	}
	if len(s.answers) >= maxAnswers {
		s.changed() // many distinct queries: start over rather than track age
	}
	if s.answers == nil {
		s.answers = map[answerKey][]byte{}
	}
	s.answers[k] = body[:len(body):len(body)]
	s.answerBytes += len(body)
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// makeID makes the nth 18-character ID with a key prefix: a pod part, then
// five base-62 characters spread over the range so IDs look unrelated.
func makeID(prefix string, n int) string {
	v := (n*104729 + 11881376) % 916132832 // 62^5
	b := make([]byte, 5)
	for i := 4; i >= 0; i-- {
		b[i] = base62[v%62]
		v /= 62
	}
	return id18(prefix + "5g00000" + string(b))
}

// userID15 is the owner of every seeded record.
const ownerID = "0055g00000A1b2CAAR"

// seedTime is when the seeded records were created and last changed.
var seedTime = time.Date(2024, 1, 15, 9, 30, 0, 0, time.UTC)

// sfDateTime formats a datetime field as the REST API does.
func sfDateTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000+0000") }

// websiteName drops from a company's name what a host name cannot hold.
var websiteName = strings.NewReplacer(" ", "", "&", "", ",", "", ".", "")

func newStore() *store {
	s := &store{records: map[string][]*record{}, byID: map[string]*record{}, seq: map[string]int{}}
	accounts := []struct {
		name, typ, industry, city, country string
		revenue                            float64
		employees                          int
	}{
		{"Burlington Textiles Corp of America", "Customer - Direct", "Apparel", "Burlington", "USA", 350000000, 9000},
		{"Dickenson plc", "Customer - Channel", "Consulting", "Lawrence", "USA", 50000000, 120},
		{"Edge Communications", "Customer - Direct", "Electronics", "Austin", "USA", 139000000, 1000},
		{"Express Logistics and Transport", "Customer - Channel", "Transportation", "Portland", "USA", 950000000, 12300},
		{"GenePoint", "Customer - Channel", "Biotechnology", "Mountain View", "USA", 30000000, 265},
		{"Grand Hotels & Resorts Ltd", "Customer - Direct", "Hospitality", "Chicago", "USA", 500000000, 5600},
		{"Pyramid Construction Inc.", "Customer - Channel", "Construction", "Paris", "France", 950000000, 2680},
		{"sForce", "Prospect", "Technology", "San Francisco", "USA", 0, 0},
		{"United Oil & Gas Corp.", "Customer - Direct", "Energy", "New York", "USA", 5600000000, 145000},
		{"United Oil & Gas, Singapore", "Customer - Direct", "Energy", "Singapore", "Singapore", 0, 3000},
		{"United Oil & Gas, UK", "Customer - Direct", "Energy", "London", "United Kingdom", 0, 24000},
		{"University of Arizona", "Customer - Direct", "Education", "Tucson", "USA", 0, 39000},
		{"Aperture Logistics", "Prospect", "Transportation", "Denver", "USA", 42000000, 310},
		{"Blue Harbor Foods", "Customer - Direct", "Food & Beverage", "Seattle", "USA", 87500000, 640},
		{"Cedar Ridge Health", "Customer - Direct", "Healthcare", "Nashville", "USA", 215000000, 2100},
		{"Driftwood Analytics", "Prospect", "Technology", "Dublin", "Ireland", 9800000, 58},
		{"Evergreen Utilities", "Customer - Channel", "Utilities", "Sacramento", "USA", 1200000000, 4800},
		{"Falcon Aerospace", "Customer - Direct", "Manufacturing", "Toulouse", "France", 780000000, 6200},
		{"Granite Peak Insurance", "Customer - Direct", "Insurance", "Hartford", "USA", 330000000, 1900},
		{"Harborview Media", "Prospect", "Media", "Los Angeles", "USA", 26000000, 140},
		{"Ironbridge Capital", "Customer - Channel", "Finance", "Boston", "USA", 610000000, 870},
		{"Juniper Retail Group", "Customer - Direct", "Retail", "Minneapolis", "USA", 455000000, 7300},
		{"Keystone Manufacturing", "Customer - Channel", "Manufacturing", "Pittsburgh", "USA", 98000000, 1150},
		{"Lakeside Pharmaceuticals", "Customer - Direct", "Biotechnology", "Basel", "Switzerland", 2300000000, 9900},
		{"Meridian Telecom", "Prospect", "Communications", "Toronto", "Canada", 145000000, 1600},
	}
	first := []string{"Rose", "Sean", "Jack", "Tim", "Lauren", "Avi", "Stella", "Josh", "Jane", "Andy", "Tom", "Liz", "Edna", "Babara", "Arthur", "Ashley", "Siddartha", "John", "Pat", "Jake", "Maya", "Noah", "Priya", "Omar", "Lena"}
	last := []string{"Gonzalez", "Forbes", "Rogers", "Barr", "Boyle", "Green", "Pavlova", "Davis", "Grey", "Young", "Ripley", "Cruz", "Frank", "Levy", "Song", "James", "Nedaerk", "Bond", "Stumuller", "Llorrac", "Okafor", "Lindqvist", "Raman", "Haddad", "Moreau"}
	titles := []string{"SVP, Procurement", "VP, Finance", "Director, Operations", "CFO", "Buyer", "Regional General Manager", "SVP, Technology"}
	stages := []string{"Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"}
	probability := []int{10, 10, 20, 50, 60, 70, 75, 90, 100, 0}
	at := func(i int) string { return sfDateTime(seedTime.Add(time.Duration(i) * 37 * time.Minute)) }
	for i, a := range accounts {
		r := s.add("Account", map[string]any{
			"Name": a.name, "Type": a.typ, "Industry": a.industry,
			"BillingCity": a.city, "BillingCountry": a.country,
			"Phone":   fmt.Sprintf("(%03d) %03d-%04d", 200+i*7%700, 555, 1000+i*373%9000),
			"Website": "www." + strings.ToLower(websiteName.Replace(a.name)) + ".com",
		}, at(i))
		if a.revenue > 0 {
			r.values["AnnualRevenue"] = javaDouble(a.revenue)
		}
		if a.employees > 0 {
			r.values["NumberOfEmployees"] = json.Number(strconv.Itoa(a.employees))
		}
		for j := range 2 {
			k := (i*2 + j) % len(first)
			fn, ln := first[k], last[(i+j*7)%len(last)]
			s.add("Contact", map[string]any{
				"AccountId": r.id, "FirstName": fn, "LastName": ln,
				"Title": titles[(i+j)%len(titles)],
				"Email": strings.ToLower(fn+"."+ln) + "@" + strings.TrimPrefix(r.values["Website"].(string), "www."),
				"Phone": r.values["Phone"],
			}, at(i*2+j+30))
		}
		if i < 20 {
			st := (i * 3) % len(stages)
			s.add("Opportunity", map[string]any{
				"AccountId": r.id, "Name": a.name + " - " + []string{"Installation", "Expansion", "Renewal", "Services"}[i%4],
				"StageName": stages[st], "Amount": javaDouble(float64(15000 + i*12500)),
				"Probability": json.Number(strconv.Itoa(probability[st])),
				"CloseDate":   seedTime.AddDate(0, i%9, i).Format("2006-01-02"),
				"Type":        []string{"New Customer", "Existing Customer - Upgrade", "Existing Customer - Replacement"}[i%3],
			}, at(i+90))
		}
	}
	companies := []string{"Farmers Coop. of Florida", "Abbott Insurance", "Jackson Controls", "Metropolitan Health Services", "Dickenson plc", "Hendrickson Ltd", "Mainstay Systems", "Northwind Traders", "Tailspin Toys", "Wide World Importers", "Contoso Pharmaceuticals", "Fabrikam Residences", "Litware Inc.", "Proseware Inc.", "Woodgrove Bank"}
	statuses := []string{"Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"}
	sources := []string{"Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"}
	for i, c := range companies {
		fn, ln := first[(i*3+5)%len(first)], last[(i*5+3)%len(last)]
		s.add("Lead", map[string]any{
			"FirstName": fn, "LastName": ln, "Company": c, "Title": titles[i%len(titles)],
			"Email":  strings.ToLower(fn+"."+ln) + "@example.com",
			"Status": statuses[i%len(statuses)], "LeadSource": sources[i%len(sources)],
		}, at(i+120))
	}
	return s
}

// add creates a record with values, stamped created and last modified at
// when.
func (s *store) add(typeName string, values map[string]any, when string) *record {
	t, _ := sobjectByName(typeName)
	s.seq[t.name]++
	r := &record{typ: t, id: makeID(t.prefix, s.seq[t.name]), values: map[string]any{}}
	for k, v := range values {
		r.values[k] = v
	}
	r.values["Id"] = r.id
	if _, ok := r.values["OwnerId"]; !ok {
		r.values["OwnerId"] = ownerID
	}
	r.values["CreatedDate"] = when
	r.values["LastModifiedDate"] = when
	r.recompute()
	s.records[t.name] = append(s.records[t.name], r)
	s.byID[id15(r.id)] = r
	s.changed()
	return r
}

func (s *store) find(t *sobjectType, id string) (*record, bool) {
	if len(id) != 15 && len(id) != 18 {
		return nil, false
	}
	r, ok := s.byID[id15(id)]
	if !ok || r.typ != t || (len(id) == 18 && !sameID(id, r.id)) {
		return nil, false
	}
	return r, true
}

func (s *store) remove(r *record) {
	s.changed()
	delete(s.byID, id15(r.id))
	list := s.records[r.typ.name]
	for i, o := range list {
		if o == r {
			s.records[r.typ.name] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
}

// recompute sets the compound Name of people.
func (r *record) recompute() {
	if _, ok := r.typ.field("FirstName"); !ok {
		return
	}
	var parts []string
	for _, k := range []string{"FirstName", "LastName"} {
		if v, ok := r.values[k].(string); ok && v != "" {
			parts = append(parts, v)
		}
	}
	r.values["Name"] = strings.Join(parts, " ")
}

// render returns r as the REST API shows it: attributes first, then the
// fields asked for in that order (all fields when fields is nil).
func (r *record) render(version string, fields []fieldDef) object {
	if fields == nil {
		fields = r.typ.fields
	}
	o := object{{"attributes", object{{"type", r.typ.name}, {"url", "/services/data/v" + version + "/sobjects/" + r.typ.name + "/" + r.id}}}}
	for _, f := range fields {
		o = append(o, field{f.name, r.value(f)})
	}
	return o
}

func (r *record) value(f fieldDef) any {
	v, ok := r.values[f.name]
	if !ok {
		return nil
	}
	if n, isNum := v.(json.Number); isNum && (f.typ == "currency" || f.typ == "double") {
		if x, err := n.Float64(); err == nil {
			return javaDouble(x)
		}
	}
	return v
}

// literal renders a value for comparisons in a WHERE clause.
func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return v.String()
	}
	return fmt.Sprint(v)
}

// less orders two field values: numbers by value, the rest as text
// without case, nulls first.
func less(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b != nil
	}
	na, okA := a.(json.Number)
	nb, okB := b.(json.Number)
	if okA && okB {
		fa, _ := na.Float64()
		fb, _ := nb.Float64()
		return fa < fb
	}
	return strings.ToLower(literal(a)) < strings.ToLower(literal(b))
}

func sortRecords(rs []*record, f fieldDef, desc bool) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i].value(f), rs[j].value(f)
		if desc {
			return less(b, a)
		}
		return less(a, b)
	})
}
