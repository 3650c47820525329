// Command npmpack builds refreshproof's npm packages from the repository:
// the main package "refreshproof" (launcher, JavaScript API, types) and
// one package per platform ("@refreshproof/linux-x64", ...) holding a
// cross-compiled, statically linked binary. The main package lists the
// platform packages as optionalDependencies; npm installs only the one
// whose os and cpu fields match, so installing needs no download script
// and no Go toolchain. The binary is self-contained: the Node.js driver
// and the host-redirect preload are embedded in it.
//
//	go run ./internal/tools/npmpack -version 0.1.0 -out dist/npm -pack
//
// writes dist/npm/<package>/ directories and, with -pack, their npm pack
// tarballs next to them.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/refreshproof/refreshproof/internal/tools/releasebuild"
)

// platform is one prebuilt binary: npm's names for the system and CPU
// (process.platform, process.arch) and Go's.
type platform struct {
	OS, CPU      string
	GOOS, GOARCH string
}

func (p platform) dir() string     { return p.OS + "-" + p.CPU }
func (p platform) pkgName() string { return "@refreshproof/" + p.dir() }

// platforms are the systems the npm package has a binary for. Windows is
// not among them: the harness stops a component's whole process tree
// with Unix process groups (harness/node.go), which has no Windows port
// yet; Windows users run refreshproof in WSL.
var platforms = []platform{
	{"linux", "x64", "linux", "amd64"},
	{"linux", "arm64", "linux", "arm64"},
	{"darwin", "x64", "darwin", "amd64"},
	{"darwin", "arm64", "darwin", "arm64"},
}

// semver is npm's version syntax (without build metadata).
var semver = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

// options says what to build.
type options struct {
	// Repo is the repository root (holding go.mod and npm/).
	Repo string
	// Out receives one directory per package and, with Pack, the tarballs.
	Out string
	// Version is the npm version ("0.1.0"); the binary reports "v0.1.0".
	Version string
	// Commit is stamped into the binary; empty means git rev-parse HEAD.
	Commit string
	// Platforms to build, by npm name ("linux-x64"); empty means all.
	// The main package lists every platform either way.
	Platforms []string
	// Pack runs npm pack on each package directory.
	Pack bool
	// Log receives one line per step; nil means none.
	Log func(format string, args ...any)
}

func main() {
	var o options
	var plats string
	flag.StringVar(&o.Repo, "repo", ".", "repository root")
	flag.StringVar(&o.Out, "out", filepath.Join("dist", "npm"), "output directory")
	flag.StringVar(&o.Version, "version", "", "npm version of the packages, e.g. 0.1.0 (required)")
	flag.StringVar(&o.Commit, "commit", "", "commit stamped into the binary (default: git rev-parse HEAD)")
	flag.StringVar(&plats, "platforms", "", "comma-separated platforms to build, e.g. linux-x64,host (default: all)")
	flag.BoolVar(&o.Pack, "pack", false, "also npm pack each package into the output directory")
	flag.Parse()
	if plats != "" {
		o.Platforms = strings.Split(plats, ",")
	}
	o.Log = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	tarballs, err := build(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "npmpack:", err)
		os.Exit(1)
	}
	for _, t := range tarballs {
		fmt.Println(t)
	}
}

// hostPlatform is the npm name of the platform this program runs on.
func hostPlatform() string {
	for _, p := range platforms {
		if p.GOOS == runtime.GOOS && p.GOARCH == runtime.GOARCH {
			return p.dir()
		}
	}
	return runtime.GOOS + "-" + runtime.GOARCH
}

// build writes the packages and returns the tarballs it packed, the main
// package's first.
func build(o options) ([]string, error) {
	logf := o.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if !semver.MatchString(o.Version) {
		return nil, fmt.Errorf("-version %q is not an npm version such as 0.1.0", o.Version)
	}
	selected := map[string]bool{}
	for _, name := range o.Platforms {
		name = strings.TrimSpace(name)
		if name == "host" {
			name = hostPlatform()
		}
		known := false
		for _, p := range platforms {
			known = known || p.dir() == name
		}
		if !known {
			var names []string
			for _, p := range platforms {
				names = append(names, p.dir())
			}
			return nil, fmt.Errorf("no platform %q; the platforms are %s and host", name, strings.Join(names, ", "))
		}
		selected[name] = true
	}
	if _, err := os.Stat(filepath.Join(o.Repo, "npm", "refreshproof", "package.json")); err != nil {
		return nil, fmt.Errorf("-repo %s is not the refreshproof repository: %w", o.Repo, err)
	}
	if o.Commit == "" {
		out, err := exec.Command("git", "-C", o.Repo, "rev-parse", "HEAD").Output()
		if err != nil {
			return nil, fmt.Errorf("finding the commit (pass -commit): %w", err)
		}
		o.Commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "-C", o.Repo, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
			o.Commit += "-dirty"
		}
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}

	var dirs []string
	main, err := writeMain(o)
	if err != nil {
		return nil, err
	}
	dirs = append(dirs, main)
	for _, p := range platforms {
		if len(selected) > 0 && !selected[p.dir()] {
			continue
		}
		logf("building %s (GOOS=%s GOARCH=%s)", p.pkgName(), p.GOOS, p.GOARCH)
		d, err := writePlatform(o, p)
		if err != nil {
			return nil, err
		}
		dirs = append(dirs, d)
	}
	if !o.Pack {
		return nil, nil
	}
	outAbs, err := filepath.Abs(o.Out)
	if err != nil {
		return nil, err
	}
	var tarballs []string
	for _, d := range dirs {
		cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", outAbs)
		cmd.Dir = d
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("npm pack in %s: %w\n%s", d, err, stderr.String())
		}
		lines := strings.Fields(string(out))
		if len(lines) == 0 {
			return nil, fmt.Errorf("npm pack in %s printed no tarball name", d)
		}
		t := filepath.Join(outAbs, lines[len(lines)-1])
		logf("packed %s", t)
		tarballs = append(tarballs, t)
	}
	return tarballs, nil
}

// writeMain writes the main package: npm/refreshproof with its version
// and the platform packages as optional dependencies.
func writeMain(o options) (string, error) {
	src := filepath.Join(o.Repo, "npm", "refreshproof")
	dst := filepath.Join(o.Out, "refreshproof")
	if err := os.RemoveAll(dst); err != nil {
		return "", err
	}
	raw, err := os.ReadFile(filepath.Join(src, "package.json"))
	if err != nil {
		return "", err
	}
	var pkg struct {
		Files []string `json:"files"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		return "", fmt.Errorf("npm/refreshproof/package.json: %w", err)
	}
	// Only what the package ships (its "files"), so a local node_modules
	// or test directory never ends up in the build.
	for _, f := range pkg.Files {
		if err := copyTree(filepath.Join(src, filepath.FromSlash(strings.TrimSuffix(f, "/"))), filepath.Join(dst, filepath.FromSlash(strings.TrimSuffix(f, "/")))); err != nil {
			return "", err
		}
	}
	deps := map[string]string{}
	for _, p := range platforms {
		deps[p.pkgName()] = o.Version
	}
	out, err := setFields(raw, []field{{"version", o.Version}, {"optionalDependencies", deps}})
	if err != nil {
		return "", fmt.Errorf("npm/refreshproof/package.json: %w", err)
	}
	return dst, os.WriteFile(filepath.Join(dst, "package.json"), out, 0o644)
}

// field is one top-level field of package.json.
type field struct {
	key   string
	value any
}

// setFields replaces top-level fields of a JSON object, keeping the order
// and the other fields as they are; new fields go last, in order.
func setFields(raw []byte, fields []field) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var keys []string
	values := map[string]json.RawMessage{}
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		keys = append(keys, k)
		values[k] = v
	}
	for _, f := range fields {
		k := f.key
		b, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		if _, ok := values[k]; !ok {
			keys = append(keys, k)
		}
		values[k] = b
	}
	var buf bytes.Buffer
	buf.WriteString("{\n")
	for i, k := range keys {
		kb, _ := json.Marshal(k)
		var vb bytes.Buffer
		if err := json.Indent(&vb, values[k], "  ", "  "); err != nil {
			return nil, err
		}
		fmt.Fprintf(&buf, "  %s: %s", kb, vb.Bytes())
		if i < len(keys)-1 {
			buf.WriteString(",")
		}
		buf.WriteString("\n")
	}
	buf.WriteString("}\n")
	return buf.Bytes(), nil
}

// writePlatform cross-compiles the binary for p and writes its package.
func writePlatform(o options, p platform) (string, error) {
	dst := filepath.Join(o.Out, p.dir())
	if err := os.RemoveAll(dst); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(dst, "bin"), 0o755); err != nil {
		return "", err
	}
	bin, err := filepath.Abs(filepath.Join(dst, "bin", "refreshproof"))
	if err != nil {
		return "", err
	}
	cmd := releasebuild.Command(context.Background(), o.Repo, bin, p.GOOS, p.GOARCH, releasebuild.Stamp{Version: o.Version, Commit: o.Commit})
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build for %s: %w\n%s", p.dir(), err, out)
	}
	b, err := setFields([]byte(`{}`), []field{
		{"name", p.pkgName()},
		{"version", o.Version},
		{"description", fmt.Sprintf("The refreshproof binary for %s %s; installed by the refreshproof package, not meant to be installed directly", p.OS, p.CPU)},
		{"repository", map[string]string{"type": "git", "url": "git+https://github.com/refreshproof/refreshproof.git"}},
		{"os", []string{p.OS}},
		{"cpu", []string{p.CPU}},
		{"files", []string{"bin/"}},
		// Yarn PnP must unpack the binary to run it.
		{"preferUnplugged", true},
	})
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dst, "package.json"), b, 0o644); err != nil {
		return "", err
	}
	readme := fmt.Sprintf("# %s\n\nThe `refreshproof` binary for %s %s. Install [`refreshproof`](https://www.npmjs.com/package/refreshproof) instead: it depends on this package and runs the binary.\n", p.pkgName(), p.OS, p.CPU)
	return dst, os.WriteFile(filepath.Join(dst, "README.md"), []byte(readme), 0o644)
}

// copyTree copies a file or a directory.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
}
