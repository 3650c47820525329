// Command loadgen measures a running "refreshproof serve": refresh
// throughput with many clients, each chaining refreshes on its own token
// family, authenticated API calls, and the time from starting serve to
// its first answered refresh.
//
//	go run ./internal/tools/loadgen throughput -concurrency 32 -duration 10s -provider microsoft
//	go run ./internal/tools/loadgen api -concurrency 32 -duration 10s -provider salesforce
//	go run ./internal/tools/loadgen startup -runs 10 -provider salesforce
//
// Both start the serve binary themselves (build it first:
// go build -o /tmp/refreshproof ./cmd/refreshproof) and only talk to
// loopback.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type info struct {
	Provider     string `json:"provider"`
	TokenURL     string `json:"tokenUrl"`
	APIURL       string `json:"apiUrl"`
	AdminURL     string `json:"adminUrl"`
	CAFile       string `json:"caFile"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	RefreshToken string `json:"refreshToken"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadgen throughput|api|startup [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	bin := fs.String("bin", "/tmp/refreshproof", "the refreshproof binary")
	provider := fs.String("provider", "microsoft", "salesforce or microsoft")
	conc := fs.Int("concurrency", 32, "clients, each with its own token family")
	dur := fs.Duration("duration", 10*time.Second, "how long to load (bounded)")
	runs := fs.Int("runs", 10, "startup measurements")
	useTLS := fs.Bool("tls", true, "serve TLS")
	scenario := fs.String("scenario", "", "scenario to serve (default: serve's)")
	window := fs.Duration("window", 0, "with throughput: also print the rate and serve's memory every window (e.g. 10s), and the last window's rate over the first's")
	quiet := fs.Bool("quiet", false, "start serve with -q (no exchange log); the default measures what a user runs")
	extra := fs.String("serve-flags", "", "more flags for serve, space-separated (e.g. \"--journal-cap 500\"), to measure a setting against the default")
	_ = fs.Parse(os.Args[2:])
	if *dur > 10*time.Minute {
		*dur = 10 * time.Minute
	}
	var err error
	switch os.Args[1] {
	case "throughput":
		err = throughput(serveArgs{*bin, *provider, *scenario, *useTLS, *quiet, strings.Fields(*extra)}, *conc, *dur, *window)
	case "api":
		err = apiCalls(serveArgs{*bin, *provider, *scenario, *useTLS, *quiet, strings.Fields(*extra)}, *conc, *dur)
	case "startup":
		err = startup(serveArgs{*bin, *provider, *scenario, true, *quiet, strings.Fields(*extra)}, *runs)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// serveArgs says how to start serve.
type serveArgs struct {
	bin, provider, scenario string
	tls, quiet              bool
	extra                   []string
}

// start runs serve and returns its start-up details once printed. The
// exchange log goes to /dev/null, as a terminal would take it: writing is
// part of the cost, reading it is not.
func start(sa serveArgs) (*exec.Cmd, info, error) {
	args := []string{"serve", "--provider", sa.provider, "--output", "json"}
	if sa.scenario != "" {
		args = append(args, "--scenario", sa.scenario)
	}
	if sa.quiet {
		args = append(args, "--quiet")
	}
	if sa.tls {
		args = append(args, "--tls")
	}
	cmd := exec.Command(sa.bin, append(args, sa.extra...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, info{}, err
	}
	cmd.Stderr = io.Discard
	if !sa.quiet {
		// Without -q, stderr carries one line per exchange.
		devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return nil, info{}, err
		}
		defer devnull.Close()
		cmd.Stderr = devnull
	}
	if err := cmd.Start(); err != nil {
		return nil, info{}, err
	}
	var in info
	dec := json.NewDecoder(bufio.NewReader(out))
	if err := dec.Decode(&in); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, info{}, fmt.Errorf("reading serve's start-up JSON: %w", err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return cmd, in, nil
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func client(in info, conns int) (*http.Client, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	if in.CAFile != "" {
		pem, err := os.ReadFile(in.CAFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

// refresh redeems rt and returns the refresh token to use next (the same
// one when the provider does not rotate).
func refresh(c *http.Client, in info, rt string) (string, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {in.ClientID}, "client_secret": {in.ClientSecret}}
	resp, err := c.PostForm(in.TokenURL, form)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		Error        string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", err
	}
	if resp.StatusCode != 200 || body.AccessToken == "" {
		return "", fmt.Errorf("refresh answered %d %s", resp.StatusCode, body.Error)
	}
	if body.RefreshToken != "" {
		return body.RefreshToken, nil
	}
	return rt, nil
}

// families mints one token family per client, as many independent
// accounts, and returns each one's refresh and access token.
func families(c *http.Client, in info, n int) (rts, ats []string, err error) {
	rts, ats = make([]string, n), make([]string, n)
	for i := range rts {
		resp, err := c.Post(in.AdminURL+"families", "application/json", strings.NewReader("{}"))
		if err != nil {
			return nil, nil, err
		}
		var g struct {
			Access struct {
				Value string `json:"value"`
			} `json:"access"`
			Refresh struct {
				Value string `json:"value"`
			} `json:"refresh"`
		}
		err = json.NewDecoder(resp.Body).Decode(&g)
		resp.Body.Close()
		if err != nil || g.Refresh.Value == "" || g.Access.Value == "" {
			return nil, nil, fmt.Errorf("minting family %d: %v", i, err)
		}
		rts[i], ats[i] = g.Refresh.Value, g.Access.Value
	}
	return rts, ats, nil
}

func throughput(sa serveArgs, conc int, dur, window time.Duration) error {
	cmd, in, err := start(sa)
	if err != nil {
		return err
	}
	defer stop(cmd)
	c, err := client(in, conc)
	if err != nil {
		return err
	}
	rts, _, err := families(c, in, conc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var res load
	begin := time.Now()
	var rates []float64
	windowsDone := make(chan struct{})
	if window > 0 {
		go func() {
			defer close(windowsDone)
			t := time.NewTicker(window)
			defer t.Stop()
			last := int64(0)
			for i := 1; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				n := res.ok.Load()
				rate := float64(n-last) / window.Seconds()
				last = n
				rates = append(rates, rate)
				rss, hwm := memory(cmd.Process.Pid)
				fmt.Printf("window=%d refreshes=%d rate=%.0f/s rss=%.1fMiB peak=%.1fMiB\n", i, n, rate, rss, hwm)
			}
		}()
	} else {
		close(windowsDone)
	}
	// Each client presents the newest refresh token of its own family.
	res.run(ctx, conc, func(i int) error {
		next, err := refresh(c, in, rts[i])
		if err == nil {
			rts[i] = next
		}
		return err
	})
	elapsed := time.Since(begin)
	<-windowsDone
	if len(rates) >= 2 {
		_, hwm := memory(cmd.Process.Pid)
		fmt.Printf("first-window=%.0f/s last-window=%.0f/s last/first=%.3f peak-rss=%.1fMiB\n", rates[0], rates[len(rates)-1], rates[len(rates)-1]/rates[0], hwm)
	}
	all := sorted(res.lat)
	q := func(p float64) time.Duration { return quantile(all, p) }
	fmt.Printf("provider=%s tls=%v concurrency=%d duration=%s refreshes=%d failed=%d throughput=%.0f/s p50=%s p99=%s\n",
		sa.provider, sa.tls, conc, elapsed.Round(time.Millisecond), res.ok.Load(), res.failed.Load(), float64(res.ok.Load())/elapsed.Seconds(), q(0.5), q(0.99))
	return res.err()
}

// apiPath is the authenticated call each provider's clients make: the
// same SOQL query peerbench sends to Salesforce, the signed-in user on
// Microsoft Graph.
func apiPath(provider string) string {
	if provider == "salesforce" {
		return "/query?q=" + url.QueryEscape("SELECT Id, Name FROM Account LIMIT 5")
	}
	return "/me"
}

// apiCalls has each client call the API with its own access token for
// dur, and prints the rate, the latency and serve's CPU time per call.
func apiCalls(sa serveArgs, conc int, dur time.Duration) error {
	cmd, in, err := start(sa)
	if err != nil {
		return err
	}
	defer stop(cmd)
	c, err := client(in, conc)
	if err != nil {
		return err
	}
	_, ats, err := families(c, in, conc)
	if err != nil {
		return err
	}
	target := in.APIURL + apiPath(sa.provider)
	call := func(at string) error {
		req, err := http.NewRequest(http.MethodGet, target, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+at)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("API call answered %d", resp.StatusCode)
		}
		return nil
	}
	// A second of warm-up, not counted: connections open.
	warm, cancelWarm := context.WithTimeout(context.Background(), time.Second)
	var wg sync.WaitGroup
	for i := range ats {
		wg.Go(func() {
			for warm.Err() == nil {
				if call(ats[i]) != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	cancelWarm()
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var res load
	cpu0 := cpuTime(cmd.Process.Pid)
	begin := time.Now()
	res.run(ctx, conc, func(i int) error { return call(ats[i]) })
	elapsed := time.Since(begin)
	used := cpuTime(cmd.Process.Pid) - cpu0
	all := sorted(res.lat)
	var perCall time.Duration
	if n := res.ok.Load(); n > 0 {
		perCall = used / time.Duration(n)
	}
	fmt.Printf("provider=%s tls=%v concurrency=%d duration=%s calls=%d failed=%d throughput=%.0f/s p50=%s p99=%s server-cpu-per-call=%s\n",
		sa.provider, sa.tls, conc, elapsed.Round(time.Millisecond), res.ok.Load(), res.failed.Load(), float64(res.ok.Load())/elapsed.Seconds(),
		quantile(all, 0.5), quantile(all, 0.99), perCall)
	return res.err()
}

// load is what conc clients calling back to back measured.
type load struct {
	ok, failed atomic.Int64      // calls answered as wanted, and the rest
	lat        [][]time.Duration // per client, each answered call's latency
	once       sync.Once
	first      error // the first failure
}

// run has conc clients call step(client) back to back until ctx ends. A
// failing client pauses a millisecond before its next call, so that a
// server refusing everything is not spun against.
func (l *load) run(ctx context.Context, conc int, step func(i int) error) {
	l.lat = make([][]time.Duration, conc)
	var wg sync.WaitGroup
	for i := range conc {
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				if err := step(i); err != nil {
					l.failed.Add(1)
					l.once.Do(func() { l.first = err })
					time.Sleep(time.Millisecond)
					continue
				}
				l.lat[i] = append(l.lat[i], time.Since(t0))
				l.ok.Add(1)
			}
		})
	}
	wg.Wait()
}

func (l *load) err() error {
	if l.first != nil {
		return fmt.Errorf("first failure: %w", l.first)
	}
	return nil
}

// sorted merges the clients' latencies in ascending order.
func sorted(lat [][]time.Duration) []time.Duration {
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return all
}

func quantile(all []time.Duration, p float64) time.Duration {
	if len(all) == 0 {
		return 0
	}
	return all[int(p*float64(len(all)-1))]
}

// cpuTime reads serve's user and system time from /proc/PID/stat, in
// clock ticks of 10 ms (USER_HZ is 100 on Linux).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from after its closing parenthesis.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func startup(sa serveArgs, runs int) error {
	var ds []time.Duration
	for r := 0; r < runs; r++ {
		t0 := time.Now()
		cmd, in, err := start(sa)
		if err != nil {
			return err
		}
		c, err := client(in, 1)
		if err != nil {
			stop(cmd)
			return err
		}
		_, err = refresh(c, in, in.RefreshToken)
		d := time.Since(t0)
		stop(cmd)
		if err != nil {
			return err
		}
		ds = append(ds, d)
	}
	if len(ds) == 0 {
		return errors.New("no runs")
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	fmt.Printf("provider=%s runs=%d start-to-first-refresh median=%s min=%s max=%s\n", sa.provider, runs, ds[len(ds)/2].Round(100*time.Microsecond), ds[0].Round(100*time.Microsecond), ds[len(ds)-1].Round(100*time.Microsecond))
	return nil
}

// memory reads serve's resident and peak resident set (VmRSS, VmHWM) in
// MiB from /proc.
func memory(pid int) (rss, hwm float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		for key, dst := range map[string]*float64{"VmRSS:": &rss, "VmHWM:": &hwm} {
			if v, ok := strings.CutPrefix(line, key); ok {
				var kb float64
				fmt.Sscanf(strings.TrimSpace(v), "%f", &kb)
				*dst = kb / 1024
			}
		}
	}
	return rss, hwm
}
