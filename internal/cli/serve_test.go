package cli_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/refreshproof/refreshproof/internal/cli"
	"github.com/refreshproof/refreshproof/mockprovider"
)

// serveInfo mirrors the JSON serve prints with --output json; decoding
// into it, rather than into the package's own type, checks the field
// names users script against.
type serveInfo struct {
	Provider     string   `json:"provider"`
	Scenario     string   `json:"scenario"`
	BaseURL      string   `json:"baseUrl"`
	TokenURL     string   `json:"tokenUrl"`
	APIURL       string   `json:"apiUrl"`
	AdminURL     string   `json:"adminUrl"`
	CAFile       string   `json:"caFile"`
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret"`
	AccessToken  string   `json:"accessToken"`
	RefreshToken string   `json:"refreshToken"`
	Hosts        []string `json:"hosts"`
}

// stopTimeout is how long serve may take to stop after its context ends.
// A child gets SIGTERM and serve escalates to SIGKILL only after 5s, so a
// return within this bound also shows SIGTERM did the job.
const stopTimeout = 4 * time.Second

// serving is a serve command running in the background.
type serving struct {
	info   serveInfo
	cancel context.CancelFunc
	done   chan int // receives Run's exit code
	stderr *syncBuffer
	// lines reads what serve writes to stdout after the start-up JSON.
	lines *bufio.Reader
}

// startServe runs "serve --output json ARGS..." until the test cancels it
// (or ends) and returns once the start-up details are printed.
func startServe(t *testing.T, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	pr, pw := io.Pipe()
	s := &serving{cancel: cancel, done: make(chan int, 1), stderr: &syncBuffer{}}
	go func() {
		code := cli.Run(ctx, append([]string{"serve", "--output", "json"}, args...), nil, pw, s.stderr)
		// Ends the reader below when serve fails before printing.
		pw.Close()
		s.done <- code
	}()
	t.Cleanup(func() {
		cancel()
		pr.Close() // unblocks a serve still writing to stdout
		select {
		case <-s.done:
		case <-time.After(runTimeout):
			t.Errorf("serve did not stop after the test ended")
		}
	})
	br := bufio.NewReader(pr)
	dec := json.NewDecoder(br)
	if err := dec.Decode(&s.info); err != nil {
		cancel()
		t.Fatalf("reading serve's start-up JSON: %v\nstderr:\n%s", err, s.stderr.String())
	}
	// Whatever the decoder read past the JSON value belongs to the lines
	// that follow it.
	s.lines = bufio.NewReader(io.MultiReader(dec.Buffered(), br))
	return s
}

// stop cancels serve's context and returns its exit code, failing the test
// if it takes longer than stopTimeout.
func (s *serving) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code // for the cleanup
		return code
	case <-time.After(stopTimeout):
		t.Fatalf("serve did not return within %v of cancel\nstderr:\n%s", stopTimeout, s.stderr.String())
		return 0
	}
}

// httpClient returns a client that trusts only the CA in caFile (or the
// default roots when there is none) and never uses a proxy, since the mock
// is on loopback.
func httpClient(t *testing.T, caFile string) *http.Client {
	t.Helper()
	tr := &http.Transport{Proxy: nil}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			t.Fatalf("reading the CA serve printed: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatalf("%s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return c
}

func refreshForm(info serveInfo) url.Values {
	return url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {info.ClientID},
		"client_secret": {info.ClientSecret},
		"refresh_token": {info.RefreshToken},
	}
}

// journalEntry is the part of a journal entry these tests look at.
type journalEntry struct {
	Kind      string `json:"kind"`
	Grant     string `json:"grant"`
	Status    int    `json:"status"`
	Body      string `json:"body"`
	Presented *struct {
		Label string `json:"label"`
		State string `json:"state"`
	} `json:"presented"`
	Issued []string `json:"issued"`
}

func TestServeStandalone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantScheme string
		// wantFields must be in the token response; absentFields must not.
		wantFields, absentFields []string
		// wantIssued are the token labels the refresh journals.
		wantIssued string
	}{
		{
			name:       "salesforce over http",
			args:       []string{"--provider", "salesforce"},
			wantScheme: "http",
			// Salesforce sends no lifetime: components must not expect one.
			wantFields:   []string{"access_token", "instance_url", "id", "issued_at", "signature", "token_type"},
			absentFields: []string{"expires_in"},
			// The default Salesforce policy keeps the refresh token.
			wantIssued: "[AT#2]",
		},
		{
			name:         "microsoft over tls",
			args:         []string{"--provider", "microsoft", "--tls"},
			wantScheme:   "https",
			wantFields:   []string{"access_token", "refresh_token", "expires_in", "token_type", "scope"},
			absentFields: []string{"instance_url"},
			wantIssued:   "[AT#2 RT#2]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, tt.args...)
			info := s.info
			if u, err := url.Parse(info.TokenURL); err != nil || u.Scheme != tt.wantScheme || !strings.HasPrefix(info.TokenURL, info.BaseURL+"/") {
				t.Fatalf("tokenUrl %q: want a %s URL under baseUrl %q", info.TokenURL, tt.wantScheme, info.BaseURL)
			}
			if host, _, _ := net.SplitHostPort(strings.TrimPrefix(strings.TrimPrefix(info.BaseURL, "https://"), "http://")); host != "127.0.0.1" {
				t.Errorf("baseUrl %q is not on loopback", info.BaseURL)
			}
			if (tt.wantScheme == "https") != (info.CAFile != "") {
				t.Errorf("caFile %q with a %s server", info.CAFile, tt.wantScheme)
			}
			c := httpClient(t, info.CAFile)

			resp, err := c.PostForm(info.TokenURL, refreshForm(info))
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("refresh status %d, want 200: %s", resp.StatusCode, body)
			}
			var tok map[string]any
			if err := json.Unmarshal(body, &tok); err != nil {
				t.Fatalf("refresh response is not JSON: %v\n%s", err, body)
			}
			for _, f := range tt.wantFields {
				if v, ok := tok[f]; !ok || v == "" {
					t.Errorf("token response lacks %q: %s", f, body)
				}
			}
			for _, f := range tt.absentFields {
				if _, ok := tok[f]; ok {
					t.Errorf("token response has %q, which %s does not send: %s", f, info.Provider, body)
				}
			}

			resp, err = c.Get(info.AdminURL + "journal?kind=token")
			if err != nil {
				t.Fatalf("journal: %v", err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("journal status %d: %s", resp.StatusCode, raw)
			}
			var j struct {
				Entries []journalEntry `json:"entries"`
			}
			if err := json.Unmarshal(raw, &j); err != nil {
				t.Fatalf("journal is not JSON: %v\n%s", err, raw)
			}
			if len(j.Entries) != 1 {
				t.Fatalf("journal has %d token entries, want the 1 refresh:\n%s", len(j.Entries), raw)
			}
			e := j.Entries[0]
			got := fmt.Sprintf("grant=%s status=%d presented=%v issued=%v", e.Grant, e.Status, e.Presented != nil && e.Presented.Label == "RT#1", e.Issued)
			want := "grant=refresh_token status=200 presented=true issued=" + tt.wantIssued
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("journal entry (-want +got):\n%s", diff)
			}
			// The journal is for sharing in bug reports: secrets appear only
			// as labels.
			for _, secret := range []string{info.RefreshToken, url.QueryEscape(info.RefreshToken), info.ClientSecret} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("journal reveals a secret %q", secret)
				}
			}
			if !strings.Contains(e.Body, "[RT#1]") {
				t.Errorf("journal body %q does not name the refresh token as [RT#1]", e.Body)
			}

			if code := s.stop(t); code != cli.ExitOK {
				t.Errorf("serve exited %d after cancel, want 0; stderr:\n%s", code, s.stderr.String())
			}
			log := s.stderr.String()
			for _, w := range []string{"grant=refresh_token", "presented=RT#1", "refreshproof: stopping"} {
				if !strings.Contains(log, w) {
					t.Errorf("stderr lacks %q:\n%s", w, log)
				}
			}
			if strings.Contains(log, info.RefreshToken) {
				t.Errorf("exchange log reveals the refresh token:\n%s", log)
			}
		})
	}
}

// childRun is a finished "serve -- COMMAND" run.
type childRun struct {
	code   int
	info   serveInfo
	out    string // the child's stdout, after serve's start-up JSON
	stderr string
}

// runChild runs "serve --output json --quiet ARGS..." to completion.
func runChild(t *testing.T, args ...string) childRun {
	t.Helper()
	code, stdout, stderr := run(t, append([]string{"serve", "--output", "json", "--quiet"}, args...)...)
	r := childRun{code: code, stderr: stderr}
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&r.info); err != nil {
		t.Fatalf("serve printed no start-up JSON (exit %d): %v\nstdout:\n%s\nstderr:\n%s", code, err, stdout, stderr)
	}
	r.out = strings.TrimPrefix(stdout[dec.InputOffset():], "\n")
	return r
}

// parseEnv reads the output of env(1).
func parseEnv(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestServeCommandEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		provider string
		// want gives the variables a component reads, from the start-up
		// details; unset names variables of the other provider.
		want  func(i serveInfo) map[string]string
		unset []string
	}{
		{
			provider: "salesforce",
			want: func(i serveInfo) map[string]string {
				return map[string]string{"SALESFORCE_KEY": i.ClientID, "SALESFORCE_SECRET": i.ClientSecret}
			},
			unset: []string{"MSAPP_CLIENT_ID", "MSAPP_CLIENT_SECRET"},
		},
		{
			provider: "microsoft",
			want: func(i serveInfo) map[string]string {
				return map[string]string{"MSAPP_CLIENT_ID": i.ClientID, "MSAPP_CLIENT_SECRET": i.ClientSecret}
			},
			unset: []string{"SALESFORCE_KEY", "SALESFORCE_SECRET"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			t.Parallel()
			r := runChild(t, "--provider", tt.provider, "--", "env")
			if r.code != cli.ExitOK {
				t.Fatalf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
			}
			env := parseEnv(r.out)
			i := r.info
			if i.CAFile == "" {
				t.Fatalf("a command implies --tls, but serve printed no caFile")
			}
			want := map[string]string{
				"REFRESHPROOF_PROVIDER":      tt.provider,
				"REFRESHPROOF_BASE_URL":      i.BaseURL,
				"REFRESHPROOF_TOKEN_URL":     i.TokenURL,
				"REFRESHPROOF_API_URL":       i.APIURL,
				"REFRESHPROOF_ADMIN_URL":     i.AdminURL,
				"REFRESHPROOF_CLIENT_ID":     i.ClientID,
				"REFRESHPROOF_CLIENT_SECRET": i.ClientSecret,
				"REFRESHPROOF_ACCESS_TOKEN":  i.AccessToken,
				"REFRESHPROOF_REFRESH_TOKEN": i.RefreshToken,
				"REFRESHPROOF_CA_FILE":       i.CAFile,
				"NODE_EXTRA_CA_CERTS":        i.CAFile,
				"SSL_CERT_FILE":              i.CAFile,
				"REQUESTS_CA_BUNDLE":         i.CAFile,
				"CURL_CA_BUNDLE":             i.CAFile,
				"OAUTH_CLIENT_ID":            i.ClientID,
				"OAUTH_CLIENT_SECRET":        i.ClientSecret,
			}
			for k, v := range tt.want(i) {
				want[k] = v
			}
			got := map[string]string{}
			for k := range want {
				if v, ok := env[k]; ok {
					got[k] = v
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("child environment (-want +got):\n%s", diff)
			}
			for _, k := range tt.unset {
				if v, ok := env[k]; ok {
					t.Errorf("%s=%q is set for a %s mock", k, v, tt.provider)
				}
			}
			if !strings.HasPrefix(i.TokenURL, "https://127.0.0.1:") {
				t.Errorf("tokenUrl %q: a command implies HTTPS on loopback", i.TokenURL)
			}
			if i.ClientSecret == "" || i.RefreshToken == "" {
				t.Errorf("start-up details lack the client secret or refresh token: %+v", i)
			}
			if !strings.Contains(env["JAVA_TOOL_OPTIONS"], "-Djavax.net.ssl.trustStore=") {
				t.Errorf("JAVA_TOOL_OPTIONS=%q sets no trust store", env["JAVA_TOOL_OPTIONS"])
			}
			if !strings.HasPrefix(env["NODE_OPTIONS"], "--require ") {
				t.Errorf("NODE_OPTIONS=%q loads no preload", env["NODE_OPTIONS"])
			}
			// The preload must send the real host names to this mock.
			var redirect struct {
				Target struct {
					Host string `json:"host"`
					Port int    `json:"port"`
				} `json:"target"`
				Hosts []string `json:"hosts"`
			}
			if err := json.Unmarshal([]byte(env["REFRESHPROOF_REDIRECT"]), &redirect); err != nil {
				t.Fatalf("REFRESHPROOF_REDIRECT=%q: %v", env["REFRESHPROOF_REDIRECT"], err)
			}
			if got, want := "https://"+net.JoinHostPort(redirect.Target.Host, strconv.Itoa(redirect.Target.Port)), i.BaseURL; got != want {
				t.Errorf("preload redirects to %s, want the mock at %s", got, want)
			}
			if diff := cmp.Diff(i.Hosts, redirect.Hosts); diff != "" {
				t.Errorf("preload hosts (-printed +env):\n%s", diff)
			}
		})
	}
}

// TestServeCommandKeepsUserOptions cannot run in parallel: it sets the
// test process's environment, which the child inherits.
func TestServeCommandKeepsUserOptions(t *testing.T) {
	t.Setenv("NODE_OPTIONS", "--max-old-space-size=64")
	t.Setenv("JAVA_TOOL_OPTIONS", "-Xmx64m")
	r := runChild(t, "--provider", "salesforce", "--", "env")
	if r.code != cli.ExitOK {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	env := parseEnv(r.out)
	if v := env["NODE_OPTIONS"]; !strings.HasPrefix(v, "--require ") || !strings.HasSuffix(v, " --max-old-space-size=64") {
		t.Errorf("NODE_OPTIONS=%q, want the preload and then the user's options", v)
	}
	if v := env["JAVA_TOOL_OPTIONS"]; !strings.HasPrefix(v, "-Xmx64m ") || !strings.Contains(v, "trustStore=") {
		t.Errorf("JAVA_TOOL_OPTIONS=%q, want the user's options and then the trust store", v)
	}
}

// nodeRefresh is a Node.js program that refreshes against the provider's
// real token URL (argv[1]) with the credentials serve puts in the
// environment, and exits 0 only on a 200 with an access token.
const nodeRefresh = `
const [url, idVar, secretVar] = process.argv.slice(1);
const body = new URLSearchParams({
  grant_type: 'refresh_token',
  client_id: process.env[idVar],
  client_secret: process.env[secretVar],
  refresh_token: process.env.REFRESHPROOF_REFRESH_TOKEN,
});
fetch(url, {method: 'POST', body}).then(async (r) => {
  const text = await r.text();
  console.log(r.status, text);
  process.exit(r.status === 200 && JSON.parse(text).access_token ? 0 : 3);
}, (err) => {
  console.error('fetch failed:', err, err.cause);
  process.exit(4);
});
`

func TestServeCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		needs    string // a program the test skips without
		args     []string
		wantCode int
		wantOut  string // in the child's output
	}{
		{
			name:     "exit status passes through",
			args:     []string{"--provider", "salesforce", "--", "sh", "-c", "exit 7"},
			wantCode: 7,
		},
		{
			name:  "curl refreshes with the CA file",
			needs: "curl",
			args: []string{"--provider", "microsoft", "--", "sh", "-c", `exec curl -fsS --noproxy '*' --max-time 10 --cacert "$REFRESHPROOF_CA_FILE" \
				--data-urlencode grant_type=refresh_token \
				--data-urlencode "client_id=$REFRESHPROOF_CLIENT_ID" \
				--data-urlencode "client_secret=$REFRESHPROOF_CLIENT_SECRET" \
				--data-urlencode "refresh_token=$REFRESHPROOF_REFRESH_TOKEN" \
				"$REFRESHPROOF_TOKEN_URL"`},
			wantCode: 0,
			wantOut:  `"access_token"`,
		},
		{
			// The component under test calls the real host; the preload
			// must bring it to the mock, and the CA must make the mock's
			// certificate for that name trusted. env -u keeps a developer's
			// NODE_TLS_REJECT_UNAUTHORIZED=0 from hiding a trust problem.
			name:     "node fetch of login.salesforce.com reaches the mock",
			needs:    "node",
			args:     []string{"--provider", "salesforce", "--", "env", "-u", "NODE_TLS_REJECT_UNAUTHORIZED", "node", "-e", nodeRefresh, "https://login.salesforce.com/services/oauth2/token", "SALESFORCE_KEY", "SALESFORCE_SECRET"},
			wantCode: 0,
			wantOut:  "200 {",
		},
		{
			name:     "node fetch of login.microsoftonline.com reaches the mock",
			needs:    "node",
			args:     []string{"--provider", "microsoft", "--", "env", "-u", "NODE_TLS_REJECT_UNAUTHORIZED", "node", "-e", nodeRefresh, "https://login.microsoftonline.com/common/oauth2/v2.0/token", "MSAPP_CLIENT_ID", "MSAPP_CLIENT_SECRET"},
			wantCode: 0,
			wantOut:  "200 {",
		},
		{
			// The preload redirects only the provider's hosts; the other
			// provider's token URL must not quietly reach this mock.
			name:     "node fetch of the other provider's host is not redirected",
			needs:    "node",
			args:     []string{"--provider", "salesforce", "--block-other-hosts", "--", "env", "-u", "NODE_TLS_REJECT_UNAUTHORIZED", "node", "-e", nodeRefresh, "https://login.microsoftonline.com/common/oauth2/v2.0/token", "SALESFORCE_KEY", "SALESFORCE_SECRET"},
			wantCode: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.needs != "" {
				if _, err := exec.LookPath(tt.needs); err != nil {
					t.Skipf("%s is not installed", tt.needs)
				}
			}
			r := runChild(t, tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nchild output:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.out, r.stderr)
			}
			if !strings.Contains(r.out, tt.wantOut) {
				t.Errorf("child output lacks %q:\n%s\nstderr:\n%s", tt.wantOut, r.out, r.stderr)
			}
		})
	}
}

// processGone reports whether pid has exited. A killed process whose
// parent is gone stays a zombie until init reaps it; it counts as gone.
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

func TestServeCommandLeavesNoProcesses(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The grandchild holds serve's stdout and stderr open, as a component's
	// background helper or forgotten server would.
	start := time.Now()
	code, _, stderr := run(t, "serve", "--provider", "salesforce", "--quiet", "--", "sh", "-c", `sleep 300 & echo $! > "$1"; exit 0`, "sh", pidFile)
	elapsed := time.Since(start)
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the child wrote no pid: %v; stderr:\n%s", err, stderr)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file holds %q", b)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	if code != cli.ExitOK {
		t.Errorf("exit code %d, want the child's 0; stderr:\n%s", code, stderr)
	}
	if elapsed > 10*time.Second {
		t.Errorf("serve took %v to return after its child exited: it waited for the grandchild", elapsed)
	}
	// SIGKILL is delivered asynchronously; give the kernel a moment.
	deadline := time.Now().Add(5 * time.Second)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d still runs after serve returned", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServeCommandStopsOnCancel(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--provider", "salesforce", "--quiet", "--", "sh", "-c", "echo ready; sleep 30")
	// Cancel only once the child runs, so the test is about stopping a
	// running command rather than one not yet started.
	line, err := s.lines.ReadString('\n')
	if line == "\n" { // the end of the start-up JSON
		line, err = s.lines.ReadString('\n')
	}
	if err != nil || line != "ready\n" {
		t.Fatalf("child printed %q, %v; want ready\nstderr:\n%s", line, err, s.stderr.String())
	}
	if code := s.stop(t); code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit code %d, want %d (the child killed by SIGTERM)\nstderr:\n%s", code, 128+int(syscall.SIGTERM), s.stderr.String())
	}
}

// busyPort returns a loopback address something already listens on.
func busyPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const microsoftScenario = `name: my-rotation
provider: microsoft
description: Rotating refresh tokens.
labels: [rotation]
tokens:
  rotation: revoke-old
steps:
  - message: {label: m1, body: {resource: "/me/messages"}}
`

func TestServeUsageErrors(t *testing.T) {
	// An admin token from the developer's environment would let a
	// non-loopback --addr through.
	t.Setenv("REFRESHPROOF_ADMIN_TOKEN", "")
	msFile := writeFile(t, "ms.yaml", microsoftScenario)
	tests := []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"no provider", []string{"serve"}, []string{"--provider is required", "salesforce or microsoft"}},
		{"unknown provider", []string{"serve", "--provider", "salesfroce"}, []string{`unknown provider "salesfroce"`, `did you mean "salesforce"?`}},
		{"unknown scenario", []string{"serve", "-p", "salesforce", "--scenario", "rotaton"}, []string{`no built-in salesforce scenario "rotaton"`, `did you mean "rotation"`}},
		{"scenario name without provider", []string{"serve", "--scenario", "rotation"}, []string{"--provider is required", "scenario file"}},
		{"scenario file for the other provider", []string{"serve", "-p", "salesforce", "--scenario", msFile}, []string{msFile, "is for microsoft, not salesforce"}},
		{"provider/name for the other provider", []string{"serve", "-p", "salesforce", "--scenario", "microsoft/rotation"}, []string{"microsoft/rotation is for microsoft, not salesforce"}},
		{"missing scenario file", []string{"serve", "--scenario", filepath.Join(t.TempDir(), "nope.yaml")}, []string{"nope.yaml", "no such file"}},
		{"output xml", []string{"serve", "-p", "salesforce", "--output", "xml"}, []string{`--output must be text or json, not "xml"`}},
		{"log format", []string{"serve", "-p", "salesforce", "--log-format", "yaml"}, []string{`--log-format must be text or json`}},
		{"journal cap", []string{"serve", "-p", "salesforce", "--journal-cap", "0"}, []string{"--journal-cap must be at least 1, not 0"}},
		{"journal bytes", []string{"serve", "-p", "salesforce", "--journal-bytes", "0"}, []string{"--journal-bytes must be at least 1, not 0"}},
		{"busy port", []string{"serve", "-p", "salesforce", "--addr", busyPort(t)}, []string{"address already in use", "--addr 127.0.0.1:0 picks a free one"}},
		{"all interfaces without admin token", []string{"serve", "-p", "salesforce", "--addr", "0.0.0.0:0"}, []string{"admin token", "--admin-token", "every interface", "--addr 127.0.0.1:0"}},
		{"empty host without admin token", []string{"serve", "-p", "salesforce", "--addr", ":0"}, []string{"--addr :0 listens on every interface: the host is empty", "--admin-token", "--addr 127.0.0.1:0"}},
		{"IPv6 all interfaces without admin token", []string{"serve", "-p", "salesforce", "--addr", "[::]:0"}, []string{"every interface", "--admin-token"}},
		{"host name without admin token", []string{"serve", "-p", "salesforce", "--addr", "devbox.example:8080"}, []string{"a host name", "--admin-token", "--addr 127.0.0.1:8080"}},
		{"address without port", []string{"serve", "-p", "salesforce", "--addr", "127.0.0.1"}, []string{"want HOST:PORT"}},
		{"ca-file without tls", []string{"serve", "-p", "salesforce", "--ca-file", filepath.Join(t.TempDir(), "ca.pem")}, []string{"--ca-file needs --tls"}},
		{"args before --", []string{"serve", "-p", "salesforce", "npm", "--", "test"}, []string{`unexpected arguments ["npm"] before --`}},
		{"args without --", []string{"serve", "-p", "salesforce", "npm", "test"}, []string{`unexpected arguments ["npm" "test"]`, "after --"}},
		{"nonexistent command", []string{"serve", "-p", "salesforce", "--", "refreshproof-no-such-command"}, []string{`cannot run "refreshproof-no-such-command"`}},
		{"unknown flag", []string{"serve", "-p", "salesforce", "--port", "80"}, []string{"unknown flag: --port", "refreshproof serve --help"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			if code != cli.ExitUsage {
				t.Errorf("exit code %d, want %d", code, cli.ExitUsage)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if !strings.HasPrefix(errOut, "refreshproof: ") {
				t.Errorf("stderr %q does not start with refreshproof: ", errOut)
			}
			// Start-up details on stdout would tell a script the mock is up.
			if out != "" {
				t.Errorf("stdout is not empty on a usage error:\n%s", out)
			}
		})
	}
}

func TestServeCommandStdin(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	var out, errOut syncBuffer
	code := cli.Run(ctx, []string{"serve", "-p", "salesforce", "-q", "--", "sh", "-c", "read line && echo got:$line"}, strings.NewReader("hello\n"), &out, &errOut)
	if code != cli.ExitOK {
		t.Errorf("exit code %d, want 0; stderr:\n%s", code, errOut.String())
	}
	if !strings.HasSuffix(out.String(), "got:hello\n") {
		t.Errorf("the command did not read serve's stdin; stdout:\n%s", out.String())
	}
}

func TestServeCommandStdinThatNeverEnds(t *testing.T) {
	t.Parallel()
	// An embedding program may hand serve a stdin it never closes; the
	// command's exit must still end the run.
	stdin, feed := io.Pipe()
	t.Cleanup(func() { feed.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"serve", "-p", "salesforce", "-q", "--", "sh", "-c", "exit 3"}, stdin, &out, &errOut)
	}()
	select {
	case code := <-done:
		if code != 3 {
			t.Errorf("exit code %d, want the child's 3; stderr:\n%s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("serve did not return after its child exited; it waits for stdin to end")
	}
}

func TestServeScenarioSelection(t *testing.T) {
	t.Parallel()
	msFile := writeFile(t, "ms.yaml", microsoftScenario)
	tests := []struct {
		name                       string
		args                       []string
		wantProvider, wantScenario string
	}{
		{"default scenario", []string{"-p", "salesforce"}, "salesforce", "valid-token"},
		{"built-in name", []string{"-p", "microsoft", "-s", "rotation"}, "microsoft", "rotation"},
		{"provider/name needs no --provider", []string{"-s", "microsoft/rotation"}, "microsoft", "rotation"},
		{"file gives the provider", []string{"-s", msFile}, "microsoft", "my-rotation"},
		{"file and matching provider", []string{"-p", "microsoft", "-s", msFile}, "microsoft", "my-rotation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, append([]string{"--quiet"}, tt.args...)...)
			got := s.info.Provider + "/" + s.info.Scenario
			if diff := cmp.Diff(tt.wantProvider+"/"+tt.wantScenario, got); diff != "" {
				t.Errorf("served scenario (-want +got):\n%s", diff)
			}
			if code := s.stop(t); code != cli.ExitOK {
				t.Errorf("exit code %d after cancel, want 0", code)
			}
		})
	}
}

func TestServeSeed(t *testing.T) {
	t.Parallel()
	tokens := func(seed string) string {
		s := startServe(t, "-p", "salesforce", "--quiet", "--seed", seed)
		defer s.stop(t)
		return s.info.AccessToken + " " + s.info.RefreshToken
	}
	// Reproducible tokens let a component's recorded fixtures match.
	a, b, other := tokens("42"), tokens("42"), tokens("43")
	if a != b {
		t.Errorf("--seed 42 gave different tokens on two runs:\n%s\n%s", a, b)
	}
	if a == other {
		t.Errorf("--seed 42 and --seed 43 gave the same tokens %s", a)
	}
}

// TestServeJournalBytes: --journal-bytes bounds the admin API's journal
// by memory: with a budget smaller than any exchange only the newest is
// kept, and the counts still cover every exchange.
func TestServeJournalBytes(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--provider", "salesforce", "--journal-bytes", "1")
	c := httpClient(t, s.info.CAFile)
	for range 3 {
		resp, err := c.PostForm(s.info.TokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := c.Get(s.info.AdminURL + "journal")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var j struct {
		Counts  mockprovider.Counts `json:"counts"`
		Entries []journalEntry      `json:"entries"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		t.Fatalf("journal is not JSON: %v\n%s", err, raw)
	}
	if len(j.Entries) != 1 || j.Counts.Total != 3 || j.Counts.Evicted != 2 || j.Counts.ByGrant["refresh_token"] != 3 {
		t.Fatalf("%d entries kept, counts %+v", len(j.Entries), j.Counts)
	}
}
