package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/refreshproof/refreshproof/internal/jsontext"
	"github.com/refreshproof/refreshproof/mockprovider"
)

// Limits of what Parse accepts. They keep a hostile or broken file from
// exhausting memory: a scenario is a page of YAML, not a data set.
const (
	// MaxFileSize is the largest scenario file Parse reads, in bytes.
	MaxFileSize = 1 << 20
	// maxNodes bounds the YAML nodes visited, aliases expanded, so an
	// alias bomb ("billion laughs") is refused instead of expanded.
	maxNodes = 100_000
	// maxDepth bounds the nesting of message and response bodies.
	maxDepth = 64
	maxRules = 1000
	maxSteps = 1000
	// maxCount bounds nth, after and times.
	maxCount = 1_000_000
	// maxDuration bounds token lifetimes and clock advances.
	maxDuration = 3650 * 24 * time.Hour
	// maxDelay bounds a scripted delay: a harness waits for it in real time.
	maxDelay = 10 * time.Minute
)

// Error is one problem of a scenario file, at a position. Parse returns
// every problem it found, each an *Error, joined with errors.Join in file
// order.
type Error struct {
	// Source is the file path or "builtin:provider/name".
	Source string
	// Line and Column count from 1; zero when unknown.
	Line, Column int
	// Msg says what is wrong and, where it can, how to fix it.
	Msg string
}

func (e *Error) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("scenario %s: %s", e.Source, e.Msg)
	case e.Column == 0:
		return fmt.Sprintf("scenario %s:%d: %s", e.Source, e.Line, e.Msg)
	}
	return fmt.Sprintf("scenario %s:%d:%d: %s", e.Source, e.Line, e.Column, e.Msg)
}

// objectFields lists, per object of the format, the fields Parse accepts,
// in the order the documentation gives them. schema.json describes the
// same fields (TestSchemaInSync).
var objectFields = map[string][]string{
	"scenario":    {"name", "description", "provider", "labels", "seed", "credentials", "tokens", "salesforce", "microsoft", "secrets", "rules", "steps"},
	"secrets":     {"arrayData", "refreshFailureStatus", "withOAuth", "backgroundRefresh"},
	"credentials": {"accessToken", "scope", "clientId", "clientSecret", "public"},
	"tokens":      {"accessTokenLifetime", "accessTokenJitter", "slidingAccess", "refreshTokenIdle", "familyLifetime", "rotation", "rejectConcurrentRefresh", "concurrentRefreshWindow"},
	"salesforce":  {"instanceHost", "moveInstanceAfterRefresh", "movedInstanceHost", "wwwAuthenticate", "apiVersion", "sandbox", "orgId", "userId"},
	"microsoft":   {"tenants", "spa", "expiredMessage", "idToken", "pageSize"},
	"rule":        {"name", "match", "respond", "times", "once"},
	"match":       {"endpoint", "nth", "after", "tokenState", "method", "path"},
	"respond":     {"error", "status", "headers", "body", "html", "drop", "delay", "nonJson", "truncate", "omit"},
	"step":        {"message", "advance", "restart", "revoke"},
	"message":     {"body", "label"},
}

// initialAccessStates are the states credentials.accessToken accepts.
var initialAccessStates = []string{string(mockprovider.StateValid), string(mockprovider.StateExpired), string(mockprovider.StateRevoked)}

var (
	namePattern     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	hostPattern     = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?$`)
	versionPattern  = regexp.MustCompile(`^[0-9]{2,3}\.0$`)
	sfIDPattern     = regexp.MustCompile(`^[A-Za-z0-9]{18}$`)
	methodPattern   = regexp.MustCompile(`^[A-Za-z]+$`)
	headerPattern   = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	yamlLinePattern = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)
)

// Load reads and parses the scenario file at path.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse decodes one scenario from YAML. source names the data in errors
// (a file path, or "builtin:provider/name").
//
// Parse is strict: an unknown field, a value of the wrong type or out of
// range, a duplicate key, a step with no action or two, an error name the
// provider's catalogue does not have and every other mistake is an error
// "scenario SOURCE:LINE:COL: message", with a suggestion where a name is
// close to a valid one. Parse reports all of them, joined in file order;
// each is an *Error. An omitted steps list becomes one message with an
// empty body. A scenario Parse returns builds (Scenario.Build).
func Parse(source string, data []byte) (*Scenario, error) {
	return parse(source, data, nil)
}

// parse is Parse recording in seen, when not nil, every field it decoded.
func parse(source string, data []byte, seen map[string]bool) (s *Scenario, err error) {
	if len(data) > MaxFileSize {
		return nil, &Error{Source: source, Msg: fmt.Sprintf("file is larger than %d bytes; a scenario is one page of YAML", MaxFileSize)}
	}
	defer func() {
		// The YAML parser is third-party code fed untrusted input: a
		// panic in it is a bad file, not a crash of the harness.
		if r := recover(); r != nil {
			s, err = nil, &Error{Source: source, Msg: fmt.Sprintf("cannot parse YAML: %v", r)}
		}
	}()
	root, perr := parseYAML(source, data)
	if perr != nil {
		return nil, perr
	}
	d := &decoder{src: source, seen: seen}
	s = d.scenario(root)
	if len(d.errs) == 0 {
		if _, _, err := s.Build(); err != nil {
			d.errAt(root, "%s", strings.TrimPrefix(err.Error(), "scenario "+s.Name+": "))
		}
	}
	if len(d.errs) > 0 {
		return nil, d.err()
	}
	return s, nil
}

// parseYAML returns the document's top node: a mapping, or an error.
func parseYAML(source string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Source: source, Msg: "file is empty; a scenario needs at least name and provider"}
		}
		return nil, yamlError(source, data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		line, col := next.Line, next.Column
		if len(next.Content) > 0 {
			line, col = next.Content[0].Line, next.Content[0].Column
		}
		return nil, &Error{Source: source, Line: line, Column: col, Msg: "a second YAML document; a scenario file holds one (remove the \"---\" separator or split the file)"}
	case !errors.Is(err, io.EOF):
		return nil, yamlError(source, data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &Error{Source: source, Msg: "file is empty; a scenario needs at least name and provider"}
	}
	top := doc.Content[0]
	if top.Kind == yaml.AliasNode && top.Alias != nil {
		top = top.Alias
	}
	switch {
	case top.Kind == yaml.ScalarNode && top.Tag == "!!null":
		return nil, &Error{Source: source, Line: top.Line, Column: top.Column, Msg: "file holds no scenario; it needs at least name and provider"}
	case top.Kind != yaml.MappingNode:
		return nil, &Error{Source: source, Line: top.Line, Column: top.Column, Msg: fmt.Sprintf("a scenario must be a mapping of fields, got %s", describe(top))}
	}
	return top, nil
}

// yamlError turns a YAML syntax error into an *Error, pointing at an
// indenting tab when there is one: the parser's own message for it is
// obscure.
func yamlError(source string, data []byte, err error) error {
	for i, line := range bytes.Split(data, []byte("\n")) {
		indent := line[:len(line)-len(bytes.TrimLeft(line, " \t"))]
		if j := bytes.IndexByte(indent, '\t'); j >= 0 && len(bytes.TrimSpace(line)) > 0 {
			return &Error{Source: source, Line: i + 1, Column: j + 1, Msg: "tab character in indentation; YAML indents with spaces"}
		}
	}
	msg := err.Error()
	if m := yamlLinePattern.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Source: source, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{Source: source, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// decoder walks a YAML node tree against the scenario model, collecting
// every error with its position.
type decoder struct {
	src      string
	errs     []*Error
	nodes    int
	tooLarge bool
	// seen records "object.field" of every field decoded, for tests.
	seen     map[string]bool
	provider string
	dialect  mockprovider.Dialect
}

func (d *decoder) errAt(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, &Error{Source: d.src, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)})
}

// err joins the errors in file order.
func (d *decoder) err() error {
	sort.SliceStable(d.errs, func(i, j int) bool {
		a, b := d.errs[i], d.errs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	errs := make([]error, 0, len(d.errs))
	var last string
	for _, e := range d.errs {
		// An anchor used twice would report its problems twice.
		if s := e.Error(); s != last {
			errs = append(errs, e)
			last = s
		}
	}
	return errors.Join(errs...)
}

// resolve follows an alias and counts the node against the budget. It
// returns nil once the budget is spent.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	d.nodes++
	if d.nodes > maxNodes {
		if !d.tooLarge {
			d.tooLarge = true
			d.errAt(n, "document is too large once its aliases are expanded (more than %d nodes)", maxNodes)
		}
		return nil
	}
	return n
}

// SyntaxError turns an error of the YAML parser on data into an *Error
// with the line (and, for an indenting tab, the column) it points at, for
// other strict YAML formats of the project (refreshproof.yaml). Its
// Source is source.
func SyntaxError(source string, data []byte, err error) *Error {
	return yamlError(source, data, err).(*Error)
}

// deref follows aliases without counting them.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// writeJSONString writes s as a JSON string, leaving <, > and & as they
// are: bodies are often HTML.
func writeJSONString(b *bytes.Buffer, s string) {
	b.Write(jsontext.AppendString(b.AvailableBuffer(), s))
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.Tag {
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	case "!!null":
		return "nothing (null)"
	}
	return fmt.Sprintf("%s %q", n.Tag, n.Value)
}

// mapping calls each for every field of the object n, in file order, after
// refusing unknown and duplicate keys. It returns false when n is not a
// mapping.
func (d *decoder) mapping(n *yaml.Node, object, what string, each func(key string, k, v *yaml.Node)) bool {
	if n = d.resolve(n); n == nil {
		return false
	}
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			// "credentials:" with nothing after it: an empty object.
			return true
		}
		d.errAt(n, "%s must be a mapping, got %s", what, describe(n))
		return false
	}
	known := objectFields[object]
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errAt(k, "a field name must be a plain word, got %s", describe(k))
			continue
		}
		if k.Tag == "!!merge" {
			d.errAt(k, "merge keys (<<) are not supported; write the fields out")
			continue
		}
		key := k.Value
		if prev, dup := first[key]; dup {
			d.errAt(k, "duplicate field %q (first at line %d)", key, prev.Line)
			continue
		}
		first[key] = k
		if !slices.Contains(known, key) {
			if s := mockprovider.Suggest(key, known); s != "" {
				d.errAt(k, "unknown field %q; did you mean %q?", key, s)
			} else {
				d.errAt(k, "unknown field %q in %s (known fields: %s)", key, what, strings.Join(known, ", "))
			}
			continue
		}
		if d.seen != nil {
			d.seen[object+"."+key] = true
		}
		each(key, k, v)
	}
	return true
}

// sequence calls each for every item of the list n.
func (d *decoder) sequence(n *yaml.Node, what string, each func(i int, item *yaml.Node)) bool {
	if n = d.resolve(n); n == nil {
		return false
	}
	if n.Kind != yaml.SequenceNode {
		d.errAt(n, "%s must be a list, got %s", what, describe(n))
		return false
	}
	for i, item := range n.Content {
		if item = d.resolve(item); item == nil {
			return false
		}
		each(i, item)
	}
	return true
}

// scalar returns n resolved when it is a scalar, else reports it.
func (d *decoder) scalar(n *yaml.Node, what, want string) (*yaml.Node, bool) {
	if n = d.resolve(n); n == nil {
		return nil, false
	}
	if n.Kind != yaml.ScalarNode {
		d.errAt(n, "%s must be %s, got %s", what, want, describe(n))
		return nil, false
	}
	return n, true
}

func (d *decoder) str(n *yaml.Node, what string) (string, bool) {
	n, ok := d.scalar(n, what, "a string")
	if !ok {
		return "", false
	}
	if n.Tag != "!!str" {
		d.errAt(n, "%s must be a string, got %s (quote it)", what, describe(n))
		return "", false
	}
	return n.Value, true
}

// text is a string that must not be empty.
func (d *decoder) text(n *yaml.Node, what string) (string, bool) {
	v, ok := d.str(n, what)
	if ok && strings.TrimSpace(v) == "" {
		d.errAt(n, "%s must not be empty", what)
		return "", false
	}
	return v, ok
}

func (d *decoder) boolean(n *yaml.Node, what string) (bool, bool) {
	n, ok := d.scalar(n, what, "true or false")
	if !ok {
		return false, false
	}
	if n.Tag != "!!bool" {
		d.errAt(n, "%s must be true or false, got %s", what, describe(n))
		return false, false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		d.errAt(n, "%s must be true or false, got %s", what, describe(n))
		return false, false
	}
	return b, true
}

func (d *decoder) integer(n *yaml.Node, what string, lo, hi int64) (int64, bool) {
	n, ok := d.scalar(n, what, "a whole number")
	if !ok {
		return 0, false
	}
	if n.Tag != "!!int" {
		d.errAt(n, "%s must be a whole number, got %s", what, describe(n))
		return 0, false
	}
	var v int64
	if err := n.Decode(&v); err != nil {
		d.errAt(n, "%s must be a whole number from %d to %d, got %s", what, lo, hi, n.Value)
		return 0, false
	}
	if v < lo || v > hi {
		d.errAt(n, "%s must be from %d to %d, got %d", what, lo, hi, v)
		return 0, false
	}
	return v, true
}

// duration reads a duration string ("2h", "90d"); the number 0 is
// accepted as "0s".
func (d *decoder) duration(n *yaml.Node, what string, lo, hi time.Duration) (time.Duration, bool) {
	n, ok := d.scalar(n, what, "a duration")
	if !ok {
		return 0, false
	}
	var v time.Duration
	switch {
	case n.Tag == "!!int" && n.Value == "0":
	case n.Tag == "!!int" || n.Tag == "!!float":
		d.errAt(n, "%s %s has no unit (write %ss, %sm or %sh)", what, n.Value, n.Value, n.Value, n.Value)
		return 0, false
	case n.Tag != "!!str":
		d.errAt(n, "%s must be a duration such as 2h or 90d, got %s", what, describe(n))
		return 0, false
	default:
		var err error
		if v, err = ParseDuration(n.Value); err != nil {
			d.errAt(n, "%s: %v", what, err)
			return 0, false
		}
	}
	if v < lo {
		d.errAt(n, "%s must be at least %s, got %s", what, formatDuration(lo), n.Value)
		return 0, false
	}
	if v > hi {
		d.errAt(n, "%s must be at most %s, got %s", what, formatDuration(hi), n.Value)
		return 0, false
	}
	return v, true
}

// enum reads a string that must be one of values.
func (d *decoder) enum(n *yaml.Node, what string, values []string) (string, bool) {
	v, ok := d.str(n, what)
	if !ok {
		return "", false
	}
	if slices.Contains(values, v) {
		return v, true
	}
	if s := mockprovider.Suggest(v, values); s != "" {
		d.errAt(n, "unknown %s %q; did you mean %q?", what, v, s)
	} else {
		d.errAt(n, "unknown %s %q (want one of %s)", what, v, strings.Join(values, ", "))
	}
	return "", false
}

func enumValues[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func (d *decoder) scenario(root *yaml.Node) *Scenario {
	s := &Scenario{Source: d.src}
	// The provider decides what the other fields mean, so read it first.
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "provider" {
			v := d.resolve(root.Content[i+1])
			if v != nil && v.Kind == yaml.ScalarNode && slices.Contains(Providers, v.Value) {
				d.provider = v.Value
			}
			break
		}
	}
	var stepsNode, sfNode, msNode *yaml.Node
	has := map[string]bool{}
	var rulesNode []*yaml.Node
	d.mapping(root, "scenario", "a scenario", func(key string, k, v *yaml.Node) {
		has[key] = true
		switch key {
		case "name":
			if name, ok := d.text(v, "name"); ok {
				if !namePattern.MatchString(name) || len(name) > 64 {
					d.errAt(v, "name %q must be lower-case letters, digits and single hyphens, at most 64 characters (like \"expired-access-token\")", name)
				}
				s.Name = name
			}
		case "description":
			s.Description, _ = d.str(v, "description")
		case "provider":
			if p, ok := d.enum(v, "provider", Providers); ok {
				s.Provider = p
			}
		case "labels":
			s.Labels = d.labels(v)
		case "seed":
			if n, ok := d.scalar(v, "seed", "a whole number"); ok {
				if n.Tag != "!!int" || n.Decode(&s.Seed) != nil {
					d.errAt(n, "seed must be a whole number from 0 to %d, got %s", uint64(1<<64-1), describe(n))
				}
			}
		case "credentials":
			s.Credentials = d.credentials(v)
		case "tokens":
			s.Tokens = d.tokens(v)
		case "salesforce":
			sfNode = k
			s.Salesforce = d.salesforce(v)
		case "microsoft":
			msNode = k
			s.Microsoft = d.microsoft(v)
		case "secrets":
			s.Secrets = d.secrets(v)
		case "rules":
			rulesNode = append(rulesNode, v)
		case "steps":
			stepsNode = v
			s.Steps = d.steps(v)
		}
	})
	for _, f := range []string{"name", "provider"} {
		if !has[f] {
			d.errAt(root, "missing required field %q", f)
		}
	}
	if sfNode != nil && d.provider != "" && d.provider != "salesforce" {
		d.errAt(sfNode, "salesforce options given for a %s scenario", d.provider)
		s.Salesforce = nil
	}
	if msNode != nil && d.provider != "" && d.provider != "microsoft" {
		d.errAt(msNode, "microsoft options given for a %s scenario", d.provider)
		s.Microsoft = nil
	}
	if d.provider != "" {
		dl, err := newDialect(d.provider, s.Salesforce, s.Microsoft)
		if err == nil {
			d.dialect = dl
		}
	}
	// Rules come last: their error names need the dialect.
	for _, v := range rulesNode {
		s.Rules = d.rules(v)
	}
	if stepsNode == nil {
		s.Steps = []Step{{Message: &Message{Body: []byte("{}")}}}
	}
	return s
}

func (d *decoder) labels(n *yaml.Node) []string {
	var out []string
	d.sequence(n, "labels", func(i int, item *yaml.Node) {
		l, ok := d.text(item, "a label")
		if !ok {
			return
		}
		switch {
		case !namePattern.MatchString(l) || len(l) > 64:
			d.errAt(item, "label %q must be lower-case letters, digits and single hyphens", l)
		case slices.Contains(out, l):
			d.errAt(item, "duplicate label %q", l)
		default:
			out = append(out, l)
		}
	})
	return out
}

func (d *decoder) credentials(n *yaml.Node) Credentials {
	var c Credentials
	var secret, public *yaml.Node
	d.mapping(n, "credentials", "credentials", func(key string, k, v *yaml.Node) {
		switch key {
		case "accessToken":
			st, _ := d.enum(v, "access token state", initialAccessStates)
			c.AccessToken = mockprovider.TokenState(st)
		case "scope":
			c.Scope, _ = d.text(v, "scope")
		case "clientId":
			c.ClientID, _ = d.text(v, "clientId")
		case "clientSecret":
			secret = v
			c.ClientSecret, _ = d.text(v, "clientSecret")
		case "public":
			if b, ok := d.boolean(v, "public"); ok {
				c.Public, public = &b, v
			}
		}
	})
	if secret != nil && public != nil && *c.Public {
		d.errAt(secret, "a public client has no secret (remove clientSecret or public)")
	}
	return c
}

func (d *decoder) tokens(n *yaml.Node) Tokens {
	var t Tokens
	dur := func(v *yaml.Node, what string, lo time.Duration) *time.Duration {
		if x, ok := d.duration(v, what, lo, maxDuration); ok {
			return &x
		}
		return nil
	}
	flag := func(v *yaml.Node, what string) *bool {
		if b, ok := d.boolean(v, what); ok {
			return &b
		}
		return nil
	}
	d.mapping(n, "tokens", "tokens", func(key string, k, v *yaml.Node) {
		switch key {
		case "accessTokenLifetime":
			t.AccessTokenLifetime = dur(v, "accessTokenLifetime", time.Second)
		case "accessTokenJitter":
			t.AccessTokenJitter = dur(v, "accessTokenJitter", 0)
		case "slidingAccess":
			t.SlidingAccess = flag(v, "slidingAccess")
		case "refreshTokenIdle":
			t.RefreshTokenIdle = dur(v, "refreshTokenIdle", 0)
		case "familyLifetime":
			t.FamilyLifetime = dur(v, "familyLifetime", 0)
		case "rotation":
			r, _ := d.enum(v, "rotation", enumValues(mockprovider.Rotations))
			t.Rotation = mockprovider.Rotation(r)
		case "rejectConcurrentRefresh":
			t.RejectConcurrentRefresh = flag(v, "rejectConcurrentRefresh")
		case "concurrentRefreshWindow":
			t.ConcurrentRefreshWindow = dur(v, "concurrentRefreshWindow", 0)
		}
	})
	return t
}

func (d *decoder) host(v *yaml.Node, what string) string {
	h, ok := d.text(v, what)
	if ok && !hostPattern.MatchString(h) {
		d.errAt(v, "%s %q must be a host name such as acme.my.salesforce.com (no scheme, no path)", what, h)
		return ""
	}
	return h
}

func (d *decoder) salesforce(n *yaml.Node) *SalesforceOptions {
	o := &SalesforceOptions{}
	var moved, after *yaml.Node
	d.mapping(n, "salesforce", "salesforce", func(key string, k, v *yaml.Node) {
		switch key {
		case "instanceHost":
			o.InstanceHost = d.host(v, "instanceHost")
		case "moveInstanceAfterRefresh":
			after = v
			x, _ := d.integer(v, "moveInstanceAfterRefresh", 0, 1000)
			o.MoveInstanceAfterRefresh = int(x)
		case "movedInstanceHost":
			moved = v
			o.MovedInstanceHost = d.host(v, "movedInstanceHost")
		case "wwwAuthenticate":
			if b, ok := d.boolean(v, "wwwAuthenticate"); ok {
				o.WWWAuthenticate = &b
			}
		case "apiVersion":
			// 67.0 unquoted is a YAML number; accept it as written.
			if sv, ok := d.scalar(v, "apiVersion", "a version such as \"67.0\""); ok {
				if sv.Tag != "!!str" && sv.Tag != "!!float" || !versionPattern.MatchString(sv.Value) {
					d.errAt(sv, "apiVersion must be a version such as \"67.0\", got %s", describe(sv))
				} else {
					o.APIVersion = sv.Value
				}
			}
		case "sandbox":
			o.Sandbox, _ = d.boolean(v, "sandbox")
		case "orgId", "userId":
			id, ok := d.text(v, key)
			if ok && !sfIDPattern.MatchString(id) {
				d.errAt(v, "%s %q must be an 18-character Salesforce ID (letters and digits)", key, id)
				id = ""
			}
			if key == "orgId" {
				o.OrgID = id
			} else {
				o.UserID = id
			}
		}
	})
	if moved != nil && after == nil {
		d.errAt(moved, "movedInstanceHost has no effect without moveInstanceAfterRefresh")
	}
	return o
}

func (d *decoder) secrets(n *yaml.Node) *SecretsOptions {
	o := &SecretsOptions{}
	d.mapping(n, "secrets", "secrets", func(key string, k, v *yaml.Node) {
		switch key {
		case "arrayData":
			o.ArrayData, _ = d.boolean(v, "arrayData")
		case "refreshFailureStatus":
			if x, ok := d.integer(v, "refreshFailureStatus", 200, 599); ok {
				o.RefreshFailureStatus = int(x)
			}
		case "withOAuth":
			o.WithOAuth, _ = d.boolean(v, "withOAuth")
		case "backgroundRefresh":
			if b, ok := d.boolean(v, "backgroundRefresh"); ok {
				o.BackgroundRefresh = &b
			}
		}
	})
	return o
}

func (d *decoder) microsoft(n *yaml.Node) *MicrosoftOptions {
	o := &MicrosoftOptions{}
	d.mapping(n, "microsoft", "microsoft", func(key string, k, v *yaml.Node) {
		switch key {
		case "tenants":
			ok := d.sequence(v, "tenants", func(i int, item *yaml.Node) {
				t, ok := d.text(item, "a tenant")
				if !ok {
					return
				}
				if strings.ContainsAny(t, "/?#% ") {
					d.errAt(item, "tenant %q must be one path segment (common, organizations, consumers, a tenant ID or a domain)", t)
					return
				}
				if slices.Contains(o.Tenants, t) {
					d.errAt(item, "duplicate tenant %q", t)
					return
				}
				o.Tenants = append(o.Tenants, t)
			})
			if ok && len(deref(v).Content) == 0 {
				d.errAt(v, "tenants must not be empty; omit it for the default")
			}
		case "spa":
			o.SPA, _ = d.boolean(v, "spa")
		case "expiredMessage":
			o.ExpiredMessage, _ = d.text(v, "expiredMessage")
		case "idToken":
			if b, ok := d.boolean(v, "idToken"); ok {
				o.IDToken = &b
			}
		case "pageSize":
			x, _ := d.integer(v, "pageSize", 1, 1000)
			o.PageSize = int(x)
		}
	})
	return o
}

func (d *decoder) rules(n *yaml.Node) []Rule {
	var out []Rule
	names := map[string]int{}
	d.sequence(n, "rules", func(i int, item *yaml.Node) {
		if i == maxRules {
			d.errAt(item, "more than %d rules", maxRules)
		}
		if i >= maxRules {
			return
		}
		r, ok := d.rule(item, i)
		if r.Name != "" {
			if line, dup := names[r.Name]; dup {
				d.errAt(item, "duplicate rule name %q (first at line %d)", r.Name, line)
				ok = false
			}
			names[r.Name] = item.Line
		}
		if ok {
			out = append(out, r)
		}
	})
	return out
}

// rule decodes one rule; ok is false when it had errors.
func (d *decoder) rule(n *yaml.Node, i int) (r Rule, ok bool) {
	before := len(d.errs)
	var matchNode, respondNode, timesNode, onceNode, errorNode *yaml.Node
	var once bool
	isMap := d.mapping(n, "rule", "a rule", func(key string, k, v *yaml.Node) {
		switch key {
		case "name":
			r.Name, _ = d.text(v, "rule name")
		case "match":
			matchNode = k
			r.Match = d.match(v)
		case "respond":
			respondNode = k
			r.Respond, errorNode = d.respond(v)
		case "times":
			timesNode = v
			x, _ := d.integer(v, "times", 1, maxCount)
			r.Times = int(x)
		case "once":
			onceNode = v
			if b, ok := d.boolean(v, "once"); ok {
				if !b {
					d.errAt(v, "once: false does nothing; remove it (a rule without times applies to every matching request)")
				}
				once = b
			}
		}
	})
	if r.Name == "" {
		r.Name = fmt.Sprintf("rule-%d", i+1)
	}
	// A rule whose fields had errors may miss match or respond only
	// because of them: say nothing more then.
	if isMap && len(d.errs) == before {
		if matchNode == nil {
			d.errAt(n, "rule %s has no match (add match: {endpoint: …})", r.Name)
		}
		if respondNode == nil {
			d.errAt(n, "rule %s has no respond (add respond: {error: …} or another answer)", r.Name)
		}
	}
	if onceNode != nil && timesNode != nil {
		d.errAt(onceNode, "once and times exclude each other (once: true is times: 1)")
	}
	if once {
		r.Times = 1
	}
	if d.dialect != nil && errorNode != nil {
		probe := Rule{Name: r.Name, Match: mockprovider.Match{Endpoint: mockprovider.EndpointAny}, Respond: mockprovider.Respond{Error: r.Respond.Error}}
		if err := probe.Validate(d.dialect); err != nil {
			for _, e := range splitErrors(err) {
				d.errAt(errorNode, "%s", d.ruleMessage(r.Name, e))
			}
		}
	}
	if len(d.errs) > before {
		return r, false
	}
	// What is left are combinations of the answer; Validate words them.
	if err := r.Validate(d.dialect); err != nil {
		at := respondNode
		if at == nil {
			at = n
		}
		for _, e := range splitErrors(err) {
			d.errAt(at, "%s", d.ruleMessage(r.Name, e))
		}
		return r, false
	}
	return r, true
}

// ruleMessage strips Rule.Validate's prefix: the position says which rule.
func (d *decoder) ruleMessage(name string, e error) string {
	return strings.TrimPrefix(e.Error(), "mockprovider: rule "+name+": ")
}

func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []error{err}
}

func (d *decoder) match(n *yaml.Node) mockprovider.Match {
	var m mockprovider.Match
	var nth, after *yaml.Node
	hasEndpoint := false
	d.mapping(n, "match", "match", func(key string, k, v *yaml.Node) {
		switch key {
		case "endpoint":
			hasEndpoint = true
			e, _ := d.enum(v, "endpoint", enumValues(mockprovider.Endpoints))
			m.Endpoint = mockprovider.Endpoint(e)
		case "nth":
			nth = v
			x, _ := d.integer(v, "nth", 1, maxCount)
			m.Nth = int(x)
		case "after":
			after = v
			x, _ := d.integer(v, "after", 1, maxCount)
			m.After = int(x)
		case "tokenState":
			st, _ := d.enum(v, "token state", enumValues(mockprovider.TokenStates))
			m.TokenState = mockprovider.TokenState(st)
		case "method":
			if x, ok := d.text(v, "method"); ok {
				if !methodPattern.MatchString(x) {
					d.errAt(v, "method %q must be an HTTP method such as GET or POST", x)
				}
				m.Method = strings.ToUpper(x)
			}
		case "path":
			if x, ok := d.text(v, "path"); ok {
				if !strings.HasPrefix(x, "/") {
					d.errAt(v, "path %q must start with \"/\" (it is a prefix of the request path)", x)
				}
				m.PathPrefix = x
			}
		}
	})
	if !hasEndpoint && deref(n).Kind == yaml.MappingNode {
		d.errAt(n, "match needs an endpoint (one of %s)", strings.Join(enumValues(mockprovider.Endpoints), ", "))
	}
	if nth != nil && after != nil {
		d.errAt(after, "nth and after exclude each other (nth matches one request, after every one after it)")
	}
	return m
}

// respond decodes an answer; errorNode is the node of its error name.
func (d *decoder) respond(n *yaml.Node) (r mockprovider.Respond, errorNode *yaml.Node) {
	var drop, headers *yaml.Node
	d.mapping(n, "respond", "respond", func(key string, k, v *yaml.Node) {
		switch key {
		case "error":
			if x, ok := d.text(v, "error"); ok {
				r.Error, errorNode = x, v
			}
		case "status":
			x, _ := d.integer(v, "status", 100, 599)
			r.Status = int(x)
		case "headers":
			headers = k
			r.Header = d.headers(v)
		case "body":
			r.Body = d.body(v)
		case "html":
			r.HTML, _ = d.boolean(v, "html")
		case "drop":
			drop = v
			r.Drop, _ = d.boolean(v, "drop")
		case "delay":
			r.Delay, _ = d.duration(v, "delay", 0, maxDelay)
		case "nonJson":
			r.NonJSON, _ = d.boolean(v, "nonJson")
		case "truncate":
			r.Truncate, _ = d.boolean(v, "truncate")
		case "omit":
			ok := d.sequence(v, "omit", func(i int, item *yaml.Node) {
				if f, ok := d.text(item, "an omitted field"); ok {
					r.Omit = append(r.Omit, f)
				}
			})
			if ok && len(deref(v).Content) == 0 {
				d.errAt(v, "omit must list at least one field")
			}
		}
	})
	if drop != nil && headers != nil && r.Drop {
		d.errAt(headers, "headers have no effect with drop (the connection closes without an answer)")
	}
	return r, errorNode
}

// headers reads a mapping of header names to scalar values.
func (d *decoder) headers(n *yaml.Node) map[string]string {
	n = d.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errAt(n, "headers must be a mapping of header names to values, got %s", describe(n))
		return nil
	}
	h := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errAt(k, "a header name must be a plain word, got %s", describe(k))
			continue
		}
		if _, dup := h[http.CanonicalHeaderKey(k.Value)]; dup {
			d.errAt(k, "duplicate header %q", k.Value)
			continue
		}
		if !headerPattern.MatchString(k.Value) {
			d.errAt(k, "%q is not an HTTP header name", k.Value)
			continue
		}
		sv, ok := d.scalar(v, "header "+k.Value, "a string")
		if !ok {
			continue
		}
		if sv.Tag == "!!null" || strings.ContainsAny(sv.Value, "\r\n") {
			d.errAt(sv, "header %s must be a one-line value", k.Value)
			continue
		}
		h[http.CanonicalHeaderKey(k.Value)] = sv.Value
	}
	return h
}

// body reads a response body: a string as is, a mapping or list as JSON.
func (d *decoder) body(n *yaml.Node) string {
	r := d.resolve(n)
	if r == nil {
		return ""
	}
	if r.Kind == yaml.ScalarNode {
		if r.Tag != "!!str" {
			d.errAt(r, "body must be a string, a mapping or a list, got %s (quote it)", describe(r))
			return ""
		}
		return r.Value
	}
	var b bytes.Buffer
	if d.json(&b, r, 0) {
		return b.String()
	}
	return ""
}

func (d *decoder) steps(n *yaml.Node) []Step {
	out := []Step{}
	ok := d.sequence(n, "steps", func(i int, item *yaml.Node) {
		if i == maxSteps {
			d.errAt(item, "more than %d steps", maxSteps)
		}
		if i >= maxSteps {
			return
		}
		var st Step
		var actions []string
		valid := true
		before := len(d.errs)
		isMap := d.mapping(item, "step", "a step", func(key string, k, v *yaml.Node) {
			actions = append(actions, key)
			before := len(d.errs)
			switch key {
			case "message":
				st.Message = d.message(v)
			case "advance":
				st.Advance, _ = d.duration(v, "advance", time.Second, maxDuration)
			case "restart":
				if b, ok := d.boolean(v, "restart"); ok && !b {
					d.errAt(v, "restart: false does nothing; remove the step")
				}
				st.Restart = true
			case "revoke":
				st.Revoke, _ = d.enum(v, "revoke", RevokeTargets)
			}
			if len(d.errs) > before {
				valid = false
			}
		})
		if !isMap {
			return
		}
		switch {
		case len(actions) == 0 && len(d.errs) > before:
			// An unknown field was reported; that says it.
		case len(actions) == 0 && item.Kind == yaml.MappingNode:
			d.errAt(item, "step has no action (want one of message, advance, restart, revoke)")
		case len(actions) == 0:
			d.errAt(item, "step must be a mapping with one of message, advance, restart, revoke, got nothing")
		case len(actions) > 1:
			d.errAt(item, "step has %d actions (%s); give each its own step, in the order they happen", len(actions), strings.Join(actions, ", "))
		case valid:
			out = append(out, st)
		}
	})
	if ok && len(deref(n).Content) == 0 {
		d.errAt(n, "steps must not be empty; omit it for one message with an empty body")
	}
	return out
}

func (d *decoder) message(n *yaml.Node) *Message {
	m := &Message{Body: []byte("{}")}
	d.mapping(n, "message", "a message", func(key string, k, v *yaml.Node) {
		switch key {
		case "body":
			r := d.resolve(v)
			if r == nil {
				return
			}
			if r.Kind != yaml.MappingNode {
				d.errAt(r, "message body must be a mapping (the platform's msg.body is a JSON object), got %s", describe(r))
				return
			}
			var b bytes.Buffer
			if d.json(&b, r, 0) {
				m.Body = b.Bytes()
			}
		case "label":
			m.Label, _ = d.text(v, "message label")
		}
	})
	return m
}

// json writes n, resolved, as JSON. It reports what JSON cannot hold.
func (d *decoder) json(b *bytes.Buffer, n *yaml.Node, depth int) bool {
	if depth > maxDepth {
		d.errAt(n, "nested more than %d levels deep", maxDepth)
		return false
	}
	switch n.Kind {
	case yaml.MappingNode:
		b.WriteByte('{')
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := d.resolve(n.Content[i])
			if k == nil {
				return false
			}
			if k.Kind != yaml.ScalarNode || k.Tag == "!!null" || k.Tag == "!!merge" {
				d.errAt(k, "a JSON object key must be a string, got %s", describe(k))
				return false
			}
			if seen[k.Value] {
				d.errAt(k, "duplicate key %q", k.Value)
				return false
			}
			seen[k.Value] = true
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k.Value)
			b.WriteByte(':')
			v := d.resolve(n.Content[i+1])
			if v == nil || !d.json(b, v, depth+1) {
				return false
			}
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			v := d.resolve(item)
			if v == nil || !d.json(b, v, depth+1) {
				return false
			}
		}
		b.WriteByte(']')
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			b.WriteString("null")
		case "!!bool":
			var v bool
			if err := n.Decode(&v); err != nil {
				d.errAt(n, "invalid boolean %q", n.Value)
				return false
			}
			b.WriteString(strconv.FormatBool(v))
		case "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				d.errAt(n, "invalid number %q", n.Value)
				return false
			}
			switch x := v.(type) {
			case int:
				b.WriteString(strconv.Itoa(x))
			case int64:
				b.WriteString(strconv.FormatInt(x, 10))
			case uint64:
				b.WriteString(strconv.FormatUint(x, 10))
			case float64:
				if x != x || x > 1.7976931348623157e308 || x < -1.7976931348623157e308 {
					d.errAt(n, "%s is not a number JSON can hold", n.Value)
					return false
				}
				b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
			default:
				d.errAt(n, "invalid number %q", n.Value)
				return false
			}
		default:
			// Strings, and timestamps and other tags as written.
			writeJSONString(b, n.Value)
		}
	default:
		d.errAt(n, "cannot be written as JSON")
		return false
	}
	return true
}
