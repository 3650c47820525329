package microsoft

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// codeLifetime is how long an authorization code can be redeemed; the
// service's codes live about 10 minutes.
const codeLifetime = 10 * time.Minute

// authCode is an authorization code handed out by /authorize.
type authCode struct {
	clientID    string
	redirectURI string
	scope       string
	challenge   string
	method      string // PKCE code_challenge_method, "plain" or "S256"
	issued      time.Time
	redeemed    bool
}

// serveAuthorize answers /{tenant}/oauth2/v2.0/authorize as if the user
// signed in and consented at once: a 302 to redirect_uri carrying code,
// state and session_state. Problems the service shows on its sign-in page
// (unknown tenant or client, no redirect_uri) are an HTML page; problems
// it reports to the app are redirect parameters.
func (d *Dialect) serveAuthorize(x *mockprovider.Exchange, r route) *mockprovider.Response {
	q := x.Request.URL.Query()
	if x.Request.Method == http.MethodPost {
		if f, ok := x.Form(); ok {
			q = f
		}
	}
	c := &errCtx{tenant: r.tenant, clientID: q.Get("client_id")}
	if bad := d.checkTenant(r.tenant); bad != "" {
		return d.signInError(x, bad, c)
	}
	for _, p := range []string{"client_id", "redirect_uri"} {
		if q.Get(p) == "" {
			c.param = p
			return d.signInError(x, "AADSTS900144", c)
		}
	}
	if _, ok := findClient(x, c.clientID); !ok {
		return d.signInError(x, "AADSTS700016", c)
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !redirect.IsAbs() {
		// [unverified] the service checks against registered reply URLs
		// (AADSTS50011); the mock registers none and only needs a URL.
		c.param = "redirect_uri"
		return d.signInError(x, "AADSTS900144", c)
	}
	mode := q.Get("response_mode")
	state := q.Get("state")
	if rt := q.Get("response_type"); rt != "code" {
		return d.redirectError(x, q.Get("redirect_uri"), mode, state, "unsupported_response_type",
			fmt.Sprintf("AADSTS700054: response_type '%s' is not enabled for the application.", rt))
	}
	scope := q.Get("scope")
	if strings.TrimSpace(scope) == "" {
		return d.redirectError(x, q.Get("redirect_uri"), mode, state, "invalid_request",
			"AADSTS900144: The request body must contain the following parameter: 'scope'.")
	}
	for _, s := range strings.Fields(scope) {
		if _, ok := graphScope(s); !ok && !isOIDC(s) {
			return d.redirectError(x, q.Get("redirect_uri"), mode, state, "invalid_scope",
				fmt.Sprintf("AADSTS70011: The provided value for the input parameter 'scope' isn't valid. The scope %s isn't valid.", s))
		}
	}
	ac := &authCode{clientID: c.clientID, redirectURI: q.Get("redirect_uri"), scope: scope,
		challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), issued: now(x)}
	if ac.method == "" {
		ac.method = "plain"
	}
	code := "1.AVEA" + x.Provider.Random(150)
	x.Provider.Credential(code, "CODE") // redeemable for a grant: a secret
	d.mu.Lock()
	d.codes[code] = ac
	d.mu.Unlock()
	params := [][2]string{{"code", code}}
	if state != "" {
		params = append(params, [2]string{"state", state})
	}
	params = append(params, [2]string{"session_state", x.Provider.UUID()})
	return redirectTo(q.Get("redirect_uri"), mode, params)
}

// redeemCode redeems an authorization code once: a second redemption is
// AADSTS54005, a code older than codeLifetime AADSTS70008.
func (d *Dialect) redeemCode(x *mockprovider.Exchange, f url.Values, c *errCtx) *mockprovider.Response {
	code := f.Get("code")
	t := now(x)
	d.mu.Lock()
	ac, ok := d.codes[code]
	name := ""
	switch {
	case !ok:
		name = "AADSTS9002313"
	case ac.redeemed:
		name = "AADSTS54005"
	case !t.Before(ac.issued.Add(codeLifetime)):
		name = "AADSTS70008"
	case ac.clientID != c.clientID, ac.redirectURI != f.Get("redirect_uri"):
		// [unverified] the service's code for a redirect_uri mismatch.
		name = "AADSTS70000"
	case ac.challenge != "" && f.Get("code_verifier") == "":
		c.param = "code_verifier"
		name = "AADSTS900144"
	case ac.challenge != "" && !verifierMatches(ac, f.Get("code_verifier")):
		name = "AADSTS501481"
	default:
		ac.redeemed = true
	}
	var scope string
	if ok {
		scope = ac.scope
	}
	d.mu.Unlock()
	if name != "" {
		return d.tokenError(x, name, c)
	}
	g := x.Provider.Authority().Mint(c.clientID, scope)
	return d.tokenResponse(x, g, c.clientID, scope, true)
}

func verifierMatches(ac *authCode, verifier string) bool {
	if strings.EqualFold(ac.method, "S256") {
		return s256(verifier) == ac.challenge
	}
	return verifier == ac.challenge
}

// redirectTo sends the browser back to the app with params, in the query
// (the default for the code flow), the fragment, or an auto-posting form.
func redirectTo(redirectURI, mode string, params [][2]string) *mockprovider.Response {
	var enc strings.Builder
	for i, p := range params {
		if i > 0 {
			enc.WriteByte('&')
		}
		enc.WriteString(url.QueryEscape(p[0]) + "=" + url.QueryEscape(p[1]))
	}
	h := http.Header{"Cache-Control": {"no-store, no-cache"}, "Pragma": {"no-cache"}}
	switch mode {
	case "form_post":
		var b strings.Builder
		fmt.Fprintf(&b, `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="%s">`, html.EscapeString(redirectURI))
		for _, p := range params {
			fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s" />`, html.EscapeString(p[0]), html.EscapeString(p[1]))
		}
		b.WriteString(`<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form><script language="javascript">document.forms[0].submit();</script></body></html>`)
		h.Set("Content-Type", "text/html; charset=utf-8")
		return &mockprovider.Response{Status: http.StatusOK, Header: h, Body: []byte(b.String())}
	case "fragment":
		h.Set("Location", redirectURI+"#"+enc.String())
	default:
		sep := "?"
		if strings.Contains(redirectURI, "?") {
			sep = "&"
		}
		h.Set("Location", redirectURI+sep+enc.String())
	}
	return &mockprovider.Response{Status: http.StatusFound, Header: h}
}

// redirectError reports an error to the app through its redirect URI.
func (d *Dialect) redirectError(x *mockprovider.Exchange, redirectURI, mode, state, code, desc string) *mockprovider.Response {
	x.Note = strings.TrimSpace(x.Note + " " + code)
	stamp := now(x).Format("2006-01-02 15:04:05Z")
	desc = fmt.Sprintf("%s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", desc, x.Provider.UUID(), correlationID(x), stamp)
	params := [][2]string{{"error", code}, {"error_description", desc}}
	if state != "" {
		params = append(params, [2]string{"state", state})
	}
	return redirectTo(redirectURI, mode, params)
}

// signInError is the service's sign-in page showing an error the user
// cannot fix by signing in. Its status is [unverified].
func (d *Dialect) signInError(x *mockprovider.Exchange, name string, c *errCtx) *mockprovider.Response {
	e, _ := lookup(name)
	x.Note = strings.TrimSpace(x.Note + " " + name)
	msg := fmt.Sprintf("AADSTS%d: %s", e.aad.code, e.aad.message(d, x, c))
	body := fmt.Sprintf(`<!DOCTYPE html><html dir="ltr" lang="en"><head><title>Sign in to your account</title></head><body><div id="error"><h1>Sorry, but we're having trouble signing you in.</h1><p>%s</p><p>Request Id: %s</p><p>Correlation Id: %s</p><p>Timestamp: %s</p></div></body></html>`,
		html.EscapeString(msg), x.Provider.UUID(), correlationID(x), now(x).Format("2006-01-02T15:04:05Z"))
	return &mockprovider.Response{Status: http.StatusBadRequest, Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Cache-Control": {"no-store, no-cache"}}, Body: []byte(body)}
}
