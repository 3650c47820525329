package cli_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/refreshproof/refreshproof/internal/cli"
)

// listRow is one scenario of "scenarios list -o json".
type listRow struct {
	Provider    string   `json:"provider"`
	Name        string   `json:"name"`
	Labels      []string `json:"labels"`
	Description string   `json:"description"`
}

func listJSON(t *testing.T, args ...string) []listRow {
	t.Helper()
	code, out, errOut := run(t, append([]string{"scenarios", "list", "-o", "json"}, args...)...)
	if code != cli.ExitOK {
		t.Fatalf("exit code %d, want 0; stderr: %s", code, errOut)
	}
	var rows []listRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("list -o json printed no JSON array: %v\n%s", err, out)
	}
	return rows
}

func TestScenariosListText(t *testing.T) {
	t.Parallel()
	code, out, errOut := run(t, "scenarios", "list")
	if code != cli.ExitOK {
		t.Fatalf("exit code %d, want 0; stderr: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if got := strings.Fields(lines[0]); !cmp.Equal(got, []string{"PROVIDER", "NAME", "LABELS", "DESCRIPTION"}) {
		t.Errorf("header is %q", lines[0])
	}
	var got []string
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) >= 2 {
			got = append(got, f[0]+"/"+f[1])
		}
	}
	for _, want := range []string{"salesforce/valid-token", "microsoft/valid-token"} {
		if !slices.Contains(got, want) {
			t.Errorf("list does not show %s; it shows %v", want, got)
		}
	}
}

func TestScenariosListJSON(t *testing.T) {
	t.Parallel()
	all := listJSON(t)
	tests := []struct {
		name string
		args []string
		// keep says which scenarios of the whole catalogue the flags
		// should leave.
		keep func(listRow) bool
		// mustHave are scenarios that must be listed, so an empty
		// catalogue cannot pass.
		mustHave []string
	}{
		{
			name:     "everything",
			keep:     func(listRow) bool { return true },
			mustHave: []string{"salesforce/valid-token", "microsoft/valid-token"},
		},
		{
			name:     "one provider",
			args:     []string{"--provider", "microsoft"},
			keep:     func(r listRow) bool { return r.Provider == "microsoft" },
			mustHave: []string{"microsoft/valid-token", "microsoft/rotation"},
		},
		{
			name: "label expression",
			args: []string{"--label-filter", "rotation && !restart"},
			keep: func(r listRow) bool {
				return slices.Contains(r.Labels, "rotation") && !slices.Contains(r.Labels, "restart")
			},
			mustHave: []string{"salesforce/rotation-reuse-detected"},
		},
		{
			name: "provider and labels together",
			args: []string{"-p", "salesforce", "-l", "refresh-rejected"},
			keep: func(r listRow) bool {
				return r.Provider == "salesforce" && slices.Contains(r.Labels, "refresh-rejected")
			},
			mustHave: []string{"salesforce/refresh-rejected-invalid-grant"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var want []string
			for _, r := range all {
				if tt.keep(r) {
					want = append(want, r.Provider+"/"+r.Name)
				}
			}
			var got []string
			for _, r := range listJSON(t, tt.args...) {
				got = append(got, r.Provider+"/"+r.Name)
				if r.Description == "" {
					t.Errorf("%s/%s has no description", r.Provider, r.Name)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("listed scenarios (-want +got):\n%s", diff)
			}
			for _, m := range tt.mustHave {
				if !slices.Contains(got, m) {
					t.Errorf("%s is not listed", m)
				}
			}
		})
	}
}

func TestScenariosUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"list unknown provider", []string{"scenarios", "list", "-p", "google"}, []string{`unknown provider "google"`, "salesforce or microsoft"}},
		{"list misspelt provider", []string{"scenarios", "list", "-p", "microsfot"}, []string{`did you mean "microsoft"?`}},
		{"list bad output", []string{"scenarios", "list", "-o", "xml"}, []string{`--output must be text or json, not "xml"`}},
		{"list bad label expression", []string{"scenarios", "list", "-l", "rotation &&"}, []string{`label filter "rotation &&"`, "column"}},
		{"show ambiguous name", []string{"scenarios", "show", "rotation"}, []string{`scenario "rotation" exists for several providers`, "--provider", "PROVIDER/NAME"}},
		{"show unknown name", []string{"scenarios", "show", "-p", "microsoft", "rotaton"}, []string{`no built-in microsoft scenario "rotaton"`, `did you mean "rotation"`}},
		{"show unknown provider prefix", []string{"scenarios", "show", "-p", "salesfroce", "rotation"}, []string{`did you mean "salesforce"?`}},
		{"show without a name", []string{"scenarios", "show"}, []string{"accepts 1 arg"}},
		{"validate without files", []string{"scenarios", "validate"}, []string{"requires at least 1 arg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, tt.args...)
			if code != cli.ExitUsage {
				t.Errorf("exit code %d, want %d; stderr: %s", code, cli.ExitUsage, errOut)
			}
			if !strings.HasPrefix(errOut, "refreshproof: ") {
				t.Errorf("stderr %q does not start with refreshproof: ", errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if out != "" {
				t.Errorf("stdout is not empty on a usage error:\n%s", out)
			}
		})
	}
}

func TestScenariosShow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantHeader string
		want       []string
	}{
		{"provider/name", []string{"salesforce/rotation"}, "# builtin:salesforce/rotation\n", []string{"name: rotation\n", "provider: salesforce\n"}},
		{"--provider and name", []string{"-p", "microsoft", "rotation"}, "# builtin:microsoft/rotation\n", []string{"provider: microsoft\n"}},
		// A name only one provider has needs no --provider.
		{"unique name", []string{"instance-url-moved"}, "# builtin:salesforce/instance-url-moved\n", []string{"provider: salesforce\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, append([]string{"scenarios", "show"}, tt.args...)...)
			if code != cli.ExitOK {
				t.Fatalf("exit code %d, want 0; stderr: %s", code, errOut)
			}
			if !strings.HasPrefix(out, tt.wantHeader) {
				t.Errorf("show does not start with %q:\n%s", tt.wantHeader, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("show lacks %q:\n%s", w, out)
				}
			}
			// show is offered as the start of a user's own scenario, so
			// what it prints must validate as it is.
			f := writeFile(t, "shown.yaml", out)
			if code, vout, verr := run(t, "scenarios", "validate", f); code != cli.ExitOK {
				t.Errorf("validating show's output: exit %d\n%s%s", code, vout, verr)
			}
		})
	}
}

const goodScenario = `name: my-valid
provider: salesforce
description: A valid token.
labels: [baseline]
steps:
  - message: {label: m1, body: {query: "SELECT Id FROM Account"}}
`

// badScenario has unknown fields on lines 4 and 5, each at column 3.
const badScenario = `name: my-bad
provider: salesforce
tokens:
  rotate: keep-old
  lifetme: 2h
`

func TestScenariosValidate(t *testing.T) {
	t.Parallel()
	good := writeFile(t, "good.yaml", goodScenario)
	bad := writeFile(t, "bad.yaml", badScenario)
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	tests := []struct {
		name     string
		files    []string
		wantCode int
		wantOut  []string // in stdout
		wantErr  string   // in stderr
	}{
		{"good file", []string{good}, cli.ExitOK, []string{"ok " + good + " (salesforce/my-valid, 0 rules, 1 steps)"}, ""},
		{
			name: "unknown field", files: []string{bad}, wantCode: cli.ExitFailed,
			wantOut: []string{bad + `:4:3: unknown field "rotate"; did you mean "rotation"?`, bad + ":5:3: "},
			wantErr: "1 of 1 scenario files are invalid",
		},
		{"missing file", []string{missing}, cli.ExitFailed, []string{missing}, "1 of 1 scenario files are invalid"},
		{
			// Every file is checked, not only those before the first bad one.
			name: "bad among good", files: []string{bad, good, missing}, wantCode: cli.ExitFailed,
			wantOut: []string{"ok " + good, bad + ":4:3:", missing},
			wantErr: "2 of 3 scenario files are invalid",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, append([]string{"scenarios", "validate"}, tt.files...)...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, errOut)
			}
		})
	}
}
