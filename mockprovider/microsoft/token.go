package microsoft

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// serveToken answers POST /{tenant}/oauth2/v2.0/token (entra-docs
// v2-oauth2-auth-code-flow.md). Checks run in the service's order: method,
// tenant, body and grant_type, required parameters, client
// authentication, then the grant itself.
func (d *Dialect) serveToken(x *mockprovider.Exchange, r route) *mockprovider.Response {
	c := &errCtx{tenant: r.tenant, method: x.Request.Method}
	switch x.Request.Method {
	case http.MethodPost:
	case http.MethodOptions:
		// A browser's CORS preflight: SPAs redeem tokens cross-origin.
		return &mockprovider.Response{Status: http.StatusOK, Header: http.Header{
			"Access-Control-Allow-Origin":  {"*"},
			"Access-Control-Allow-Methods": {"POST, OPTIONS"},
		}}
	default:
		return d.tokenError(x, "AADSTS900561", c)
	}
	if bad := d.checkTenant(r.tenant); bad != "" {
		return d.tokenError(x, bad, c)
	}
	// A body that is not a form (JSON, say) has no grant_type as far as
	// the service is concerned.
	f, ok := x.Form()
	if !ok {
		f = nil
	}
	if name := x.RepeatedParam(); name != "" {
		c.param = name
		return d.tokenError(x, "AADSTS9000411", c)
	}
	c.grant = f.Get("grant_type")
	if c.grant == "" {
		c.param = "grant_type"
		return d.tokenError(x, "AADSTS900144", c)
	}
	var required []string
	switch c.grant {
	case "refresh_token":
		required = []string{"refresh_token"}
	case "authorization_code":
		required = []string{"code", "redirect_uri"}
	case "client_credentials":
		required = []string{"scope"}
	default:
		return d.tokenError(x, "AADSTS70003", c)
	}
	clientID, check := x.CheckClient()
	c.clientID = clientID
	if check == mockprovider.ClientMissingID {
		c.param = "client_id"
		return d.tokenError(x, "AADSTS900144", c)
	}
	for _, p := range required {
		if f.Get(p) == "" {
			c.param = p
			return d.tokenError(x, "AADSTS900144", c)
		}
	}
	switch check {
	case mockprovider.ClientUnknown:
		return d.tokenError(x, "AADSTS700016", c)
	case mockprovider.ClientBadSecret:
		return d.tokenError(x, "AADSTS7000215", c)
	case mockprovider.ClientMissingSecret:
		return d.tokenError(x, "AADSTS7000218", c)
	case mockprovider.ClientSecretNotAllowed:
		return d.tokenError(x, "AADSTS700025", c)
	}
	switch c.grant {
	case "refresh_token":
		return d.refresh(x, f.Get("refresh_token"), f.Get("scope"), c)
	case "authorization_code":
		return d.redeemCode(x, f, c)
	}
	return d.clientCredentials(x, f.Get("scope"), c)
}

// refresh redeems a refresh token. Under the service's policy every
// refresh returns a new refresh token and the old one stays valid.
func (d *Dialect) refresh(x *mockprovider.Exchange, rt, scope string, c *errCtx) *mockprovider.Response {
	// The provider marks the refresh in flight on arrival; RefreshBusy
	// says another one with the same token was still being answered.
	if x.RefreshBusy != nil {
		return d.refreshFailed(x, x.RefreshBusy, c)
	}
	auth := x.Provider.Authority()
	// The scope is judged before the token is redeemed so that a refused
	// request issues nothing.
	if tok, ok := auth.Inspect(rt); ok && tok.Kind == mockprovider.RefreshToken && tok.ClientID == c.clientID &&
		(tok.State == mockprovider.StateValid || tok.State == mockprovider.StateSuperseded) {
		if name, bad := checkScope(tok.Scope, scope); name != "" {
			c.tok, c.scope = tok, bad
			return d.tokenError(x, name, c)
		}
	}
	g, err := auth.Refresh(rt, c.clientID)
	if err != nil {
		return d.refreshFailed(x, err, c)
	}
	return d.tokenResponse(x, g, c.clientID, scope, true)
}

// refreshFailed maps the authority's refusal to the service's error.
func (d *Dialect) refreshFailed(x *mockprovider.Exchange, err error, c *errCtx) *mockprovider.Response {
	var re *mockprovider.RefreshError
	if !errors.As(err, &re) {
		return d.tokenError(x, "AADSTS9002313", c)
	}
	c.tok = re.Token
	x.Refusal = re.Failure
	x.Note = strings.TrimSpace(x.Note + " refresh refused: " + string(re.Failure))
	switch re.Failure {
	case mockprovider.FailExpired:
		if d.opts.SPA {
			return d.tokenError(x, "AADSTS700084", c)
		}
		return d.tokenError(x, "AADSTS700082", c)
	case mockprovider.FailRevoked, mockprovider.FailReuseDetected, mockprovider.FailRotated:
		return d.tokenError(x, "AADSTS50173", c)
	case mockprovider.FailWrongClient:
		return d.tokenError(x, "AADSTS70000", c)
	case mockprovider.FailInFlight:
		// The service never refuses concurrent refreshes; a scenario that
		// asks for it gets the service's only transient token error.
		return d.tokenError(x, "AADSTS50196", c)
	}
	return d.tokenError(x, "AADSTS9002313", c)
}

// tokenResponse is the success body: compact JSON in the service's key
// order token_type, scope, expires_in, ext_expires_in, access_token,
// refresh_token, id_token (providers.md B.2). requested is the scope the
// request asked for ("" for none). delegated is false for an app-only
// token, whose response names no scope and carries only the access token.
func (d *Dialect) tokenResponse(x *mockprovider.Exchange, g mockprovider.Grant, clientID, requested string, delegated bool) *mockprovider.Response {
	body := obj{{"token_type", "Bearer"}}
	oidc, resources := grantedScope(g.Scope, requested)
	if delegated {
		body = append(body, field{"scope", strings.Join(append(oidc, resources...), " ")})
	}
	expires := int64(g.Access.ExpiresAt.Sub(g.IssuedAt) / time.Second)
	body = append(body, field{"expires_in", expires}, field{"ext_expires_in", expires}, field{"access_token", g.Access.Value})
	x.Issued = append(x.Issued, g.Access.Label)
	// A refresh token comes only with offline_access consented.
	if delegated && g.RefreshIssued && hasScope(g.Scope, "offline_access") {
		body = append(body, field{"refresh_token", g.Refresh.Value})
		x.Issued = append(x.Issued, g.Refresh.Label)
	}
	if delegated && !d.opts.NoIDToken && slices.Contains(oidc, "openid") {
		id := idToken(clientID, g.IssuedAt)
		x.Provider.Credential(id, "ID_TOKEN")
		body = append(body, field{"id_token", id})
	}
	return &mockprovider.Response{Status: http.StatusOK, Header: estsHeader(x, x.Provider.UUID(), 0), Body: marshal(body)}
}

// idToken makes an ID token of the v2 shape. The signature is a digest,
// not RS256: relying parties that validate ID tokens fetch the service's
// keys, which the mock does not publish.
func idToken(clientID string, iat time.Time) string {
	header := `{"typ":"JWT","alg":"RS256","kid":"` + signingKid + `"}`
	payload := marshal(obj{
		{"aud", clientID},
		{"iss", "https://" + LoginHost + "/" + tenantID + "/v2.0"},
		{"iat", iat.Unix()},
		{"nbf", iat.Unix()},
		{"exp", iat.Add(time.Hour).Unix()},
		{"name", userName},
		{"oid", userID},
		{"preferred_username", userUPN},
		{"sub", pairwise(clientID, userID)},
		{"tid", tenantID},
		{"ver", "2.0"},
	})
	input := b64(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig := sha512.Sum512([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(sig[:])
}

// Tenants.

// Patterns are compiled on first use, not when the package initialises:
// every command of the binary pays its packages' initialisation at start.
var (
	guidPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
	})
	domainPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?i:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	})
)

// checkTenant returns the error for a tenant segment the endpoint does
// not accept, or "". A segment that is no tenant identifier at all is
// AADSTS900023; a well-formed one not configured is AADSTS90002.
func (d *Dialect) checkTenant(t string) string {
	wellFormed := guidPattern().MatchString(t) || domainPattern().MatchString(t)
	switch strings.ToLower(t) {
	case "common", "organizations", "consumers":
		wellFormed = true
	}
	if len(d.opts.Tenants) == 0 {
		if wellFormed {
			return ""
		}
		return "AADSTS900023"
	}
	for _, want := range d.opts.Tenants {
		if strings.EqualFold(want, t) {
			return ""
		}
	}
	if wellFormed {
		return "AADSTS90002"
	}
	return "AADSTS900023"
}

// Scopes. A Graph permission may be named in full
// (https://graph.microsoft.com/Mail.Read), by Graph's app ID or bare
// (Mail.Read); the OpenID Connect scopes openid, profile, email and
// offline_access need no permission.

const graphResource = "https://" + GraphHost + "/"

var oidcOrder = []string{"email", "openid", "profile", "offline_access"}

func isOIDC(s string) bool { return slices.Contains(oidcOrder, strings.ToLower(s)) }

// graphScope returns s in its full Graph form, or ok false for a scope of
// another resource.
func graphScope(s string) (full string, ok bool) {
	ls := strings.ToLower(s)
	switch {
	case strings.HasPrefix(ls, graphResource):
		return graphResource + s[len(graphResource):], true
	case strings.HasPrefix(ls, graphAppID+"/"):
		return graphResource + s[len(graphAppID)+1:], true
	case !strings.ContainsAny(s, "/:"):
		return graphResource + s, true
	}
	return s, false
}

func hasScope(scope, want string) bool {
	for _, s := range strings.Fields(scope) {
		if strings.EqualFold(s, want) {
			return true
		}
	}
	return false
}

// checkScope judges the scope of a refresh against the family's grant,
// returning the error name and the offending scope, or "". Omitted, the
// grant's scopes apply. A Graph permission outside the grant is a consent
// error (AADSTS65001), as the service answers for a permission the user
// never consented to; a scope of any other resource is invalid
// (AADSTS70011), since the mock knows no other resource. The service
// compares without case.
func checkScope(granted, requested string) (name, bad string) {
	for _, s := range strings.Fields(requested) {
		if isOIDC(s) {
			continue
		}
		full, ok := graphScope(s)
		if !ok {
			return "AADSTS70011", s
		}
		if strings.EqualFold(full, graphResource+".default") {
			continue
		}
		found := false
		for _, g := range strings.Fields(granted) {
			if gf, ok := graphScope(g); ok && !isOIDC(g) && strings.EqualFold(gf, full) {
				found = true
				break
			}
		}
		if !found {
			return "AADSTS65001", s
		}
	}
	return "", ""
}

// grantedScope returns the scope a token response names: the OpenID
// scopes requested (all the grant's when the request named none) without
// offline_access, which the service does not echo, then every Graph
// permission of the grant, since a Graph token carries all the consented
// ones whatever the request named. Both parts are sorted as the service
// sorts them (providers.md B.2 capture: "email openid profile
// https://graph.microsoft.com/AuditLog.Read.All ...").
func grantedScope(granted, requested string) (oidc, resources []string) {
	from := requested
	if strings.TrimSpace(from) == "" {
		from = granted
	}
	for _, o := range oidcOrder[:3] {
		if hasScope(from, o) {
			oidc = append(oidc, o)
		}
	}
	for _, g := range strings.Fields(granted) {
		if isOIDC(g) {
			continue
		}
		full, _ := graphScope(g)
		if !slices.ContainsFunc(resources, func(r string) bool { return strings.EqualFold(r, full) }) {
			resources = append(resources, full)
		}
	}
	slices.SortFunc(resources, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return oidc, resources
}

// The client credentials grant: an app-only token for Graph.

func (d *Dialect) clientCredentials(x *mockprovider.Exchange, scope string, c *errCtx) *mockprovider.Response {
	c.scope = scope
	if c.clientID != "" {
		if cl, ok := findClient(x, c.clientID); ok && cl.Public {
			return d.tokenError(x, "AADSTS7000218", c)
		}
	}
	fields := strings.Fields(scope)
	if len(fields) != 1 || !strings.HasSuffix(fields[0], "/.default") {
		return d.tokenError(x, "AADSTS1002012", c)
	}
	if full, ok := graphScope(fields[0]); !ok || !strings.EqualFold(full, graphResource+".default") {
		return d.tokenError(x, "AADSTS70011", c)
	}
	g := x.Provider.Authority().Mint(c.clientID, graphResource+".default")
	d.mu.Lock()
	d.appOnly[g.Family] = true
	d.mu.Unlock()
	return d.tokenResponse(x, g, c.clientID, "", false)
}

func findClient(x *mockprovider.Exchange, id string) (mockprovider.Client, bool) {
	for _, cl := range x.Provider.Config().Clients {
		if cl.ID == id {
			return cl, true
		}
	}
	return mockprovider.Client{}, false
}

// s256 is the PKCE S256 transform (RFC 7636 §4.2).
func s256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// GrantResponse renders the authorization-code token response for g, as
// the platform received it when the user signed in.
func (d *Dialect) GrantResponse(p *mockprovider.Provider, g mockprovider.Grant) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, "/common/oauth2/v2.0/token", nil)
	if err != nil {
		return nil, err
	}
	x := mockprovider.NewExchange(p, req)
	return d.tokenResponse(x, g, p.Client().ID, g.Scope, true).Body, nil
}
