package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// Select returns the scenarios of list that names and labelFilter select,
// in list order.
//
// A name is "NAME", which selects the scenario of that name for every
// provider, or "PROVIDER/NAME"; names match exactly, and a name that
// selects nothing is an error. No names selects every scenario.
//
// labelFilter is a boolean expression over labels, as Ginkgo's
// --label-filter: labels combined with && (and), || (or), ! (not) and
// parentheses, && binding tighter than ||: "rotation && !restart",
// "(api || throttling) && microsoft". A scenario's provider name counts as
// one of its labels. An empty filter selects every scenario; a filter that
// selects nothing is an error, which names labels it does not know.
func Select(list []*Scenario, names []string, labelFilter string) ([]*Scenario, error) {
	var filter labelExpr
	if strings.TrimSpace(labelFilter) != "" {
		var err error
		if filter, err = parseLabelFilter(labelFilter); err != nil {
			return nil, err
		}
	}
	picked := make([]bool, len(list))
	if len(names) == 0 {
		for i := range picked {
			picked[i] = true
		}
	}
	for _, name := range names {
		provider, short, qualified := strings.Cut(name, "/")
		if !qualified {
			provider, short = "", name
		}
		found := false
		var known []string
		for i, s := range list {
			known = append(known, s.Name, s.String())
			if s.Name == short && (provider == "" || s.Provider == provider) {
				picked[i], found = true, true
			}
		}
		if !found {
			msg := fmt.Sprintf("scenarios: no scenario %q", name)
			if close := closeNames(name, dedupe(known)); len(close) > 0 {
				return nil, fmt.Errorf("%s; did you mean %s?", msg, quoteList(close))
			}
			return nil, fmt.Errorf("%s (see `refreshproof scenarios` for the list)", msg)
		}
	}
	var out []*Scenario
	for i, s := range list {
		if picked[i] && (filter == nil || filter.eval(func(l string) bool { return s.Provider == l || s.HasLabel(l) })) {
			out = append(out, s)
		}
	}
	if len(out) == 0 && filter != nil {
		msg := fmt.Sprintf("scenarios: label filter %q selects no scenario", labelFilter)
		var all []string
		for _, s := range list {
			all = append(all, s.Provider)
			all = append(all, s.Labels...)
		}
		all = dedupe(all)
		var hints []string
		for _, l := range filter.labels(nil) {
			if slices.Contains(all, l) {
				continue
			}
			h := fmt.Sprintf("no scenario has label %q", l)
			if s := mockprovider.Suggest(l, all); s != "" {
				h += fmt.Sprintf("; did you mean %q?", s)
			}
			hints = append(hints, h)
		}
		if len(hints) > 0 {
			msg += ": " + strings.Join(hints, "; ")
		}
		return nil, fmt.Errorf("%s", msg)
	}
	return out, nil
}

func dedupe(vs []string) []string {
	var out []string
	for _, v := range vs {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// labelExpr is a parsed label filter.
type labelExpr interface {
	// eval tells whether the expression holds for a thing that has the
	// labels has reports.
	eval(has func(string) bool) bool
	// labels appends the labels the expression names.
	labels(to []string) []string
}

type (
	labelRef string
	notExpr  struct{ x labelExpr }
	andExpr  struct{ x, y labelExpr }
	orExpr   struct{ x, y labelExpr }
)

func (l labelRef) eval(has func(string) bool) bool { return has(string(l)) }
func (e notExpr) eval(has func(string) bool) bool  { return !e.x.eval(has) }
func (e andExpr) eval(has func(string) bool) bool  { return e.x.eval(has) && e.y.eval(has) }
func (e orExpr) eval(has func(string) bool) bool   { return e.x.eval(has) || e.y.eval(has) }

// LabelFilter is a parsed label filter: labels joined with &&, || and !,
// grouped with parentheses. The zero value matches everything.
type LabelFilter struct{ x labelExpr }

// ParseLabelFilter parses a label filter, as Select and --label-filter
// take it. Labels compare without case, so rule IDs (R05) work too.
func ParseLabelFilter(src string) (LabelFilter, error) {
	x, err := parseLabelFilter(strings.ToLower(src))
	if err != nil {
		return LabelFilter{}, err
	}
	return LabelFilter{x}, nil
}

// Match tells whether the filter holds for something with labels.
func (f LabelFilter) Match(labels ...string) bool {
	if f.x == nil {
		return true
	}
	return f.x.eval(func(l string) bool {
		for _, x := range labels {
			if strings.EqualFold(x, l) {
				return true
			}
		}
		return false
	})
}

func (l labelRef) labels(to []string) []string { return append(to, string(l)) }
func (e notExpr) labels(to []string) []string  { return e.x.labels(to) }
func (e andExpr) labels(to []string) []string  { return e.y.labels(e.x.labels(to)) }
func (e orExpr) labels(to []string) []string   { return e.y.labels(e.x.labels(to)) }

// filterParser is a recursive-descent parser of
//
//	or    = and { "||" and }
//	and   = unary { "&&" unary }
//	unary = "!" unary | "(" or ")" | label
//	label = [a-z0-9-]+
type filterParser struct {
	src   string
	pos   int
	depth int
}

// maxFilterDepth bounds nesting so a hostile filter cannot exhaust the stack.
const maxFilterDepth = 100

func parseLabelFilter(src string) (labelExpr, error) {
	p := &filterParser{src: src}
	x, err := p.or()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.src) {
		if p.src[p.pos] == ')' {
			return nil, p.errorf("unexpected \")\" without a matching \"(\"")
		}
		return nil, p.errorf("expected && or || before %q", p.rest())
	}
	return x, nil
}

func (p *filterParser) errorf(format string, args ...any) error {
	return fmt.Errorf("scenarios: label filter %q, column %d: %s", p.src, p.pos+1, fmt.Sprintf(format, args...))
}

func (p *filterParser) rest() string {
	r := p.src[p.pos:]
	if len(r) > 20 {
		r = r[:20] + "…"
	}
	return r
}

func (p *filterParser) space() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

func (p *filterParser) eat(op string) bool {
	p.space()
	if strings.HasPrefix(p.src[p.pos:], op) {
		p.pos += len(op)
		return true
	}
	return false
}

func (p *filterParser) or() (labelExpr, error) {
	x, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.eat("||") {
		y, err := p.and()
		if err != nil {
			return nil, err
		}
		x = orExpr{x, y}
	}
	return x, nil
}

func (p *filterParser) and() (labelExpr, error) {
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.eat("&&") {
		y, err := p.unary()
		if err != nil {
			return nil, err
		}
		x = andExpr{x, y}
	}
	return x, nil
}

func (p *filterParser) unary() (labelExpr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxFilterDepth {
		return nil, p.errorf("nested more than %d levels deep", maxFilterDepth)
	}
	p.space()
	if p.pos >= len(p.src) {
		return nil, p.errorf("expected a label, !, or ( at the end")
	}
	switch c := p.src[p.pos]; {
	case c == '!':
		p.pos++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	case c == '(':
		open := p.pos
		p.pos++
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			p.pos = open
			return nil, p.errorf("\"(\" is never closed")
		}
		return x, nil
	case isLabelByte(c):
		start := p.pos
		for p.pos < len(p.src) && isLabelByte(p.src[p.pos]) {
			p.pos++
		}
		return labelRef(p.src[start:p.pos]), nil
	case c == '&' || c == '|':
		return nil, p.errorf("expected a label before %q", p.rest())
	}
	return nil, p.errorf("unexpected %q; labels are lower-case letters, digits and hyphens, joined with &&, ||, ! and parentheses", p.rest())
}

func isLabelByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
}
