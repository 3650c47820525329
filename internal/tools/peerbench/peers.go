package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/refreshproof/refreshproof/internal/tools/releasebuild"
)

// peer is one server under measurement.
type peer struct {
	name string
	// refresh says what refresh the peer is configured to express.
	refresh string
	// api says what its authenticated API call checks.
	api string
	// startupOnly peers are measured for start-up alone.
	startupOnly bool
	version     string
	install     func(ctx context.Context, cache string) (version string, err error)
	launch      func(cache string, port, clients int) (*instance, error)

	skipped  string
	failures []string
	reps     []*measurement
}

// instance is a started peer.
type instance struct {
	proc     *proc
	log      string // its output file
	tokenURL string
	apiURL   string // empty: no authenticated API
	client   *http.Client
	// prepare, when set, is retried until it succeeds before the first
	// refresh (mountebank's imposter is created over its API).
	prepare func() error
	// first is the refresh token of the first refresh.
	first string
	// initial returns client i's first refresh token (after the first
	// refresh answered).
	initial func(i int) (string, error)
	// form is the body of a refresh with rt.
	form func(rt string) url.Values
}

const (
	benchClient = "bench-client"
	benchSecret = "bench-secret"
)

func stdForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {benchClient}, "client_secret": {benchSecret}}
}

// allPeers lists every peer. before, when set, is another refreshproof
// binary (one built from an earlier commit) measured as "refreshproof
// before", so that a change is compared with its base in one run.
func allPeers(before string) []*peer {
	peers := []*peer{
		refreshproofPeer("refreshproof", false, ""),
		{
			name: "mountebank", refresh: "rotation + reuse rejection (family revoked), in an injected JS function", api: "bearer checked against issued tokens",
			install: npmInstall("mountebank", "mountebank@2.9.1"), launch: launchMountebank,
		},
		{
			name: "wiremock", refresh: "rotation (templated random tokens); no reuse rejection: stubs keep no token state", api: "any bearer (header pattern)",
			install: npmInstall("wiremock", "wiremock@3.13.2"), launch: launchWiremock,
		},
		{
			name: "oauth2-mock-server", refresh: "new signed JWT access token per refresh; refresh tokens never checked", api: "userinfo, bearer not checked",
			install: npmInstall("oauth2-mock-server", "oauth2-mock-server@8.2.3"), launch: launchOAuth2MockServer,
		},
		{
			name: "mockoon", refresh: "rotation (templated random tokens); no reuse rejection", api: "any bearer (header rule)",
			install: npmInstall("@mockoon/cli", "@mockoon/cli@9.9.0"), launch: launchMockoon,
		},
		{
			name: "mockoidc", refresh: "signed JWT refresh token verified; not rotated (the same one is returned), no reuse rejection", api: "userinfo, JWT verified",
			install: installMockoidc, launch: launchMockoidc,
		},
		refreshproofPeer("refreshproof --tls", true, ""),
		{
			name: "net/http TLS baseline", refresh: "a fixed token answer", api: "-", startupOnly: true,
			install: installBaseline, launch: launchBaseline,
		},
	}
	if before != "" {
		peers = append(peers[:1], append([]*peer{refreshproofPeer("refreshproof before", false, before)}, peers[1:]...)...)
		peers = append(peers, refreshproofPeer("refreshproof before --tls", true, before))
	}
	return peers
}

// logFile is where a peer's output goes: a file costs the server what a
// terminal would, without the bench copying it.
func logFile(cache, name string) (*os.File, string, error) {
	dir := filepath.Join(cache, "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, strings.NewReplacer(" ", "_", "/", "_").Replace(name)+".log")
	f, err := os.Create(path)
	return f, path, err
}

// spawn starts a peer's server with its output in its log file.
func spawn(cache, name, dir string, wantStdout bool, bin string, args ...string) (*proc, string, error) {
	f, path, err := logFile(cache, name)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	p, err := startCmd(cmd, f, wantStdout)
	return p, path, err
}

func plainClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}, Timeout: 30 * time.Second}
}

// ---- refreshproof

// treeCommit names the working tree for the results: its commit, with
// -dirty when it has changes, or "" outside a git checkout.
func treeCommit(ctx context.Context) string {
	rev, err := exec.CommandContext(ctx, "git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(rev))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		c += "-dirty"
	}
	return c
}

// refreshproofPeer is serve, built from the working tree into the cache,
// or the binary prebuilt when set.
func refreshproofPeer(name string, tls bool, prebuilt string) *peer {
	p := &peer{name: name, refresh: "rotation + reuse detection (salesforce/rotation-reuse-detected), exchange log on", api: "bearer checked against the authority (Salesforce query)"}
	if tls {
		p.refresh = "the same, with --tls (a CA and certificate made at start)"
		p.startupOnly = true
	}
	binary := func(cache string) string {
		if prebuilt != "" {
			return prebuilt
		}
		return filepath.Join(cache, "refreshproof")
	}
	p.install = func(ctx context.Context, cache string) (string, error) {
		bin := binary(cache)
		if prebuilt == "" {
			// Built as a release is: what a user installing the npm
			// package runs.
			if err := runCmdLogged(releasebuild.Command(ctx, ".", bin, "", "", releasebuild.Stamp{Commit: treeCommit(ctx)})); err != nil {
				return "", err
			}
		}
		out, err := exec.CommandContext(ctx, bin, "version").Output()
		if err != nil {
			return "", fmt.Errorf("refreshproof version: %w", err)
		}
		return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "refreshproof")), nil
	}
	p.launch = func(cache string, port, clients int) (*instance, error) {
		args := []string{"serve", "--provider", "salesforce", "--scenario", "salesforce/rotation-reuse-detected", "--output", "json", "--addr", "127.0.0.1:" + strconv.Itoa(port)}
		if tls {
			args = append(args, "--tls")
		}
		pr, log, err := spawn(cache, name, cache, true, binary(cache), args...)
		if err != nil {
			return nil, err
		}
		inst := &instance{proc: pr, log: log, form: stdForm}
		var info struct {
			TokenURL, APIURL, AdminURL, ClientID, ClientSecret, RefreshToken string
		}
		if err := json.NewDecoder(pr.stdout).Decode(&info); err != nil {
			return inst, fmt.Errorf("reading serve's start-up JSON: %w", err)
		}
		go func() { _, _ = io.Copy(io.Discard, pr.stdout) }()
		inst.tokenURL, inst.apiURL = info.TokenURL, info.APIURL+"/query?q="+url.QueryEscape("SELECT Id, Name FROM Account LIMIT 5")
		inst.client = plainClient(clients)
		if tls {
			inst.client = insecureTLSClient(clients)
		}
		inst.first = info.RefreshToken
		inst.form = func(rt string) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {info.ClientID}, "client_secret": {info.ClientSecret}}
		}
		// One token family per client, as many independent accounts.
		inst.initial = func(i int) (string, error) {
			resp, err := inst.client.Post(info.AdminURL+"families", "application/json", strings.NewReader("{}"))
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			var g struct {
				Refresh struct{ Value string } `json:"refresh"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&g); err != nil || g.Refresh.Value == "" {
				return "", fmt.Errorf("minting a family: %d %v", resp.StatusCode, err)
			}
			return g.Refresh.Value, nil
		}
		return inst, nil
	}
	return p
}

// ---- npm peers

// npmInstall installs spec into CACHE/npm-NAME, once.
func npmInstall(pkg, spec string) func(ctx context.Context, cache string) (string, error) {
	return func(ctx context.Context, cache string) (string, error) {
		dir := filepath.Join(cache, "npm-"+strings.NewReplacer("@", "", "/", "-").Replace(pkg))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		pj := filepath.Join(dir, "node_modules", pkg, "package.json")
		if _, err := os.Stat(pj); err != nil {
			if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"peerbench-peer","private":true}`), 0o644); err != nil {
				return "", err
			}
			if err := runLogged(ctx, dir, nil, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error", spec); err != nil {
				return "", err
			}
		}
		b, err := os.ReadFile(pj)
		if err != nil {
			return "", err
		}
		var v struct{ Version string }
		if err := json.Unmarshal(b, &v); err != nil {
			return "", err
		}
		return v.Version, nil
	}
}

func npmDir(cache, pkg string) string {
	return filepath.Join(cache, "npm-"+strings.NewReplacer("@", "", "/", "-").Replace(pkg))
}

// mountebankInject keeps token state in the imposter: a refresh token
// is good once; presenting a used one revokes its family, as reuse
// detection does (RFC 9700 §4.14.2). seed-N starts family N.
const mountebankInject = `function (config) {
  var s = config.state;
  if (!s.live) { s.live = {}; s.used = {}; s.at = {}; s.dead = {}; s.n = 0; }
  var req = config.request;
  function form(b) {
    var o = {};
    (b || '').split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i > 0) o[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1).replace(/\+/g, ' '));
    });
    return o;
  }
  function tok(p) { s.n++; return p + s.n + '.' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2); }
  function json(code, o) { return { statusCode: code, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(o) }; }
  if (req.method === 'POST' && req.path === '/token') {
    var f = form(req.body);
    if (f.grant_type !== 'refresh_token') return json(400, { error: 'unsupported_grant_type' });
    if (f.client_id !== 'bench-client' || f.client_secret !== 'bench-secret') return json(401, { error: 'invalid_client' });
    var rt = f.refresh_token || '';
    var fam = s.live[rt];
    if (fam === undefined && rt.indexOf('seed-') === 0 && s.used[rt] === undefined) fam = rt;
    if (fam === undefined) {
      if (s.used[rt] !== undefined) s.dead[s.used[rt]] = true;
      return json(400, { error: 'invalid_grant', error_description: 'expired access/refresh token' });
    }
    if (s.dead[fam]) return json(400, { error: 'invalid_grant', error_description: 'expired access/refresh token' });
    delete s.live[rt];
    s.used[rt] = fam;
    var nrt = tok('rt'), at = tok('at');
    s.live[nrt] = fam;
    s.at[at] = fam;
    return json(200, { access_token: at, refresh_token: nrt, token_type: 'Bearer', expires_in: 3600 });
  }
  if (req.method === 'GET' && req.path === '/api') {
    var h = req.headers['Authorization'] || req.headers['authorization'] || '';
    var fam2 = s.at[h.replace(/^Bearer /, '')];
    if (fam2 === undefined || s.dead[fam2]) return json(401, { error: 'invalid_token' });
    return json(200, { ok: true });
  }
  return json(404, { error: 'not_found' });
}`

func launchMountebank(cache string, port, clients int) (*instance, error) {
	dir := npmDir(cache, "mountebank")
	mbPort, err := freePort()
	if err != nil {
		return nil, err
	}
	pr, log, err := spawn(cache, "mountebank", dir, false, "node", "node_modules/mountebank/bin/mb", "start",
		"--port", strconv.Itoa(mbPort), "--host", "127.0.0.1", "--allowInjection", "--localOnly", "--nologfile", "--loglevel", "warn")
	if err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	inst := &instance{proc: pr, log: log, tokenURL: base + "/token", apiURL: base + "/api", client: plainClient(clients), form: stdForm, first: "seed-first"}
	imposter, _ := json.Marshal(map[string]any{
		"protocol": "http", "port": port, "host": "127.0.0.1",
		"stubs": []any{map[string]any{"responses": []any{map[string]any{"inject": mountebankInject}}}},
	})
	admin := plainClient(1)
	inst.prepare = func() error {
		resp, err := admin.Post("http://127.0.0.1:"+strconv.Itoa(mbPort)+"/imposters", "application/json", strings.NewReader(string(imposter)))
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return &permanent{fmt.Errorf("creating the imposter: %d %s", resp.StatusCode, firstLine(string(body)))}
		}
		return nil
	}
	inst.initial = func(i int) (string, error) { return "seed-" + strconv.Itoa(i), nil }
	return inst, nil
}

// permanent marks a prepare error that retrying will not cure.
type permanent struct{ error }

func (p *permanent) Unwrap() error { return p.error }

func launchWiremock(cache string, port, clients int) (*instance, error) {
	dir := npmDir(cache, "wiremock")
	root := filepath.Join(cache, "wiremock-root")
	if err := os.MkdirAll(filepath.Join(root, "mappings"), 0o755); err != nil {
		return nil, err
	}
	token := `{"request":{"method":"POST","urlPath":"/token","bodyPatterns":[{"contains":"grant_type=refresh_token"}]},
 "response":{"status":200,"headers":{"Content-Type":"application/json"},"transformers":["response-template"],
 "body":"{\"access_token\":\"{{randomValue length=40 type='ALPHANUMERIC'}}\",\"refresh_token\":\"{{randomValue length=40 type='ALPHANUMERIC'}}\",\"token_type\":\"Bearer\",\"expires_in\":3600}"}}`
	api := `{"request":{"method":"GET","urlPath":"/api","headers":{"Authorization":{"matches":"Bearer .+"}}},
 "response":{"status":200,"headers":{"Content-Type":"application/json"},"body":"{\"ok\":true}"}}`
	for name, body := range map[string]string{"token.json": token, "api.json": api} {
		if err := os.WriteFile(filepath.Join(root, "mappings", name), []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	pr, log, err := spawn(cache, "wiremock", dir, false, "node", "node_modules/wiremock/index.js",
		"--port", strconv.Itoa(port), "--bind-address", "127.0.0.1", "--root-dir", root, "--disable-banner")
	if err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	return &instance{proc: pr, log: log, tokenURL: base + "/token", apiURL: base + "/api", client: plainClient(clients), form: stdForm,
		first: "initial-refresh-token", initial: func(i int) (string, error) { return "rt-" + strconv.Itoa(i), nil }}, nil
}

func launchOAuth2MockServer(cache string, port, clients int) (*instance, error) {
	dir := npmDir(cache, "oauth2-mock-server")
	pr, log, err := spawn(cache, "oauth2-mock-server", dir, false, "node", "node_modules/.bin/oauth2-mock-server", "-a", "127.0.0.1", "-p", strconv.Itoa(port))
	if err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	return &instance{proc: pr, log: log, tokenURL: base + "/token", apiURL: base + "/userinfo", client: plainClient(clients), form: stdForm,
		first: "initial-refresh-token", initial: func(i int) (string, error) { return "rt-" + strconv.Itoa(i), nil }}, nil
}

func launchMockoon(cache string, port, clients int) (*instance, error) {
	dir := npmDir(cache, "@mockoon/cli")
	env := mockoonEnvironment(port)
	path := filepath.Join(cache, "mockoon-environment.json")
	if err := os.WriteFile(path, env, 0o644); err != nil {
		return nil, err
	}
	pr, log, err := spawn(cache, "mockoon", dir, false, "node", "node_modules/.bin/mockoon-cli", "start", "--data", path,
		"--port", strconv.Itoa(port), "--hostname", "127.0.0.1", "--disable-log-to-file", "--disable-admin-api")
	if err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	return &instance{proc: pr, log: log, tokenURL: base + "/token", apiURL: base + "/api", client: plainClient(clients), form: stdForm,
		first: "initial-refresh-token", initial: func(i int) (string, error) { return "rt-" + strconv.Itoa(i), nil }}, nil
}

// mockoonEnvironment is a Mockoon data file: a token route answering a
// refresh with templated random tokens, and an API route that wants a
// bearer.
func mockoonEnvironment(port int) []byte {
	route := func(uuid, method, path, body string, rules []any, fallback bool) map[string]any {
		resp := map[string]any{
			"uuid": uuid + "-r", "body": body, "latency": 0, "statusCode": 200, "label": "", "headers": []any{map[string]any{"key": "Content-Type", "value": "application/json"}},
			"bodyType": "INLINE", "filePath": "", "databucketID": "", "sendFileAsBody": false, "rules": rules, "rulesOperator": "AND",
			"disableTemplating": false, "fallbackTo404": fallback, "default": true, "crudKey": "id", "callbacks": []any{},
		}
		return map[string]any{
			"uuid": uuid, "type": "http", "documentation": "", "method": method, "endpoint": path, "responses": []any{resp},
			"responseMode": nil, "streamingMode": nil, "streamingInterval": 0,
		}
	}
	tokenBody := `{"access_token":"{{faker 'string.alphanumeric' 40}}","refresh_token":"{{faker 'string.alphanumeric' 40}}","token_type":"Bearer","expires_in":3600}`
	bearer := []any{map[string]any{"target": "header", "modifier": "Authorization", "value": "^Bearer .+", "invert": false, "operator": "regex"}}
	env := map[string]any{
		"uuid": "peerbench-env", "lastMigration": 33, "name": "peerbench", "endpointPrefix": "", "latency": 0, "port": port, "hostname": "127.0.0.1",
		"folders": []any{}, "routes": []any{route("token", "post", "token", tokenBody, []any{}, false), route("api", "get", "api", `{"ok":true}`, bearer, true)},
		"rootChildren": []any{map[string]any{"type": "route", "uuid": "token"}, map[string]any{"type": "route", "uuid": "api"}},
		"proxyMode":    false, "proxyHost": "", "proxyRemovePrefix": false, "tlsOptions": map[string]any{"enabled": false, "type": "CERT", "pfxPath": "", "certPath": "", "keyPath": "", "caPath": "", "passphrase": ""},
		"cors": false, "headers": []any{}, "proxyReqHeaders": []any{}, "proxyResHeaders": []any{}, "data": []any{}, "callbacks": []any{},
	}
	b, _ := json.Marshal(env)
	return b
}

// ---- Go peers, built from generated mains in the cache

const mockoidcVersion = "v0.0.0-20261103160011-e06ed0b7cb7f"

// mockoidcMain is the launcher: mockoidc as a library, started on the
// address given, with one session (and its refresh token) per client.
const mockoidcMain = `// Generated by peerbench: a launcher for mockoidc. Not part of refreshproof.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/oauth2-proxy/mockoidc"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	n := flag.Int("sessions", 32, "sessions to start, one refresh token each")
	flag.Parse()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	m.ClientID, m.ClientSecret = "bench-client", "bench-secret"
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := m.Start(ln, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var rts []string
	for i := 0; i <= *n; i++ {
		s, err := m.SessionStore.NewSession("openid email profile", "", mockoidc.DefaultUser(), "", "")
		if err == nil {
			var rt string
			if rt, err = s.RefreshToken(m.Config(), m.Keypair, m.Now()); err == nil {
				rts = append(rts, rt)
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{"tokenUrl": m.TokenEndpoint(), "apiUrl": m.UserinfoEndpoint(), "refreshTokens": rts})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	_ = m.Shutdown()
}
`

func goLauncher(ctx context.Context, cache, name, main string, deps ...string) error {
	dir := filepath.Join(cache, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(main), 0o644); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		if err := runLogged(ctx, dir, nil, "go", "mod", "init", "peerbench/"+name); err != nil {
			return err
		}
	}
	// Its own module, outside the repository's: the launcher's
	// dependencies are not refreshproof's.
	env := []string{"GOWORK=off", "GOFLAGS=-mod=mod"}
	for _, d := range deps {
		if err := runLogged(ctx, dir, env, "go", "get", d); err != nil {
			return err
		}
	}
	return runLogged(ctx, dir, env, "go", "build", "-o", name, ".")
}

func installMockoidc(ctx context.Context, cache string) (string, error) {
	if err := goLauncher(ctx, cache, "mockoidc", mockoidcMain, "github.com/oauth2-proxy/mockoidc@"+mockoidcVersion); err != nil {
		return "", err
	}
	return mockoidcVersion, nil
}

func launchMockoidc(cache string, port, clients int) (*instance, error) {
	dir := filepath.Join(cache, "mockoidc")
	pr, log, err := spawn(cache, "mockoidc", dir, true, filepath.Join(dir, "mockoidc"), "-addr", "127.0.0.1:"+strconv.Itoa(port), "-sessions", strconv.Itoa(clients))
	if err != nil {
		return nil, err
	}
	inst := &instance{proc: pr, log: log, client: plainClient(clients), form: stdForm}
	var info struct {
		TokenURL      string   `json:"tokenUrl"`
		APIURL        string   `json:"apiUrl"`
		RefreshTokens []string `json:"refreshTokens"`
	}
	if err := json.NewDecoder(pr.stdout).Decode(&info); err != nil || len(info.RefreshTokens) < clients+1 {
		return inst, fmt.Errorf("reading the launcher's start-up JSON: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr.stdout) }()
	inst.tokenURL, inst.apiURL, inst.first = info.TokenURL, info.APIURL, info.RefreshTokens[clients]
	inst.initial = func(i int) (string, error) { return info.RefreshTokens[i], nil }
	return inst, nil
}

// baselineMain is the start-up floor: net/http over TLS with a key and
// certificate made at start, as refreshproof serve --tls does, answering
// a token request with a fixed body.
const baselineMain = `// Generated by peerbench: the start-up baseline. Not part of refreshproof.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	http.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, ` + "`" + `{"access_token":"baseline-access-token","refresh_token":"baseline-refresh-token","token_type":"Bearer","expires_in":3600}` + "`" + `)
	})
	fmt.Println("ready")
	_ = http.Serve(tls.NewListener(ln, cfg), nil)
}
`

func installBaseline(ctx context.Context, cache string) (string, error) {
	if err := goLauncher(ctx, cache, "baseline", baselineMain); err != nil {
		return "", err
	}
	out, _ := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output()
	return strings.TrimSpace(string(out)), nil
}

func launchBaseline(cache string, port, clients int) (*instance, error) {
	dir := filepath.Join(cache, "baseline")
	pr, log, err := spawn(cache, "baseline", dir, false, filepath.Join(dir, "baseline"), "-addr", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return nil, err
	}
	return &instance{proc: pr, log: log, tokenURL: "https://127.0.0.1:" + strconv.Itoa(port) + "/token", client: insecureTLSClient(1), form: stdForm, first: "x"}, nil
}
