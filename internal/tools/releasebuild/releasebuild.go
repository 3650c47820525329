// Package releasebuild is how a released refreshproof binary is built:
// the npm packages ship binaries built this way, and the benchmarks
// measure one built this way, so both stay the same build.
package releasebuild

import (
	"context"
	"fmt"
	"os"
	"os/exec"
)

const modulePath = "github.com/refreshproof/refreshproof"

// Stamp is what `refreshproof version` reports. An empty field is left
// unstamped: the binary then reports what the Go toolchain recorded.
type Stamp struct {
	Version string // without the leading v
	Commit  string
}

// Command returns the go build of ./cmd/refreshproof in repo for goos and
// goarch (empty: this machine's), written to out.
//
// CGO_ENABLED=0: the binary is static, so it runs on any libc and needs no
// C toolchain to cross-compile; net then resolves names in Go, which is
// all refreshproof asks of it (loopback). -trimpath and -s -w keep build
// paths and symbol tables out of what is shipped.
func Command(ctx context.Context, repo, out, goos, goarch string, s Stamp) *exec.Cmd {
	ldflags := "-s -w"
	if s.Version != "" {
		ldflags += fmt.Sprintf(" -X %s/internal/cli.version=v%s", modulePath, s.Version)
	}
	if s.Commit != "" {
		ldflags += fmt.Sprintf(" -X %s/internal/cli.commit=%s", modulePath, s.Commit)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags, "-o", out, "./cmd/refreshproof")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if goos != "" {
		cmd.Env = append(cmd.Env, "GOOS="+goos)
	}
	if goarch != "" {
		cmd.Env = append(cmd.Env, "GOARCH="+goarch)
	}
	return cmd
}
