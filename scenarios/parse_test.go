package scenarios

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/refreshproof/refreshproof/mockprovider"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestParseErrors parses every file of testdata/errors and compares the
// errors with the file's .golden twin. Run with -update to rewrite them.
func TestParseErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s, perr := Parse(filepath.Base(f), data)
			if perr == nil {
				t.Fatalf("Parse accepted %s: %+v", f, s)
			}
			if s != nil {
				t.Errorf("Parse returned a scenario with an error")
			}
			for _, e := range splitErrors(perr) {
				var pe *Error
				if !errors.As(e, &pe) {
					t.Errorf("error %q is not an *Error", e)
				}
			}
			got := perr.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("errors differ from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestParseErrorsInline keeps the most important messages readable next
// to their input.
func TestParseErrorsInline(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"style guide example", "name: x\nprovider: salesforce\ntokens:\n  rotate: keep-old\n",
			`scenario sf-rotation.yaml:4:3: unknown field "rotate"; did you mean "rotation"?`},
		{"enum suggestion", "name: x\nprovider: microsoft\nrules:\n  - match: {endpoint: refrsh}\n    respond: {error: AADSTS70008}\n",
			`scenario sf-rotation.yaml:4:23: unknown endpoint "refrsh"; did you mean "refresh"?`},
		{"error name suggestion", "name: x\nprovider: microsoft\nrules:\n  - match: {endpoint: refresh}\n    respond: {error: AADSTS700O82}\n",
			`scenario sf-rotation.yaml:5:22: unknown microsoft error "AADSTS700O82"; did you mean "AADSTS700082"?`},
		{"nth and after", "name: x\nprovider: salesforce\nrules:\n  - match: {endpoint: api, nth: 1, after: 1}\n    respond: {error: NOT_FOUND}\n",
			`scenario sf-rotation.yaml:4:43: nth and after exclude each other (nth matches one request, after every one after it)`},
		{"step with two actions", "name: x\nprovider: salesforce\nsteps:\n  - advance: 1h\n    restart: true\n",
			`scenario sf-rotation.yaml:4:5: step has 2 actions (advance, restart); give each its own step, in the order they happen`},
		{"other provider's block", "name: x\nprovider: microsoft\nsalesforce: {sandbox: true}\n",
			`scenario sf-rotation.yaml:3:1: salesforce options given for a microsoft scenario`},
		{"too large", "name: x\nprovider: salesforce\ndescription: " + strings.Repeat("a", MaxFileSize) + "\n",
			`scenario sf-rotation.yaml: file is larger than 1048576 bytes; a scenario is one page of YAML`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("sf-rotation.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestParseFull(t *testing.T) {
	seen := map[string]bool{}
	sf := mustParseFile(t, "testdata/valid/full-salesforce.yaml", seen)
	ms := mustParseFile(t, "testdata/valid/full-microsoft.yaml", seen)

	wantSF := &Scenario{
		Name:        "full-salesforce",
		Description: "Every field of the format, Salesforce side.",
		Provider:    "salesforce",
		Labels:      []string{"rotation", "restart"},
		Seed:        7,
		Credentials: Credentials{AccessToken: mockprovider.StateExpired, Scope: "api refresh_token", ClientID: "3MVG9custom", ClientSecret: "custom-secret", Public: ptr(false)},
		Tokens: Tokens{
			AccessTokenLifetime:     ptr(2 * time.Hour),
			AccessTokenJitter:       ptr(time.Duration(0)),
			SlidingAccess:           ptr(true),
			RefreshTokenIdle:        ptr(90 * 24 * time.Hour),
			FamilyLifetime:          ptr(36 * time.Hour),
			Rotation:                mockprovider.RotateReuseDetection,
			RejectConcurrentRefresh: ptr(true),
			ConcurrentRefreshWindow: ptr(50 * time.Millisecond),
		},
		Salesforce: &SalesforceOptions{
			InstanceHost: "acme.my.salesforce.com", MoveInstanceAfterRefresh: 1, MovedInstanceHost: "acme2.my.salesforce.com",
			WWWAuthenticate: ptr(false), APIVersion: "62.0", Sandbox: true, OrgID: "00D000000000001AAA", UserID: "005000000000001AAA",
		},
		Rules: []Rule{
			{Name: "first-refresh-fails", Match: mockprovider.Match{Endpoint: mockprovider.EndpointRefresh, Nth: 1}, Respond: mockprovider.Respond{Error: "invalid_grant"}, Times: 1},
			{Name: "rule-2", Match: mockprovider.Match{Endpoint: mockprovider.EndpointAPI, After: 2, TokenState: mockprovider.StateValid, Method: "GET", PathPrefix: "/services/data"},
				Respond: mockprovider.Respond{Status: 503, Header: map[string]string{"Retry-After": "5", "Content-Type": "application/json"}, Body: `[{"message":"down <now>","errorCode":"SERVER_UNAVAILABLE","n":1.5,"ok":true,"x":null}]`}, Times: 3},
			{Name: "slow-identity", Match: mockprovider.Match{Endpoint: mockprovider.EndpointIdentity}, Respond: mockprovider.Respond{Delay: 40 * time.Second, Truncate: true}},
			{Name: "broken-token", Match: mockprovider.Match{Endpoint: mockprovider.EndpointToken}, Respond: mockprovider.Respond{NonJSON: true, Omit: []string{"id", "signature"}}},
			{Name: "html", Match: mockprovider.Match{Endpoint: mockprovider.EndpointRevoke}, Respond: mockprovider.Respond{HTML: true}},
			{Name: "drop", Match: mockprovider.Match{Endpoint: mockprovider.EndpointAny}, Respond: mockprovider.Respond{Drop: true}, Times: 1},
			{Name: "text-body", Match: mockprovider.Match{Endpoint: mockprovider.EndpointAuthorize}, Respond: mockprovider.Respond{Status: 400, Body: "plain text\n"}},
		},
		Steps: []Step{
			{Message: &Message{Body: json.RawMessage(`{"query":"SELECT Id FROM Account","concurrency":3,"nested":{"list":[1,"two",false]}}`), Label: "first"}},
			{Advance: 3*time.Hour + 30*time.Minute},
			{Restart: true},
			{Revoke: "access"},
			{Message: &Message{Body: json.RawMessage(`{}`)}},
			{Message: &Message{Body: json.RawMessage(`{}`)}},
		},
		Source: "testdata/valid/full-salesforce.yaml",
	}
	if diff := cmp.Diff(wantSF, sf); diff != "" {
		t.Errorf("salesforce scenario (-want +got):\n%s", diff)
	}
	wantMS := &Microsoft{Tenants: []string{"common", "contoso.onmicrosoft.com"}, SPA: true, ExpiredMessage: "Lifetime validation failed, the token is expired.", IDToken: ptr(false), PageSize: 25}
	if diff := cmp.Diff((*MicrosoftOptions)(wantMS), ms.Microsoft); diff != "" {
		t.Errorf("microsoft options (-want +got):\n%s", diff)
	}
	wantSecrets := &SecretsOptions{ArrayData: true, RefreshFailureStatus: 400, WithOAuth: true, BackgroundRefresh: ptr(false)}
	if diff := cmp.Diff(wantSecrets, ms.Secrets); diff != "" {
		t.Errorf("secrets options (-want +got):\n%s", diff)
	}
	// Every field the decoder knows is exercised by the two files, so a
	// field listed in objectFields without a decoder would show here.
	for object, fields := range objectFields {
		for _, f := range fields {
			if !seen[object+"."+f] {
				t.Errorf("field %s.%s is not in testdata/valid/full-*.yaml", object, f)
			}
		}
	}
	for _, s := range []*Scenario{sf, ms} {
		if _, _, err := s.Build(); err != nil {
			t.Errorf("Build(%s): %v", s.Name, err)
		}
	}
}

type Microsoft = MicrosoftOptions

func mustParseFile(t *testing.T, path string, seen map[string]bool) *Scenario {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := parse(path, data, seen)
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	return s
}

func TestParseDefaults(t *testing.T) {
	s, err := Parse("min.yaml", []byte("name: min\nprovider: microsoft\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{{Message: &Message{Body: json.RawMessage("{}")}}}
	if diff := cmp.Diff(want, s.Steps); diff != "" {
		t.Errorf("default steps (-want +got):\n%s", diff)
	}
	// Empty objects written as "credentials:" are accepted.
	if _, err := Parse("nulls.yaml", []byte("name: n\nprovider: salesforce\ncredentials:\ntokens:\nsteps:\n  - message:\n")); err != nil {
		t.Errorf("empty objects: %v", err)
	}
}

func TestLoad(t *testing.T) {
	s, err := Load("catalogue/salesforce/rotation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != "catalogue/salesforce/rotation.yaml" || s.Name != "rotation" {
		t.Errorf("Load: source %q, name %q", s.Source, s.Name)
	}
	if _, err := Load("testdata/does-not-exist.yaml"); err == nil || !strings.HasPrefix(err.Error(), "scenario testdata/does-not-exist.yaml: ") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"2h", 2 * time.Hour, ""},
		{"90d", 90 * 24 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"0s", 0, ""},
		{"0", 0, ""},
		{"3600", 0, `duration "3600" has no unit (write 3600s, 3600m or 3600h)`},
		{"-1h", 0, `duration "-1h" is negative`},
		{"d", 0, `invalid duration "d"`},
		{"1.5d", 36 * time.Hour, ""},
		{"1.5d2h", 0, `invalid duration "1.5d2h"`},
		{"99999999999d", 0, `duration "99999999999d" is too long`},
		{"", 0, "empty duration"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("ParseDuration(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestBuildOverrides(t *testing.T) {
	s, err := Parse("o.yaml", []byte(`name: o
provider: salesforce
credentials: {accessToken: revoked, scope: "api", clientId: other-client, clientSecret: other-secret}
tokens: {accessTokenLifetime: 15m, rotation: revoke-old, refreshTokenIdle: 0s}
seed: 9
`))
	if err != nil {
		t.Fatal(err)
	}
	d, cfg, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	def := d.Defaults()
	wantPolicy := *def.Policy
	wantPolicy.AccessTokenLifetime = 15 * time.Minute
	wantPolicy.Rotation = mockprovider.RotateRevokeOld
	wantPolicy.RefreshTokenIdle = 0
	if diff := cmp.Diff(&wantPolicy, cfg.Policy); diff != "" {
		t.Errorf("policy (-want +got):\n%s", diff)
	}
	if c := cfg.Clients[0]; c.ID != "other-client" || c.Secret != "other-secret" {
		t.Errorf("client = %+v", c)
	}
	if len(cfg.Clients) != len(def.Clients) {
		t.Errorf("clients = %d, want the dialect's %d", len(cfg.Clients), len(def.Clients))
	}
	if cfg.Scope != "api" || cfg.InitialAccess != mockprovider.StateRevoked || cfg.Seed != 9 {
		t.Errorf("config = %+v", cfg)
	}
	// Build must not change the dialect's defaults it started from.
	if diff := cmp.Diff(def, d.Defaults()); diff != "" {
		t.Errorf("defaults changed (-before +after):\n%s", diff)
	}
}

func TestBuildRefusesOtherProvidersOptions(t *testing.T) {
	s := &Scenario{Name: "x", Provider: "microsoft", Salesforce: &SalesforceOptions{}}
	if _, _, err := s.Build(); err == nil || !strings.Contains(err.Error(), "salesforce options given for a microsoft scenario") {
		t.Errorf("Build = %v", err)
	}
	s = &Scenario{Name: "x", Provider: "okta"}
	if _, _, err := s.Build(); err == nil || !strings.Contains(err.Error(), `unknown provider "okta"`) {
		t.Errorf("Build = %v", err)
	}
}
