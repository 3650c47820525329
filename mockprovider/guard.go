package mockprovider

import (
	"crypto/subtle"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The admin API mints and reveals tokens, resets the scenario and moves
// the clock. Without an admin token it relies on being reachable from this
// machine only, which takes more than a loopback listener: a web page the
// developer opens can send requests to 127.0.0.1 too (CSRF), and through
// DNS rebinding read the answers. This file holds the checks that keep
// both out, and the rule for the addresses a server may listen on.

// AddressError is NewUnstartedServer's error for an address a provider
// without an admin token must not listen on: anything but a loopback
// address or localhost.
type AddressError struct {
	// Addr is the address asked for.
	Addr string
	// Interfaces says what the address listens on, for the message.
	Interfaces string
	// Loopback is the loopback address with the same port, the fix that
	// needs no token.
	Loopback string
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("mockprovider: refusing to listen on %s (%s) without an admin token: the admin API mints and reveals tokens; set Provider.AdminToken, or listen on %s",
		e.Addr, e.Interfaces, e.Loopback)
}

// checkListenAddr decides whether a provider may listen on addr
// (HOST:PORT). A loopback host (127.0.0.0/8, ::1, localhost) is always
// allowed. Anything else needs an admin token: an empty host, 0.0.0.0 and
// [::] mean every interface, another address an interface other machines
// reach, and a name other than localhost may resolve to either, so names
// are not resolved to decide. With an admin token every address is
// allowed, and then the token endpoint and the API answer other machines
// too: that is what such an address is for.
func checkListenAddr(addr string, hasToken bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("mockprovider: address %q: %w (want HOST:PORT, e.g. 127.0.0.1:0)", addr, err)
	}
	if hasToken || isLoopbackName(host) {
		return nil
	}
	what := "an address other machines can reach"
	switch ip := net.ParseIP(host); {
	case host == "":
		what = "every interface: the host is empty"
	case ip != nil && ip.IsUnspecified():
		what = "every interface"
	case ip == nil:
		what = "a host name, which may resolve to any interface; only localhost counts as loopback"
	}
	return &AddressError{Addr: addr, Interfaces: what, Loopback: net.JoinHostPort("127.0.0.1", port)}
}

// isLoopbackName reports whether host (no port, IPv6 with or without
// brackets) names this machine only: localhost, an address of
// 127.0.0.0/8 or ::1. Unlike isLoopbackHost, an empty host is not.
func isLoopbackName(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}

// hostOnly returns the host of a Host header or URL authority, without
// port and brackets.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// adminBodyTypes are the media types each admin endpoint that changes
// state accepts. A web page can send a cross-origin POST without asking
// the server first only with a form or text/plain body; any other type
// makes the browser ask (a CORS preflight), which the admin API never
// grants. The test checks that every such endpoint in adminPaths is here.
var adminBodyTypes = map[string][]string{
	"POST reset":         {"application/json"},
	"POST clock/advance": {"application/json"},
	"PUT scenario":       {"application/json", "application/yaml", "application/x-yaml", "text/yaml"},
	"POST scenario":      {"application/json", "application/yaml", "application/x-yaml", "text/yaml"},
	"POST families":      {"application/json"},
	"POST revoke":        {"application/json"},
	"POST expire":        {"application/json"},
}

// adminRefusal is why the admin API does not answer a request.
type adminRefusal struct {
	status int
	adminError
}

// adminGuard decides, before the body is read, whether the admin API
// answers r on route ("POST reset"); nil means it does.
//
// With an admin token the bearer token decides, compared in constant
// time. Without one, the request must come from a loopback address, name
// a loopback host (a page that rebinds its own name to 127.0.0.1 sends its
// own name as Host) and carry no Origin but a loopback one, nor a
// Sec-Fetch-Site of cross-site (a page of another site sent it). Requests
// that did not come over a network (the httpmock adapter; no RemoteAddr)
// cannot come from a browser and skip those checks. Either way, an
// endpoint that changes state needs the body type it reads.
func (p *Provider) adminGuard(r *http.Request, route string) *adminRefusal {
	if p.AdminToken != "" {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(p.AdminToken)) != 1 {
			return &adminRefusal{http.StatusUnauthorized, adminError{Error: "the admin API needs Authorization: Bearer <admin token>"}}
		}
	} else if r.RemoteAddr != "" {
		if !isLoopbackName(hostOnly(r.RemoteAddr)) {
			return &adminRefusal{http.StatusForbidden, adminError{Error: "the admin API answers loopback clients only; start the server with an admin token to use it remotely"}}
		}
		if !isLoopbackName(hostOnly(r.Host)) {
			return &adminRefusal{http.StatusForbidden, adminError{
				Error: fmt.Sprintf("the admin API answers requests for a loopback host only (Host: 127.0.0.1, localhost or [::1]), not %q", r.Host),
				Hint:  "a web page reaches a local server under its own name through DNS rebinding; use the admin URL the server printed, or start the server with an admin token",
			}}
		}
		if o := r.Header.Get("Origin"); o != "" && !loopbackOrigin(o) {
			return &adminRefusal{http.StatusForbidden, adminError{
				Error: fmt.Sprintf("the admin API refuses requests a web page of another origin sent (Origin: %s)", o),
				Hint:  "call it from a program (curl, a test) rather than a browser, or start the server with an admin token",
			}}
		}
		if strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "cross-site") {
			return &adminRefusal{http.StatusForbidden, adminError{
				Error: "the admin API refuses requests a web page of another site sent (Sec-Fetch-Site: cross-site)",
				Hint:  "call it from a program (curl, a test) rather than a browser, or start the server with an admin token",
			}}
		}
	}
	if types, ok := adminBodyTypes[route]; ok {
		ct := r.Header.Get("Content-Type")
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !bodyTypeAllowed(strings.ToLower(mt), types) {
			got := "none"
			if ct != "" {
				got = fmt.Sprintf("%q", ct)
			}
			return &adminRefusal{http.StatusUnsupportedMediaType, adminError{
				Error: fmt.Sprintf("%s needs Content-Type: %s (got %s)", route, strings.Join(types, " or "), got),
				Hint:  "the admin API takes no other body type, so that a web page cannot post to it; with curl add -H 'Content-Type: application/json', even without a body",
			}}
		}
	}
	return nil
}

func bodyTypeAllowed(mt string, types []string) bool {
	for _, t := range types {
		if mt == t || (t == "application/json" && strings.HasSuffix(mt, "+json")) {
			return true
		}
	}
	return false
}

// loopbackOrigin reports whether an Origin header names a page served
// from this machine (http or https on a loopback host, any port).
func loopbackOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false // "null" (a sandboxed or file: page) included
	}
	return isLoopbackName(hostOnly(u.Host))
}
