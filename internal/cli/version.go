package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at link time by release builds (make npm-packages):
//
//	go build -ldflags "-X github.com/refreshproof/refreshproof/internal/cli.version=v0.1.0 -X github.com/refreshproof/refreshproof/internal/cli.commit=abc123"
//
// A build without them falls back to what the Go toolchain stamped into
// the binary: the module version for go install pkg@version, the VCS
// revision for a build in a git work tree.
var (
	version string
	commit  string
)

// BuildInfo says which build of refreshproof is running.
type BuildInfo struct {
	// Version is the release ("v0.1.0"), or "(devel)" for a build from a
	// work tree.
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from, with
	// "-dirty" when the work tree had changes; empty when unknown.
	Commit string `json:"commit,omitempty"`
	// GoVersion is the Go toolchain that built it ("go1.26.8").
	GoVersion string `json:"goVersion"`
	// Platform is GOOS/GOARCH ("linux/amd64").
	Platform string `json:"platform"`
}

// Build returns the build's version, commit and toolchain: link-time
// values first, then the build information the Go toolchain embeds.
func Build() BuildInfo {
	b := BuildInfo{Version: version, Commit: commit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		b.GoVersion = bi.GoVersion
		if b.Version == "" && bi.Main.Version != "" {
			b.Version = bi.Main.Version
		}
		if b.Commit == "" {
			var rev string
			var dirty bool
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					rev = s.Value
				case "vcs.modified":
					dirty = s.Value == "true"
				}
			}
			if rev != "" && dirty {
				rev += "-dirty"
			}
			b.Commit = rev
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	return b
}

// Version is the release version, or "(devel)" for a build from a work
// tree.
func Version() string { return Build().Version }

func newVersionCmd(s *streams) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version of this build",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			b := Build()
			switch output {
			case "text":
				commit := b.Commit
				if commit == "" {
					commit = "unknown commit"
				}
				fmt.Fprintf(s.out, "refreshproof %s (%s, %s, %s)\n", b.Version, commit, b.GoVersion, b.Platform)
			case "json":
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				return enc.Encode(b)
			default:
				return usageErr("--output must be text or json, not %q", output)
			}
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return c
}
