package mockprovider

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Dialect is one provider's wire format: its hosts, paths, token formats,
// success bodies and error catalogue. A dialect holds no token state; it
// asks the Exchange's Provider for that, so one dialect value can serve
// several providers in turn.
type Dialect interface {
	// Name is the provider's name in scenarios and reports ("salesforce").
	Name() string
	// Hosts lists the real host names the provider answers for. A name
	// starting with "*." matches any subdomain.
	Hosts() []string
	// Defaults returns the configuration a scenario starts from: token
	// policy, registered client, scope.
	Defaults() Config
	// TokenFormat makes token values that look like the provider's.
	TokenFormat() TokenFormat
	// Classify sets x.Kind, and where they apply x.Grant, x.Token and
	// x.TokenWhere, without changing any state.
	Classify(x *Exchange)
	// Serve answers a request the scripts left alone.
	Serve(x *Exchange) *Response
	// Error renders a named error of the catalogue for x.
	Error(name string, x *Exchange) (*Response, bool)
	// Errors lists the catalogue.
	Errors() []ErrorInfo
	// Reset forgets per-run state the dialect keeps (a moved instance).
	Reset()
	// Info describes the provider to the rest of refreshproof (the
	// harness, the rules, the CLI), so that they need not know it by name.
	Info() Info
}

// Info is what refreshproof needs to know about a provider beyond its
// wire format. Adding a provider means a dialect package that answers it,
// and scenarios for the catalogue; nothing else switches on a provider's
// name.
type Info struct {
	// Name is the provider's name in scenarios, flags and reports.
	Name string `json:"name"`
	// Title is the provider as people name it: "Salesforce".
	Title string `json:"title"`
	// ClientIDEnv and ClientSecretEnv are the environment variables the
	// platform's components read the OAuth client from, most common first.
	ClientIDEnv     []string `json:"clientIdEnv"`
	ClientSecretEnv []string `json:"clientSecretEnv"`
	// AuthSchemes are the Authorization schemes the API accepts an access
	// token with, lower case ("bearer"; Salesforce also "oauth").
	AuthSchemes []string `json:"authSchemes"`
	// InstanceURL is true when token responses say where the API lives
	// (Salesforce's instance_url) and clients must follow it.
	InstanceURL bool `json:"instanceUrl,omitempty"`
	// OmitsRefreshToken is true when refresh responses carry no
	// refresh_token unless the provider rotates it (Salesforce), so a
	// client must keep the one it has.
	OmitsRefreshToken bool `json:"omitsRefreshToken,omitempty"`
	// TokenPath is the token endpoint's path and APIBase the API root's,
	// under the provider's base URL, as the dialect is configured.
	TokenPath string `json:"tokenPath"`
	APIBase   string `json:"apiBase"`
	// TokenURL and AuthURL are the real token and authorization endpoints
	// (components redirected to the mock call these).
	TokenURL string `json:"tokenUrl"`
	AuthURL  string `json:"authUrl"`
}

// ErrorInfo describes one named error of a dialect's catalogue.
type ErrorInfo struct {
	Name        string `json:"name"`
	Status      int    `json:"status"`
	Endpoint    Kind   `json:"endpoint"`
	Description string `json:"description"`
}

// ErrorNames lists the names of d's error catalogue.
func ErrorNames(d Dialect) []string {
	errs := d.Errors()
	names := make([]string, len(errs))
	for i, e := range errs {
		names[i] = e.Name
	}
	return names
}

func findError(d Dialect, name string) (ErrorInfo, bool) {
	for _, e := range d.Errors() {
		if e.Name == name {
			return e, true
		}
	}
	return ErrorInfo{}, false
}

// Client is an OAuth client registered with the provider.
type Client struct {
	ID     string `json:"id"`
	Secret string `json:"secret,omitempty"`
	// Public clients have no secret and must not send one.
	Public bool `json:"public,omitempty"`
}

// Response is a dialect's answer. Header may be nil; it is not to be
// changed once the Response is returned (the journal keeps it, not a
// copy).
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Exchange is one request as the dialect sees it.
type Exchange struct {
	Request *http.Request
	// Host is the provider host the request was meant for, lower case and
	// without port. A request sent straight to the mock's own address
	// (not redirected) has Host "", and dialects route it by path alone.
	Host string
	// Path is the request path with any /__host/{name} prefix removed.
	Path string
	// Body is the request body, read in full (bounded by the provider's
	// request limit).
	Body []byte
	// Kind, Grant, Token and TokenWhere are set by Dialect.Classify.
	Kind       Kind
	Grant      string
	Token      string
	TokenWhere string
	// Ordinal counts requests of the same endpoint from 1.
	Ordinal int
	// Presented is the authority's view of Token when the request arrived.
	Presented Token
	// RefreshBusy is set, for a refresh request, when another refresh with
	// the same refresh token was still being answered on arrival and the
	// policy rejects concurrent refreshes (a *RefreshError with
	// FailInFlight). The provider marks refreshes in flight from arrival,
	// before any scripted delay, so dialects must not call BeginRefresh.
	RefreshBusy error
	// Issued collects the labels of tokens the answer hands out; dialects
	// append to it.
	Issued []string
	// Refusal is set by a dialect when the authority refused the refresh
	// (the Failure of its *RefreshError); it reaches the journal entry.
	Refusal RefreshFailure
	// Unmocked is set by a dialect when it answered with the provider's
	// error for a path it does not serve (Graph's 400 for an unknown
	// segment, Salesforce's NOT_FOUND), after the same token checks as a
	// served path; it reaches the journal entry, so that a report can tell
	// a path the mock lacks from an error the provider would send.
	Unmocked bool
	// Note is added to the journal entry.
	Note string

	Provider *Provider
	form     url.Values
}

// Form parses the body as application/x-www-form-urlencoded. ok is false
// when the content type is another one or the body does not parse.
func (x *Exchange) Form() (url.Values, bool) {
	if x.form != nil {
		return x.form, true
	}
	ct := strings.ToLower(x.Request.Header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return nil, false
	}
	v, err := url.ParseQuery(string(x.Body))
	if err != nil {
		return nil, false
	}
	x.form = v
	return v, true
}

// ReadTokenForm reads an RFC 6749 token request: it sets x.Grant from the
// form's grant_type and, for a refresh (§6), x.Token and x.TokenWhere
// from refresh_token. It reports false when the body is not a form.
//
// A form that repeats grant_type or refresh_token names no token: the
// request is malformed (RepeatedParam) and will be refused, so it must
// not count as a refresh of that token in flight.
func (x *Exchange) ReadTokenForm() bool {
	f, ok := x.Form()
	if !ok {
		return false
	}
	x.Grant = f.Get("grant_type")
	if len(f["grant_type"]) > 1 || len(f["refresh_token"]) > 1 {
		return true
	}
	if rt := f.Get("refresh_token"); x.Grant == "refresh_token" && rt != "" {
		x.Token, x.TokenWhere = rt, "form"
	}
	return true
}

// RepeatedParam returns the name of a parameter the form body gives more
// than once (the first in sorted order), or "". RFC 6749 §3.1 and §3.2:
// request parameters "MUST NOT be included more than once", and §5.2
// answers a request that "repeats a parameter" with invalid_request.
func (x *Exchange) RepeatedParam() string {
	f, ok := x.Form()
	if !ok {
		return ""
	}
	var names []string
	for k, v := range f {
		if len(v) > 1 {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	return names[0]
}

// BasicAuth returns the client credentials of an Authorization: Basic
// header, decoded per RFC 6749 §2.3.1 (form-encoded id and secret).
func (x *Exchange) BasicAuth() (id, secret string, ok bool) {
	h := x.Request.Header.Get("Authorization")
	if len(h) < 6 || !strings.EqualFold(h[:6], "basic ") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[6:]))
	if err != nil {
		return "", "", false
	}
	id, secret, ok = strings.Cut(string(raw), ":")
	if !ok {
		return "", "", false
	}
	if u, err := url.QueryUnescape(id); err == nil {
		id = u
	}
	if u, err := url.QueryUnescape(secret); err == nil {
		secret = u
	}
	return id, secret, true
}

// BearerToken returns the token of an Authorization header with one of the
// given schemes (compared without case), and the scheme found.
func (x *Exchange) BearerToken(schemes ...string) (token, scheme string) {
	h := x.Request.Header.Get("Authorization")
	s, t, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		return "", ""
	}
	for _, want := range schemes {
		if strings.EqualFold(s, want) {
			return strings.TrimSpace(t), strings.ToLower(want)
		}
	}
	return "", ""
}

// ClientCheck is the outcome of authenticating a client.
type ClientCheck int

const (
	ClientOK ClientCheck = iota
	ClientUnknown
	ClientBadSecret
	ClientMissingSecret
	// ClientSecretNotAllowed: a public client sent a secret.
	ClientSecretNotAllowed
	ClientMissingID
)

// CheckClient authenticates the client of a token request: credentials in
// the Basic header or in the body (client_id, client_secret), as both
// providers accept. It returns the client ID found.
func (x *Exchange) CheckClient() (string, ClientCheck) {
	id, secret, basic := x.BasicAuth()
	if !basic {
		f, _ := x.Form()
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	if id == "" {
		return "", ClientMissingID
	}
	c, ok := x.Provider.client(id)
	if !ok {
		return id, ClientUnknown
	}
	switch {
	case c.Public && secret != "":
		return id, ClientSecretNotAllowed
	case c.Public:
		return id, ClientOK
	case secret == "":
		return id, ClientMissingSecret
	case subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1:
		// Constant time, so that the time an answer takes tells a caller
		// on the network nothing about how much of a guess was right.
		return id, ClientBadSecret
	}
	return id, ClientOK
}

// URL returns the base URL (scheme and host, no trailing slash) clients
// must use to reach host: the real https://host when the component's
// traffic is redirected to the mock, else an address of the mock.
func (x *Exchange) URL(host string) string { return x.Provider.url(host) }

// GrantResponder is implemented by dialects that can render the token
// response that handed out a grant: what the platform stored when the user
// signed in and it exchanged the authorization code. The harness seeds an
// account's keys with it.
type GrantResponder interface {
	GrantResponse(p *Provider, g Grant) ([]byte, error)
}

// NewExchange returns an exchange for a request that did not come over
// HTTP, for dialects rendering a body outside ServeHTTP.
func NewExchange(p *Provider, r *http.Request) *Exchange {
	return &Exchange{Request: r, Provider: p, Path: r.URL.Path}
}
