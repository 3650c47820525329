package salesforce

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// The signed-in user the identity endpoints describe.
const (
	userFirstName    = "Integration"
	userLastName     = "User"
	userEmail        = "integration.user@example.com"
	userTimezone     = "America/Los_Angeles"
	userUTCOffset    = -28800000
	userLastModified = "2024-01-10T18:20:31Z"
)

// serveIdentity answers /id/{orgId}/{userId} and /services/oauth2/userinfo.
// Any bad token, missing, unknown, expired or revoked, gets 403 with the
// plain-text body Bad_OAuth_Token, not a 401 (providers.md A.4).
func (d *Dialect) serveIdentity(x *mockprovider.Exchange) *mockprovider.Response {
	if x.Token == "" {
		return d.fail("Bad_OAuth_Token")
	}
	t, ok := x.Provider.Authority().Authenticate(x.Token)
	if !ok || t.Kind != mockprovider.AccessToken || t.State != mockprovider.StateValid {
		return d.fail("Bad_OAuth_Token")
	}
	var o object
	if strings.HasPrefix(x.Path, prefixID) {
		org, user, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(x.Path, prefixID), "/"), "/")
		// The token names its own user; asking for another identity is
		// answered like a bad token [unverified].
		if !sameID(org, d.opt.OrgID) || !sameID(user, d.opt.UserID) {
			return d.fail("Bad_OAuth_Token")
		}
		o = d.identity(x)
	} else {
		o = d.userinfo(x)
	}
	h := identityHeader(contentTypeJSON)
	h["Vary"] = []string{"Accept-Encoding"}
	return &mockprovider.Response{Status: http.StatusOK, Header: h, Body: marshal(o)}
}

// urls is the urls member of both identity answers. The identity service
// leaves {version} as a literal placeholder for the client to fill in.
func (d *Dialect) urls(x *mockprovider.Exchange) object {
	inst := x.URL(d.instanceHost())
	org := id15(d.opt.OrgID)
	rest := inst + "/services/data/v{version}/"
	return object{
		{"enterprise", inst + "/services/Soap/c/{version}/" + org},
		{"metadata", inst + "/services/Soap/m/{version}/" + org},
		{"partner", inst + "/services/Soap/u/{version}/" + org},
		{"rest", rest},
		{"sobjects", rest + "sobjects/"},
		{"search", rest + "search/"},
		{"query", rest + "query/"},
		{"recent", rest + "recent/"},
		{"tooling_soap", inst + "/services/Soap/T/{version}/" + org},
		{"tooling_rest", rest + "tooling/"},
		{"profile", inst + "/" + d.opt.UserID},
		{"feeds", rest + "chatter/feeds"},
		{"groups", rest + "chatter/groups"},
		{"users", rest + "chatter/users"},
		{"feed_items", rest + "chatter/feed-items"},
		{"feed_elements", rest + "chatter/feed-elements"},
		{"custom_domain", inst},
	}
}

func (d *Dialect) photos(x *mockprovider.Exchange) object {
	base := x.URL(strings.Replace(d.instanceHost(), ".my.salesforce.com", "--c.documentforce.com", 1)) + "/profilephoto/005/"
	return object{{"picture", base + "F"}, {"thumbnail", base + "T"}}
}

// identity is the body of /id/{orgId}/{userId} (providers.md A.4).
func (d *Dialect) identity(x *mockprovider.Exchange) object {
	return object{
		{"id", d.identityURL(x)},
		{"asserted_user", true},
		{"user_id", d.opt.UserID},
		{"organization_id", d.opt.OrgID},
		{"username", userEmail},
		{"nick_name", "integration.user"},
		{"display_name", userFirstName + " " + userLastName},
		{"email", userEmail},
		{"email_verified", true},
		{"first_name", userFirstName},
		{"last_name", userLastName},
		{"timezone", userTimezone},
		{"photos", d.photos(x)},
		{"addr_street", nil},
		{"addr_city", nil},
		{"addr_state", nil},
		{"addr_country", "US"},
		{"addr_zip", nil},
		{"mobile_phone", nil},
		{"mobile_phone_verified", false},
		{"is_lightning_login_user", false},
		{"status", object{{"created_date", nil}, {"body", nil}}},
		{"urls", d.urls(x)},
		{"active", true},
		{"user_type", "STANDARD"},
		{"language", "en_US"},
		{"locale", "en_US"},
		{"utcOffset", userUTCOffset},
		{"last_modified_date", userLastModified[:19] + ".000+0000"},
		{"is_app_installed", true},
	}
}

// userinfo is the body of /services/oauth2/userinfo: the same user as
// OpenID Connect claims.
func (d *Dialect) userinfo(x *mockprovider.Exchange) object {
	return object{
		{"sub", d.identityURL(x)},
		{"user_id", d.opt.UserID},
		{"organization_id", d.opt.OrgID},
		{"preferred_username", userEmail},
		{"nickname", "integration.user"},
		{"name", userFirstName + " " + userLastName},
		{"email", userEmail},
		{"email_verified", true},
		{"given_name", userFirstName},
		{"family_name", userLastName},
		{"zoneinfo", userTimezone},
		{"photos", d.photos(x)},
		{"profile", x.URL(d.instanceHost()) + "/" + d.opt.UserID},
		{"picture", d.photos(x)[0].v},
		{"address", object{{"country", "US"}}},
		{"is_salesforce_integration_user", false},
		{"urls", d.urls(x)},
		{"active", true},
		{"user_type", "STANDARD"},
		{"language", "en_US"},
		{"locale", "en_US"},
		{"utcOffset", userUTCOffset},
		{"updated_at", userLastModified},
		{"is_app_installed", true},
	}
}

// versionLabel names the release of API version v: 66.0 is Spring '26,
// 67.0 Summer '26, 68.0 Winter '27, three releases a year.
func versionLabel(v int) string {
	k := v - 66
	yearsOff := k / 3
	season := k % 3
	if season < 0 {
		season += 3
		yearsOff--
	}
	year := 26 + yearsOff
	name := [...]string{"Spring", "Summer", "Winter"}[season]
	if season == 2 {
		year++
	}
	return fmt.Sprintf("%s '%02d", name, year%100)
}
