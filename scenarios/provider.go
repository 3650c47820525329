package scenarios

import (
	"fmt"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/microsoft"
	"github.com/refreshproof/refreshproof/mockprovider/salesforce"
)

// newDialect builds the dialect of provider with the scenario's options
// (nil means the dialect's defaults). It is the only place that knows the
// dialect packages.
func newDialect(provider string, sf *SalesforceOptions, ms *MicrosoftOptions) (mockprovider.Dialect, error) {
	switch provider {
	case "salesforce":
		var o salesforce.Options
		if sf != nil {
			o = salesforce.Options{
				InstanceHost:             sf.InstanceHost,
				MoveInstanceAfterRefresh: sf.MoveInstanceAfterRefresh,
				MovedInstanceHost:        sf.MovedInstanceHost,
				NoWWWAuthenticate:        sf.WWWAuthenticate != nil && !*sf.WWWAuthenticate,
				APIVersion:               sf.APIVersion,
				Sandbox:                  sf.Sandbox,
				OrgID:                    sf.OrgID,
				UserID:                   sf.UserID,
			}
		}
		return salesforce.New(o), nil
	case "microsoft":
		var o microsoft.Options
		if ms != nil {
			o = microsoft.Options{
				Tenants:        append([]string(nil), ms.Tenants...),
				SPA:            ms.SPA,
				ExpiredMessage: ms.ExpiredMessage,
				NoIDToken:      ms.IDToken != nil && !*ms.IDToken,
				PageSize:       ms.PageSize,
			}
		}
		return microsoft.New(o), nil
	}
	return nil, fmt.Errorf("%w %q", errUnknownProvider, provider)
}

// ProviderInfo describes provider name as its dialect answers with its
// default options; ok is false for a provider refreshproof does not mock.
func ProviderInfo(name string) (info mockprovider.Info, ok bool) {
	d, err := newDialect(name, nil, nil)
	if err != nil {
		return mockprovider.Info{}, false
	}
	return d.Info(), true
}

// ProviderOfHost names the provider whose real host h is (no port), as
// the dialects' host lists say; ok is false for any other host.
func ProviderOfHost(h string) (info mockprovider.Info, ok bool) {
	for _, name := range Providers {
		d, err := newDialect(name, nil, nil)
		if err == nil && mockprovider.MatchesHost(d, h) {
			return d.Info(), true
		}
	}
	return mockprovider.Info{}, false
}
