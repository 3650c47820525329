package microsoft

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// This file is the dialect's error catalogue: every error body the
// dialect sends, scripted or not, is built here. Messages are the ones
// the services serve (reference/providers.md B.3, B.4); where the status
// or text is not confirmed by a capture, the entry says [unverified].

// errCtx carries what an error message names. Zero fields take
// plausible defaults, so a scripted error renders without a context.
type errCtx struct {
	// tok is the refused token, when known.
	tok mockprovider.Token
	// param is the missing request parameter (AADSTS900144).
	param string
	// scope is the offending scope.
	scope    string
	tenant   string
	clientID string
	grant    string
	method   string
}

// aadError is an identity platform (ESTS) error of the token endpoint.
type aadError struct {
	code     int
	err      string // the OAuth error code
	status   int
	suberror string
	message  func(d *Dialect, x *mockprovider.Exchange, c *errCtx) string
}

// graphErr is a Microsoft Graph error.
type graphErr struct {
	code       string // error.code on the wire
	status     int
	message    func(d *Dialect) string
	retryAfter string
	// challenge adds Graph's WWW-Authenticate; cae its claims-challenge
	// variant.
	challenge, cae bool
	// throttle uses the body shape Graph's throttling page documents.
	throttle bool
}

type catalogueEntry struct {
	info  mockprovider.ErrorInfo
	aad   *aadError
	graph *graphErr
}

func fixed(s string) func(*Dialect, *mockprovider.Exchange, *errCtx) string {
	return func(*Dialect, *mockprovider.Exchange, *errCtx) string { return s }
}

func fixedGraph(s string) func(*Dialect) string { return func(*Dialect) string { return s } }

// catalogue lists the errors in the order Errors reports them. Names are
// what scenarios refer to: AADSTS codes for the token endpoint, Graph
// error codes for the API.
var catalogue = []catalogueEntry{
	{info: tokenInfo("AADSTS70008", "expired or revoked grant (older code for an idle refresh token or an old authorization code)"),
		aad: &aadError{code: 70008, err: "invalid_grant", status: 400,
			message: fixed("The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")}},
	{info: tokenInfo("AADSTS700082", "refresh token expired after 90 days of inactivity"),
		aad: &aadError{code: 700082, err: "invalid_grant", status: 400, suberror: "bad_token", message: msgInactive}},
	{info: tokenInfo("AADSTS50173", "grant revoked (password change, admin or user revocation, revokeSignInSessions)"),
		aad: &aadError{code: 50173, err: "invalid_grant", status: 400, suberror: "bad_token", message: msgRevoked}},
	{info: tokenInfo("AADSTS700084", "single-page-app refresh token past its fixed 24h family deadline"),
		aad: &aadError{code: 700084, err: "invalid_grant", status: 400, suberror: "bad_token", message: msgSPA}},
	{info: tokenInfo("AADSTS54005", "authorization code already redeemed"),
		aad: &aadError{code: 54005, err: "invalid_grant", status: 400,
			message: fixed("OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")}},
	{info: mockprovider.ErrorInfo{Name: "AADSTS7000215", Status: 401, Endpoint: mockprovider.KindToken, Description: "invalid client secret (401 without WWW-Authenticate)"},
		aad: &aadError{code: 7000215, err: "invalid_client", status: 401, message: func(d *Dialect, x *mockprovider.Exchange, c *errCtx) string {
			return fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", c.clientID)
		}}},
	// Status 401 is [unverified]: invalid_client errors are 401 in every
	// capture of AADSTS7000215.
	{info: mockprovider.ErrorInfo{Name: "AADSTS7000218", Status: 401, Endpoint: mockprovider.KindToken, Description: "confidential client sent no secret"},
		aad: &aadError{code: 7000218, err: "invalid_client", status: 401,
			message: fixed("The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")}},
	{info: tokenInfo("AADSTS700016", "application (client_id) not found in the directory"),
		aad: &aadError{code: 700016, err: "unauthorized_client", status: 400, message: func(d *Dialect, x *mockprovider.Exchange, c *errCtx) string {
			dir := c.tenant
			switch strings.ToLower(dir) {
			case "", "common", "organizations", "consumers":
				dir = tenantName // [unverified] what a multi-tenant endpoint names
			}
			return fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", c.clientID, dir)
		}}},
	{info: tokenInfo("AADSTS700025", "public client sent a client secret"),
		aad: &aadError{code: 700025, err: "invalid_client", status: 400,
			message: fixed("Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")}},
	{info: tokenInfo("AADSTS65001", "consent missing for a requested Graph permission"),
		aad: &aadError{code: 65001, err: "invalid_grant", status: 400, suberror: "consent_required", message: func(d *Dialect, x *mockprovider.Exchange, c *errCtx) string {
			return fmt.Sprintf("The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", c.clientID, appName)
		}}},
	{info: tokenInfo("AADSTS50076", "multi-factor authentication required (interaction_required, suberror basic_action)"),
		aad: &aadError{code: 50076, err: "interaction_required", status: 400, suberror: "basic_action",
			message: fixed("Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '" + graphAppID + "'.")}},
	{info: tokenInfo("AADSTS70000", "grant invalid: refresh token or code issued to another client"),
		aad: &aadError{code: 70000, err: "invalid_grant", status: 400, message: fixed("Provided grant is invalid or malformed.")}},
	{info: tokenInfo("AADSTS9002313", "malformed request: a refresh token or code the service cannot parse"),
		aad: &aadError{code: 9002313, err: "invalid_grant", status: 400, message: fixed("Invalid request. Request is malformed or invalid.")}},
	{info: tokenInfo("AADSTS900144", "required body parameter missing (also a body that is not a form)"),
		aad: &aadError{code: 900144, err: "invalid_request", status: 400, message: func(d *Dialect, x *mockprovider.Exchange, c *errCtx) string {
			return fmt.Sprintf("The request body must contain the following parameter: '%s'.", c.param)
		}}},
	{info: tokenInfo("AADSTS70011", "invalid scope (a scope of a resource the app has no permission for)"),
		aad: &aadError{code: 70011, err: "invalid_scope", status: 400, message: func(d *Dialect, x *mockprovider.Exchange, c *errCtx) string {
			return fmt.Sprintf("The provided value for the input parameter 'scope' isn't valid. The scope %s isn't valid.", c.scope)
		}}},
	// Status 400 is [unverified]; some reports show 429.
	{info: tokenInfo("AADSTS50196", "client request loop detected (too many identical token requests)"),
		aad: &aadError{code: 50196, err: "temporarily_unavailable", status: 400,
			message: fixed("The server terminated an operation because it encountered a client request loop. Please contact your app vendor.")}},
	{info: tokenInfo("AADSTS90002", "tenant not found"),
		aad: &aadError{code: 90002, err: "invalid_request", status: 400, message: func(d *Dialect, x *mockprovider.Exchange, c *errCtx) string {
			return fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", c.tenant)
		}}},
	{info: tokenInfo("AADSTS900023", "tenant segment is neither a GUID nor a domain name"),
		aad: &aadError{code: 900023, err: "invalid_request", status: 400, message: func(d *Dialect, x *mockprovider.Exchange, c *errCtx) string {
			return fmt.Sprintf("Specified tenant identifier '%s' is neither a valid DNS name, nor a valid external domain.", c.tenant)
		}}},
	{info: tokenInfo("AADSTS900561", "token endpoint called with a method other than POST"),
		aad: &aadError{code: 900561, err: "invalid_request", status: 400, message: func(d *Dialect, x *mockprovider.Exchange, c *errCtx) string {
			return fmt.Sprintf("The endpoint only accepts POST, OPTIONS requests. Received a %s request.", c.method)
		}}},
	// Captured at the v2.0 token endpoint for a repeated scope
	// (Azure/azure-sdk-for-java#31733) [report]; the service names the
	// parameter, whichever it is.
	{info: tokenInfo("AADSTS9000411", "a body parameter given twice"),
		aad: &aadError{code: 9000411, err: "invalid_request", status: 400, message: func(d *Dialect, x *mockprovider.Exchange, c *errCtx) string {
			return fmt.Sprintf("The request is not properly formatted. The parameter '%s' is duplicated.", c.param)
		}}},
	// [unverified] wording.
	{info: tokenInfo("AADSTS70003", "unsupported grant_type"),
		aad: &aadError{code: 70003, err: "unsupported_grant_type", status: 400, message: func(d *Dialect, x *mockprovider.Exchange, c *errCtx) string {
			return fmt.Sprintf("The app requested an unsupported grant type '%s'.", c.grant)
		}}},
	{info: tokenInfo("AADSTS501481", "PKCE code_verifier does not match the code_challenge"),
		aad: &aadError{code: 501481, err: "invalid_grant", status: 400,
			message: fixed("The Code_Verifier does not match the code_challenge supplied in the authorization request.")}},
	{info: tokenInfo("AADSTS1002012", "client credentials scope without the /.default suffix"),
		aad: &aadError{code: 1002012, err: "invalid_scope", status: 400, message: func(d *Dialect, x *mockprovider.Exchange, c *errCtx) string {
			return fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", c.scope)
		}}},

	{info: apiInfo("InvalidAuthenticationToken", 401, "access token expired (the message follows Options.ExpiredMessage)"),
		graph: &graphErr{code: "InvalidAuthenticationToken", status: 401, challenge: true, message: (*Dialect).expiredMessage}},
	{info: apiInfo("InvalidAuthenticationToken_CAE", 401, "continuous access evaluation claims challenge: the session was revoked"),
		graph: &graphErr{code: "InvalidAuthenticationToken", status: 401, challenge: true, cae: true,
			message: fixedGraph("Continuous access evaluation resulted in claims challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp")}},
	{info: apiInfo("ErrorAccessDenied", 403, "mailbox access denied: a permission problem, not an expired token"),
		graph: &graphErr{code: "ErrorAccessDenied", status: 403, message: fixedGraph("Access is denied. Check credentials and try again.")}},
	{info: apiInfo("Authorization_RequestDenied", 403, "directory access denied: insufficient privileges"),
		graph: &graphErr{code: "Authorization_RequestDenied", status: 403, message: fixedGraph("Insufficient privileges to complete the operation.")}},
	{info: apiInfo("TooManyRequests", 429, "throttled, Retry-After: 10"),
		graph: &graphErr{code: "TooManyRequests", status: 429, retryAfter: "10", throttle: true, message: fixedGraph("Please retry again later.")}},
	// Retry-After value [unverified].
	{info: apiInfo("ApplicationThrottled", 429, "Outlook mailbox concurrency limit, Retry-After: 10"),
		graph: &graphErr{code: "ApplicationThrottled", status: 429, retryAfter: "10", message: fixedGraph("Application is over its MailboxConcurrency limit.")}},
	// Graph's error code table spells the 503 code serviceNotAvailable.
	{info: apiInfo("ServiceUnavailable", 503, "service unavailable, Retry-After: 5"),
		graph: &graphErr{code: "serviceNotAvailable", status: 503, retryAfter: "5",
			message: fixedGraph("The service is temporarily unavailable for maintenance or is overloaded. You may repeat the request after a delay, the length of which may be specified in a Retry-After header.")}},
	{info: apiInfo("generalException", 500, "unspecified internal error"),
		graph: &graphErr{code: "generalException", status: 500, message: fixedGraph("An unspecified error has occurred.")}},
	{info: apiInfo("ErrorItemNotFound", 404, "mail item or folder not found"),
		graph: &graphErr{code: "ErrorItemNotFound", status: 404, message: fixedGraph("The specified object was not found in the store.")}},
	// OneDrive's own code and message for an item ID or path that does
	// not exist (OneDrive API "Error responses" lists itemNotFound, 404).
	{info: apiInfo("itemNotFound", 404, "OneDrive item or path not found"),
		graph: &graphErr{code: "itemNotFound", status: 404, message: fixedGraph("The resource could not be found.")}},
}

func tokenInfo(name, desc string) mockprovider.ErrorInfo {
	return mockprovider.ErrorInfo{Name: name, Status: 400, Endpoint: mockprovider.KindToken, Description: desc}
}

func apiInfo(name string, status int, desc string) mockprovider.ErrorInfo {
	return mockprovider.ErrorInfo{Name: name, Status: status, Endpoint: mockprovider.KindAPI, Description: desc}
}

func lookup(name string) (catalogueEntry, bool) {
	for _, e := range catalogue {
		if e.info.Name == name {
			return e, true
		}
	}
	return catalogueEntry{}, false
}

// Errors lists the catalogue.
func (d *Dialect) Errors() []mockprovider.ErrorInfo {
	out := make([]mockprovider.ErrorInfo, len(catalogue))
	for i, e := range catalogue {
		out[i] = e.info
	}
	return out
}

// Error renders the named catalogue error for x, filling what the message
// names from the request (the presented token, the client, the tenant).
func (d *Dialect) Error(name string, x *mockprovider.Exchange) (*mockprovider.Response, bool) {
	e, ok := lookup(name)
	if !ok {
		return nil, false
	}
	if e.graph != nil {
		return d.renderGraph(x, e.graph), true
	}
	return d.renderAAD(x, e.aad, d.ctxFrom(x)), true
}

// ctxFrom fills an error context from the request alone.
func (d *Dialect) ctxFrom(x *mockprovider.Exchange) *errCtx {
	c := &errCtx{tok: x.Presented, tenant: parseRoute(x.Host, x.Path).tenant, grant: x.Grant, param: "grant_type", method: x.Request.Method}
	if id, _, ok := x.BasicAuth(); ok {
		c.clientID = id
	} else if f, ok := x.Form(); ok {
		c.clientID = f.Get("client_id")
		c.scope = f.Get("scope")
	}
	if c.clientID == "" {
		c.clientID = x.Provider.Client().ID
	}
	if c.tenant == "" {
		c.tenant = "common"
	}
	return c
}

// tokenError renders the token endpoint error name for x.
func (d *Dialect) tokenError(x *mockprovider.Exchange, name string, c *errCtx) *mockprovider.Response {
	e, ok := lookup(name)
	if !ok || e.aad == nil {
		panic("microsoft: no token endpoint error " + name) // a typo in this package
	}
	x.Note = strings.TrimSpace(x.Note + " " + name)
	return d.renderAAD(x, e.aad, c)
}

// renderAAD builds an identity platform error: compact JSON in the
// service's key order, the description carrying trace lines separated by
// \r\n, trace_id equal to the x-ms-request-id header.
func (d *Dialect) renderAAD(x *mockprovider.Exchange, e *aadError, c *errCtx) *mockprovider.Response {
	t := now(x)
	trace := x.Provider.UUID()
	corr := correlationID(x)
	stamp := t.Format("2006-01-02 15:04:05Z")
	desc := fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", e.code, e.message(d, x, c), trace, corr, stamp)
	body := obj{
		{"error", e.err},
		{"error_description", desc},
		{"error_codes", []int{e.code}},
		{"timestamp", stamp},
		{"trace_id", trace},
		{"correlation_id", corr},
		{"error_uri", fmt.Sprintf("https://%s/error?code=%d", LoginHost, e.code)},
	}
	if e.suberror != "" {
		body = append(body, field{"suberror", e.suberror})
	}
	return &mockprovider.Response{Status: e.status, Header: estsHeader(x, trace, e.code), Body: marshal(body)}
}

// correlationID is the client-request-id the client sent (MSAL sends
// one), which the service adopts as correlation ID, else a new one.
func correlationID(x *mockprovider.Exchange) string {
	if id := clientRequestID(x); id != "" {
		return id
	}
	return x.Provider.UUID()
}

// Patterns are compiled on first use, not when the package initialises:
// every command of the binary pays its packages' initialisation at start.
var requestIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9A-Za-z-]{1,64}$`) })

// clientRequestID returns the client-request-id header when it is
// GUID-like; anything else is not echoed into response headers.
func clientRequestID(x *mockprovider.Exchange) string {
	id := strings.TrimSpace(x.Request.Header.Get("client-request-id"))
	if !requestIDPattern().MatchString(id) {
		return ""
	}
	return id
}

// estsHeader is the header set of every token endpoint response, as
// captured (providers.md B.2); code is the AADSTS code, 0 on success.
func estsHeader(x *mockprovider.Exchange, trace string, code int) http.Header {
	t := now(x)
	h := http.Header{}
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Expires", "-1")
	h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	h.Set("X-Content-Type-Options", "nosniff")
	h["P3P"] = []string{`CP="DSP CUR OTPi IND OTRi ONL FIN"`} // Set would spell it P3p
	h.Set("X-Ms-Request-Id", trace)
	h.Set("X-Ms-Ests-Server", "2.1.19188.6 - WUS2 ProdSlices")
	h.Set("X-Ms-Clitelem", fmt.Sprintf("1,%d,0,,", code))
	if id := clientRequestID(x); id != "" {
		h.Set("Client-Request-Id", id)
	}
	expires := t.Add(30 * 24 * time.Hour).Format("Mon, 02-Jan-2006 15:04:05 GMT")
	h.Add("Set-Cookie", fmt.Sprintf("fpc=A%s; expires=%s; path=/; secure; HttpOnly; SameSite=None", x.Provider.Random(43), expires))
	h.Add("Set-Cookie", "x-ms-gateway-slice=estsfd; path=/; secure; samesite=none; httponly")
	h.Add("Set-Cookie", "stsservicecookie=estsfd; path=/; secure; samesite=none; httponly")
	return h
}

// The messages below name times as the service does: .NET round-trip
// timestamps and TimeSpan durations.

func dotnetTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000Z") }

func timeSpan(d time.Duration) string {
	d = d.Truncate(time.Second)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h, m, s := d/time.Hour, (d%time.Hour)/time.Minute, (d%time.Minute)/time.Second
	if days > 0 {
		return fmt.Sprintf("%d.%02d:%02d:%02d", days, h, m, s)
	}
	return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
}

func msgInactive(d *Dialect, x *mockprovider.Exchange, c *errCtx) string {
	idle := x.Provider.Authority().Policy().RefreshTokenIdle
	issued := c.tok.IssuedAt
	if issued.IsZero() {
		issued = now(x).Add(-max(idle, 24*time.Hour))
	}
	if idle <= 0 {
		last := issued
		if c.tok.LastUsed.After(last) {
			last = c.tok.LastUsed
		}
		idle = now(x).Sub(last)
	}
	return fmt.Sprintf("The refresh token has expired due to inactivity. The token was issued on %s and was inactive for %s.", dotnetTime(issued), timeSpan(idle))
}

func msgSPA(d *Dialect, x *mockprovider.Exchange, c *errCtx) string {
	life := x.Provider.Authority().Policy().FamilyLifetime
	if life <= 0 {
		life = 24 * time.Hour
	}
	issued := familyCreated(x, c.tok)
	if issued.IsZero() {
		issued = now(x).Add(-life)
	}
	return fmt.Sprintf("The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of %s, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on %s.", timeSpan(life), dotnetTime(issued))
}

// msgRevoked names the grant's sign-in time and the revocation time. The
// authority does not record when a family was revoked, so the request's
// time stands in for the TokensValidFrom date.
func msgRevoked(d *Dialect, x *mockprovider.Exchange, c *errCtx) string {
	t := now(x).Truncate(time.Second)
	issued := familyCreated(x, c.tok)
	if issued.IsZero() {
		issued = t.Add(-time.Hour)
	}
	return fmt.Sprintf("The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '%s' and the TokensValidFrom date (before which tokens are not valid) for this user is '%s'.", dotnetTime(issued), dotnetTime(t))
}

// familyCreated returns when tok's family was first granted, or zero.
func familyCreated(x *mockprovider.Exchange, tok mockprovider.Token) time.Time {
	if tok.Family == "" {
		return time.Time{}
	}
	for _, f := range x.Provider.Authority().Families() {
		if f.ID == tok.Family {
			return f.Created
		}
	}
	return time.Time{}
}

// Graph errors.

func (d *Dialect) expiredMessage() string {
	switch d.opts.ExpiredMessage {
	case "":
		return "Lifetime validation failed, the token is expired."
	case "legacy":
		return "Access token has expired or is not yet valid."
	}
	return d.opts.ExpiredMessage
}

// Messages of Graph's 401 for tokens it cannot use.
const (
	msgEmptyToken  = "Access token is empty."
	msgCompact     = "CompactToken parsing failed with error code: 80049217"
	msgNotWellFrom = "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'."
	msgAudience    = "Access token validation failure. Invalid audience."
)

// malformedMessage is Graph's 401 message for a token with no dots:
// current Graph answers with the JWT parser's IDX14100, older captures
// show the CompactToken message.
func (d *Dialect) malformedMessage() string {
	if d.opts.ExpiredMessage == "legacy" {
		return msgCompact
	}
	return msgNotWellFrom
}

func (d *Dialect) renderGraph(x *mockprovider.Exchange, e *graphErr) *mockprovider.Response {
	if e.challenge {
		return d.unauthorized(x, e.message(d), e.cae)
	}
	if e.throttle {
		return d.throttled(x, e)
	}
	var h http.Header
	if e.retryAfter != "" {
		h = http.Header{"Retry-After": {e.retryAfter}}
	}
	return d.graphError(x, e.status, e.code, e.message(d), h)
}

// unauthorized is Graph's 401 InvalidAuthenticationToken with its
// WWW-Authenticate challenge; cae adds the claims challenge Graph sends
// when continuous access evaluation saw the session revoked.
func (d *Dialect) unauthorized(x *mockprovider.Exchange, message string, cae bool) *mockprovider.Response {
	challenge := `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="` + graphAppID + `"`
	if cae {
		claims := fmt.Sprintf(`{"access_token":{"nbf":{"essential":true, "value":"%d"}}}`, now(x).Unix())
		challenge += `, error="insufficient_claims", claims="` + base64Std(claims) + `"`
	}
	return d.graphError(x, http.StatusUnauthorized, "InvalidAuthenticationToken", message, http.Header{"Www-Authenticate": {challenge}})
}

// graphError builds Graph's error envelope with its innerError and
// header set (providers.md B.4). extra headers are added.
func (d *Dialect) graphError(x *mockprovider.Exchange, status int, code, message string, extra http.Header) *mockprovider.Response {
	reqID, clientID := graphRequestIDs(x)
	body := obj{{"error", obj{
		{"code", code},
		{"message", message},
		{"innerError", obj{{"date", now(x).Format("2006-01-02T15:04:05")}, {"request-id", reqID}, {"client-request-id", clientID}}},
	}}}
	h := graphHeader(reqID, clientID)
	h.Set("Content-Type", "application/json")
	for k, v := range extra {
		h[k] = v
	}
	x.Note = strings.TrimSpace(x.Note + " " + code)
	return &mockprovider.Response{Status: status, Header: h, Body: marshal(body)}
}

// throttled is Graph's 429 in the shape its throttling page documents.
func (d *Dialect) throttled(x *mockprovider.Exchange, e *graphErr) *mockprovider.Response {
	reqID, clientID := graphRequestIDs(x)
	status := fmt.Sprint(e.status)
	body := obj{{"error", obj{
		{"code", e.code},
		{"innerError", obj{{"code", status}, {"date", now(x).Format("2006-01-02T15:04:05")}, {"message", "Please retry after"}, {"request-id", reqID}, {"status", status}}},
		{"message", e.message(d)},
	}}}
	h := graphHeader(reqID, clientID)
	h.Set("Content-Type", "application/json")
	h.Set("Retry-After", e.retryAfter)
	x.Note = strings.TrimSpace(x.Note + " " + e.code)
	return &mockprovider.Response{Status: e.status, Header: h, Body: marshal(body)}
}

// graphRequestIDs returns Graph's request-id and the client-request-id,
// which echoes the client's header or else equals the request-id.
func graphRequestIDs(x *mockprovider.Exchange) (reqID, clientID string) {
	reqID = x.Provider.UUID()
	clientID = clientRequestID(x)
	if clientID == "" {
		clientID = reqID
	}
	return reqID, clientID
}

const agsDiagnostic = `{"ServerInfo":{"DataCenter":"East US","Slice":"E","Ring":"5","ScaleUnit":"003","RoleInstance":"BL6PEPF0000E7BB"}}`

// graphHeader is the header set every Graph response carries.
func graphHeader(reqID, clientID string) http.Header {
	// Keys as Header.Set would canonicalise them, without its work on
	// every API call.
	return http.Header{
		"Strict-Transport-Security": {"max-age=31536000"},
		"Request-Id":                {reqID},
		"Client-Request-Id":         {clientID},
		"X-Ms-Ags-Diagnostic":       {agsDiagnostic},
	}
}

// The Graph errors below are answers to a request Graph cannot route or
// understand; they are not in the catalogue because a scenario has no use
// for scripting them.

// unknownSegment is Graph's answer to a path segment it does not know:
// 400, not 404. Graph answers so for any segment its metadata lacks
// (providers.md B.4; Graph's OData layer routes before the workload
// sees the request); the 404s are the workloads' own, for an ID or path
// that names nothing (ErrorItemNotFound from Exchange, itemNotFound
// from OneDrive).
func (d *Dialect) unknownSegment(x *mockprovider.Exchange, seg string) *mockprovider.Response {
	return d.graphError(x, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", seg), nil)
}

// itemNotFound is Exchange's 404 for a mail item or folder.
func (d *Dialect) itemNotFound(x *mockprovider.Exchange) *mockprovider.Response {
	e, _ := lookup("ErrorItemNotFound")
	return d.renderGraph(x, e.graph)
}

// unknownProperty answers a $select naming a property the type lacks;
// Outlook-backed entities answer with the request broker's code [report].
func (d *Dialect) unknownProperty(x *mockprovider.Exchange, prop, typ string, outlook bool) *mockprovider.Response {
	if outlook {
		return d.graphError(x, http.StatusBadRequest, "RequestBroker--ParseUri", fmt.Sprintf("Could not find a property named '%s' on type 'Microsoft.OutlookServices.%s'.", prop, typ), nil)
	}
	return d.graphError(x, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.%s'.", prop, strings.ToLower(typ[:1])+typ[1:]), nil)
}

// badQueryOption answers an unusable $top, $skip or $select list
// [unverified wording].
func (d *Dialect) badQueryOption(x *mockprovider.Exchange, option, value string) *mockprovider.Response {
	return d.graphError(x, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid value '%s' for query option '%s'.", value, option), nil)
}

// methodNotAllowed answers a method the resource does not support
// [unverified wording].
func (d *Dialect) methodNotAllowed(x *mockprovider.Exchange) *mockprovider.Response {
	return d.graphError(x, http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.", nil)
}

// badPayload answers a POST whose body is empty or not JSON.
func (d *Dialect) badPayload(x *mockprovider.Exchange, empty bool) *mockprovider.Response {
	msg := "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."
	if empty {
		msg = "Empty Payload. JSON content expected."
	}
	return d.graphError(x, http.StatusBadRequest, "BadRequest", msg, nil)
}

// delegatedOnly answers /me for an app-only token.
func (d *Dialect) delegatedOnly(x *mockprovider.Exchange) *mockprovider.Response {
	return d.graphError(x, http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow.", nil)
}

// BodyTooLarge answers a request over the mock's body limit
// (mockprovider.BodyLimiter) in the format of the service it was meant
// for: the identity platform's error object at login.microsoftonline.com,
// Graph's error envelope elsewhere. Graph's 413 carries code BadRequest
// and "Maximum request length exceeded." [report]; the identity
// platform's answer is [unverified], so it is invalid_request with the
// service's generic malformed-request code.
func (d *Dialect) BodyTooLarge(x *mockprovider.Exchange, limit int64) *mockprovider.Response {
	switch x.Kind {
	case mockprovider.KindToken, mockprovider.KindAuthorize:
		e := &aadError{code: 9002313, err: "invalid_request", status: http.StatusRequestEntityTooLarge, message: fixed("Invalid request. Request is malformed or invalid.")}
		return d.renderAAD(x, e, d.ctxFrom(x))
	}
	return d.graphError(x, http.StatusRequestEntityTooLarge, "BadRequest", "Maximum request length exceeded.", nil)
}
