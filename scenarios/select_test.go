package scenarios

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelect(t *testing.T) {
	list := []*Scenario{
		{Name: "rotation", Provider: "microsoft", Labels: []string{"rotation", "restart"}},
		{Name: "valid-token", Provider: "microsoft", Labels: []string{"baseline"}},
		{Name: "rotation", Provider: "salesforce", Labels: []string{"rotation", "restart", "reuse-detection"}},
		{Name: "api-forbidden", Provider: "salesforce", Labels: []string{"api-error", "forbidden"}},
		{Name: "valid-token", Provider: "salesforce", Labels: []string{"baseline"}},
	}
	tests := []struct {
		name    string
		names   []string
		filter  string
		want    []string
		wantErr string
	}{
		{name: "everything", want: []string{"microsoft/rotation", "microsoft/valid-token", "salesforce/rotation", "salesforce/api-forbidden", "salesforce/valid-token"}},
		{name: "name for every provider", names: []string{"rotation"}, want: []string{"microsoft/rotation", "salesforce/rotation"}},
		{name: "qualified name", names: []string{"salesforce/valid-token"}, want: []string{"salesforce/valid-token"}},
		{name: "names keep list order", names: []string{"salesforce/valid-token", "microsoft/rotation"}, want: []string{"microsoft/rotation", "salesforce/valid-token"}},
		{name: "one label", filter: "baseline", want: []string{"microsoft/valid-token", "salesforce/valid-token"}},
		{name: "and not", filter: "rotation && !reuse-detection", want: []string{"microsoft/rotation"}},
		{name: "provider is a label", filter: "salesforce && !baseline", want: []string{"salesforce/rotation", "salesforce/api-forbidden"}},
		{name: "precedence", filter: "baseline || rotation && salesforce", want: []string{"microsoft/valid-token", "salesforce/rotation", "salesforce/valid-token"}},
		{name: "parentheses", filter: "(baseline || rotation) && salesforce", want: []string{"salesforce/rotation", "salesforce/valid-token"}},
		{name: "double negation and spaces", filter: "  !!forbidden\t", want: []string{"salesforce/api-forbidden"}},
		{name: "names and filter", names: []string{"rotation"}, filter: "microsoft", want: []string{"microsoft/rotation"}},
		{name: "unknown name", names: []string{"rotaton"}, wantErr: `scenarios: no scenario "rotaton"; did you mean "rotation"?`},
		{name: "unknown qualified name", names: []string{"salesforce/valid-tokn"}, wantErr: `scenarios: no scenario "salesforce/valid-tokn"; did you mean "salesforce/valid-token"?`},
		{name: "wrong provider", names: []string{"microsoft/api-forbidden"}, wantErr: `scenarios: no scenario "microsoft/api-forbidden"; did you mean "api-forbidden"?`},
		{name: "selects nothing", filter: "rotaton", wantErr: `scenarios: label filter "rotaton" selects no scenario: no scenario has label "rotaton"; did you mean "rotation"?`},
		{name: "selects nothing, labels known", filter: "baseline && forbidden", wantErr: `scenarios: label filter "baseline && forbidden" selects no scenario`},
		{name: "unclosed", filter: "a && (b || c", wantErr: `scenarios: label filter "a && (b || c", column 6: "(" is never closed`},
		{name: "stray close", filter: "a)", wantErr: `scenarios: label filter "a)", column 2: unexpected ")" without a matching "("`},
		{name: "missing operator", filter: "a b", wantErr: `scenarios: label filter "a b", column 3: expected && or || before "b"`},
		{name: "dangling and", filter: "a &&", wantErr: `scenarios: label filter "a &&", column 5: expected a label, !, or ( at the end`},
		{name: "leading or", filter: "|| a", wantErr: `scenarios: label filter "|| a", column 1: expected a label before "|| a"`},
		{name: "single ampersand", filter: "a & b", wantErr: `scenarios: label filter "a & b", column 3: expected && or || before "& b"`},
		{name: "bad character", filter: "Rotation", wantErr: `scenarios: label filter "Rotation", column 1: unexpected "Rotation"; labels are lower-case letters, digits and hyphens, joined with &&, ||, ! and parentheses`},
		{name: "too deep", filter: strings.Repeat("(", 200) + "a" + strings.Repeat(")", 200), wantErr: "nested more than 100 levels deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(list, tt.names, tt.filter)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Select error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.String())
			}
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("selected (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSelectCatalogue(t *testing.T) {
	got, err := Select(Catalogue(), nil, "refresh-rejected && microsoft && !secrets")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 { // five AADSTS codes and the client
		t.Errorf("selected %d scenarios, want 6", len(got))
	}
}

func TestLabelFilterMatch(t *testing.T) {
	f, err := ParseLabelFilter("R05 || (rotation && !restart)")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		labels []string
		want   bool
	}{
		{[]string{"r05"}, true},
		{[]string{"R06", "rotation"}, true},
		{[]string{"R06", "rotation", "restart"}, false},
		{nil, false},
	} {
		if got := f.Match(tc.labels...); got != tc.want {
			t.Errorf("Match(%v) = %v, want %v", tc.labels, got, tc.want)
		}
	}
	if !(LabelFilter{}).Match() {
		t.Error("the zero filter must match everything")
	}
	if _, err := ParseLabelFilter("R05 &&"); err == nil {
		t.Error("a dangling && parsed")
	}
}
