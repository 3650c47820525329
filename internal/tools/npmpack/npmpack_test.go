package main

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/internal/cli"
)

const repo = "../../.."

func TestBuildRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		o    options
		want string
	}{
		{"version with a v", options{Repo: repo, Version: "v0.1.0"}, "not an npm version"},
		{"no version", options{Repo: repo}, "not an npm version"},
		{"unknown platform", options{Repo: repo, Version: "0.1.0", Platforms: []string{"plan9-x64"}}, `no platform "plan9-x64"`},
		{"not the repository", options{Repo: t.TempDir(), Version: "0.1.0"}, "not the refreshproof repository"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Out = t.TempDir()
			_, err := build(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSetFieldsKeepsOrder(t *testing.T) {
	got, err := setFields([]byte(`{"name":"x","version":"0.0.0-dev","bin":{"a":"b"}}`), []field{{"version", "1.2.3"}, {"os", []string{"linux"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"name\": \"x\",\n  \"version\": \"1.2.3\",\n  \"bin\": {\n    \"a\": \"b\"\n  },\n  \"os\": [\n    \"linux\"\n  ]\n}\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestPackedPackage is the install path a component author takes: the
// packages built for this platform and packed with npm pack are installed
// into a copy of an example component (with its own dependencies already
// installed, so nothing comes from a registry), and `npx refreshproof
// check` there must give the exit code and verdicts the Go build gives.
// Then the JavaScript API's tests run there with node --test.
func TestPackedPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and installs the npm packages")
	}
	for _, tool := range []string{"node", "npm", "npx", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	example := filepath.Join(repo, "examples", "sf-drops-refresh-token")
	if _, err := os.Stat(filepath.Join(example, "node_modules", "elasticio-sailor-nodejs")); err != nil {
		t.Skip("the example's npm packages are not installed (make deps)")
	}
	host := hostPlatform()
	if !slices.ContainsFunc(platforms, func(p platform) bool { return p.dir() == host }) {
		t.Skipf("no npm package for %s", host)
	}

	tmp := t.TempDir()
	out := filepath.Join(tmp, "dist")
	tarballs, err := build(options{Repo: repo, Out: out, Version: "0.1.0-test.1", Platforms: []string{"host"}, Pack: true, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if len(tarballs) != 2 {
		t.Fatalf("packed %v, want the main package and %s", tarballs, host)
	}
	if runtime.GOOS == "linux" {
		// A static binary runs on any libc (musl images included).
		f, err := elf.Open(filepath.Join(out, host, "bin", "refreshproof"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("the packaged binary is dynamically linked; a release build is static (CGO_ENABLED=0)")
			}
		}
		f.Close()
	}
	comp := filepath.Join(tmp, "component")
	if err := copyDir(example, comp); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sh := func(name string, args ...string) (int, string, string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = comp
		cmd.Env = append(os.Environ(), "REFRESHPROOF_BINARY=", "REFRESHPROOF_COMPONENT="+comp)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
		}
		return code, stdout.String(), stderr.String()
	}
	install := append([]string{"install", "--offline", "--no-audit", "--no-fund", "--save-dev"}, tarballs...)
	if code, _, errOut := sh("npm", install...); code != 0 {
		t.Fatalf("npm install of the tarballs: exit %d\n%s", code, errOut)
	}

	code, stdout, _ := sh("npx", "--no-install", "refreshproof", "version", "-o", "json")
	var b cli.BuildInfo
	if err := json.Unmarshal([]byte(stdout), &b); code != 0 || err != nil || b.Version != "v0.1.0-test.1" || b.Commit == "" {
		t.Errorf("npx refreshproof version: exit %d, %+v (%v)\n%s", code, b, err, stdout)
	}

	scen := "--scenarios=expired-access-token,valid-token,rotation"
	npmRecord := filepath.Join(tmp, "npm.json")
	npmCode, npmOut, npmErr := sh("npx", "--no-install", "refreshproof", "check", scen, "--parallel", "1", "--json-report", npmRecord)
	goRecord := filepath.Join(tmp, "go.json")
	var goOut, goErr bytes.Buffer
	goCode := cli.Run(ctx, []string{"check", comp, scen, "--parallel", "1", "--json-report", goRecord}, nil, &goOut, &goErr)
	if npmCode != goCode || goCode != cli.ExitFailed {
		t.Fatalf("npx refreshproof check exit %d, the Go build's %d (want %d)\nnpx:\n%s%s\ngo:\n%s%s", npmCode, goCode, cli.ExitFailed, npmOut, npmErr, goOut.String(), goErr.String())
	}
	npmSum, goSum := verdicts(t, npmRecord), verdicts(t, goRecord)
	if !slices.Equal(npmSum, goSum) {
		t.Errorf("verdicts differ\nnpx: %v\ngo:  %v", npmSum, goSum)
	}
	if !slices.Contains(npmSum, "R06 salesforce/expired-access-token failed") {
		t.Errorf("verdicts %v lack the example's R06 failure", npmSum)
	}

	// Exit code 2 passes through too.
	if code, _, errOut := sh("npx", "--no-install", "refreshproof", "check", "--provider", "salesforc"); code != 2 || !strings.Contains(errOut, `did you mean "salesforce"`) {
		t.Errorf("npx refreshproof check --provider salesforc: exit %d, want 2\n%s", code, errOut)
	}
	t.Run("a signal reaches the binary", func(t *testing.T) { signalPassesThrough(t, comp) })

	// The API's tests, run where a user's would be: in the component,
	// requiring the installed package.
	testDir := filepath.Join(comp, "test")
	if err := copyDir(filepath.Join(repo, "npm", "refreshproof", "test"), testDir); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := sh("node", "--test", "test/"); code != 0 {
		t.Errorf("node --test of the JavaScript API: exit %d\n%s\n%s", code, out, errOut)
	}

	// Installed with --omit=optional: the launcher says what to do.
	if err := os.RemoveAll(filepath.Join(comp, "node_modules", "@refreshproof", host)); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := sh("npx", "--no-install", "refreshproof", "version"); code != 2 || !strings.Contains(errOut, "@refreshproof/"+host+", which holds the refreshproof binary for this platform, is not installed") {
		t.Errorf("without the platform package: exit %d\n%s", code, errOut)
	}
}

// signalPassesThrough starts refreshproof serve through the launcher,
// sends SIGTERM to the launcher alone, and expects the binary to stop
// (serve ends cleanly on SIGTERM) and the launcher to end as it did.
func signalPassesThrough(t *testing.T, comp string) {
	cmd := exec.Command("node", filepath.Join(comp, "node_modules", "refreshproof", "bin", "refreshproof.js"), "serve", "--provider", "salesforce", "-o", "json")
	cmd.Dir = comp
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		// serve prints its start-up details once it listens.
		buf := make([]byte, 4096)
		n, _ := stdout.Read(buf)
		ready <- string(buf[:n])
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case out := <-ready:
		if !strings.Contains(out, "127.0.0.1") {
			t.Errorf("serve printed %q", out)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("serve did not start through the launcher")
	}
	go func() { done <- cmd.Wait() }()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the launcher ended with %v after SIGTERM; serve exits 0 on SIGTERM", err)
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the launcher did not end after SIGTERM: the signal did not reach the binary")
	}
}

// verdicts is a run record's results as sorted "rule scenario status"
// lines.
func verdicts(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Results []struct {
			RuleID, Scenario, Status string
		}
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []string
	for _, r := range rec.Results {
		out = append(out, r.RuleID+" "+r.Scenario+" "+r.Status)
	}
	slices.Sort(out)
	return out
}

// copyDir copies a directory tree, recreating symbolic links (npm's
// node_modules/.bin holds them) instead of following them.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
}
