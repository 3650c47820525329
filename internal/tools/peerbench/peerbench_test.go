package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSummarise(t *testing.T) {
	ms := []*measurement{{refreshRate: 300}, {refreshRate: 100}, {refreshRate: 200}, {refreshRate: -1}}
	med, lo, hi, ok := summarise(ms, func(m *measurement) float64 { return m.refreshRate })
	if !ok || med != 200 || lo != 100 || hi != 300 {
		t.Errorf("summarise = %v %v %v %v, want 200 100 300 (the -1 left out)", med, lo, hi, ok)
	}
	if got := cell(ms[:2], func(m *measurement) float64 { return m.refreshRate }, "%.0f"); got != "200 (100–300)" {
		t.Errorf("cell of two = %q, want the mean of the middle two and the spread", got)
	}
	if _, _, _, ok := summarise(ms[3:], func(m *measurement) float64 { return m.refreshRate }); ok {
		t.Error("nothing measured must give no median")
	}
}

// TestReadStat: the command name in /proc/PID/stat may hold spaces and
// parentheses; fields are counted after the last ')'.
func TestReadStat(t *testing.T) {
	st, err := readStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.ppid != os.Getppid() {
		t.Errorf("ppid %d, want %d", st.ppid, os.Getppid())
	}
	if cpu(os.Getpid()) < 0 || peakRSS(os.Getpid()) <= 0 {
		t.Error("no CPU time or peak RSS for this process")
	}
}

// TestStopEndsTheGroup: stopping a peer ends what it started too, as a
// JVM under a Node.js wrapper would be.
func TestStopEndsTheGroup(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The child ignores SIGTERM, so only the group SIGKILL ends it.
	cmd := exec.Command("sh", "-c", `sh -c 'trap "" TERM; sleep 60' & echo $! > `+filepath.Join(dir, "child")+`; wait`)
	p, err := startCmd(cmd, f, false)
	if err != nil {
		t.Fatal(err)
	}
	var child int
	for deadline := time.Now().Add(5 * time.Second); child == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(filepath.Join(dir, "child"))
		child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if child == 0 {
		t.Fatal("the child did not start")
	}
	stopAll()
	if !p.exited() {
		t.Error("the leader is still running")
	}
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := syscall.Kill(child, 0); err != nil {
			return // gone
		}
		if st, err := readStat(child); err == nil && st.ppid != os.Getpid() {
			// a zombie reparented to init is gone in effect once reaped
			if b, _ := os.ReadFile("/proc/" + strconv.Itoa(child) + "/stat"); strings.Contains(string(b), ") Z ") {
				return
			}
		}
	}
	t.Errorf("child %d outlived stop", child)
}

func TestMarkdownRatios(t *testing.T) {
	rp := &peer{name: "refreshproof", reps: []*measurement{{loaded: true, refreshRate: 900, apiRate: 400, cpuPerRefresh: time.Millisecond, cpuPerAPI: time.Millisecond}}}
	mb := &peer{name: "mountebank", version: "2.9.1", reps: []*measurement{{loaded: true, refreshRate: 300, apiRate: 200, cpuPerRefresh: 3 * time.Millisecond, cpuPerAPI: 2 * time.Millisecond}}}
	tl := &peer{name: "refreshproof --tls", startupOnly: true, reps: []*measurement{{startup: 30 * time.Millisecond}}}
	bl := &peer{name: "net/http TLS baseline", startupOnly: true, reps: []*measurement{{startup: 10 * time.Millisecond}}}
	skipped := &peer{name: "wiremock", skipped: "cannot install: no java"}
	r := &results{cfg: config{reps: 1, clients: 32, duration: time.Second}, peers: []*peer{rp, mb, tl, bl, skipped}}
	rep := r.byRep(1)
	rep["refreshproof"], rep["mountebank"], rep["refreshproof --tls"], rep["net/http TLS baseline"] = rp.reps[0], mb.reps[0], tl.reps[0], bl.reps[0]
	md := r.markdown()
	for _, want := range []string{
		"| 1 | refresh req/s | 3.00× | 3.00× |", // and start-up 30 / 10
		"| 1 | API req/s | 2.00× |",
		"| 1 | CPU per refresh | 3.00× |",
		"| 1 | CPU per API call | 2.00× |",
		"- wiremock: skipped, cannot install: no java",
		"| mountebank | 2.9.1 | 300 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestBeforePeers: -before adds the earlier binary next to refreshproof,
// loaded and TLS start-up alike; without it neither is there.
func TestBeforePeers(t *testing.T) {
	names := func(ps []*peer) string { return peerNames(ps) }
	if got := names(allPeers("")); strings.Contains(got, "before") {
		t.Errorf("peers without -before: %s", got)
	}
	ps := allPeers("/tmp/refreshproof-base")
	if ps[0].name != "refreshproof" || ps[1].name != "refreshproof before" || ps[1].startupOnly {
		t.Errorf("peers: %s; want refreshproof, then refreshproof before, loaded", names(ps))
	}
	last := ps[len(ps)-1]
	if last.name != "refreshproof before --tls" || !last.startupOnly {
		t.Errorf("last peer %q (start-up only %v), want refreshproof before --tls, start-up only", last.name, last.startupOnly)
	}
}
