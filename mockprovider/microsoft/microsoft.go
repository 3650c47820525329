// Package microsoft is the Microsoft dialect of the mock provider: the
// Microsoft identity platform v2 token endpoint
// (login.microsoftonline.com/{tenant}/oauth2/v2.0/token and /authorize)
// and the mail part of Microsoft Graph (graph.microsoft.com/v1.0/me...),
// answering as the real services do on the wire (reference/providers.md
// section B).
//
// The dialect keeps no token state: the provider's Authority issues and
// judges tokens. The dialect only remembers authorization codes it handed
// out and which token families came from the client credentials grant.
package microsoft

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// Host names the dialect answers for.
const (
	LoginHost = "login.microsoftonline.com"
	GraphHost = "graph.microsoft.com"
)

// Options configures the dialect; the zero value is a multi-tenant web
// app (a confidential client whose refresh tokens expire after 90 days of
// inactivity).
type Options struct {
	// Tenants are the {tenant} path segments the token and authorize
	// endpoints accept. Empty accepts common, organizations, consumers,
	// any GUID and any domain name; the endpoint answers AADSTS90002 for
	// any other well-formed tenant.
	Tenants []string
	// SPA makes refresh tokens single-page-app tokens: the family has a
	// fixed 24h deadline, after which a refresh gets AADSTS700084 instead
	// of AADSTS700082. The core models the deadline with
	// Policy.FamilyLifetime, which Defaults sets to 24h; the default
	// client is then public, as SPAs are.
	SPA bool
	// ExpiredMessage picks the message of Graph's 401 for an expired
	// access token: "" is "Lifetime validation failed, the token is
	// expired.", "legacy" is "Access token has expired or is not yet
	// valid." and also picks the legacy "CompactToken parsing failed"
	// message for malformed tokens; any other value is used verbatim.
	ExpiredMessage string
	// NoIDToken omits id_token from token responses.
	NoIDToken bool
	// PageSize is Graph's default page size for message lists. Zero
	// means 10, as Graph's.
	PageSize int
}

// Dialect is the Microsoft dialect. Create it with New; it is safe for
// concurrent use.
type Dialect struct {
	opts Options

	mu sync.Mutex
	// codes are the authorization codes /authorize handed out, by value.
	codes map[string]*authCode
	// appOnly are the families minted by the client credentials grant;
	// Graph refuses /me to their access tokens.
	appOnly map[string]bool
	// graph is what the run changed on Graph (events, the drive).
	graph *graphState
}

// New returns the dialect configured by o.
func New(o Options) *Dialect {
	o.Tenants = append([]string(nil), o.Tenants...)
	d := &Dialect{opts: o}
	d.Reset()
	return d
}

var _ mockprovider.Dialect = (*Dialect)(nil)

// Name returns "microsoft".
func (d *Dialect) Name() string { return "microsoft" }

// Info describes the Microsoft identity platform with Graph: the client
// variables of elastic.io's Microsoft components, Bearer only, and the
// token path of the first configured tenant.
func (d *Dialect) Info() mockprovider.Info {
	tenant := "common"
	if len(d.opts.Tenants) > 0 {
		tenant = d.opts.Tenants[0]
	}
	return mockprovider.Info{
		Name: "microsoft", Title: "Microsoft",
		ClientIDEnv:     []string{"OAUTH_CLIENT_ID", "MSAPP_CLIENT_ID"},
		ClientSecretEnv: []string{"OAUTH_CLIENT_SECRET", "MSAPP_CLIENT_SECRET"},
		AuthSchemes:     []string{"bearer"},
		TokenPath:       "/" + tenant + "/oauth2/v2.0/token", APIBase: "/v1.0",
		TokenURL: "https://" + LoginHost + "/" + tenant + "/oauth2/v2.0/token", AuthURL: "https://" + LoginHost + "/" + tenant + "/oauth2/v2.0/authorize",
	}
}

// Hosts returns the identity platform's and Graph's host names.
func (d *Dialect) Hosts() []string { return []string{LoginHost, GraphHost} }

// Default client and account. The client ID is a made-up app
// registration; the account is Graph's documentation user Megan Bowen in
// the M365x214355 demo tenant.
const (
	DefaultClientID     = "3f9c6e2a-8b71-4d2e-9a5c-1e7b4d8f6a20"
	DefaultClientSecret = "Gm38Q~vT2.dK9pLwZ_rX4nB7cY1qH6sJ0eF5uA~i" // 40 chars, the shape of Entra client secret values
	DefaultScope        = "openid profile offline_access https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read"

	tenantID   = "dcd219dd-bc68-4b9b-bf0b-4a33a796be35"
	tenantName = "M365x214355.onmicrosoft.com"
	userID     = "48d31887-5fad-4d73-a9f5-3c356e68a038"
	userName   = "Megan Bowen"
	userUPN    = "MeganB@M365x214355.onmicrosoft.com"
	appName    = "refreshproof test app"
	// graphAppID is Microsoft Graph's application ID, the client_id of
	// its WWW-Authenticate challenge and the audience of its tokens.
	graphAppID = "00000003-0000-0000-c000-000000000000"
	// signingKid is the key ID in token headers; nothing verifies it.
	signingKid = "XRvko8P7A3UaWSnU7bM9nT0MjhA"
)

// Defaults returns the identity platform's token policy (access tokens
// of 3599 s plus up to 30 min, refresh tokens rotated on every use with
// the old ones kept valid, 90 days of inactivity), one confidential client
// and Graph mail scopes. With Options.SPA the family lives 24h and the
// client is public.
func (d *Dialect) Defaults() mockprovider.Config {
	p := mockprovider.Policy{
		AccessTokenLifetime: 3599 * time.Second,
		AccessTokenJitter:   1800 * time.Second,
		RefreshTokenIdle:    90 * 24 * time.Hour,
		Rotation:            mockprovider.RotateKeepOld,
	}
	client := mockprovider.Client{ID: DefaultClientID, Secret: DefaultClientSecret}
	if d.opts.SPA {
		p.FamilyLifetime = 24 * time.Hour
		client = mockprovider.Client{ID: DefaultClientID, Public: true}
	}
	return mockprovider.Config{Policy: &p, Clients: []mockprovider.Client{client}, Scope: DefaultScope}
}

// TokenFormat makes work-or-school style tokens: access tokens look like
// the JWTs Graph receives (header with a nonce, so the signature would
// not verify anyway; clients must treat them as opaque), refresh tokens
// are opaque "1.A..." strings, shortened from the real ~1 KB to keep
// journals small.
func (d *Dialect) TokenFormat() mockprovider.TokenFormat {
	return func(kind mockprovider.TokenKind, n int, rnd func(int) string) string {
		if kind == mockprovider.RefreshToken {
			return "1.AVEA" + rnd(64) + "-" + rnd(72) + "_" + rnd(56)
		}
		header := fmt.Sprintf(`{"typ":"JWT","nonce":"%s","alg":"RS256","x5t":"%s","kid":"%s"}`, rnd(43), signingKid, signingKid)
		// The format is not told when the token is issued, so the payload
		// has no iat/nbf/exp; n keeps it unique on its own.
		payload := fmt.Sprintf(`{"aud":"%s","iss":"https://sts.windows.net/%s/","app_displayname":"%s","idtyp":"user","oid":"%s","tid":"%s","uti":"%s","ver":"1.0","xms_st":{"sub":"%d"}}`,
			graphAppID, tenantID, appName, userID, tenantID, rnd(22), n)
		return b64(header) + "." + b64(payload) + "." + rnd(86)
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// route is where a request goes.
type route struct {
	kind   mockprovider.Kind
	tenant string
	// version is "v1.0" or "beta" and segs the path segments after it,
	// for Graph.
	version string
	segs    []string
}

// parseRoute routes by host and path. A request for the login host
// reaches only the identity endpoints and one for Graph only Graph; a
// request with no host (straight to the mock's loopback address) is
// routed by path alone.
func parseRoute(host, path string) route {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if n := len(segs); n > 1 && segs[n-1] == "" {
		segs = segs[:n-1] // a trailing slash
	}
	identity := host == "" || host == LoginHost
	graph := host == "" || host == GraphHost
	// The identity platform matches paths without case.
	if identity && len(segs) == 4 && segs[0] != "" && strings.EqualFold(segs[1], "oauth2") && strings.EqualFold(segs[2], "v2.0") {
		switch strings.ToLower(segs[3]) {
		case "token":
			return route{kind: mockprovider.KindToken, tenant: segs[0]}
		case "authorize":
			return route{kind: mockprovider.KindAuthorize, tenant: segs[0]}
		}
	}
	if graph && len(segs) >= 1 {
		switch v := strings.ToLower(segs[0]); v {
		case "v1.0", "beta":
			return route{kind: mockprovider.KindAPI, version: v, segs: segs[1:]}
		}
	}
	return route{kind: mockprovider.KindUnknown}
}

// Classify routes x and names its grant and token without changing any
// state. The token endpoint is KindToken whatever the method, so that a
// GET sent to it is journaled and scripted as a token request. Graph
// takes the access token from the Authorization header only; one sent as
// ?access_token= is classified with TokenWhere "query" so rules can see
// it, and answered as missing.
func (d *Dialect) Classify(x *mockprovider.Exchange) {
	r := parseRoute(x.Host, x.Path)
	x.Kind = r.kind
	switch r.kind {
	case mockprovider.KindToken:
		x.ReadTokenForm()
	case mockprovider.KindAPI:
		if t, _ := x.BearerToken("Bearer"); t != "" {
			x.Token, x.TokenWhere = t, "bearer"
		} else if t := x.Request.URL.Query().Get("access_token"); t != "" {
			x.Token, x.TokenWhere = t, "query"
		}
	}
}

// Serve answers a request no scripted rule replaced.
func (d *Dialect) Serve(x *mockprovider.Exchange) *mockprovider.Response {
	r := parseRoute(x.Host, x.Path)
	switch r.kind {
	case mockprovider.KindToken:
		return d.serveToken(x, r)
	case mockprovider.KindAuthorize:
		return d.serveAuthorize(x, r)
	case mockprovider.KindAPI:
		return d.serveGraph(x, r)
	}
	return d.serveUnknown(x)
}

// serveUnknown answers a path the dialect does not serve. Graph names the
// bad version segment; the login host answers a bare 404.
func (d *Dialect) serveUnknown(x *mockprovider.Exchange) *mockprovider.Response {
	if x.Host == GraphHost {
		seg, _, _ := strings.Cut(strings.TrimPrefix(x.Path, "/"), "/")
		return d.graphError(x, http.StatusBadRequest, "BadRequest", "Invalid version: "+seg, nil)
	}
	return &mockprovider.Response{
		Status: http.StatusNotFound,
		Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}},
		Body:   []byte("<!DOCTYPE html><html><head><title>404 - Not Found</title></head><body><h1>404 - Not Found</h1></body></html>"),
	}
}

// Reset forgets the authorization codes and app-only families.
func (d *Dialect) Reset() {
	d.mu.Lock()
	d.codes = map[string]*authCode{}
	d.appOnly = map[string]bool{}
	d.graph = newGraphState()
	d.mu.Unlock()
}

func (d *Dialect) pageSize() int {
	if d.opts.PageSize > 0 {
		return d.opts.PageSize
	}
	return 10
}

// now is the provider's virtual time in UTC.
func now(x *mockprovider.Exchange) time.Time { return x.Provider.Clock().Now().UTC() }

// pairwise derives a stable opaque identifier from parts, as the
// identity platform's per-app "sub" claim is.
func pairwise(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func decodeStd(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	return string(b), err
}

// state returns the run's Graph state; Reset replaces it.
func (d *Dialect) state() *graphState {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.graph
}
