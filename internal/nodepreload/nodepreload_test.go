package nodepreload

import (
	"bufio"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// TestRedirect runs node with the preload against a TLS server standing for
// a real host: https, the global fetch and plain http reach it by the real
// name with certificate checks on; other hosts are blocked and logged.
func TestRedirect(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	ca, err := mockprovider.NewCA([]string{"api.example.test", "*.wild.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("hello from " + r.Host + r.URL.Path))
	})}
	go func() { _ = srv.Serve(tls.NewListener(l, ca.ServerConfig())) }()
	defer srv.Close()

	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := ca.WriteCert(caFile); err != nil {
		t.Fatal(err)
	}
	pre, err := Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "net.log")
	port := l.Addr().(*net.TCPAddr).Port
	env, err := Env(pre, Redirect{Host: "127.0.0.1", Port: port, Hosts: []string{"api.example.test", "*.wild.example.test"}, Block: true, Log: logFile}, []string{"NODE_OPTIONS=--no-warnings"})
	if err != nil {
		t.Fatal(err)
	}
	script := `
const https = require('https');
const get = (u) => new Promise((res, rej) => https.get(u, (r) => { let b = ''; r.on('data', (c) => b += c); r.on('end', () => res(b)); }).on('error', rej));
(async () => {
  console.log('https:', await get('https://api.example.test/a'));
  console.log('fetch:', await (await fetch('https://x.wild.example.test/b')).text());
  try { await fetch('https://blocked.example.org/'); console.log('blocked: no'); } catch (e) { console.log('blocked:', e.cause && e.cause.code); }
  try { await get('https://another.example.org/'); console.log('blocked2: no'); } catch (e) { console.log('blocked2:', e.code); }
})();
`
	cmd := exec.Command(node, "-e", script)
	cmd.Env = append(os.Environ(), append(env, "NODE_EXTRA_CA_CERTS="+caFile)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	for _, want := range []string{
		"https: hello from api.example.test/a",
		"fetch: hello from x.wild.example.test/b",
		"blocked: EREFRESHPROOFBLOCKED",
		"blocked2: EREFRESHPROOFBLOCKED",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	f, err := os.Open(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var redirected, blocked int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		switch {
		case strings.Contains(sc.Text(), `"event":"redirected"`):
			redirected++
		case strings.Contains(sc.Text(), `"event":"blocked"`):
			blocked++
		}
	}
	if redirected != 2 || blocked != 2 {
		t.Fatalf("log: %d redirected, %d blocked; want 2 and 2", redirected, blocked)
	}
}

func TestEnvKeepsNodeOptions(t *testing.T) {
	env, err := Env("/x/p.js", Redirect{Host: "127.0.0.1", Port: 1}, []string{"PATH=/bin", "NODE_OPTIONS=--max-old-space-size=100"})
	if err != nil {
		t.Fatal(err)
	}
	if env[0] != `NODE_OPTIONS=--require "/x/p.js" --max-old-space-size=100` {
		t.Fatalf("got %q", env[0])
	}
}
