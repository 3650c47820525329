package salesforce

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/refreshproof/refreshproof/internal/jsontext"
	"github.com/refreshproof/refreshproof/mockprovider"
)

// This file is the dialect's only source of wire error bodies and of the
// header sets every endpoint answers with; Serve and Error both render
// through it.

// Header values captured from the real service (providers.md A.2, A.4).
const (
	cacheControlLong = "no-cache,must-revalidate,max-age=0,no-store,private"
	contentTypeJSON  = "application/json;charset=UTF-8"
	contentTypeText  = "text/plain;charset=UTF-8"
	contentTypeForm  = "application/x-www-form-urlencoded;charset=UTF-8"
	contentTypeXML   = "application/xml;charset=UTF-8"
	hstsLogin        = "max-age=31536000; includeSubDomains"
	hstsInstance     = "max-age=63072000; includeSubDomains"
	expiresEpoch     = "Thu, 01 Jan 1970 00:00:00 GMT"
)

// Header keys the real service spells differently from Go's canonical
// form; they are set as raw map keys so the wire shows Salesforce's
// spelling.
const (
	hdrWWWAuthenticate = "WWW-Authenticate"
	hdrXSSProtection   = "X-XSS-Protection"
)

// tokenErrorHeader is the header set of a token-endpoint error. Only
// Content-Type and Cache-Control are captured (providers.md A.2,
// "Concurrent refresh"); the security headers are the ones Salesforce
// sends on every response.
func tokenErrorHeader() http.Header {
	return http.Header{
		"Cache-Control":             {"no-store"},
		"Content-Type":              {contentTypeJSON},
		"Strict-Transport-Security": {hstsLogin},
		"X-Content-Type-Options":    {"nosniff"},
		hdrXSSProtection:            {"1; mode=block"},
	}
}

// apiHeader is the header set of a REST API answer (providers.md A.4).
// Its values share one array, an allocation instead of one per field;
// each is a full slice, so appending to one copies it.
func apiHeader(contentType string) http.Header {
	v := [...]string{cacheControlLong, hstsInstance, "nosniff", "none", contentType}
	h := make(http.Header, 8) // room for what callers add
	h["Cache-Control"] = v[0:1:1]
	h["Strict-Transport-Security"] = v[1:2:2]
	h["X-Content-Type-Options"] = v[2:3:3]
	h["X-Robots-Tag"] = v[3:4:4]
	if contentType != "" {
		h["Content-Type"] = v[4:5:5]
	}
	return h
}

// identityHeader is the header set of the identity endpoints.
func identityHeader(contentType string) http.Header {
	return http.Header{
		"Cache-Control":             {cacheControlLong},
		"Content-Type":              {contentType},
		"Strict-Transport-Security": {hstsLogin},
		"X-Content-Type-Options":    {"nosniff"},
		hdrXSSProtection:            {"1; mode=block"},
	}
}

// catalogueEntry is one named error of the catalogue.
type catalogueEntry struct {
	name     string
	status   int
	endpoint mockprovider.Kind
	// code and message are the OAuth error and error_description for the
	// token endpoint, the errorCode and message for the API, the body for
	// identity endpoints.
	code, message string
	note          string // provenance, shown in Errors
}

// catalogue lists the errors scenarios can name (providers.md A.3, A.4).
var catalogue = []catalogueEntry{
	// Token endpoint: always 400 with a JSON object.
	{"invalid_grant", 400, mockprovider.KindToken, "invalid_grant", "expired access/refresh token", "expired, revoked, rotated-out or unknown refresh token"},
	{"invalid_grant_token_validity", 400, mockprovider.KindToken, "invalid_grant", "token validity expired", "refresh token policy lifetime elapsed"},
	{"invalid_grant_authentication_failure", 400, mockprovider.KindToken, "invalid_grant", "authentication failure", "bad username or password; user deactivated or password changed"},
	{"invalid_grant_inactive_user", 400, mockprovider.KindToken, "invalid_grant", "inactive user", "the user was deactivated"},
	{"invalid_grant_in_flight", 400, mockprovider.KindToken, "invalid_grant", "token request is already being processed", "concurrent refresh with the same refresh token (transient)"},
	{"invalid_grant_expired_code", 400, mockprovider.KindToken, "invalid_grant", "expired authorization code", "authorization code used twice or too old; also the pre-2024 concurrent-refresh error"},
	{"invalid_grant_invalid_code", 400, mockprovider.KindToken, "invalid_grant", "invalid authorization code", "authorization code never issued [unverified wording]"},
	{"invalid_grant_redirect_uri", 400, mockprovider.KindToken, "invalid_grant", "redirect_uri must match configuration", "redirect_uri differs from the authorize request [unverified wording]"},
	{"invalid_grant_code_verifier", 400, mockprovider.KindToken, "invalid_grant", "invalid code verifier", "PKCE code_verifier does not match [unverified wording]"},
	{"invalid_client_id", 400, mockprovider.KindToken, "invalid_client_id", "client identifier invalid", "unknown consumer key"},
	{"invalid_client", 400, mockprovider.KindToken, "invalid_client", "invalid client credentials", "wrong or missing consumer secret"},
	{"unsupported_grant_type", 400, mockprovider.KindToken, "unsupported_grant_type", "grant type not supported", "unknown or disabled grant, or a body that is not a form"},
	{"invalid_app_access", 400, mockprovider.KindToken, "invalid_app_access", "user is not admin approved to access this app", "connected app policy requires pre-authorization"},
	{"invalid_request", 400, mockprovider.KindToken, "invalid_request", "missing required parameter: refresh_token", "a required parameter is missing [unverified wording]"},
	{"invalid_request_method", 400, mockprovider.KindToken, "invalid_request", "must use HTTP POST", "the token endpoint was called with another method than POST [unverified]"},
	// What Salesforce answers a repeated parameter is not documented; this
	// is RFC 6749 §5.2's answer to a request that "repeats a parameter".
	{"invalid_request_duplicate", 400, mockprovider.KindToken, "invalid_request", "duplicate parameter: grant_type", "a body parameter given twice (RFC 6749 §3.2) [unverified: RFC behaviour, wording]"},
	// Revoke endpoint. The JSON form is unverified: jsforce parses the
	// revoke error body as url-encoded.
	{"invalid_token", 400, mockprovider.KindRevoke, "invalid_token", "invalid token", "revoking a token that is unknown or already revoked [unverified body form]"},
	{"unsupported_token_type", 400, mockprovider.KindRevoke, "unsupported_token_type", "this token type is not supported", "revoke error for another token type [unverified wording]"},
	// REST API: always a JSON array of {message, errorCode}.
	{"INVALID_SESSION_ID", 401, mockprovider.KindAPI, "INVALID_SESSION_ID", "Session expired or invalid", "expired, revoked or unknown access token, or a stale instance"},
	{"INVALID_SESSION_ID_REST_NOT_ALLOWED", 401, mockprovider.KindAPI, "INVALID_SESSION_ID", "This session is not valid for use with the REST API", "High-Assurance or IP policy; refreshing does not help"},
	{"INVALID_AUTH_HEADER", 401, mockprovider.KindAPI, "INVALID_AUTH_HEADER", "INVALID_HEADER_TYPE", "malformed Authorization header"},
	{"INVALID_OPERATION_WITH_EXPIRED_PASSWORD", 401, mockprovider.KindAPI, "INVALID_OPERATION_WITH_EXPIRED_PASSWORD", "Your password has expired. Please reset your password.", "the user's password expired; refreshing does not help"},
	{"REQUEST_LIMIT_EXCEEDED", 403, mockprovider.KindAPI, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", "org API request limit reached (Salesforce never answers 429)"},
	{"API_DISABLED_FOR_ORG", 403, mockprovider.KindAPI, "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization.", "the org's edition has no API access"},
	{"NOT_FOUND", 404, mockprovider.KindAPI, "NOT_FOUND", "The requested resource does not exist", "unknown path, object or record"},
	{"METHOD_NOT_ALLOWED", 405, mockprovider.KindAPI, "METHOD_NOT_ALLOWED", "HTTP Method 'POST' not allowed. Allowed are GET,HEAD", "the resource does not accept the method"},
	{"MALFORMED_QUERY", 400, mockprovider.KindAPI, "MALFORMED_QUERY", "A query string has to be specified", "a SOQL query that does not parse"},
	{"MALFORMED_SEARCH", 400, mockprovider.KindAPI, "MALFORMED_SEARCH", "No search term found. The search term must be enclosed in braces.", "a SOSL search that does not parse"},
	{"INVALID_SEARCH", 400, mockprovider.KindAPI, "INVALID_SEARCH", "search term must be longer than one character", "a search term or search parameter the API refuses [unverified wording]"},
	{"INVALID_TYPE", 400, mockprovider.KindAPI, "INVALID_TYPE", "sObject type 'Unknown' is not supported.", "a query on an unknown object"},
	{"INVALID_FIELD", 400, mockprovider.KindAPI, "INVALID_FIELD", "No such column 'Unknown' on entity 'Account'.", "a query or write naming an unknown field"},
	{"INVALID_QUERY_LOCATOR", 400, mockprovider.KindAPI, "INVALID_QUERY_LOCATOR", "invalid query locator", "a nextRecordsUrl the org does not know"},
	{"JSON_PARSER_ERROR", 400, mockprovider.KindAPI, "JSON_PARSER_ERROR", "Unexpected character: expected a valid value at [line:1, column:1]", "a request body that is not JSON"},
	{"REQUIRED_FIELD_MISSING", 400, mockprovider.KindAPI, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]", "a create without a required field"},
	{"INVALID_FIELD_FOR_INSERT_UPDATE", 400, mockprovider.KindAPI, "INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: Id. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", "a write to a read-only field"},
	{"UNKNOWN_EXCEPTION", 500, mockprovider.KindAPI, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)", "internal server error"},
	{"SERVER_UNAVAILABLE", 503, mockprovider.KindAPI, "SERVER_UNAVAILABLE", "Server temporarily unavailable. Please try again later.", "maintenance or overload [unverified body]"},
	// Identity endpoints: plain text.
	{"Bad_OAuth_Token", 403, mockprovider.KindIdentity, "", "Bad_OAuth_Token", "expired, revoked or unknown token at /id or /services/oauth2/userinfo"},
}

func findEntry(name string) (catalogueEntry, bool) {
	for _, e := range catalogue {
		if e.name == name {
			return e, true
		}
	}
	return catalogueEntry{}, false
}

// Errors lists the catalogue.
func (d *Dialect) Errors() []mockprovider.ErrorInfo {
	out := make([]mockprovider.ErrorInfo, len(catalogue))
	for i, e := range catalogue {
		out[i] = mockprovider.ErrorInfo{Name: e.name, Status: e.status, Endpoint: e.endpoint, Description: e.note}
	}
	return out
}

// Error renders the catalogue error name as the endpoint of its kind
// answers it.
func (d *Dialect) Error(name string, x *mockprovider.Exchange) (*mockprovider.Response, bool) {
	e, ok := findEntry(name)
	if !ok {
		return nil, false
	}
	return d.render(e, e.message), true
}

// fail renders the catalogue error name; it panics on a name missing from
// the catalogue, a programming error the catalogue test catches.
func (d *Dialect) fail(name string) *mockprovider.Response {
	return d.failWith(name, "")
}

// failWith renders the catalogue error name with another message, for
// errors whose message names the request (a malformed query).
func (d *Dialect) failWith(name, message string) *mockprovider.Response {
	return d.failFields(name, message, nil)
}

// failFields renders an API error of the catalogue that lists the fields
// at fault.
func (d *Dialect) failFields(name, message string, fields []string) *mockprovider.Response {
	e, ok := findEntry(name)
	if !ok {
		panic("salesforce: no catalogue error " + name)
	}
	if message == "" {
		message = e.message
	}
	if fields != nil && e.endpoint == mockprovider.KindAPI {
		return d.apiError(e.status, e.code, message, fields)
	}
	return d.render(e, message)
}

func (d *Dialect) render(e catalogueEntry, message string) *mockprovider.Response {
	switch e.endpoint {
	case mockprovider.KindToken, mockprovider.KindRevoke:
		return &mockprovider.Response{Status: e.status, Header: tokenErrorHeader(), Body: oauthError(e.code, message)}
	case mockprovider.KindIdentity:
		return &mockprovider.Response{Status: e.status, Header: identityHeader(contentTypeText), Body: []byte(message)}
	default:
		return d.apiError(e.status, e.code, message, nil)
	}
}

// oauthError is the token endpoint's error body.
func oauthError(code, description string) []byte {
	return marshal(object{{"error", code}, {"error_description", description}})
}

// apiError renders a REST API error. The key order differs by code in
// captures: NOT_FOUND puts errorCode first, the others message first
// (providers.md A.4).
func (d *Dialect) apiError(status int, code, message string, fields []string) *mockprovider.Response {
	var o object
	if code == "NOT_FOUND" || code == "METHOD_NOT_ALLOWED" {
		o = object{{"errorCode", code}, {"message", message}}
	} else {
		o = object{{"message", message}, {"errorCode", code}}
	}
	if fields != nil {
		o = append(o, field{"fields", fields})
	}
	h := apiHeader(contentTypeJSON)
	if status == http.StatusUnauthorized && !d.opt.NoWWWAuthenticate {
		h[hdrWWWAuthenticate] = []string{"Token"}
	}
	return &mockprovider.Response{Status: status, Header: h, Body: marshal([]object{o})}
}

// field is one member of an object.
type field struct {
	k string
	v any
}

// object is a JSON object that keeps its key order, as Salesforce's
// bodies have a fixed one that clients and golden files see.
type object []field

// MarshalJSON writes o compactly, in order.
func (o object) MarshalJSON() ([]byte, error) {
	return appendJSON(make([]byte, 0, 256), o), nil
}

// get returns the value of key k.
func (o object) get(k string) (any, bool) {
	for _, f := range o {
		if f.k == k {
			return f.v, true
		}
	}
	return nil, false
}

// marshal encodes v compactly without escaping <, > and &, which
// Salesforce leaves as they are.
// The buffer starts at the size of a token answer, so that it does not
// grow a few times for each one.
func marshal(v any) []byte { return appendJSON(make([]byte, 0, 1024), v) }

// appendJSON appends v as marshal writes it. Objects, lists of them and
// plain values are written here, into one buffer: through encoding/json
// each object's output would be validated and copied again at every level
// of nesting, which was most of the cost of a query answer. Anything else
// is left to encoding/json.
func appendJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return jsontext.AppendString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case nil:
		return append(b, "null"...)
	case json.Number:
		// Record fields hold numbers as json.Number, which encoding/json
		// writes as they are once it has checked them.
		if v == "" {
			return append(b, '0')
		}
		if jsonNumber(string(v)) {
			return append(b, v...)
		}
	case object:
		b = append(b, '{')
		for i, f := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsontext.AppendString(b, f.k)
			b = append(b, ':')
			b = appendJSON(b, f.v)
		}
		return append(b, '}')
	case []object:
		if v == nil {
			return append(b, "null"...)
		}
		b = append(b, '[')
		for i, o := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, o)
		}
		return append(b, ']')
	case []any:
		if v == nil {
			return append(b, "null"...)
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	}
	return appendEncoded(b, v)
}

// appendEncoded appends v as encoding/json writes it, HTML unescaped.
func appendEncoded(b []byte, v any) []byte {
	b, err := jsontext.Append(b, v)
	if err != nil {
		// Only values built by this package reach here.
		panic("salesforce: encoding JSON: " + err.Error())
	}
	return b
}

// jsonNumber reports whether s is a JSON number (RFC 8259 section 6).
func jsonNumber(s string) bool {
	i := 0
	digits := func() bool {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}

// javaDouble formats a currency or double field as Salesforce's Java
// serializer does: 15000.0, 3.5E7.
func javaDouble(f float64) json.Number {
	if f != 0 && (f >= 1e7 || f < 1e-3 && f > -1e-3 || f <= -1e7) {
		s := strconv.FormatFloat(f, 'E', -1, 64) // 3.5E+07
		mant, exp, _ := bytes.Cut([]byte(s), []byte("E"))
		if !bytes.Contains(mant, []byte(".")) {
			mant = append(mant, ".0"...)
		}
		e, _ := strconv.Atoi(string(exp))
		return json.Number(string(mant) + "E" + strconv.Itoa(e))
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !bytes.Contains([]byte(s), []byte(".")) {
		s += ".0"
	}
	return json.Number(s)
}

// BodyTooLarge answers a request over the mock's body limit
// (mockprovider.BodyLimiter) as the endpoint it was meant for formats its
// errors: the API's JSON array, the token endpoint's OAuth object, the
// identity endpoints' plain text. The API's code is the one Salesforce
// documents for a request over its size limit (EXCEEDED_MAX_SIZE_REQUEST,
// 50 MB on the real API; the mock's limit is its own); the 413 status and
// the token endpoint's answer are [unverified].
func (d *Dialect) BodyTooLarge(x *mockprovider.Exchange, limit int64) *mockprovider.Response {
	msg := "The size of the request exceeded the limit of " + strconv.FormatInt(limit, 10) + " bytes."
	switch x.Kind {
	case mockprovider.KindAPI:
		return d.apiError(http.StatusRequestEntityTooLarge, "EXCEEDED_MAX_SIZE_REQUEST", msg, nil)
	case mockprovider.KindIdentity:
		return &mockprovider.Response{Status: http.StatusRequestEntityTooLarge, Header: identityHeader(contentTypeText), Body: []byte(msg)}
	}
	return &mockprovider.Response{Status: http.StatusRequestEntityTooLarge, Header: tokenErrorHeader(), Body: oauthError("invalid_request", msg)}
}
