package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// measurement is one repetition of one peer.
type measurement struct {
	startup       time.Duration
	refreshRate   float64 // answered refreshes per second
	p50, p99      time.Duration
	cpuPerRefresh time.Duration
	refreshErrors int64
	apiRate       float64 // -1: not measured
	apiErrors     int64
	cpuPerAPI     time.Duration
	rss           int64 // VmHWM, bytes
	loaded        bool
}

func (m *measurement) summary() string {
	if !m.loaded {
		return fmt.Sprintf("start to first refresh %s", ms(m.startup))
	}
	return fmt.Sprintf("start %s, refresh %.0f/s p50 %s p99 %s cpu %s/refresh (errors %d), api %.0f/s cpu %s/call (errors %d), peak RSS %.1f MiB",
		ms(m.startup), m.refreshRate, ms(m.p50), ms(m.p99), ms(m.cpuPerRefresh), m.refreshErrors, m.apiRate, ms(m.cpuPerAPI), m.apiErrors, mib(m.rss))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
func mib(b int64) float64       { return float64(b) / (1 << 20) }

func insecureTLSClient(conns int) *http.Client {
	// The bench's own client: it talks to a certificate made a moment ago
	// on loopback; the handshake is what start-up pays for, not trust.
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 30 * time.Second}
}

// tokenAnswer is what a refresh answer carries.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// refresh redeems rt; ok is false for any answer but 200 with an access
// token.
func refresh(c *http.Client, in *instance, rt string) (tokenAnswer, bool, error) {
	resp, err := c.PostForm(in.tokenURL, in.form(rt))
	if err != nil {
		return tokenAnswer{}, false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return tokenAnswer{}, false, err
	}
	var a tokenAnswer
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &a) != nil || a.AccessToken == "" {
		return a, false, fmt.Errorf("refresh answered %d: %s", resp.StatusCode, firstLine(string(body)))
	}
	return a, true, nil
}

// measure starts p once and measures it.
func measure(ctx context.Context, cfg config, p *peer) (*measurement, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	inst, err := p.launch(cfg.cache, port, cfg.clients)
	if inst != nil && inst.proc != nil {
		defer inst.proc.stop()
	}
	if err != nil {
		if inst != nil {
			return nil, fmt.Errorf("%w; log: %s", err, logTail(inst.log))
		}
		return nil, err
	}
	m := &measurement{apiRate: -1}
	// Start-up: from exec to the first answered refresh, polling.
	deadline := time.Now().Add(cfg.startTimeout)
	var lastErr error
	prepared := inst.prepare == nil
	first := inst.first
	for {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if inst.proc.exited() {
			return nil, fmt.Errorf("exited before answering; log: %s", logTail(inst.log))
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no answered refresh within %s (last: %v); log: %s", cfg.startTimeout, lastErr, logTail(inst.log))
		}
		if !prepared {
			if lastErr = inst.prepare(); lastErr == nil {
				prepared = true
			} else {
				var perm *permanent
				if errors.As(lastErr, &perm) {
					return nil, lastErr
				}
			}
		}
		if prepared {
			var ok bool
			if _, ok, lastErr = refresh(inst.client, inst, first); ok {
				m.startup = time.Since(inst.proc.start)
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	if p.startupOnly {
		return m, nil
	}
	m.loaded = true
	pid := inst.proc.cmd.Process.Pid

	rts := make([]string, cfg.clients)
	for i := range rts {
		if rts[i], err = inst.initial(i); err != nil {
			return nil, fmt.Errorf("client %d's first token: %w", i, err)
		}
	}
	// A short warm-up, not counted: connections open, JITs settle.
	ats := make([]string, cfg.clients)
	if _, _, err := refreshLoad(ctx, inst, rts, ats, time.Second); err != nil {
		return nil, err
	}
	cpu0 := cpu(pid)
	lat, errs, err := refreshLoad(ctx, inst, rts, ats, cfg.duration)
	if err != nil {
		return nil, err
	}
	cpuUsed := cpu(pid) - cpu0
	n := len(lat)
	if n == 0 {
		return nil, fmt.Errorf("no refresh answered under load (%d errors); log: %s", errs, logTail(inst.log))
	}
	m.refreshRate = float64(n) / cfg.duration.Seconds()
	m.refreshErrors = errs
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	m.p50, m.p99 = lat[n/2], lat[int(0.99*float64(n-1))]
	m.cpuPerRefresh = cpuUsed / time.Duration(n)
	if inst.apiURL != "" {
		cpu0 := cpu(pid)
		done, errs := apiLoad(ctx, inst, ats, cfg.duration)
		m.apiRate, m.apiErrors = float64(done)/cfg.duration.Seconds(), errs
		if done > 0 {
			m.cpuPerAPI = (cpu(pid) - cpu0) / time.Duration(done)
		}
	}
	m.rss = peakRSS(pid)
	return m, ctx.Err()
}

// refreshLoad has each client chain refreshes on its own token for d,
// keeping each client's newest refresh and access tokens in rts and ats.
func refreshLoad(ctx context.Context, inst *instance, rts, ats []string, d time.Duration) ([]time.Duration, int64, error) {
	lctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var errs atomic.Int64
	lat := make([][]time.Duration, len(rts))
	var wg sync.WaitGroup
	for i := range rts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for lctx.Err() == nil {
				t0 := time.Now()
				a, ok, _ := refresh(inst.client, inst, rts[i])
				if ok {
					// Kept even past the end of the period: the old
					// refresh token is spent, and presenting it again
					// would be reuse.
					if a.RefreshToken != "" {
						rts[i] = a.RefreshToken
					}
					ats[i] = a.AccessToken
				}
				if lctx.Err() != nil {
					return // an answer that ends after the period is not counted
				}
				if !ok {
					errs.Add(1)
					time.Sleep(time.Millisecond) // a broken chain must not spin
					continue
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}(i)
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	return all, errs.Load(), ctx.Err()
}

// apiLoad has each client call the API with its access token for d.
func apiLoad(ctx context.Context, inst *instance, ats []string, d time.Duration) (int64, int64) {
	lctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var done, errs atomic.Int64
	var wg sync.WaitGroup
	for i := range ats {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for lctx.Err() == nil {
				req, _ := http.NewRequest(http.MethodGet, inst.apiURL, nil)
				req.Header.Set("Authorization", "Bearer "+ats[i])
				resp, err := inst.client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if lctx.Err() != nil {
					return
				}
				if err != nil || resp.StatusCode != http.StatusOK {
					errs.Add(1)
					time.Sleep(time.Millisecond)
					continue
				}
				done.Add(1)
			}
		}(i)
	}
	wg.Wait()
	return done.Load(), errs.Load()
}

// results collects every repetition.
type results struct {
	cfg     config
	peers   []*peer
	started time.Time
	reps    []map[string]*measurement
}

func (r *results) byRep(rep int) map[string]*measurement {
	for len(r.reps) < rep {
		r.reps = append(r.reps, map[string]*measurement{})
	}
	return r.reps[rep-1]
}

// stat is a median with its spread over the repetitions.
func summarise(ms []*measurement, f func(*measurement) float64) (med, lo, hi float64, ok bool) {
	var v []float64
	for _, m := range ms {
		if x := f(m); x >= 0 {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return 0, 0, 0, false
	}
	sort.Float64s(v)
	med = v[len(v)/2]
	if len(v)%2 == 0 {
		med = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return med, v[0], v[len(v)-1], true
}

func cell(ms []*measurement, f func(*measurement) float64, format string) string {
	med, lo, hi, ok := summarise(ms, f)
	if !ok {
		return "-"
	}
	if len(ms) == 1 {
		return fmt.Sprintf(format, med)
	}
	return fmt.Sprintf(format+" ("+format+"–"+format+")", med, lo, hi)
}

func toolVersion(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return "unavailable"
	}
	return firstLine(string(out))
}

func (r *results) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# peerbench results\n\n")
	fmt.Fprintf(&b, "Run %s, %d interleaved repetitions, %d clients, %s of refresh load then %s of API load per repetition (after 1 s of unmeasured warm-up), on %d CPUs (%s/%s); %s, node %s, %s. Everything on 127.0.0.1, plain HTTP with keep-alive unless the name says TLS. The load generator shares the machine with the server.\n\n",
		r.started.UTC().Format("2006-01-02 15:04 UTC"), r.cfg.reps, r.cfg.clients, r.cfg.duration, r.cfg.duration, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH,
		runtime.Version(), toolVersion("node", "--version"), toolVersion("java", "-version"))
	fmt.Fprintf(&b, "Medians, with the spread (lowest–highest) over the repetitions in parentheses.\n\n")
	fmt.Fprintf(&b, "| server | version | refresh req/s, c=%d | p50 ms | p99 ms | server CPU ms per refresh | API req/s, c=%d | server CPU ms per API call | peak RSS MiB | start to first refresh ms |\n", r.cfg.clients, r.cfg.clients)
	fmt.Fprintf(&b, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range r.peers {
		if p.skipped != "" || len(p.reps) == 0 {
			continue
		}
		loaded := func(f func(*measurement) float64) func(*measurement) float64 {
			return func(m *measurement) float64 {
				if !m.loaded {
					return -1
				}
				return f(m)
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p.name, p.version,
			cell(p.reps, loaded(func(m *measurement) float64 { return m.refreshRate }), "%.0f"),
			cell(p.reps, loaded(func(m *measurement) float64 { return float64(m.p50.Microseconds()) / 1000 }), "%.1f"),
			cell(p.reps, loaded(func(m *measurement) float64 { return float64(m.p99.Microseconds()) / 1000 }), "%.1f"),
			cell(p.reps, loaded(func(m *measurement) float64 { return float64(m.cpuPerRefresh.Microseconds()) / 1000 }), "%.3f"),
			cell(p.reps, loaded(func(m *measurement) float64 { return m.apiRate }), "%.0f"),
			cell(p.reps, loaded(func(m *measurement) float64 {
				if m.apiRate <= 0 {
					return -1
				}
				return float64(m.cpuPerAPI.Microseconds()) / 1000
			}), "%.3f"),
			cell(p.reps, loaded(func(m *measurement) float64 { return mib(m.rss) }), "%.1f"),
			cell(p.reps, func(m *measurement) float64 { return float64(m.startup.Microseconds()) / 1000 }, "%.0f"))
	}
	fmt.Fprintf(&b, "\nErrors under load (non-200 answers; counted, not in the rates):")
	any := false
	for _, p := range r.peers {
		var re, ae int64
		for _, m := range p.reps {
			re += m.refreshErrors
			ae += max(m.apiErrors, 0)
		}
		if re+ae > 0 {
			fmt.Fprintf(&b, " %s %d refresh, %d API;", p.name, re, ae)
			any = true
		}
	}
	if !any {
		fmt.Fprintf(&b, " none.")
	}
	fmt.Fprintf(&b, "\n\n## What each server was configured to do\n\n| server | refresh | API call |\n|---|---|---|\n")
	for _, p := range r.peers {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", p.name, p.refresh, p.api)
	}

	fmt.Fprintf(&b, "\n## Ratios per repetition\n\nIn the same repetition: req/s, refreshproof's over the peer's; CPU, the peer's over refreshproof's (for both, above 1 is in refreshproof's favour); start-up, refreshproof --tls over the net/http TLS baseline (below 1.5 is the aim).\n\n")
	fmt.Fprintf(&b, "| rep | metric |")
	var others []*peer
	for _, p := range r.peers {
		if p.name != "refreshproof" && !p.startupOnly && len(p.reps) > 0 {
			others = append(others, p)
			fmt.Fprintf(&b, " %s |", p.name)
		}
	}
	fmt.Fprintf(&b, " start-up vs baseline |\n|---|---|%s---:|\n", strings.Repeat("---:|", len(others)))
	for i, rep := range r.reps {
		rp := rep["refreshproof"]
		for _, metric := range []string{"refresh req/s", "API req/s", "CPU per refresh", "CPU per API call"} {
			fmt.Fprintf(&b, "| %d | %s |", i+1, metric)
			for _, o := range others {
				om := rep[o.name]
				var a, c float64
				if rp != nil && om != nil {
					switch metric {
					case "refresh req/s":
						a, c = rp.refreshRate, om.refreshRate
					case "API req/s":
						a, c = rp.apiRate, om.apiRate
					case "CPU per refresh": // the peer's over refreshproof's: higher is better for refreshproof too
						a, c = float64(om.cpuPerRefresh), float64(rp.cpuPerRefresh)
					default:
						a, c = float64(om.cpuPerAPI), float64(rp.cpuPerAPI)
					}
				}
				if a > 0 && c > 0 {
					fmt.Fprintf(&b, " %.2f× |", a/c)
				} else {
					fmt.Fprintf(&b, " - |")
				}
			}
			tls, base := rep["refreshproof --tls"], rep["net/http TLS baseline"]
			if metric == "refresh req/s" && tls != nil && base != nil && base.startup > 0 {
				fmt.Fprintf(&b, " %.2f× |\n", float64(tls.startup)/float64(base.startup))
			} else {
				fmt.Fprintf(&b, " |\n")
			}
		}
	}
	var notes []string
	for _, p := range r.peers {
		if p.skipped != "" {
			notes = append(notes, fmt.Sprintf("- %s: skipped, %s", p.name, p.skipped))
		}
		for _, f := range p.failures {
			notes = append(notes, fmt.Sprintf("- %s: %s", p.name, f))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, "\n## Not measured\n\n%s\n", strings.Join(notes, "\n"))
	}
	return b.String()
}
