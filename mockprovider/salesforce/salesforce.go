// Package salesforce is the Salesforce dialect of mockprovider: the token,
// revoke, authorize and identity endpoints of login.salesforce.com and of
// an org's My Domain, and enough of the REST API (/services/data) for a
// component to query, read and write records, answering as the real
// service does (reference/providers.md, section A).
package salesforce

import (
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// Options configures the dialect. The zero value is a production org
// whose instance never moves.
type Options struct {
	// InstanceHost is the org's My Domain host, named in instance_url.
	// Empty means "mockorg.my.salesforce.com".
	InstanceHost string
	// MoveInstanceAfterRefresh moves the org at the Nth successful refresh
	// (counted from 1): that refresh response and every later one name
	// MovedInstanceHost as instance_url, and API calls sent to the old
	// instance host answer 401 INVALID_SESSION_ID, as after an org
	// migration (jsforce #196). Zero means never.
	MoveInstanceAfterRefresh int
	// MovedInstanceHost is where the org moves to. Empty means
	// "mockorg2.my.salesforce.com".
	MovedInstanceHost string
	// NoWWWAuthenticate omits "WWW-Authenticate: Token" from API 401s;
	// captures show it both ways (providers.md A.4).
	NoWWWAuthenticate bool
	// APIVersion is the newest REST API version served, as "67.0". Empty
	// means "67.0" (Summer '26). Older versions down to 31.0 are served
	// too; /services/data lists the newest few.
	APIVersion string
	// Sandbox names test.salesforce.com instead of login.salesforce.com
	// as the login host in identity URLs.
	Sandbox bool
	// OrgID and UserID are the 18-character IDs of the org and of the
	// signed-in user. Empty means fixed realistic values.
	OrgID, UserID string
}

// Default values of Options.
const (
	DefaultInstanceHost      = "mockorg.my.salesforce.com"
	DefaultMovedInstanceHost = "mockorg2.my.salesforce.com"
	DefaultAPIVersion        = "67.0"
	DefaultOrgID             = "00D5g000004CKZ1EAO"
	DefaultUserID            = "0055g00000A1b2CAAR"

	// DefaultClientID and DefaultClientSecret are the consumer key and
	// secret of the connected app Defaults registers, shaped like real
	// ones (the documentation's example key and secret have the same form).
	DefaultClientID     = "3MVG9rZjd7MXFdLhwGqqqRkfeu5Cc7Y2ujw0s6Yl2pXfOEz0wfaA2yfxAUXQM9ySYnOvrG0C_Jn.5B9Gg7jxF"
	DefaultClientSecret = "5847392016487530291"
	// DefaultScope is the scope of the initial grant, as a connected app
	// with "Full access" and "Perform requests at any time" grants it.
	DefaultScope = "refresh_token api full"

	// LoginHost and SandboxLoginHost are the login hosts.
	LoginHost        = "login.salesforce.com"
	SandboxLoginHost = "test.salesforce.com"
)

// oldestVersion is the oldest REST API version still served: Salesforce
// retired versions 7.0 to 30.0 in Summer '25.
const oldestVersion = 31

// Dialect is the Salesforce dialect. It implements mockprovider.Dialect.
// Besides the rules of its Options it keeps per-run state (the refresh
// count behind a moved instance, the org's records, authorization codes,
// query cursors, the API usage counter), which Reset clears. It is safe
// for concurrent use.
type Dialect struct {
	opt     Options
	version int // newest API version, major part

	// macMu guards macs, the HMAC of each client secret (signature).
	macMu sync.Mutex
	macs  map[string]hash.Hash

	mu         sync.Mutex
	refreshes  int
	moved      bool
	apiUsage   int
	codes      map[string]*authCode
	org        *store // nil until data seeds it
	cursors    map[string]*cursor
	cursorN    int
	browserSeq int
}

// New returns a Salesforce dialect configured by o. It panics when
// o.APIVersion is not a version such as "67.0", a programming error.
func New(o Options) *Dialect {
	if o.InstanceHost == "" {
		o.InstanceHost = DefaultInstanceHost
	}
	if o.MovedInstanceHost == "" {
		o.MovedInstanceHost = DefaultMovedInstanceHost
	}
	if o.APIVersion == "" {
		o.APIVersion = DefaultAPIVersion
	}
	if o.OrgID == "" {
		o.OrgID = DefaultOrgID
	}
	if o.UserID == "" {
		o.UserID = DefaultUserID
	}
	o.InstanceHost = strings.ToLower(o.InstanceHost)
	o.MovedInstanceHost = strings.ToLower(o.MovedInstanceHost)
	v, ok := parseVersion(o.APIVersion)
	if !ok || v < oldestVersion {
		panic(fmt.Sprintf("salesforce: API version %q is not a version such as %q", o.APIVersion, DefaultAPIVersion))
	}
	d := &Dialect{opt: o, version: v}
	d.Reset()
	return d
}

// parseVersion parses "67.0" into 67.
func parseVersion(s string) (int, bool) {
	major, minor, ok := strings.Cut(s, ".")
	if !ok || minor != "0" || major == "" || len(major) > 3 {
		return 0, false
	}
	n, err := strconv.Atoi(major)
	if err != nil || n <= 0 || major[0] == '0' {
		return 0, false
	}
	return n, true
}

// Options returns the options in force, defaults filled in.
func (d *Dialect) Options() Options { return d.opt }

// Name returns "salesforce".
func (d *Dialect) Name() string { return "salesforce" }

// Info describes Salesforce: the client variables of elastic.io's
// Salesforce components, Bearer and OAuth schemes, instance_url, and
// refresh responses without refresh_token unless rotating.
func (d *Dialect) Info() mockprovider.Info {
	return mockprovider.Info{
		Name: "salesforce", Title: "Salesforce",
		ClientIDEnv:     []string{"OAUTH_CLIENT_ID", "SALESFORCE_KEY", "SALESFORCE_CLIENT_ID"},
		ClientSecretEnv: []string{"OAUTH_CLIENT_SECRET", "SALESFORCE_SECRET", "SALESFORCE_CLIENT_SECRET"},
		AuthSchemes:     []string{"bearer", "oauth"},
		InstanceURL:     true, OmitsRefreshToken: true,
		TokenPath: "/services/oauth2/token", APIBase: "/services/data/v" + d.opt.APIVersion,
		TokenURL: "https://" + LoginHost + "/services/oauth2/token", AuthURL: "https://" + LoginHost + "/services/oauth2/authorize",
	}
}

// Hosts returns the login hosts and the My Domain wildcard, which also
// covers sandbox My Domains ({name}--{sandbox}.sandbox.my.salesforce.com).
func (d *Dialect) Hosts() []string {
	hosts := []string{LoginHost, SandboxLoginHost, "*.my.salesforce.com"}
	for _, h := range []string{d.opt.InstanceHost, d.opt.MovedInstanceHost} {
		if !strings.HasSuffix(h, ".my.salesforce.com") && !contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Defaults returns the policy of a connected app with default settings:
// two-hour idle session timeout, refresh tokens valid until revoked and
// not rotated, concurrent refreshes rejected (Summer '24).
func (d *Dialect) Defaults() mockprovider.Config {
	return mockprovider.Config{
		Policy: &mockprovider.Policy{
			AccessTokenLifetime:     2 * time.Hour,
			SlidingAccess:           true,
			Rotation:                mockprovider.RotateNever,
			RejectConcurrentRefresh: true,
		},
		Clients: []mockprovider.Client{{ID: DefaultClientID, Secret: DefaultClientSecret}},
		Scope:   DefaultScope,
	}
}

// TokenFormat makes session IDs of the form {15-char org ID}!{97 chars}
// and refresh tokens of the form 5Aep861{80 chars} (providers.md A.5).
// Values depend on rnd only.
func (d *Dialect) TokenFormat() mockprovider.TokenFormat {
	org15 := id15(d.opt.OrgID)
	return func(kind mockprovider.TokenKind, n int, rnd func(int) string) string {
		if kind == mockprovider.RefreshToken {
			return "5Aep861" + sprinkle(rnd(80), '.', 0)
		}
		return org15 + "!AQ" + sprinkle(rnd(95), '.', '_')
	}
}

// sprinkle turns some characters of an alphanumeric string into the
// punctuation real tokens carry. Which ones depends on the string, so the
// result stays a function of the random input.
func sprinkle(s string, a, b byte) string {
	out := []byte(s)
	for i := 8; i < len(out)-8; i++ {
		switch {
		case out[i] == 'x' && a != 0:
			out[i] = a
		case out[i] == 'W' && b != 0:
			out[i] = b
		}
	}
	return string(out)
}

// Reset forgets the per-run state: the org is back on its first instance,
// with its initial records, no API calls counted, no codes or cursors.
func (d *Dialect) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refreshes = 0
	d.moved = false
	d.apiUsage = 0
	d.codes = map[string]*authCode{}
	d.org = nil // seeded on first use: most runs never call the API
	d.cursors = map[string]*cursor{}
	d.cursorN = 0
	d.browserSeq = 0
}

// data returns the org's records, seeding them on first use; d.mu is
// held. Seeding takes a fraction of a millisecond, which serve's start-up
// and every Reset (a provider loads its dialect once to check a scenario
// and again to serve it) no longer pay.
func (d *Dialect) data() *store {
	if d.org == nil {
		d.org = newStore()
	}
	return d.org
}

// instanceHost returns the org's current instance host.
func (d *Dialect) instanceHost() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.instanceHostLocked()
}

func (d *Dialect) instanceHostLocked() string {
	if d.moved {
		return d.opt.MovedInstanceHost
	}
	return d.opt.InstanceHost
}

// loginHost returns the host named in identity URLs.
func (d *Dialect) loginHost() string {
	if d.opt.Sandbox {
		return SandboxLoginHost
	}
	return LoginHost
}

// identityURL returns the id of a token response: the login host's
// /id/{orgId}/{userId}.
func (d *Dialect) identityURL(x *mockprovider.Exchange) string {
	return x.URL(d.loginHost()) + "/id/" + d.opt.OrgID + "/" + d.opt.UserID
}

// countRefresh counts a successful refresh and returns the instance host
// its response names.
func (d *Dialect) countRefresh() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refreshes++
	if n := d.opt.MoveInstanceAfterRefresh; n > 0 && d.refreshes >= n {
		d.moved = true
	}
	return d.instanceHostLocked()
}

// id15 returns the case-sensitive 15-character form of a Salesforce ID.
func id15(id string) string {
	if len(id) > 15 {
		return id[:15]
	}
	return id
}

// id18 adds the case-insensitive checksum suffix to a 15-character ID: one
// character per five, encoding which of them are upper-case letters.
func id18(id string) string {
	if len(id) != 15 {
		return id
	}
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	suffix := make([]byte, 3)
	for chunk := range 3 {
		bits := 0
		for i := range 5 {
			if c := id[chunk*5+i]; c >= 'A' && c <= 'Z' {
				bits |= 1 << i
			}
		}
		suffix[chunk] = chars[bits]
	}
	return id + string(suffix)
}

// sameID compares Salesforce IDs in their 15- or 18-character forms.
func sameID(a, b string) bool {
	if len(a) == 18 && len(b) == 18 {
		return strings.EqualFold(a, b) && id15(a) == id15(b)
	}
	return id15(a) == id15(b)
}
