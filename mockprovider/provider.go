package mockprovider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is what a scenario sets on a provider. A zero field takes the
// dialect's default (Dialect.Defaults).
type Config struct {
	// Policy is the token policy. Nil means the dialect's.
	Policy *Policy `json:"policy,omitempty"`
	// Clients are the registered OAuth clients; the first one owns the
	// initial grant. Empty means the dialect's default client.
	Clients []Client `json:"clients,omitempty"`
	// Scope granted to the initial grant.
	Scope string `json:"scope,omitempty"`
	// InitialAccess is the state the initial access token starts in:
	// valid (default), expired or revoked.
	InitialAccess TokenState `json:"initialAccess,omitempty"`
	// Rules script the provider's behaviour, first match wins.
	Rules []Rule `json:"rules,omitempty"`
	// Seed makes token values reproducible; zero picks a random seed.
	Seed uint64 `json:"seed,omitempty"`
	// JournalCap, JournalMaxBody and JournalBytes bound the journal's
	// entries, each body and the entries' memory; zero means
	// DefaultJournalCap, DefaultMaxBody and DefaultJournalBytes.
	JournalCap     int   `json:"journalCap,omitempty"`
	JournalMaxBody int   `json:"journalMaxBody,omitempty"`
	JournalBytes   int64 `json:"journalBytes,omitempty"`
	// MaxRequestBody bounds request bodies; zero means 1 MiB.
	MaxRequestBody int64 `json:"maxRequestBody,omitempty"`
}

// merged fills c's zero fields from the dialect's defaults.
func (c Config) merged(d Dialect) Config {
	def := d.Defaults()
	if c.Policy == nil {
		c.Policy = def.Policy
	}
	if c.Policy == nil {
		c.Policy = &Policy{}
	}
	if len(c.Clients) == 0 {
		c.Clients = def.Clients
	}
	if c.Scope == "" {
		c.Scope = def.Scope
	}
	if c.InitialAccess == "" {
		c.InitialAccess = StateValid
	}
	if c.MaxRequestBody <= 0 {
		c.MaxRequestBody = 1 << 20
	}
	return c
}

// Validate reports every problem of c for dialect d.
func (c Config) Validate(d Dialect) error {
	var errs []error
	m := c.merged(d)
	if err := m.Policy.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(m.Clients) == 0 {
		errs = append(errs, errors.New("mockprovider: no client registered"))
	}
	for i, cl := range m.Clients {
		if cl.ID == "" {
			errs = append(errs, fmt.Errorf("mockprovider: client %d has no id", i+1))
		}
		if !cl.Public && cl.Secret == "" {
			errs = append(errs, fmt.Errorf("mockprovider: client %q has no secret (set public for a client without one)", cl.ID))
		}
	}
	switch m.InitialAccess {
	case StateValid, StateExpired, StateRevoked:
	default:
		errs = append(errs, fmt.Errorf("mockprovider: initial access token state %q (want valid, expired or revoked)", m.InitialAccess))
	}
	for _, r := range c.Rules {
		if err := r.Validate(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Provider is a mock OAuth provider: an http.Handler that answers as the
// dialect's real service would, with a token authority, a virtual clock,
// scripted faults, a journal and an admin API under AdminPrefix.
//
// A Provider is safe for concurrent use. Serve it with NewServer, with
// any http.Server, or in-process through the httpmock adapter.
type Provider struct {
	// AdminToken, when set, is the bearer token the admin API requires.
	// When empty, the admin API answers loopback clients only.
	AdminToken string
	// ScenarioLoader, when set, lets the admin API replace the scenario:
	// it turns a request body into a dialect and a config.
	ScenarioLoader func(body []byte, contentType string) (Dialect, Config, error)
	// Logger, when set, is called with each journaled exchange, redacted.
	Logger func(Entry)
	// Observer, when set, is called with each journaled exchange as it
	// was recorded, secrets included, and the provider's redactor: it
	// must redact whatever it shows, and must neither keep nor change e.
	// It is Logger for a caller that shows a few fields, without the cost
	// of redacting a copy of every header and body.
	Observer func(e *Entry, r *Redactor)

	mu        sync.RWMutex
	dialect   Dialect
	cfg       Config // merged
	clock     *Clock
	authority *Authority
	journal   *Journal
	script    *script
	initial   Grant
	rnd       *randSource
	advertise func(host string) string
	caPEM     []byte

	closed    chan struct{}
	closeOnce sync.Once
	inflight  atomic.Int64

	// The authority's redactor once client secrets were added to it, and
	// the other credentials the dialect issued (ID tokens), by value.
	redMu       sync.Mutex
	red         *Redactor
	credentials map[string]string
	credN       map[string]int
}

// AdminPrefix is the path prefix of the admin API, reserved on every host.
const AdminPrefix = "/__refreshproof/"

// hostPrefix lets one listener stand for several hosts when the component
// is not redirected: /__host/{name}/path is served as path on host name.
const hostPrefix = "/__host/"

// New returns a provider speaking d, configured by cfg.
func New(d Dialect, cfg Config) (*Provider, error) {
	if d == nil {
		return nil, errors.New("mockprovider: nil dialect")
	}
	if err := cfg.Validate(d); err != nil {
		return nil, err
	}
	p := &Provider{clock: &Clock{}, closed: make(chan struct{})}
	p.load(d, cfg)
	return p, nil
}

func (p *Provider) load(d Dialect, cfg Config) {
	m := cfg.merged(d)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dialect = d
	p.cfg = m
	p.rnd = newRandSource(m.Seed)
	p.clock.reset()
	seed := m.Seed
	if seed != 0 {
		seed++
	}
	p.authority = NewAuthority(p.clock, *m.Policy, d.TokenFormat(), seed)
	if p.journal == nil || m.JournalCap != cfg.JournalCap || m.JournalBytes != cfg.JournalBytes {
		p.journal = NewJournal(m.JournalCap, m.JournalMaxBody, m.JournalBytes)
		p.journal.secrets = p.Redactor
	} else {
		p.journal.Reset()
	}
	// Every token a kept exchange carried stays known to the redactor:
	// an exchange issues or presents a few, and evictions follow issue.
	// A capacity near the int range (--journal-cap takes any) must not
	// wrap the bound negative; past a few million it bounds nothing real.
	p.authority.redactKeep = 2*min(p.journal.cap, 1<<30) + 1024
	p.script = newScript(append([]Rule(nil), m.Rules...))
	d.Reset()
	switch m.InitialAccess {
	case StateExpired:
		// Signed in long enough ago for the access token to have expired
		// on its own, so its response still reads like a normal one
		// (expires_in of a full lifetime, issued_at in the past).
		back := m.Policy.accessLifetime() + m.Policy.AccessTokenJitter + 10*time.Minute
		p.initial = p.authority.MintAt(m.Clients[0].ID, m.Scope, p.clock.Now().Add(-back))
	default:
		p.initial = p.authority.Mint(m.Clients[0].ID, m.Scope)
	}
	switch m.InitialAccess {
	case StateRevoked:
		_ = p.authority.Revoke(p.initial.Access.Value)
		p.initial.Access, _ = p.authority.Inspect(p.initial.Access.Value)
	}
}

// Load replaces the dialect (nil keeps it) and the configuration, and
// starts over: new tokens, a reset clock, an empty journal.
func (p *Provider) Load(d Dialect, cfg Config) error {
	if d == nil {
		d = p.Dialect()
	}
	if err := cfg.Validate(d); err != nil {
		return err
	}
	p.load(d, cfg)
	return nil
}

// Reset starts the current configuration over.
func (p *Provider) Reset() {
	p.mu.RLock()
	d, cfg := p.dialect, p.cfg
	p.mu.RUnlock()
	p.load(d, cfg)
}

// Dialect returns the provider's dialect.
func (p *Provider) Dialect() Dialect { p.mu.RLock(); defer p.mu.RUnlock(); return p.dialect }

// Config returns the configuration in force, defaults filled in.
func (p *Provider) Config() Config { p.mu.RLock(); defer p.mu.RUnlock(); return p.cfg }

// Clock returns the virtual clock.
func (p *Provider) Clock() *Clock { return p.clock }

// Authority returns the token authority.
func (p *Provider) Authority() *Authority { p.mu.RLock(); defer p.mu.RUnlock(); return p.authority }

// Journal returns the journal. The harness appends platform exchanges to it
// so that one sequence holds every exchange of a run.
func (p *Provider) Journal() *Journal { p.mu.RLock(); defer p.mu.RUnlock(); return p.journal }

// Initial returns the grant the provider started with: the account's
// tokens as a user's sign-in left them.
func (p *Provider) Initial() Grant { p.mu.RLock(); defer p.mu.RUnlock(); return p.initial }

// Client returns the first registered client, the one that owns the
// initial grant.
func (p *Provider) Client() Client { p.mu.RLock(); defer p.mu.RUnlock(); return p.cfg.Clients[0] }

func (p *Provider) client(id string) (Client, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, c := range p.cfg.Clients {
		if c.ID == id {
			return c, true
		}
	}
	return Client{}, false
}

// UUID returns a random UUID (request and trace IDs).
func (p *Provider) UUID() string { p.mu.RLock(); r := p.rnd; p.mu.RUnlock(); return r.uuid() }

// Random returns n random letters and digits.
func (p *Provider) Random(n int) string { p.mu.RLock(); r := p.rnd; p.mu.RUnlock(); return r.alnum(n) }

// Redactor returns a redactor for every token the authority keeps and
// every client secret. It stays up to date as tokens are issued, so a
// caller may keep it; Load makes a new one.
func (p *Provider) Redactor() *Redactor {
	r := p.Authority().Redactor()
	p.redMu.Lock()
	defer p.redMu.Unlock()
	if p.red != r {
		for i, c := range p.Config().Clients {
			if c.Secret != "" {
				r.Add(c.Secret, "CLIENT_SECRET#"+strconv.Itoa(i+1))
			}
		}
		// A new authority (a reset) starts a new run: the credentials of
		// the last one are gone with its tokens.
		p.credentials, p.credN = map[string]string{}, map[string]int{}
		p.red = r
	}
	return r
}

// Credential labels a credential the dialect issues besides the
// authority's tokens (an OpenID Connect ID token, which carries the user's
// name and e-mail address) and has every redaction replace it with that
// label: "ID_TOKEN#1" for kind "ID_TOKEN". The same value keeps its label.
func (p *Provider) Credential(value, kind string) string {
	r := p.Redactor()
	p.redMu.Lock()
	defer p.redMu.Unlock()
	if l, ok := p.credentials[value]; ok {
		return l
	}
	p.credN[kind]++
	l := kind + "#" + strconv.Itoa(p.credN[kind])
	p.credentials[value] = l
	r.Add(value, l)
	return l
}

// SetAdvertise sets how the provider names its hosts in the URLs it hands
// out (instance_url, id, @odata.nextLink). Nil means the real
// https://host, right for a component whose traffic is redirected.
func (p *Provider) SetAdvertise(f func(host string) string) {
	p.mu.Lock()
	p.advertise = f
	p.mu.Unlock()
}

func (p *Provider) url(host string) string {
	p.mu.RLock()
	f := p.advertise
	p.mu.RUnlock()
	if f == nil {
		return "https://" + host
	}
	return f(host)
}

// HostPath returns the path under which a listener of this provider
// serves host when the client is not redirected: /__host/{host}.
func HostPath(host string) string { return strings.TrimSuffix(hostPrefix, "/") + "/" + host }

// Close ends pending scripted delays. The provider keeps answering.
func (p *Provider) Close() { p.closeOnce.Do(func() { close(p.closed) }) }

// MatchesHost reports whether host (no port) is one of d's hosts.
func MatchesHost(d Dialect, host string) bool {
	host = strings.ToLower(host)
	for _, h := range d.Hosts() {
		if strings.HasPrefix(h, "*.") {
			if strings.HasSuffix(host, h[1:]) && len(host) > len(h)-1 {
				return true
			}
		} else if host == h {
			return true
		}
	}
	return false
}

func isLoopbackHost(h string) bool {
	if h == "localhost" || h == "" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// InFlight reports how many requests are being answered now; a harness
// waits for zero before it judges a message settled.
func (p *Provider) InFlight() int64 { return p.inflight.Load() }

// ServeHTTP answers one request.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.inflight.Add(1)
	defer p.inflight.Add(-1)
	start := time.Now()
	path := r.URL.Path
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if isLoopbackHost(host) {
		host = ""
	}
	if strings.HasPrefix(path, hostPrefix) {
		rest := path[len(hostPrefix):]
		h, sub, _ := strings.Cut(rest, "/")
		host, path = strings.ToLower(h), "/"+sub
	}
	if strings.HasPrefix(path, AdminPrefix) || path+"/" == AdminPrefix {
		p.serveAdmin(w, r, strings.TrimPrefix(strings.TrimPrefix(path, AdminPrefix[:len(AdminPrefix)-1]), "/"), start)
		return
	}

	p.mu.RLock()
	d, maxBody, sc, authority, journal := p.dialect, p.cfg.MaxRequestBody, p.script, p.authority, p.journal
	p.mu.RUnlock()

	x := &Exchange{Request: r, Host: host, Path: path, Provider: p}
	// A request without a body (every GET) skips ReadAll, which allocates
	// 512 bytes before it finds nothing to read.
	body, err := []byte{}, error(nil)
	if r.Body != nil && r.Body != http.NoBody {
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	}
	// The journal keeps r.Header itself, not a copy (a copy was 3% of an
	// API call's CPU): net/http makes a new map per request and never
	// changes it after ServeHTTP returns, the httpmock adapter serves a
	// clone of the client's request, and nothing here writes to it.
	entry := Entry{Time: start, VirtualTime: p.clock.Now(), Host: r.Host, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header, Caller: CallerOf(r.Context())}
	if err != nil || int64(len(body)) > maxBody {
		entry.Body = string(body)
		p.finish(w, p.bodyRefusal(d, x, &entry, err, maxBody), &entry, start, journal)
		return
	}
	x.Body = body
	entry.Body = string(body)
	if host != "" && !MatchesHost(d, host) {
		x.Kind = KindUnknown
	} else {
		d.Classify(x)
	}
	if x.Kind == "" {
		x.Kind = KindUnknown
	}
	state := StateNone
	if x.Token != "" {
		x.Presented, _ = authority.Inspect(x.Token)
		state = x.Presented.State
	}
	if x.Kind == KindToken && x.Grant == "refresh_token" && x.Token != "" {
		// In flight from arrival, so that a refresh held back by a
		// scripted delay blocks a concurrent one, as on Salesforce.
		done, err := authority.BeginRefresh(x.Token)
		defer done()
		x.RefreshBusy = err
	}
	rule, ord := sc.pick(x, state)
	x.Ordinal = ord
	entry.Kind, entry.Grant, entry.Ordinal = x.Kind, x.Grant, ord
	if x.Token != "" {
		entry.Presented = &Presented{Label: x.Presented.Label, Kind: x.Presented.Kind, Family: x.Presented.Family, State: state, Where: x.TokenWhere}
	}

	var resp *Response
	var faults []Fault
	if rule != nil {
		entry.Rule = rule.Name
		rs := rule.Respond
		if rs.Delay > 0 {
			faults = append(faults, FaultDelay)
			holdDeadlines(w, rs.Delay)
			t := time.NewTimer(rs.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				// The client gave up (a timeout, or its process was killed):
				// whatever is answered now is never received.
				entry.ClientGone = true
			case <-p.closed:
			}
			t.Stop()
		}
		switch {
		case rs.Drop:
			faults = append(faults, FaultDrop)
			entry.Faults = faults
			entry.Status = 0
			entry.Note = strings.TrimSpace(entry.Note + " connection closed without an answer")
			p.record(&entry, start, journal)
			dropConnection(w)
			return
		case rs.Error != "":
			faults = append(faults, FaultError)
			var ok bool
			resp, ok = d.Error(rs.Error, x)
			if !ok { // validated at load; a dialect swapped under a rule lands here
				resp = &Response{Status: 500, Body: []byte("unknown scripted error " + rs.Error)}
			}
		case rs.HTML:
			faults = append(faults, FaultHTML)
			resp = &Response{Status: 200, Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, Body: []byte(htmlPage)}
		case rs.Status != 0 || rs.Body != "":
			faults = append(faults, FaultStatus)
			st := rs.Status
			if st == 0 {
				st = 200
			}
			resp = &Response{Status: st, Header: http.Header{}, Body: []byte(rs.Body)}
		}
		if resp != nil && len(rs.Header) > 0 {
			if resp.Header == nil {
				resp.Header = http.Header{}
			}
			for k, v := range rs.Header {
				resp.Header.Set(k, v)
			}
		}
	}
	if resp == nil {
		resp = d.Serve(x)
		if resp == nil {
			resp = &Response{Status: http.StatusNotFound}
		}
		if rule != nil {
			rs := rule.Respond
			if len(rs.Omit) > 0 {
				if b, ok := omitFields(resp.Body, rs.Omit); ok {
					resp.Body = b
					faults = append(faults, FaultOmit)
				}
			}
			if rs.NonJSON {
				resp.Body = []byte(nonJSONBody)
				faults = append(faults, FaultNonJSON)
			}
			for k, v := range rs.Header {
				if resp.Header == nil {
					resp.Header = http.Header{}
				}
				resp.Header.Set(k, v)
			}
			if rs.Truncate {
				faults = append(faults, FaultTruncate)
				entry.Faults = faults
				entry.Issued = x.Issued
				entry.Unmocked = x.Unmocked
				entry.Note = strings.TrimSpace(x.Note + " body truncated, connection closed")
				p.writeTruncated(w, resp, &entry, start, journal)
				return
			}
		}
	}
	entry.Faults = faults
	entry.Issued = x.Issued
	entry.Refusal = x.Refusal
	entry.Unmocked = x.Unmocked
	entry.Note = strings.TrimSpace(entry.Note + " " + x.Note)
	p.finish(w, resp, &entry, start, journal)
}

const htmlPage = `<!DOCTYPE html>
<html><head><title>Maintenance</title></head>
<body><h1>Service temporarily unavailable</h1><p>We are performing scheduled maintenance. Please try again later.</p></body></html>
`

const nonJSONBody = "upstream connect error or disconnect/reset before headers. reset reason: connection termination"

// omitFields removes fields from a JSON object body, keeping key order.
func omitFields(body []byte, fields []string) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	first := true
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		k := kt.(string)
		if oneOf(k, fields) {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(raw)
	}
	buf.WriteByte('}')
	return buf.Bytes(), true
}

func (p *Provider) record(e *Entry, start time.Time, j *Journal) {
	e.Duration = time.Since(start)
	*e = j.Append(*e)
	if p.Observer != nil {
		p.Observer(e, p.Redactor())
	}
	if p.Logger != nil {
		p.Logger(p.Redactor().Entry(*e))
	}
}

func (p *Provider) finish(w http.ResponseWriter, resp *Response, e *Entry, start time.Time, j *Journal) {
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
	e.Status = resp.Status
	// h, not a copy: WriteHeader has taken net/http's (and the
	// recorder's) own snapshot, and h is not written to again.
	e.ResponseHeader = h
	e.ResponseBody = string(resp.Body)
	p.record(e, start, j)
}

func (p *Provider) writeTruncated(w http.ResponseWriter, resp *Response, e *Entry, start time.Time, j *Journal) {
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	half := resp.Body[:len(resp.Body)/2]
	e.Status = resp.Status
	e.ResponseHeader = h.Clone()
	e.ResponseBody = string(half)
	p.record(e, start, j)
	// Announce the whole length, send half, then cut the connection: the
	// client sees an unexpected end of body.
	h.Set("Content-Length", fmt.Sprint(len(resp.Body)))
	if resp.Status == 0 {
		resp.Status = 200
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(half)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	dropConnection(w)
}

// errDropped is what an in-process client sees for a dropped connection.
var errDropped = errors.New("mockprovider: connection closed by the server without a response")

// dropConnection closes the underlying connection. Writers that cannot be
// hijacked (the httpmock adapter's recorder) are marked instead.
func dropConnection(w http.ResponseWriter) {
	if d, ok := w.(interface{ drop() }); ok {
		d.drop()
		return
	}
	rc := http.NewResponseController(w)
	conn, _, err := rc.Hijack()
	if err != nil {
		// HTTP/2 and other writers: abort the handler, which resets the
		// stream.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
