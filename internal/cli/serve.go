package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/refreshproof/refreshproof/internal/nodepreload"
	"github.com/refreshproof/refreshproof/internal/proctree"
	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

type serveOpts struct {
	provider     string
	scenario     string
	addr         string
	tls          bool
	adminToken   string
	output       string
	logFormat    string
	realHosts    bool
	caFile       string
	block        bool
	quiet        bool
	seed         uint64
	journalCap   int
	journalBytes int64
}

// serveJournalCap is serve's default journal bound: the admin API's
// journal keeps the newest 500 exchanges, so memory stays flat however
// long serve runs; the exchange log and the journal's counts still cover
// every exchange. Each kept token exchange holds about 2.6 KB of live
// heap, twice that in resident memory once the collector's headroom is
// counted: 500 against 1,000 took serve's peak RSS under load from 33 to
// 30 MiB (docs/performance.md), and a look at the newest 500 is as
// useful as at 1,000.
const serveJournalCap = 500

// serveJournalBytes bounds the same journal's memory: 500 token
// exchanges take about 1 MiB, and exchanges with big bodies (cut at
// mockprovider.DefaultMaxBody each) are evicted sooner rather than
// taking serve's memory past a few MiB.
const serveJournalBytes = 2 << 20

func newServeCmd(s *streams) *cobra.Command {
	o := &serveOpts{}
	c := &cobra.Command{
		Use:   "serve --provider salesforce|microsoft [flags] [-- COMMAND [ARGS...]]",
		Short: "Run a mock provider standalone, or around a command",
		Long: `serve starts a mock Salesforce or Microsoft provider on a loopback address and
prints its URLs, the registered client and the account's initial tokens. Every
exchange is logged on one line (secrets shown as labels such as AT#2, RT#1).
It stops cleanly on Ctrl-C or SIGTERM.

With "-- COMMAND ARGS...", serve runs the command with its environment pointed
at the mock and exits with the command's status when it ends: the mock's URLs,
client and tokens in REFRESHPROOF_* variables and the provider's usual ones
(OAUTH_CLIENT_ID, SALESFORCE_KEY, MSAPP_CLIENT_ID, ...), the CA certificate in
NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE, and
for Node.js a preload that sends connections for the real provider hosts
(login.salesforce.com, *.my.salesforce.com, login.microsoftonline.com,
graph.microsoft.com) to the mock. A command implies --tls, since components
call those hosts over HTTPS.

The admin API (journal, clock, tokens, scenario) is under
BASE_URL/__refreshproof/. Without --admin-token it answers loopback clients
only, for a loopback Host (127.0.0.1, localhost, [::1]) and without the
Origin of another web page, so a page in the developer's browser can
neither read nor change it; requests that change state (POST, PUT) need
Content-Type: application/json (or a YAML type for PUT scenario).

--addr on anything but loopback (":8080" and 0.0.0.0 mean every interface,
a host name may resolve to any) requires --admin-token: then the admin API
asks for "Authorization: Bearer TOKEN", and the token endpoint and the API
answer other machines too, which is what such an address is for.`,
		Example: `  # A Salesforce mock with the default scenario, on a free port:
  refreshproof serve --provider salesforce

  # A Microsoft mock whose refresh tokens are rejected, on a fixed port:
  refreshproof serve --provider microsoft --scenario refresh-rejected-aadsts700082 --addr 127.0.0.1:8443 --tls

  # Run a component's own test suite against the mock:
  refreshproof serve --provider salesforce -- npm test`,
		RunE: func(c *cobra.Command, args []string) error {
			if dash := c.ArgsLenAtDash(); dash > 0 {
				return usageErr("unexpected arguments %q before --; put the command after --", args[:dash])
			} else if dash < 0 && len(args) > 0 {
				return usageErr("unexpected arguments %q; to run a command against the mock, put it after --", args)
			}
			return runServe(c.Context(), s, o, args)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.provider, "provider", "p", "", "provider to mock: "+providerList()+" (default: the scenario's)")
	f.StringVarP(&o.scenario, "scenario", "s", "", "built-in scenario NAME or scenario FILE (default: valid tokens, the provider's default rotation)")
	f.StringVar(&o.addr, "addr", "127.0.0.1:0", "listen address; port 0 picks a free port; anything but loopback (\":PORT\" is every interface) needs --admin-token")
	f.BoolVar(&o.tls, "tls", false, "serve HTTPS with a CA generated at start")
	f.StringVar(&o.caFile, "ca-file", "", "with --tls, also write the CA certificate to this file")
	f.StringVar(&o.adminToken, "admin-token", "", "bearer token the admin API requires (required with a non-loopback --addr); also read from REFRESHPROOF_ADMIN_TOKEN")
	f.StringVarP(&o.output, "output", "o", "text", "how to print the start-up details: text or json")
	f.StringVar(&o.logFormat, "log-format", "text", "exchange log format on stderr: text or json")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "do not log exchanges")
	f.IntVar(&o.journalCap, "journal-cap", serveJournalCap, "exchanges the admin API's journal keeps (oldest evicted first; counts stay exact)")
	f.Int64Var(&o.journalBytes, "journal-bytes", serveJournalBytes, "memory in bytes the admin API's journal keeps at most (oldest exchanges evicted first; counts stay exact)")
	f.Uint64Var(&o.seed, "seed", 0, "make token values reproducible (overrides the scenario's seed; 0 keeps it)")
	f.BoolVar(&o.realHosts, "real-hosts", false, "name the real hosts (https://login.salesforce.com, ...) in URLs the mock hands out, for clients redirected to it")
	f.BoolVar(&o.block, "block-other-hosts", false, "with a command: make the Node.js preload refuse connections to hosts other than the provider's and loopback")
	return c
}

// resolveScenario finds a scenario by built-in name or file path and
// checks it against the provider asked for.
func resolveScenario(provider, ref string) (*scenarios.Scenario, error) {
	if provider != "" && !slices.Contains(scenarios.Providers, provider) {
		msg := fmt.Sprintf("unknown provider %q (want %s)", provider, strings.Join(scenarios.Providers, " or "))
		if sug := mockprovider.Suggest(provider, scenarios.Providers); sug != "" {
			msg += fmt.Sprintf("; did you mean %q?", sug)
		}
		return nil, usageErr("%s", msg)
	}
	if ref == "" {
		if provider == "" {
			return nil, usageErr("--provider is required: %s", providerList())
		}
		sc, err := scenarios.Builtin(provider, "valid-token")
		if err != nil {
			return nil, usageErr("%v", err)
		}
		return sc, nil
	}
	var sc *scenarios.Scenario
	var err error
	if looksLikeFile(ref) {
		sc, err = scenarios.Load(ref)
	} else {
		if p, name, ok := strings.Cut(ref, "/"); ok {
			if provider != "" && p != provider {
				return nil, usageErr("scenario %s is for %s, not %s", ref, p, provider)
			}
			provider, ref = p, name
		}
		if provider == "" {
			return nil, usageErr("--provider is required with a built-in scenario name (or write PROVIDER/NAME, or pass a scenario file)")
		}
		sc, err = scenarios.Builtin(provider, ref)
	}
	if err != nil {
		return nil, usageErr("%v", err)
	}
	if provider != "" && sc.Provider != provider {
		return nil, usageErr("scenario %s is for %s, not %s", ref, sc.Provider, provider)
	}
	return sc, nil
}

// looksLikeFile tells a scenario file from a built-in name: an existing
// file wins; PROVIDER/NAME of a known provider is a built-in; anything
// else with a path separator or a YAML extension is a file.
func looksLikeFile(ref string) bool {
	if _, err := os.Stat(ref); err == nil {
		return true
	}
	if p, name, ok := strings.Cut(ref, "/"); ok && slices.Contains(scenarios.Providers, p) && !strings.ContainsAny(name, `/\.`) {
		return false
	}
	return strings.ContainsAny(ref, `/\`) || strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml")
}

// serveInfo is what serve prints at start.
type serveInfo struct {
	Provider     string   `json:"provider"`
	Scenario     string   `json:"scenario"`
	BaseURL      string   `json:"baseUrl"`
	TokenURL     string   `json:"tokenUrl"`
	APIURL       string   `json:"apiUrl"`
	AdminURL     string   `json:"adminUrl"`
	CAFile       string   `json:"caFile,omitempty"`
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret,omitempty"`
	AccessToken  string   `json:"accessToken"`
	RefreshToken string   `json:"refreshToken"`
	Hosts        []string `json:"hosts"`

	dialect mockprovider.Info
}

func runServe(ctx context.Context, s *streams, o *serveOpts, command []string) error {
	if o.output != "text" && o.output != "json" {
		return usageErr("--output must be text or json, not %q", o.output)
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return usageErr("--log-format must be text or json, not %q", o.logFormat)
	}
	if o.adminToken == "" {
		o.adminToken = os.Getenv("REFRESHPROOF_ADMIN_TOKEN")
	}
	sc, err := resolveScenario(o.provider, o.scenario)
	if err != nil {
		return err
	}
	// Find the command before the mock starts: start-up details followed
	// by "cannot run" would tell a script the mock came up.
	var path string
	if len(command) > 0 {
		if path, err = exec.LookPath(command[0]); err != nil {
			return usageErr("cannot run %q: %v", command[0], err)
		}
	}
	if o.seed != 0 {
		sc.Seed = o.seed
	}
	d, cfg, err := sc.Build()
	if err != nil {
		return usageErr("%v", err)
	}
	if o.journalCap < 1 {
		return usageErr("--journal-cap must be at least 1, not %d", o.journalCap)
	}
	cfg.JournalCap = o.journalCap
	if o.journalBytes < 1 {
		return usageErr("--journal-bytes must be at least 1, not %d", o.journalBytes)
	}
	cfg.JournalBytes = o.journalBytes
	p, err := mockprovider.New(d, cfg)
	if err != nil {
		return usageErr("%v", err)
	}
	p.AdminToken = o.adminToken
	p.ScenarioLoader = func(body []byte, _ string) (mockprovider.Dialect, mockprovider.Config, error) {
		loaded, err := scenarios.Parse("uploaded.yaml", body)
		if err != nil {
			return nil, mockprovider.Config{}, err
		}
		return loaded.Build()
	}
	// The exchange log's writes are batched; what is pending is written
	// before serve says it stops, and before it returns.
	logOut := newLineBuffer(s.err)
	defer logOut.Close()
	if !o.quiet {
		p.Observer = exchangeLogger(logOut, o.logFormat)
	}

	srv, err := mockprovider.NewUnstartedServer(p, o.addr)
	if err != nil {
		var addrErr *net.OpError
		var exposed *mockprovider.AddressError
		switch {
		case errors.As(err, &addrErr):
			return usageErr("%v (is another process using that port? --addr 127.0.0.1:0 picks a free one)", err)
		case errors.As(err, &exposed):
			return usageErr("--addr %s listens on %s; without an admin token the admin API would let anyone there mint and read tokens: pass --admin-token TOKEN (or set REFRESHPROOF_ADMIN_TOKEN) to serve there, or use --addr %s",
				exposed.Addr, exposed.Interfaces, exposed.Loopback)
		}
		return usageErr("%v", err)
	}
	defer srv.Close()
	srv.RealHosts = o.realHosts
	useTLS := o.tls || len(command) > 0
	tmp, err := os.MkdirTemp("", "refreshproof-serve-")
	if err != nil {
		return usageErr("temporary directory: %v", err)
	}
	defer os.RemoveAll(tmp)
	info := serveInfo{Provider: sc.Provider, Scenario: sc.Name, Hosts: d.Hosts(), dialect: d.Info()}
	if useTLS {
		if err := srv.StartTLS(); err != nil {
			return usageErr("%v", err)
		}
		info.CAFile = filepath.Join(tmp, "ca.pem")
		if err := srv.CA.WriteCert(info.CAFile); err != nil {
			return usageErr("%v", err)
		}
		if o.caFile != "" {
			if err := srv.CA.WriteCert(o.caFile); err != nil {
				return usageErr("writing --ca-file: %v", err)
			}
			info.CAFile = o.caFile
		}
	} else {
		if o.caFile != "" {
			return usageErr("--ca-file needs --tls")
		}
		srv.Start()
	}
	g := p.Initial()
	client := p.Client()
	info.BaseURL = srv.URL
	info.TokenURL, info.APIURL = srv.URL+info.dialect.TokenPath, srv.URL+info.dialect.APIBase
	info.AdminURL = srv.URL + mockprovider.AdminPrefix
	info.ClientID, info.ClientSecret = client.ID, client.Secret
	info.AccessToken, info.RefreshToken = g.Access.Value, g.Refresh.Value
	printInfo(s.out, o.output, info)

	if len(command) == 0 {
		<-ctx.Done()
		logOut.Close()
		fmt.Fprintln(s.err, "refreshproof: stopping")
		return nil
	}
	return runChild(ctx, s, srv, info, o, tmp, path, command)
}

func printInfo(w io.Writer, format string, i serveInfo) {
	if format == "json" {
		b, _ := json.MarshalIndent(i, "", "  ")
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	fmt.Fprintf(w, "refreshproof mock %s provider (scenario %s)\n", i.Provider, i.Scenario)
	rows := [][2]string{
		{"base URL", i.BaseURL}, {"token URL", i.TokenURL}, {"API URL", i.APIURL}, {"admin URL", i.AdminURL},
	}
	if i.CAFile != "" {
		rows = append(rows, [2]string{"CA file", i.CAFile})
	}
	rows = append(rows, [][2]string{
		{"client id", i.ClientID}, {"client secret", i.ClientSecret},
		{"access token", i.AccessToken}, {"refresh token", i.RefreshToken},
	}...)
	for _, r := range rows {
		fmt.Fprintf(w, "  %-14s %s\n", r[0]+":", r[1])
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

// childEnv is the environment of a command run against the mock.
func childEnv(srv *mockprovider.Server, info serveInfo, o *serveOpts, tmp string) ([]string, error) {
	env := os.Environ()
	set := func(k, v string) { env = append(env, k+"="+v) }
	set("REFRESHPROOF_PROVIDER", info.Provider)
	set("REFRESHPROOF_BASE_URL", info.BaseURL)
	set("REFRESHPROOF_TOKEN_URL", info.TokenURL)
	set("REFRESHPROOF_API_URL", info.APIURL)
	set("REFRESHPROOF_ADMIN_URL", info.AdminURL)
	set("REFRESHPROOF_CLIENT_ID", info.ClientID)
	set("REFRESHPROOF_CLIENT_SECRET", info.ClientSecret)
	set("REFRESHPROOF_ACCESS_TOKEN", info.AccessToken)
	set("REFRESHPROOF_REFRESH_TOKEN", info.RefreshToken)
	if o.adminToken != "" {
		set("REFRESHPROOF_ADMIN_TOKEN", o.adminToken)
	}
	// The variables the platform's components read their OAuth client
	// from, as the dialect names them.
	for _, k := range info.dialect.ClientIDEnv {
		set(k, info.ClientID)
	}
	for _, k := range info.dialect.ClientSecretEnv {
		set(k, info.ClientSecret)
	}
	if info.CAFile != "" {
		set("REFRESHPROOF_CA_FILE", info.CAFile)
		set("NODE_EXTRA_CA_CERTS", info.CAFile) // Node.js adds it to its roots
		// Replacing the system roots is right here: the child should reach
		// only the mock (and loopback) over TLS.
		set("SSL_CERT_FILE", info.CAFile)      // Go, OpenSSL, Python ssl
		set("REQUESTS_CA_BUNDLE", info.CAFile) // Python requests
		set("CURL_CA_BUNDLE", info.CAFile)     // curl
		jks := filepath.Join(tmp, "ca.jks")
		if err := srv.CA.WriteJKS(jks, "changeit"); err != nil {
			return nil, err
		}
		// The JVM reads its trust store from system properties; keep what
		// the user had in JAVA_TOOL_OPTIONS.
		javaOpts := "-Djavax.net.ssl.trustStore=" + jks + " -Djavax.net.ssl.trustStorePassword=changeit -Djavax.net.ssl.trustStoreType=JKS"
		if old := os.Getenv("JAVA_TOOL_OPTIONS"); old != "" {
			javaOpts = old + " " + javaOpts
		}
		set("JAVA_TOOL_OPTIONS", javaOpts)
	}
	pre, err := nodepreload.Write(tmp)
	if err != nil {
		return nil, err
	}
	addr := srv.Listener.Addr().(*net.TCPAddr)
	extra, err := nodepreload.Env(pre, nodepreload.Redirect{Host: dialHost(addr.IP), Port: addr.Port, Hosts: info.Hosts, Block: o.block}, env)
	if err != nil {
		return nil, err
	}
	// Later entries win in exec; drop the old NODE_OPTIONS so only the
	// combined one stays.
	out := env[:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "NODE_OPTIONS=") {
			out = append(out, kv)
		}
	}
	return append(out, extra...), nil
}

// runChild runs command, found at path, against the mock.
func runChild(ctx context.Context, s *streams, srv *mockprovider.Server, info serveInfo, o *serveOpts, tmp, path string, command []string) error {
	env, err := childEnv(srv, info, o, tmp)
	if err != nil {
		return usageErr("%v", err)
	}
	cmd := exec.Command(path, command[1:]...)
	// The marker finds what the command starts, also after it left the
	// group (setsid) or lost its parent.
	marker := proctree.NewMarker()
	cmd.Env = append(env, marker)
	cmd.Stdout, cmd.Stderr = s.out, s.err
	// When a stream is not an *os.File, os/exec copies it through a pipe
	// and Wait waits for that copy: a background process the command left
	// holding stdout would keep serve waiting for as long as it runs. Once
	// the command has exited, give the copies a moment, then stop waiting;
	// the group kill below ends the leftovers.
	cmd.WaitDelay = time.Second
	// WaitDelay cannot end a Read from stdin that never returns (an
	// embedding program's reader it keeps open), so serve copies such a
	// stdin itself and does not wait for that copy.
	var stdinPipe io.WriteCloser
	switch in := s.in.(type) {
	case nil:
	case *os.File:
		cmd.Stdin = in
	default:
		if stdinPipe, err = cmd.StdinPipe(); err != nil {
			return usageErr("cannot run %q: %v", command[0], err)
		}
	}
	// Its own process group, so a signal reaches everything it started and
	// nothing outlives serve.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return usageErr("cannot run %q: %v", command[0], err)
	}
	if stdinPipe != nil {
		// Wait closes the pipe when the command exits, which ends this
		// copy at the reader's next data.
		go func() {
			_, _ = io.Copy(stdinPipe, s.in)
			stdinPipe.Close()
		}()
	}
	pgid := cmd.Process.Pid
	tree := proctree.Watch(pgid, marker, 0)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var waitErr error
	select {
	case waitErr = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case waitErr = <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			waitErr = <-done
		}
	}
	// Whatever the command left behind goes too: its group, then what
	// escaped it (SIGTERM, a second, SIGKILL).
	left := tree.End(time.Second, func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	if len(left) > 0 {
		fmt.Fprintf(s.err, "refreshproof: warning: %q left %s running; refreshproof ended %s:\n", command[0], plural(len(left), "process", "processes"), map[bool]string{true: "it", false: "them"}[len(left) == 1])
		for _, p := range left {
			fmt.Fprintf(s.err, "  %s\n", p)
		}
	}
	if waitErr == nil || errors.Is(waitErr, exec.ErrWaitDelay) {
		// ErrWaitDelay means the command itself succeeded.
		return nil
	}
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		code := ee.ExitCode()
		if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			code = 128 + int(st.Signal())
		}
		return &exitError{code: code, err: errors.New("")}
	}
	return usageErr("%s: %v", command[0], waitErr)
}

// dialHost is where a process on this machine reaches a listener on ip:
// ip itself, or loopback of the same family for an all-interfaces bind
// (0.0.0.0 and :: are listening addresses; connecting to them works on
// Linux only by accident).
func dialHost(ip net.IP) string {
	switch {
	case !ip.IsUnspecified():
		return ip.String()
	case ip.To4() != nil:
		return "127.0.0.1"
	default:
		return "::1"
	}
}
