package scenarios

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// wantCatalogue is what the design promises the catalogue holds.
var wantCatalogue = map[string][]string{
	"salesforce": {
		"valid-token", "expired-access-token", "refresh-token-omitted", "rotation", "rotation-reuse-detected",
		"repeated-401", "refresh-rejected-invalid-grant", "refresh-rejected-inactive-user", "refresh-rejected-invalid-app-access",
		"client-rejected", "token-endpoint-unavailable-then-success", "token-endpoint-unavailable-always", "token-endpoint-timeout",
		"malformed-token-response-non-json", "malformed-token-response-html", "malformed-token-response-missing-access-token",
		"malformed-token-response-missing-id", "api-forbidden", "api-server-error-500", "api-unavailable-503",
		"instance-url-moved", "concurrent-401", "expired-by-clock",
	},
	"microsoft": {
		"valid-token", "expired-access-token", "refresh-token-omitted", "rotation", "repeated-401",
		"refresh-rejected-aadsts700082", "refresh-rejected-aadsts50173", "refresh-rejected-aadsts50076",
		"refresh-rejected-aadsts65001", "refresh-rejected-aadsts70008", "client-rejected",
		"token-endpoint-unavailable-then-success", "token-endpoint-unavailable-always", "token-endpoint-timeout",
		"malformed-token-response-non-json", "malformed-token-response-html", "malformed-token-response-missing-access-token",
		"api-forbidden", "api-throttled-429", "api-server-error-500", "api-unavailable-503", "concurrent-401", "expired-by-clock",
	},
}

func TestCatalogue(t *testing.T) {
	list := Catalogue()
	got := map[string][]string{}
	for i, s := range list {
		got[s.Provider] = append(got[s.Provider], s.Name)
		if i > 0 {
			p := list[i-1]
			if p.Provider > s.Provider || p.Provider == s.Provider && p.Name >= s.Name {
				t.Errorf("catalogue not sorted (or a duplicate): %s before %s", p, s)
			}
		}
		t.Run(s.String(), func(t *testing.T) {
			if want := "builtin:" + s.String(); s.Source != want {
				t.Errorf("Source = %q, want %q", s.Source, want)
			}
			if len(s.Description) < 80 || !strings.Contains(s.Description, "conforming component") {
				t.Errorf("description must say what a conforming component does: %q", s.Description)
			}
			if len(s.Labels) == 0 {
				t.Error("no labels")
			}
			for _, st := range s.Steps {
				if st.Message != nil && !json.Valid(st.Message.Body) {
					t.Errorf("message body %s is not JSON", st.Message.Body)
				}
			}
			d, cfg, err := s.Build()
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if d.Name() != s.Provider {
				t.Errorf("dialect %q for a %s scenario", d.Name(), s.Provider)
			}
			p, err := mockprovider.New(d, cfg)
			if err != nil {
				t.Fatalf("mockprovider.New: %v", err)
			}
			defer p.Close()
			if want := s.Credentials.AccessToken; want != "" && p.Initial().Access.State != want {
				t.Errorf("initial access token %s, want %s", p.Initial().Access.State, want)
			}
			// Through the builtin lookup the same scenario comes back.
			b, err := Builtin(s.Provider, s.Name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(s, b); diff != "" {
				t.Errorf("Builtin differs from Catalogue (-catalogue +builtin):\n%s", diff)
			}
		})
	}
	for p, names := range wantCatalogue {
		for _, n := range names {
			if !slices.Contains(got[p], n) {
				t.Errorf("catalogue lacks %s/%s", p, n)
			}
		}
	}
}

func TestCatalogueReturnsCopies(t *testing.T) {
	a := Catalogue()[0]
	a.Labels[0] = "changed"
	a.Steps[0].Message.Body[0] = 'X'
	b := Catalogue()[0]
	if b.Labels[0] == "changed" || b.Steps[0].Message.Body[0] == 'X' {
		t.Error("changing a scenario from Catalogue changed the catalogue")
	}
}

func TestBuiltinErrors(t *testing.T) {
	tests := []struct{ provider, name, want string }{
		{"salesforce", "rotaton", `scenarios: no built-in salesforce scenario "rotaton"; did you mean "rotation"?`},
		{"salesforce", "malformed", `scenarios: no built-in salesforce scenario "malformed"; did you mean "malformed-token-response-html", "malformed-token-response-missing-access-token", "malformed-token-response-missing-id" or "malformed-token-response-non-json"?`},
		{"salesforce", "zzz", "scenarios: no built-in salesforce scenario \"zzz\" (see `refreshproof scenarios list`)"},
		{"microsft", "rotation", `scenarios: unknown provider "microsft"; did you mean "microsoft"?`},
	}
	for _, tt := range tests {
		_, err := Builtin(tt.provider, tt.name)
		if err == nil {
			t.Errorf("Builtin(%q, %q) found something", tt.provider, tt.name)
			continue
		}
		if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
			t.Errorf("Builtin(%q, %q) (-want +got):\n%s", tt.provider, tt.name, diff)
		}
	}
}
