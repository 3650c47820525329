package salesforce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// Serve answers a request the scripts left alone.
func (d *Dialect) Serve(x *mockprovider.Exchange) *mockprovider.Response {
	switch x.Kind {
	case mockprovider.KindToken:
		return d.serveToken(x)
	case mockprovider.KindRevoke:
		return d.serveRevoke(x)
	case mockprovider.KindAuthorize:
		return d.serveAuthorize(x)
	case mockprovider.KindIdentity:
		return d.serveIdentity(x)
	case mockprovider.KindAPI:
		return d.serveAPI(x)
	}
	return notFoundPage()
}

// notFoundPage is what a Salesforce host answers for a path it does not
// serve: an HTML page, not an API error.
func notFoundPage() *mockprovider.Response {
	return &mockprovider.Response{
		Status: http.StatusNotFound,
		Header: http.Header{
			"Cache-Control":             {cacheControlLong},
			"Content-Type":              {"text/html;charset=UTF-8"},
			"Strict-Transport-Security": {hstsLogin},
			"X-Content-Type-Options":    {"nosniff"},
		},
		Body: []byte("<html><head><title>URL No Longer Exists</title></head><body><p>You have attempted to reach a URL that no longer exists on salesforce.com.</p></body></html>\n"),
	}
}

// authCodeLifetime is how long an authorization code can be redeemed.
const authCodeLifetime = 15 * time.Minute

// authCode is an authorization code the authorize endpoint handed out.
type authCode struct {
	clientID, redirectURI, scope string
	challenge, method            string // PKCE
	issued                       time.Time
	used                         bool
}

// serveToken answers /services/oauth2/token (providers.md A.1-A.3).
func (d *Dialect) serveToken(x *mockprovider.Exchange) *mockprovider.Response {
	if x.Request.Method != http.MethodPost {
		return d.fail("invalid_request_method")
	}
	// A JSON body, a body of another type or one that does not parse is
	// answered as an unknown grant: Salesforce reads grant_type from the
	// form only.
	f, ok := x.Form()
	if !ok {
		return d.fail("unsupported_grant_type")
	}
	// Before anything is read from the form: with a parameter twice,
	// which value counts is anybody's guess.
	if name := x.RepeatedParam(); name != "" {
		x.Note = strings.TrimSpace(x.Note + " duplicate parameter " + name)
		return d.failWith("invalid_request_duplicate", "duplicate parameter: "+name)
	}
	grant := f.Get("grant_type")
	switch grant {
	case "refresh_token", "authorization_code", "password":
	default:
		return d.fail("unsupported_grant_type")
	}
	clientID, check := x.CheckClient()
	switch check {
	case mockprovider.ClientOK:
	case mockprovider.ClientUnknown, mockprovider.ClientMissingID:
		return d.fail("invalid_client_id")
	default:
		return d.fail("invalid_client")
	}
	switch grant {
	case "refresh_token":
		return d.refresh(x, f, clientID)
	case "authorization_code":
		return d.redeemCode(x, f, clientID)
	default:
		return d.password(x, f, clientID)
	}
}

func (d *Dialect) refresh(x *mockprovider.Exchange, f url.Values, clientID string) *mockprovider.Response {
	rt := f.Get("refresh_token")
	if rt == "" {
		// Best guess: no capture of a refresh without refresh_token.
		return d.fail("invalid_request")
	}
	if x.RefreshBusy != nil {
		x.Note, x.Refusal = x.RefreshBusy.Error(), mockprovider.FailInFlight
		return d.fail("invalid_grant_in_flight")
	}
	auth := x.Provider.Authority()
	g, err := auth.Refresh(rt, clientID)
	if err != nil {
		x.Note = err.Error()
		var re *mockprovider.RefreshError
		if errors.As(err, &re) {
			x.Refusal = re.Failure
		}
		if re != nil && re.Failure == mockprovider.FailInFlight {
			return d.fail("invalid_grant_in_flight")
		}
		return d.fail("invalid_grant")
	}
	host := d.countRefresh()
	return d.tokenSuccess(x, g, clientID, host, g.RefreshIssued)
}

func (d *Dialect) redeemCode(x *mockprovider.Exchange, f url.Values, clientID string) *mockprovider.Response {
	now := x.Provider.Clock().Now()
	d.mu.Lock()
	c, ok := d.codes[f.Get("code")]
	var name string
	switch {
	case !ok || c.clientID != clientID:
		name = "invalid_grant_invalid_code"
	case c.used || !now.Before(c.issued.Add(authCodeLifetime)):
		name = "invalid_grant_expired_code"
	case c.redirectURI != f.Get("redirect_uri"):
		name = "invalid_grant_redirect_uri"
	case c.challenge != "" && !pkceMatches(c.challenge, c.method, f.Get("code_verifier")):
		name = "invalid_grant_code_verifier"
	default:
		c.used = true
	}
	d.mu.Unlock()
	if name != "" {
		return d.fail(name)
	}
	g := x.Provider.Authority().Mint(clientID, c.scope)
	return d.tokenSuccess(x, g, clientID, d.instanceHost(), true)
}

// pkceMatches checks a code_verifier against the challenge (RFC 7636 §4.6).
func pkceMatches(challenge, method, verifier string) bool {
	if verifier == "" {
		return false
	}
	if strings.EqualFold(method, "plain") {
		return hmac.Equal([]byte(challenge), []byte(verifier))
	}
	sum := sha256.Sum256([]byte(verifier))
	return hmac.Equal([]byte(challenge), []byte(base64.RawURLEncoding.EncodeToString(sum[:])))
}

// password answers the username-password flow. Any user signs in with
// the password "password", followed by a security token or not.
func (d *Dialect) password(x *mockprovider.Exchange, f url.Values, clientID string) *mockprovider.Response {
	if f.Get("username") == "" || !strings.HasPrefix(f.Get("password"), "password") {
		return d.fail("invalid_grant_authentication_failure")
	}
	g := x.Provider.Authority().Mint(clientID, x.Provider.Config().Scope)
	// "No refresh token is issued" in this flow (REST API guide,
	// "Understanding the Username-Password OAuth Authentication Flow").
	return d.tokenSuccess(x, g, clientID, d.instanceHost(), false)
}

// tokenSuccess renders a token response (providers.md A.2): the fields
// in the order Salesforce sends them, no expires_in, issued_at in
// milliseconds as a string, and the signature over id and issued_at.
func (d *Dialect) tokenSuccess(x *mockprovider.Exchange, g mockprovider.Grant, clientID, instance string, withRefresh bool) *mockprovider.Response {
	x.Issued = append(x.Issued, g.Access.Label)
	id := d.identityURL(x)
	issuedAt := strconv.FormatInt(g.IssuedAt.UnixMilli(), 10)
	secret := clientSecret(x, clientID)
	o := make(object, 1, 10)
	o[0] = field{"access_token", g.Access.Value}
	if withRefresh {
		o = append(o, field{"refresh_token", g.Refresh.Value})
		x.Issued = append(x.Issued, g.Refresh.Label)
	}
	o = append(o, field{"signature", d.signature(secret, id, issuedAt)}, field{"scope", g.Scope})
	if hasScope(g.Scope, "openid") {
		id := d.idToken(x, g, clientID, secret)
		x.Provider.Credential(id, "ID_TOKEN") // it names the user
		o = append(o, field{"id_token", id})
	}
	o = append(o,
		field{"instance_url", x.URL(instance)},
		field{"id", id},
		field{"token_type", "Bearer"},
		field{"issued_at", issuedAt},
	)
	// One array for the values, as in apiHeader.
	v := [...]string{cacheControlLong, expiresEpoch, hstsLogin, "nosniff", "1; mode=block", "Accept-Encoding", d.browserID(x), ""}
	h := make(http.Header, 8)
	h["Cache-Control"] = v[0:1:1]
	h["Expires"] = v[1:2:2]
	h["Strict-Transport-Security"] = v[2:3:3]
	h["X-Content-Type-Options"] = v[3:4:4]
	h[hdrXSSProtection] = v[4:5:5]
	h["Vary"] = v[5:6:6]
	h["Set-Cookie"] = v[6:7:7]
	var body []byte
	switch responseFormat(x) {
	case "urlencoded":
		v[7] = contentTypeForm
		parts := make([]string, len(o))
		for i, f := range o {
			parts[i] = url.QueryEscape(f.k) + "=" + url.QueryEscape(f.v.(string))
		}
		body = []byte(strings.Join(parts, "&"))
	case "xml":
		v[7] = contentTypeXML
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><OAuth>`)
		for _, f := range o {
			fmt.Fprintf(&b, "<%s>", f.k)
			_ = xml.EscapeText(&b, []byte(f.v.(string)))
			fmt.Fprintf(&b, "</%s>", f.k)
		}
		b.WriteString("</OAuth>")
		body = []byte(b.String())
	default:
		v[7] = contentTypeJSON
		body = marshal(o)
	}
	h["Content-Type"] = v[7:8:8]
	return &mockprovider.Response{Status: http.StatusOK, Header: h, Body: body}
}

// Signature is the signature field of a token response: Base64
// HMAC-SHA256 over id and issued_at, keyed with the consumer secret
// (providers.md A.2). Clients can use it to check a response.
func Signature(clientSecret, id, issuedAt string) string {
	m := hmac.New(sha256.New, []byte(clientSecret))
	m.Write([]byte(id + issuedAt))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signature is Signature with the HMAC of each client secret kept, since
// every refresh signs: making the HMAC was most of the signature's
// allocations.
func (d *Dialect) signature(clientSecret, id, issuedAt string) string {
	d.macMu.Lock()
	m, ok := d.macs[clientSecret]
	if !ok {
		if d.macs == nil || len(d.macs) >= 16 { // a scenario registers a few clients
			d.macs = map[string]hash.Hash{}
		}
		m = hmac.New(sha256.New, []byte(clientSecret))
		d.macs[clientSecret] = m
	}
	m.Reset()
	m.Write([]byte(id + issuedAt))
	var sum [sha256.Size]byte
	mac := m.Sum(sum[:0])
	d.macMu.Unlock()
	return base64.StdEncoding.EncodeToString(mac)
}

func clientSecret(x *mockprovider.Exchange, clientID string) string {
	for _, c := range x.Provider.Config().Clients {
		if c.ID == clientID {
			return c.Secret
		}
	}
	return ""
}

func hasScope(scope, want string) bool {
	for _, s := range strings.Fields(scope) {
		if s == want {
			return true
		}
	}
	return false
}

// responseFormat reads the format parameter (form, then query), else the
// Accept header: json (the default), urlencoded or xml.
func responseFormat(x *mockprovider.Exchange) string {
	format := ""
	if f, ok := x.Form(); ok {
		format = f.Get("format")
	}
	if format == "" {
		format = x.Request.URL.Query().Get("format")
	}
	switch strings.ToLower(format) {
	case "urlencoded", "xml", "json":
		return strings.ToLower(format)
	}
	for _, a := range strings.Split(x.Request.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(a), ";")
		switch strings.ToLower(mt) {
		case "application/json":
			return "json"
		case "application/x-www-form-urlencoded":
			return "urlencoded"
		case "application/xml", "text/xml":
			return "xml"
		}
	}
	return "json"
}

// browserID is the BrowserId cookie every login-host answer sets.
func (d *Dialect) browserID(x *mockprovider.Exchange) string {
	expires := x.Provider.Clock().Now().UTC().AddDate(1, 0, 0).Format("Mon, 02-Jan-2006 15:04:05 GMT")
	return "BrowserId=" + x.Provider.Random(22) + ";Path=/;Domain=.salesforce.com;Expires=" + expires + ";Max-Age=31536000;secure;SameSite=None"
}

// idToken makes the id_token of a grant with the openid scope: a JWT of
// Salesforce's shape. Its signature is not RS256 over a published key;
// components that verify id_tokens need a JWKS the mock does not serve.
func (d *Dialect) idToken(x *mockprovider.Exchange, g mockprovider.Grant, clientID, secret string) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"kid":"248","typ":"JWT","alg":"RS256"}`))
	sum := sha256.Sum256([]byte(g.Access.Value))
	iat := g.IssuedAt.Unix()
	claims := object{
		{"at_hash", enc.EncodeToString(sum[:16])},
		{"sub", d.identityURL(x)},
		{"aud", clientID},
		{"iss", x.URL(d.loginHost())},
		{"exp", iat + 300},
		{"iat", iat},
	}
	payload := enc.EncodeToString(marshal(claims))
	// 256 bytes, as an RS256 signature with a 2048-bit key.
	var sig []byte
	for i := 0; len(sig) < 256; i++ {
		m := hmac.New(sha256.New, []byte(secret))
		fmt.Fprintf(m, "%s.%s.%d", header, payload, i)
		sig = m.Sum(sig)
	}
	return header + "." + payload + "." + enc.EncodeToString(sig[:256])
}

// serveAuthorize answers /services/oauth2/authorize as if the user signed
// in and approved at once: it redirects to redirect_uri with a code.
func (d *Dialect) serveAuthorize(x *mockprovider.Exchange) *mockprovider.Response {
	q := x.Request.URL.Query()
	if x.Request.Method == http.MethodPost {
		if f, ok := x.Form(); ok {
			q = f
		}
	}
	clientID := q.Get("client_id")
	known := false
	for _, c := range x.Provider.Config().Clients {
		known = known || c.ID == clientID
	}
	if !known {
		return oauthErrorPage("invalid_client_id", "client identifier invalid")
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !redirect.IsAbs() {
		return oauthErrorPage("redirect_uri_mismatch", "redirect_uri must match configuration")
	}
	back := redirect.Query()
	if state := q.Get("state"); state != "" {
		back.Set("state", state)
	}
	if q.Get("response_type") != "code" {
		back.Set("error", "unsupported_response_type")
		back.Set("error_description", "response type not supported")
		return redirectTo(redirect, back)
	}
	scope := q.Get("scope")
	if scope == "" {
		scope = x.Provider.Config().Scope
	}
	code := "aPrx" + sprinkle(x.Provider.Random(80), '.', '_') + "=="
	x.Provider.Credential(code, "CODE") // redeemable for a grant: a secret
	d.mu.Lock()
	d.codes[code] = &authCode{
		clientID: clientID, redirectURI: q.Get("redirect_uri"), scope: scope,
		challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"),
		issued: x.Provider.Clock().Now(),
	}
	d.mu.Unlock()
	back.Set("code", code)
	return redirectTo(redirect, back)
}

func redirectTo(u *url.URL, q url.Values) *mockprovider.Response {
	v := *u
	v.RawQuery = q.Encode()
	return &mockprovider.Response{
		Status: http.StatusFound,
		Header: http.Header{
			"Cache-Control":             {cacheControlLong},
			"Location":                  {v.String()},
			"Strict-Transport-Security": {hstsLogin},
			"X-Content-Type-Options":    {"nosniff"},
		},
	}
}

// oauthErrorPage is the HTML page the authorize endpoint shows when it
// cannot trust the redirect_uri.
func oauthErrorPage(code, description string) *mockprovider.Response {
	body := fmt.Sprintf("<html><head><title>OAuth Error</title></head><body><h2>OAuth Error</h2><p>We can't authorize you because of an OAuth error. For more information, contact your Salesforce administrator.</p><p>OAUTH_APPROVAL_ERROR_GENERIC : %s : %s</p></body></html>\n",
		html.EscapeString(code), html.EscapeString(description))
	return &mockprovider.Response{
		Status: http.StatusBadRequest,
		Header: http.Header{
			"Cache-Control":             {cacheControlLong},
			"Content-Type":              {"text/html;charset=UTF-8"},
			"Strict-Transport-Security": {hstsLogin},
			"X-Content-Type-Options":    {"nosniff"},
		},
		Body: []byte(body),
	}
}

// serveRevoke answers /services/oauth2/revoke: a POST with token in the
// form or a GET with token in the query. Revoking a refresh token revokes
// the grant's access tokens too (REST API guide, "Revoke OAuth Tokens").
func (d *Dialect) serveRevoke(x *mockprovider.Exchange) *mockprovider.Response {
	if x.Token == "" {
		return d.fail("invalid_token")
	}
	auth := x.Provider.Authority()
	t, ok := auth.Inspect(x.Token)
	if !ok || t.State == mockprovider.StateRevoked || t.State == mockprovider.StateRotated {
		return d.fail("invalid_token")
	}
	// The whole family, not Authority.Revoke: the first access token of a
	// grant has no parent refresh token, and Salesforce's grant is the
	// refresh token with every access token issued under it.
	if t.Kind == mockprovider.RefreshToken {
		_ = auth.RevokeFamily(x.Token)
	} else {
		_ = auth.Revoke(x.Token)
	}
	x.Note = "revoked " + t.Label
	return &mockprovider.Response{
		Status: http.StatusOK,
		Header: http.Header{
			"Cache-Control":             {cacheControlLong},
			"Strict-Transport-Security": {hstsLogin},
			"X-Content-Type-Options":    {"nosniff"},
			hdrXSSProtection:            {"1; mode=block"},
		},
		Body: []byte{},
	}
}

// GrantResponse renders the authorization-code token response for g, as
// the platform received it when the user signed in.
func (d *Dialect) GrantResponse(p *mockprovider.Provider, g mockprovider.Grant) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, pathToken, nil)
	if err != nil {
		return nil, err
	}
	x := mockprovider.NewExchange(p, req)
	return d.tokenSuccess(x, g, p.Client().ID, d.instanceHost(), true).Body, nil
}
