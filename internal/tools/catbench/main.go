// Command catbench measures the node runner: the wall time of running the
// whole built-in scenario catalogue against one example component,
// sequentially and in parallel, beside the floor of starting the
// component's sailor as many times (node -e requiring it), all in one run
// with the rounds interleaved so that a noisy machine affects each alike.
//
//	go run ./internal/tools/catbench -component examples/ms-graph-on401 -rounds 3
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/scenarios"
)

func main() {
	dir := flag.String("component", "examples/ms-graph-on401", "example component directory")
	rounds := flag.Int("rounds", 3, "interleaved rounds")
	skipSlow := flag.Bool("skip-slow", false, "leave out the token-endpoint-timeout scenario")
	flag.Parse()
	if err := run(*dir, *rounds, *skipSlow); err != nil {
		fmt.Fprintln(os.Stderr, "catbench:", err)
		os.Exit(1)
	}
}

func run(dir string, rounds int, skipSlow bool) error {
	c, err := harness.LoadComponent(dir)
	if err != nil {
		return err
	}
	if err := c.Resolve(); err != nil {
		return err
	}
	var list []*scenarios.Scenario
	for _, sc := range scenarios.Catalogue() {
		if sc.Provider == c.Provider && !(skipSlow && sc.Name == "token-endpoint-timeout") {
			list = append(list, sc)
		}
	}
	par := runtime.NumCPU()
	times := map[string][]time.Duration{}
	// perScenario holds each scenario's sequential wall times, and
	// perContainers its container count, for the per-scenario table.
	perScenario := map[string][]time.Duration{}
	perContainers := map[string]int{}
	containers := 0
	for r := 0; r < rounds; r++ {
		for _, mode := range []struct {
			name string
			n    int
		}{{"catalogue sequential", 1}, {fmt.Sprintf("catalogue parallel (%d)", par), par}} {
			start := time.Now()
			res := harness.Runner{Parallel: mode.n}.RunAll(context.Background(), c, list, nil)
			times[mode.name] = append(times[mode.name], time.Since(start))
			n := 0
			for _, x := range res {
				if x.Err != nil {
					return fmt.Errorf("%s: %w", x.Scenario.Name, x.Err)
				}
				n += len(x.Trace.Containers)
				if mode.n == 1 {
					perScenario[x.Scenario.Name] = append(perScenario[x.Scenario.Name], x.Trace.Duration)
					perContainers[x.Scenario.Name] = len(x.Trace.Containers)
				}
			}
			containers = n
		}
		for _, mode := range []struct {
			name string
			n    int
		}{{"sailor start floor sequential", 1}, {fmt.Sprintf("sailor start floor parallel (%d)", par), par}} {
			start := time.Now()
			if err := floor(c.Dir, c.SailorDir, containers, mode.n); err != nil {
				return err
			}
			times[mode.name] = append(times[mode.name], time.Since(start))
		}
	}
	fmt.Printf("component %s, %d %s scenarios, %d containers per catalogue run, %d rounds, %d CPUs\n", filepath.Base(c.Dir), len(list), c.Provider, containers, rounds, par)
	var names []string
	for k := range times {
		names = append(names, k)
	}
	sort.Strings(names)
	med := map[string]time.Duration{}
	for _, k := range names {
		med[k] = median(times[k])
		fmt.Printf("  %-36s median %8.2fs  (all: %v)\n", k, med[k].Seconds(), roundAll(times[k]))
	}
	seq, parK := "catalogue sequential", fmt.Sprintf("catalogue parallel (%d)", par)
	fmt.Printf("  parallel speed-up %.2fx; sequential catalogue / sequential floor %.1fx\n",
		med[seq].Seconds()/med[parK].Seconds(), med[seq].Seconds()/med["sailor start floor sequential"].Seconds())

	// Per scenario: its sequential run against the floor of starting as
	// many containers one after the other. A scenario whose script makes
	// the component wait (a delayed answer, a Retry-After) cannot be near
	// its floor, so it is marked and left out of the range.
	start := med["sailor start floor sequential"] / time.Duration(max(containers, 1))
	fmt.Printf("\nper scenario, sequential: median wall time over the floor (%.3fs per container start)\n", start.Seconds())
	lo, hi := 0.0, 0.0
	for _, sc := range list {
		if len(perScenario[sc.Name]) == 0 {
			continue
		}
		m := median(perScenario[sc.Name])
		ratio := m.Seconds() / (start.Seconds() * float64(max(perContainers[sc.Name], 1)))
		mark := ""
		if waits(sc) {
			mark = "  (scripted wait)"
		} else {
			if lo == 0 || ratio < lo {
				lo = ratio
			}
			hi = max(hi, ratio)
		}
		fmt.Printf("  %-52s %d container(s) %7.3fs  %5.2fx%s\n", sc.Name, perContainers[sc.Name], m.Seconds(), ratio, mark)
	}
	fmt.Printf("  scenarios without a scripted wait: %.2fx to %.2fx the floor\n", lo, hi)
	return nil
}

// waits reports whether a scenario's script makes its component wait on
// purpose: an answer held back, or a Retry-After to honour.
func waits(sc *scenarios.Scenario) bool {
	for _, r := range sc.Rules {
		if r.Respond.Delay > 0 {
			return true
		}
		for k := range r.Respond.Header {
			if strings.EqualFold(k, "Retry-After") {
				return true
			}
		}
	}
	return false
}

// median returns the middle of ds (the upper one of an even count),
// leaving ds in its order.
func median(ds []time.Duration) time.Duration {
	ds = append([]time.Duration(nil), ds...)
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

func roundAll(ds []time.Duration) []string {
	var s []string
	for _, d := range ds {
		s = append(s, fmt.Sprintf("%.2fs", d.Seconds()))
	}
	return s
}

// floor starts node requiring the sailor n times, par at once.
func floor(dir, sailor string, n, par int) error {
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cmd := exec.Command("node", "-e", fmt.Sprintf("require(%q)", filepath.Join(sailor, "lib", "sailor.js")))
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("node -e: %v: %s", err, out)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}
