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
		ds := append([]time.Duration(nil), times[k]...)
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		med[k] = ds[len(ds)/2]
		fmt.Printf("  %-36s median %8.2fs  (all: %v)\n", k, med[k].Seconds(), roundAll(times[k]))
	}
	seq, parK := "catalogue sequential", fmt.Sprintf("catalogue parallel (%d)", par)
	fmt.Printf("  parallel speed-up %.2fx; sequential catalogue / sequential floor %.1fx\n",
		med[seq].Seconds()/med[parK].Seconds(), med[seq].Seconds()/med["sailor start floor sequential"].Seconds())
	return nil
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
