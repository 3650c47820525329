package mockprovider

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Redactor replaces secrets in text with stable labels (AT#2, RT#1,
// CLIENT_SECRET#1) so a reader can still follow which token went where.
type Redactor struct {
	r *strings.Replacer
}

// NewRedactor returns a redactor for secrets, a map from secret value to its
// label. Each value is also matched in its form-encoded spelling, since
// tokens travel in form bodies.
func NewRedactor(secrets map[string]string) *Redactor {
	vals := make([]string, 0, len(secrets))
	for v := range secrets {
		if len(v) >= 6 { // short strings would redact ordinary words
			vals = append(vals, v)
		}
	}
	// Longest first, so a value that contains another is replaced whole.
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	var pairs []string
	for _, v := range vals {
		l := "[" + secrets[v] + "]"
		pairs = append(pairs, v, l)
		if q := url.QueryEscape(v); q != v {
			pairs = append(pairs, q, l)
		}
		if p := url.PathEscape(v); p != v && p != url.QueryEscape(v) {
			pairs = append(pairs, p, l)
		}
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// String redacts s.
func (r *Redactor) String(s string) string {
	if r == nil || r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// Header returns a redacted copy of h. Basic credentials are replaced
// whole, since their base64 form hides the secret from String.
func (r *Redactor) Header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		c := make([]string, len(vs))
		for i, v := range vs {
			if strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "Proxy-Authorization") {
				c[i] = r.authorization(v)
				continue
			}
			c[i] = r.String(v)
		}
		out[k] = c
	}
	return out
}

// authorization redacts a credential header whole: a token the redactor
// does not know (a guess, another system's token) is still a secret.
func (r *Redactor) authorization(v string) string {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return r.unknown(v)
	}
	if strings.EqualFold(scheme, "basic") {
		return scheme + " " + r.basic(cred)
	}
	return scheme + " " + r.unknown(strings.TrimSpace(cred))
}

func (r *Redactor) basic(b64 string) string {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return "[unreadable credentials]"
	}
	id, secret, _ := strings.Cut(string(raw), ":")
	return "[" + id + ":" + r.unknown(secret) + "]"
}

// unknown redacts a value known to be secret: with its label when the
// redactor knows it, else whole (a wrong client secret is still a secret).
func (r *Redactor) unknown(v string) string {
	if v == "" {
		return ""
	}
	if red := r.String(v); red != v {
		return red
	}
	return "[redacted]"
}

// secretFields are the form fields whose values are always secret.
var secretFields = map[string]bool{
	"client_secret": true, "refresh_token": true, "access_token": true, "password": true,
	"code": true, "code_verifier": true, "client_assertion": true, "token": true, "assertion": true,
}

// Form redacts a form-encoded body: known secrets by label, any other
// value of a secret field whole. A body that is not a form is redacted as
// a string.
func (r *Redactor) Form(body string) string {
	if !strings.Contains(body, "=") {
		return r.String(body)
	}
	parts := strings.Split(body, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if !ok || err != nil || !secretFields[name] {
			parts[i] = r.String(p)
			continue
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		parts[i] = k + "=" + r.unknown(v)
	}
	return strings.Join(parts, "&")
}

// Entry returns a redacted copy of e.
func (r *Redactor) Entry(e Entry) Entry {
	e.Path = r.String(e.Path)
	e.Query = r.Form(e.Query) // access_token=… in a URL is a secret too
	e.Header = r.Header(e.Header)
	if strings.HasPrefix(strings.ToLower(e.Header.Get("Content-Type")), "application/x-www-form-urlencoded") {
		e.Body = r.Form(e.Body)
	} else {
		e.Body = r.String(e.Body)
	}
	e.ResponseHeader = r.Header(e.ResponseHeader)
	e.ResponseBody = r.String(e.ResponseBody)
	e.Note = r.String(e.Note)
	return e
}
