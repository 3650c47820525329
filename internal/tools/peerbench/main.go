// Command peerbench measures "refreshproof serve" side by side with other
// mock OAuth servers ("peers"), as a user starts each of them: refresh
// throughput at 32 clients, each chaining refreshes on its own token,
// latency, server CPU per refresh, authenticated API throughput, peak
// memory, and the time from start to the first answered refresh.
//
//	go run ./internal/tools/peerbench              # from the repository root
//	go run ./internal/tools/peerbench -reps 5 -duration 20s -only refreshproof,mountebank
//	go run ./internal/tools/peerbench -before /tmp/refreshproof-main   # a change against its base
//
// It installs the peers from their package registries into a cache
// directory (npm packages there, a small Go launcher for mockoidc built
// from a generated main), binds every server to 127.0.0.1, interleaves the
// repetitions (every peer once, then every peer again), and prints
// medians, spreads and per-repetition ratios to stdout and a Markdown
// file. A peer that cannot be installed or started is reported and
// skipped. Every process it starts runs in its own process group and is
// stopped on return, on error and on Ctrl-C.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run())
}

func run() int {
	home, _ := os.UserCacheDir()
	if home == "" {
		home = os.TempDir()
	}
	cfg := config{}
	flag.StringVar(&cfg.cache, "cache", filepath.Join(home, "refreshproof", "peerbench"), "directory the peers are installed into")
	flag.StringVar(&cfg.out, "out", "", "Markdown file for the results (default CACHE/results.md)")
	flag.IntVar(&cfg.reps, "reps", 3, "interleaved repetitions")
	flag.IntVar(&cfg.clients, "clients", 32, "concurrent clients, each with its own token")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "load time per measurement (refresh, then API)")
	flag.DurationVar(&cfg.startTimeout, "start-timeout", 90*time.Second, "how long a peer may take to answer its first refresh")
	only := flag.String("only", "", "comma-separated peers to run (default: all)")
	before := flag.String("before", "", `also measure this refreshproof binary (built from an earlier commit) as "refreshproof before", interleaved with the rest`)
	flag.Parse()
	if cfg.reps < 1 || cfg.clients < 1 || cfg.duration <= 0 {
		fmt.Fprintln(os.Stderr, "peerbench: -reps and -clients must be at least 1 and -duration positive")
		return 2
	}
	if cfg.duration > 5*time.Minute {
		cfg.duration = 5 * time.Minute
	}
	if cfg.out == "" {
		cfg.out = filepath.Join(cfg.cache, "results.md")
	}
	if _, err := os.Stat("cmd/refreshproof"); err != nil {
		fmt.Fprintln(os.Stderr, "peerbench: run it from the repository root (it builds ./cmd/refreshproof)")
		return 2
	}
	if err := os.MkdirAll(cfg.cache, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "peerbench:", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer stopAll() // whatever is still running, also after an error

	if *before != "" {
		abs, err := filepath.Abs(*before)
		if err != nil {
			fmt.Fprintln(os.Stderr, "peerbench: -before:", err)
			return 2
		}
		if _, err := os.Stat(abs); err != nil {
			fmt.Fprintln(os.Stderr, "peerbench: -before:", err)
			return 2
		}
		*before = abs
	}
	peers := allPeers(*before)
	if *only != "" {
		want := map[string]bool{}
		for _, n := range strings.Split(*only, ",") {
			want[strings.TrimSpace(n)] = true
		}
		var sel []*peer
		for _, p := range peers {
			if want[p.name] {
				sel = append(sel, p)
				delete(want, p.name)
			}
		}
		for n := range want {
			fmt.Fprintf(os.Stderr, "peerbench: unknown peer %q (want one of %s)\n", n, peerNames(peers))
			return 2
		}
		peers = sel
	}

	var ready []*peer
	for _, p := range peers {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(os.Stderr, "installing %s ... ", p.name)
		t0 := time.Now()
		v, err := p.install(ctx, cfg.cache)
		if err != nil {
			fmt.Fprintf(os.Stderr, "cannot install: %v; skipping it\n", err)
			p.skipped = "cannot install: " + firstLine(err.Error())
			continue
		}
		p.version = v
		fmt.Fprintf(os.Stderr, "%s (%s)\n", v, time.Since(t0).Round(time.Millisecond))
		ready = append(ready, p)
	}

	res := &results{cfg: cfg, peers: peers, started: time.Now()}
	for rep := 1; rep <= cfg.reps && ctx.Err() == nil; rep++ {
		for _, p := range ready {
			if ctx.Err() != nil {
				break
			}
			if p.skipped != "" {
				continue
			}
			fmt.Fprintf(os.Stderr, "rep %d/%d %s: ", rep, cfg.reps, p.name)
			m, err := measure(ctx, cfg, p)
			if err != nil {
				fmt.Fprintf(os.Stderr, "failed: %v\n", err)
				p.failures = append(p.failures, fmt.Sprintf("rep %d: %s", rep, firstLine(err.Error())))
				continue
			}
			fmt.Fprintf(os.Stderr, "%s\n", m.summary())
			p.reps = append(p.reps, m)
			res.byRep(rep)[p.name] = m
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "peerbench: interrupted; results so far follow")
	}
	md := res.markdown()
	fmt.Print(md)
	if err := os.WriteFile(cfg.out, []byte(md), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "peerbench:", err)
		return 1
	}
	fmt.Fprintln(os.Stderr, "results written to", cfg.out)
	if ctx.Err() != nil {
		return 130
	}
	return 0
}

type config struct {
	cache, out   string
	reps         int
	clients      int
	duration     time.Duration
	startTimeout time.Duration
}

func peerNames(ps []*peer) string {
	var n []string
	for _, p := range ps {
		n = append(n, p.name)
	}
	return strings.Join(n, ", ")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
