package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// This file is a small XML Schema checker, enough for the JUnit schema in
// testdata/junit.xsd: global and local element declarations, element refs,
// named and inline complex types (sequence, choice, minOccurs/maxOccurs,
// mixed content, attributes with use="required", simpleContent
// extensions) and simple types (built-in types and restrictions by
// pattern, enumeration and length). It reads the schema with
// encoding/xml, so the test follows the schema file rather than a copy of
// its rules. Constructs it does not know make it fail, not pass.

type xsdNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []xsdNode  `xml:",any"`
}

func (n *xsdNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *xsdNode) children(local string) []*xsdNode {
	var out []*xsdNode
	for i := range n.Children {
		if n.Children[i].XMLName.Local == local {
			out = append(out, &n.Children[i])
		}
	}
	return out
}

type schema struct {
	elements     map[string]*xsdNode
	complexTypes map[string]*xsdNode
	simpleTypes  map[string]*xsdNode
}

func loadSchema(path string) (*schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var root xsdNode
	if err := xml.NewDecoder(f).Decode(&root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := &schema{map[string]*xsdNode{}, map[string]*xsdNode{}, map[string]*xsdNode{}}
	for i := range root.Children {
		c := &root.Children[i]
		switch c.XMLName.Local {
		case "element":
			s.elements[c.attr("name")] = c
		case "complexType":
			s.complexTypes[c.attr("name")] = c
		case "simpleType":
			s.simpleTypes[c.attr("name")] = c
		case "annotation", "import":
		default:
			return nil, fmt.Errorf("%s: unsupported top-level <%s>", path, c.XMLName.Local)
		}
	}
	return s, nil
}

// instance is a parsed XML element of the document being checked.
type instance struct {
	name     string
	attrs    []xml.Attr
	children []*instance
	text     string
	line     int
}

func parseInstance(r io.Reader) (*instance, error) {
	dec := xml.NewDecoder(r)
	var stack []*instance
	var root *instance
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := dec.InputPos()
		switch t := tok.(type) {
		case xml.StartElement:
			el := &instance{name: t.Name.Local, attrs: t.Attr, line: line}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, el)
			} else {
				root = el
			}
			stack = append(stack, el)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

// validate checks doc against the schema and returns every violation.
func (s *schema) validate(doc *instance) []string {
	decl, ok := s.elements[doc.name]
	if !ok {
		return []string{fmt.Sprintf("line %d: <%s> is not a global element of the schema", doc.line, doc.name)}
	}
	var errs []string
	s.checkElement(decl, doc, &errs)
	// Alternative paths through a content model may check an element
	// more than once.
	seen := map[string]bool{}
	out := errs[:0]
	for _, e := range errs {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

func (s *schema) resolve(decl *xsdNode) *xsdNode {
	if ref := decl.attr("ref"); ref != "" {
		return s.elements[local(ref)]
	}
	return decl
}

func local(qname string) string {
	if i := strings.IndexByte(qname, ':'); i >= 0 {
		return qname[i+1:]
	}
	return qname
}

func (s *schema) checkElement(decl *xsdNode, el *instance, errs *[]string) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, fmt.Sprintf("line %d: <%s>: ", el.line, el.name)+fmt.Sprintf(format, args...))
	}
	var ct, st *xsdNode
	var builtin string
	if typ := decl.attr("type"); typ != "" {
		switch {
		case s.complexTypes[local(typ)] != nil:
			ct = s.complexTypes[local(typ)]
		case s.simpleTypes[local(typ)] != nil:
			st = s.simpleTypes[local(typ)]
		default:
			builtin = local(typ)
		}
	} else if c := decl.children("complexType"); len(c) > 0 {
		ct = c[0]
	} else if c := decl.children("simpleType"); len(c) > 0 {
		st = c[0]
	} else {
		builtin = "anyType"
	}
	if ct == nil { // simple content only
		if len(el.children) > 0 {
			fail("has child elements, but its type is simple")
		}
		for _, a := range el.attrs {
			if !isNamespaceAttr(a) {
				fail("attribute %q is not declared", a.Name.Local)
			}
		}
		if msg := s.checkSimple(st, builtin, el.text); msg != "" {
			fail("content: %s", msg)
		}
		return
	}
	attrs, particle, mixed, textType := s.complexParts(ct)
	declared := map[string]bool{}
	for _, a := range attrs {
		name := a.attr("name")
		declared[name] = true
		v, present := attrValue(el, name)
		if !present {
			if a.attr("use") == "required" {
				fail("required attribute %q is missing", name)
			}
			continue
		}
		var ast *xsdNode
		var abuiltin string
		if typ := a.attr("type"); typ != "" {
			if ast = s.simpleTypes[local(typ)]; ast == nil {
				abuiltin = local(typ)
			}
		} else if c := a.children("simpleType"); len(c) > 0 {
			ast = c[0]
		} else {
			abuiltin = "anySimpleType"
		}
		if msg := s.checkSimple(ast, abuiltin, v); msg != "" {
			fail("attribute %s=%q: %s", name, v, msg)
		}
	}
	for _, a := range el.attrs {
		if !isNamespaceAttr(a) && !declared[a.Name.Local] {
			fail("attribute %q is not declared", a.Name.Local)
		}
	}
	if textType != nil {
		if len(el.children) > 0 {
			fail("has child elements, but its content is simple")
		}
		if msg := s.checkSimple(textType.st, textType.builtin, el.text); msg != "" {
			fail("content: %s", msg)
		}
		return
	}
	if !mixed && strings.TrimSpace(el.text) != "" {
		fail("has text %q, but its type is not mixed", strings.TrimSpace(el.text))
	}
	ends := s.match(particle, el.children, 0, errs)
	if !ends[len(el.children)] {
		var names []string
		for _, c := range el.children {
			names = append(names, c.name)
		}
		fail("children [%s] do not match the content model", strings.Join(names, " "))
	}
}

type simpleRef struct {
	st      *xsdNode
	builtin string
}

// complexParts returns a complex type's attributes, its content particle
// (nil for empty content), whether it is mixed, and, for simpleContent,
// the type of its text.
func (s *schema) complexParts(ct *xsdNode) (attrs []*xsdNode, particle *xsdNode, mixed bool, text *simpleRef) {
	mixed = ct.attr("mixed") == "true"
	body := ct
	for _, sc := range ct.children("simpleContent") {
		for _, ext := range append(sc.children("extension"), sc.children("restriction")...) {
			base := local(ext.attr("base"))
			text = &simpleRef{st: s.simpleTypes[base]}
			if text.st == nil {
				text.builtin = base
			}
			body = ext
		}
	}
	for _, cc := range ct.children("complexContent") {
		for _, ext := range cc.children("extension") {
			battrs, bparticle, bmixed, btext := s.complexParts(s.complexTypes[local(ext.attr("base"))])
			attrs, particle, mixed, text = battrs, bparticle, bmixed || mixed, btext
			body = ext
		}
	}
	attrs = append(attrs, body.children("attribute")...)
	for _, kind := range []string{"sequence", "choice", "all"} {
		if p := body.children(kind); len(p) > 0 {
			if particle != nil {
				// A complexContent extension appends its particle to the
				// base's.
				particle = &xsdNode{XMLName: xml.Name{Local: "sequence"}, Children: []xsdNode{*particle, *p[0]}}
			} else {
				particle = p[0]
			}
		}
	}
	return attrs, particle, mixed, text
}

func attrValue(el *instance, name string) (string, bool) {
	for _, a := range el.attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

func isNamespaceAttr(a xml.Attr) bool {
	return a.Name.Space == "xmlns" || a.Name.Local == "xmlns" || a.Name.Space == "http://www.w3.org/2001/XMLSchema-instance"
}

func occurs(p *xsdNode) (lo, hi int) {
	lo, hi = 1, 1
	if v := p.attr("minOccurs"); v != "" {
		lo, _ = strconv.Atoi(v)
	}
	if v := p.attr("maxOccurs"); v == "unbounded" {
		hi = -1
	} else if v != "" {
		hi, _ = strconv.Atoi(v)
	}
	return lo, hi
}

// match returns the positions in children where particle p can end when
// it starts at from; element matches are checked recursively.
func (s *schema) match(p *xsdNode, children []*instance, from int, errs *[]string) map[int]bool {
	if p == nil {
		return map[int]bool{from: true}
	}
	lo, hi := occurs(p)
	cur := map[int]bool{from: true}
	result := map[int]bool{}
	if lo == 0 {
		result[from] = true
	}
	for n := 1; hi < 0 || n <= hi; n++ {
		next := map[int]bool{}
		for pos := range cur {
			for end := range s.matchOnce(p, children, pos, errs) {
				if end > pos || hi > 0 { // an unbounded repeat must consume
					next[end] = true
				}
			}
		}
		if len(next) == 0 {
			break
		}
		if n >= lo {
			for e := range next {
				result[e] = true
			}
		}
		if hi < 0 && sameSet(next, cur) {
			break
		}
		cur = next
	}
	return result
}

func sameSet(a, b map[int]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func (s *schema) matchOnce(p *xsdNode, children []*instance, from int, errs *[]string) map[int]bool {
	switch p.XMLName.Local {
	case "element":
		decl := s.resolve(p)
		if decl == nil {
			*errs = append(*errs, fmt.Sprintf("schema: unresolved element ref %q", p.attr("ref")))
			return nil
		}
		if from < len(children) && children[from].name == decl.attr("name") {
			s.checkElement(decl, children[from], errs)
			return map[int]bool{from + 1: true}
		}
		return nil
	case "sequence":
		cur := map[int]bool{from: true}
		for i := range p.Children {
			c := &p.Children[i]
			if c.XMLName.Local == "annotation" {
				continue
			}
			next := map[int]bool{}
			for pos := range cur {
				for e := range s.match(c, children, pos, errs) {
					next[e] = true
				}
			}
			cur = next
		}
		return cur
	case "choice":
		out := map[int]bool{}
		for i := range p.Children {
			c := &p.Children[i]
			if c.XMLName.Local == "annotation" {
				continue
			}
			for e := range s.match(c, children, from, errs) {
				out[e] = true
			}
		}
		return out
	}
	*errs = append(*errs, fmt.Sprintf("schema: unsupported particle <%s>", p.XMLName.Local))
	return nil
}

var builtinPatterns = map[string]*regexp.Regexp{
	"int":      regexp.MustCompile(`^[+-]?[0-9]+$`),
	"integer":  regexp.MustCompile(`^[+-]?[0-9]+$`),
	"decimal":  regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`),
	"dateTime": regexp.MustCompile(`^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`),
	"boolean":  regexp.MustCompile(`^(true|false|1|0)$`),
}

// checkSimple checks v against a simple type (st) or a built-in type
// (builtin) and says what is wrong, or "".
func (s *schema) checkSimple(st *xsdNode, builtin, v string) string {
	if st == nil {
		switch builtin {
		case "string", "anyType", "anySimpleType":
			return ""
		case "token":
			if strings.Join(strings.Fields(v), " ") != v {
				return "not a token (leading, trailing or repeated white space, or line breaks)"
			}
			return ""
		}
		re, ok := builtinPatterns[builtin]
		if !ok {
			return fmt.Sprintf("schema: unsupported built-in type %q", builtin)
		}
		if !re.MatchString(strings.TrimSpace(v)) {
			return "not a valid xs:" + builtin
		}
		return ""
	}
	rs := st.children("restriction")
	if len(rs) == 0 {
		return "schema: unsupported simpleType (only restrictions)"
	}
	r := rs[0]
	base := local(r.attr("base"))
	var msg string
	if bst := s.simpleTypes[base]; bst != nil {
		msg = s.checkSimple(bst, "", v)
	} else {
		msg = s.checkSimple(nil, base, v)
	}
	if msg != "" {
		return msg
	}
	var enums []string
	for i := range r.Children {
		f := &r.Children[i]
		val := f.attr("value")
		switch f.XMLName.Local {
		case "pattern":
			// XSD patterns match the whole value.
			re, err := regexp.Compile("^(?:" + val + ")$")
			if err != nil {
				return fmt.Sprintf("schema: pattern %q: %v", val, err)
			}
			if !re.MatchString(v) {
				return fmt.Sprintf("does not match pattern %q", val)
			}
		case "minLength":
			if n, _ := strconv.Atoi(val); len([]rune(v)) < n {
				return fmt.Sprintf("shorter than %d", n)
			}
		case "maxLength":
			if n, _ := strconv.Atoi(val); len([]rune(v)) > n {
				return fmt.Sprintf("longer than %d", n)
			}
		case "enumeration":
			enums = append(enums, val)
		case "whiteSpace", "annotation":
		default:
			return fmt.Sprintf("schema: unsupported facet %q", f.XMLName.Local)
		}
	}
	if len(enums) > 0 {
		for _, e := range enums {
			if e == v {
				return ""
			}
		}
		return fmt.Sprintf("not one of %q", enums)
	}
	return ""
}
