package salesforce

import (
	"net/http"
	"strings"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// Paths of the OAuth endpoints (providers.md A.1).
const (
	pathToken     = "/services/oauth2/token"
	pathRevoke    = "/services/oauth2/revoke"
	pathAuthorize = "/services/oauth2/authorize"
	pathUserinfo  = "/services/oauth2/userinfo"
	prefixID      = "/id/"
	prefixData    = "/services/data"
	prefixOAuth   = "/services/oauth2/"
	prefixAPI     = "/services/"
)

// hostRole says what a request's host serves.
type hostRole int

const (
	roleAny      hostRole = iota // the mock's own address: route by path
	roleLogin                    // login.salesforce.com, test.salesforce.com
	roleInstance                 // a My Domain host
	roleNone                     // a host the dialect does not serve
)

func (d *Dialect) roleOf(host string) hostRole {
	switch {
	case host == "":
		return roleAny
	case host == LoginHost || host == SandboxLoginHost:
		return roleLogin
	case strings.HasSuffix(host, ".my.salesforce.com"), host == d.opt.InstanceHost, host == d.opt.MovedInstanceHost:
		return roleInstance
	}
	return roleNone
}

// kindOf classifies a path served on a host of role r. Login hosts serve
// OAuth and identity but no API; My Domain hosts serve all of it.
func kindOf(path string, r hostRole) mockprovider.Kind {
	if r == roleNone {
		return mockprovider.KindUnknown
	}
	p := strings.TrimSuffix(path, "/")
	switch {
	case p == pathToken:
		return mockprovider.KindToken
	case p == pathRevoke:
		return mockprovider.KindRevoke
	case p == pathAuthorize:
		return mockprovider.KindAuthorize
	case p == pathUserinfo, strings.HasPrefix(path, prefixID):
		return mockprovider.KindIdentity
	case strings.HasPrefix(path, prefixOAuth):
		return mockprovider.KindUnknown
	case p == prefixData || strings.HasPrefix(path, prefixAPI):
		if r == roleLogin {
			return mockprovider.KindUnknown
		}
		return mockprovider.KindAPI
	}
	return mockprovider.KindUnknown
}

// Classify sets x.Kind and, where they apply, x.Grant, x.Token and
// x.TokenWhere. It changes no token state.
func (d *Dialect) Classify(x *mockprovider.Exchange) {
	x.Kind = kindOf(x.Path, d.roleOf(x.Host))
	switch x.Kind {
	case mockprovider.KindToken:
		x.ReadTokenForm()
	case mockprovider.KindRevoke:
		x.Token, x.TokenWhere = revokeToken(x)
	case mockprovider.KindIdentity:
		x.Token, x.TokenWhere = identityToken(x)
	case mockprovider.KindAPI:
		x.Token, x.TokenWhere = x.BearerToken("Bearer", "OAuth")
	}
}

// revokeToken finds the token of a revoke request: the form's token on a
// POST, the query's on a GET (both documented).
func revokeToken(x *mockprovider.Exchange) (string, string) {
	if x.Request.Method == http.MethodPost {
		if f, ok := x.Form(); ok && f.Get("token") != "" {
			return f.Get("token"), "form"
		}
	}
	if t := x.Request.URL.Query().Get("token"); t != "" {
		return t, "query"
	}
	return "", ""
}

// identityToken finds the token of an identity request: the
// Authorization header (Bearer or OAuth), else an access_token parameter,
// which the identity service accepts as well.
func identityToken(x *mockprovider.Exchange) (string, string) {
	if t, scheme := x.BearerToken("Bearer", "OAuth"); t != "" {
		return t, scheme
	}
	if t := x.Request.URL.Query().Get("access_token"); t != "" {
		return t, "query"
	}
	if x.Request.Method == http.MethodPost {
		if f, ok := x.Form(); ok && f.Get("access_token") != "" {
			return f.Get("access_token"), "form"
		}
	}
	return "", ""
}
