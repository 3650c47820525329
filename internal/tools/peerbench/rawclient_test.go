package main

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// countingServer is an httptest server that counts the connections it
// accepts.
func countingServer(t testing.TB, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &n
}

func mustRawConn(t testing.TB, rawurl string) *rawConn {
	c, err := newRawConn(rawurl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestNewRawConn(t *testing.T) {
	c, err := newRawConn("http://localhost/a/b?q=1+2")
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != "localhost:80" || c.host != "localhost" || c.uri != "/a/b?q=1+2" {
		t.Errorf("addr %q host %q uri %q", c.addr, c.host, c.uri)
	}
	for _, u := range []string{"https://127.0.0.1/token", "127.0.0.1:80/token", "http:///token"} {
		if _, err := newRawConn(u); err == nil {
			t.Errorf("newRawConn(%q) accepted", u)
		}
	}
}

// seen is what a handler saw of a request.
type seen struct {
	Method, RequestURI, Host, Body string
	Header                         http.Header
	ContentLength                  int64
	TransferEncoding               []string
}

// TestRawConnSendsWhatNetHTTPSends: the servers under test must see the
// load's requests as they saw net/http's.
func TestRawConnSendsWhatNetHTTPSends(t *testing.T) {
	var mu sync.Mutex
	var got []seen
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.RequestURI, r.Host, string(b), r.Header, r.ContentLength, r.TransferEncoding})
		mu.Unlock()
		_, _ = io.WriteString(w, `{"access_token":"at","refresh_token":"rt2"}`)
	})
	inst := &instance{tokenURL: srv.URL + "/services/oauth2/token?x=1", form: stdForm}
	rt := "5Aep861.a b+c/d=e&f%"
	api := srv.URL + "/api/query?q=" + url.QueryEscape("SELECT Id FROM Account")

	if _, ok, err := refresh(plainClient(1), inst, rt); !ok {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, api, nil)
	req.Header.Set("Authorization", "Bearer at")
	resp, err := plainClient(1).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	c := mustRawConn(t, inst.tokenURL)
	a, ok := rawRefresh(c, c.uri, newRefreshForm(inst.form).append(nil, rt))
	if !ok || a.AccessToken != "at" || a.RefreshToken != "rt2" {
		t.Fatalf("rawRefresh = %+v, %v", a, ok)
	}
	apiConn := mustRawConn(t, api)
	if status, _, err := c.do(http.MethodGet, apiConn.uri, [][2]string{{"Authorization", "Bearer at"}}, nil); err != nil || status != 200 {
		t.Fatalf("GET: %d %v", status, err)
	}

	if len(got) != 4 {
		t.Fatalf("%d requests seen, want 4", len(got))
	}
	for i, what := range []string{"refresh", "API call"} {
		if !reflect.DeepEqual(got[i], got[i+2]) {
			t.Errorf("%s:\nnet/http %+v\nrawConn  %+v", what, got[i], got[i+2])
		}
	}
}

func TestRawConnContentLengthReusesOneConnection(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, r.URL.RawQuery+":"+string(b))
	})
	c := mustRawConn(t, srv.URL)
	for i := 0; i < 200; i++ {
		q := strings.Repeat("q", i)
		body := []byte(strings.Repeat("b", i*37))
		status, got, err := c.do(http.MethodPost, "/?"+q, formHeader, body)
		if err != nil || status != 200 || string(got) != q+":"+string(body) {
			t.Fatalf("call %d: %d %.40q %v", i, status, got, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 200 calls, want 1", n)
	}
}

func TestRawConnChunked(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		for _, part := range []string{"first ", strings.Repeat("x", 10000), " last"} {
			_, _ = io.WriteString(w, part)
			w.(http.Flusher).Flush()
		}
		w.Header().Set("X-Checksum", "dropped")
	})
	c := mustRawConn(t, srv.URL)
	want := "first " + strings.Repeat("x", 10000) + " last"
	for i := 0; i < 3; i++ {
		status, got, err := c.do(http.MethodGet, "/", nil, nil)
		if err != nil || status != 200 || string(got) != want {
			t.Fatalf("call %d: %d %.40q %v", i, status, got, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1: the trailers were not read to the end", n)
	}
}

func TestRawConnConnectionCloseRedials(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		_, _ = io.WriteString(w, "bye")
	})
	c := mustRawConn(t, srv.URL)
	for i := 0; i < 2; i++ {
		status, got, err := c.do(http.MethodGet, "/", nil, nil)
		if err != nil || status != 200 || string(got) != "bye" {
			t.Fatalf("call %d: %d %q %v", i, status, got, err)
		}
		if c.conn != nil {
			t.Errorf("call %d: the connection is still open after Connection: close", i)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// TestRawConnRawAnswers: answers written by hand, from well-formed
// oddities to broken and oversized ones; after each the next call, to a
// well-behaved server, succeeds.
func TestRawConnRawAnswers(t *testing.T) {
	manyHeaders := strings.Repeat("X-Filler: "+strings.Repeat("f", 1000)+"\r\n", 70)
	for _, tc := range []struct {
		name       string
		raw        string
		wantBody   string
		wantErr    error // nil: any error will do when wantBody is ""
		wantClosed bool
	}{
		{name: "to EOF", raw: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", wantBody: "until the end", wantClosed: true},
		{name: "HTTP/1.0", raw: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", wantBody: "ok", wantClosed: true},
		{name: "header case", raw: "HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh:  2 \r\nCONNECTION: keep-alive, Close\r\n\r\nok", wantBody: "ok", wantClosed: true},
		{name: "bare LF", raw: "HTTP/1.1 200 OK\nContent-Length: 2\nConnection: close\n\nok", wantBody: "ok", wantClosed: true},
		{name: "interim 1xx", raw: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", wantBody: "ok", wantClosed: true},
		{name: "chunk extensions and trailers", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3;x=y\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n", wantBody: "abc0123456789", wantClosed: true},
		{name: "chunked over Content-Length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n", wantBody: "abc", wantClosed: true},
		{name: "closed mid-body", raw: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", wantErr: io.ErrUnexpectedEOF},
		{name: "closed mid-chunk", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", wantErr: io.ErrUnexpectedEOF},
		{name: "closed before the trailers end", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", wantErr: io.ErrUnexpectedEOF},
		{name: "closed mid-head", raw: "HTTP/1.1 200 OK\r\nContent-Le", wantErr: io.ErrUnexpectedEOF},
		{name: "closed without an answer", raw: "", wantErr: io.EOF},
		{name: "not HTTP", raw: "SSH-2.0-OpenSSH_9.6\r\n\r\n", wantErr: errRawMalformed},
		{name: "two lengths", raw: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", wantErr: errRawMalformed},
		{name: "bad chunk size", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", wantErr: errRawMalformed},
		{name: "body over 16 MiB by length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 16777217\r\n\r\n", wantErr: errRawBodyTooLarge},
		{name: "chunk over 16 MiB", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000001\r\n", wantErr: errRawBodyTooLarge},
		{name: "chunk size overflowing", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", wantErr: errRawBodyTooLarge},
		{name: "chunks over 16 MiB together", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800000\r\n" + strings.Repeat("c", 8<<20) + "\r\n800001\r\n", wantErr: errRawBodyTooLarge},
		{name: "body over 16 MiB to EOF", raw: "HTTP/1.1 200 OK\r\n\r\n" + strings.Repeat("e", 16<<20+1), wantErr: errRawBodyTooLarge},
		{name: "a header line over 64 KiB", raw: "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("h", 70<<10) + "\r\n\r\n", wantErr: errRawHeaderTooLarge},
		{name: "header lines over 64 KiB together", raw: "HTTP/1.1 200 OK\r\n" + manyHeaders + "\r\n", wantErr: errRawHeaderTooLarge},
		{name: "trailers over 64 KiB", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + manyHeaders + "\r\n", wantErr: errRawHeaderTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) > 1 {
					_, _ = io.WriteString(w, "recovered")
					return
				}
				conn, _, err := w.(http.Hijacker).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				defer conn.Close()
				_, _ = io.WriteString(conn, tc.raw)
			})
			c := mustRawConn(t, srv.URL)
			status, got, err := c.do(http.MethodGet, "/", nil, nil)
			if tc.wantBody != "" {
				if err != nil || status != 200 || string(got) != tc.wantBody {
					t.Fatalf("got %d %q %v, want 200 %q", status, got, err, tc.wantBody)
				}
				if tc.wantClosed != (c.conn == nil) {
					t.Errorf("connection closed %v, want %v", c.conn == nil, tc.wantClosed)
				}
			} else {
				if err == nil {
					t.Fatalf("got %d %.40q, want an error", status, got)
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Errorf("error %v, want %v", err, tc.wantErr)
				}
				if c.conn != nil {
					t.Error("connection left open after an error")
				}
			}
			status, got, err = c.do(http.MethodGet, "/", nil, nil)
			if err != nil || status != 200 || string(got) != "recovered" {
				t.Errorf("next call: %d %q %v", status, got, err)
			}
		})
	}
}

func TestRawConnStatusWithoutBody(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/none" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		_, _ = io.WriteString(w, "body")
	})
	c := mustRawConn(t, srv.URL)
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{{"GET", "/none", 204, ""}, {"HEAD", "/", 200, ""}, {"GET", "/", 200, "body"}} {
		status, got, err := c.do(tc.method, tc.path, nil, nil)
		if err != nil || status != tc.status || string(got) != tc.body {
			t.Errorf("%s %s: %d %q %v, want %d %q", tc.method, tc.path, status, got, err, tc.status, tc.body)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// TestRawConnGzip: asked for, as net/http asks, and undone.
func TestRawConnGzip(t *testing.T) {
	want := strings.Repeat(`{"access_token":"at"}`, 100)
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "gzip" {
			_, _ = io.WriteString(w, "plain")
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		_, _ = io.WriteString(zw, want)
		zw.Close()
	})
	c := mustRawConn(t, srv.URL)
	for i := 0; i < 2; i++ {
		if status, got, err := c.do(http.MethodGet, "/", nil, nil); err != nil || status != 200 || string(got) != want {
			t.Fatalf("call %d: %d %.40q %v", i, status, got, err)
		}
	}
	if _, got, err := c.do(http.MethodGet, "/", [][2]string{{"Accept-Encoding", "identity"}}, nil); err != nil || string(got) != "plain" {
		t.Errorf("with the caller's Accept-Encoding: %q %v", got, err)
	}
}

func TestRawConnTimeout(t *testing.T) {
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	c := mustRawConn(t, srv.URL)
	c.timeout = 100 * time.Millisecond
	t0 := time.Now()
	_, _, err := c.do(http.MethodGet, "/", nil, nil)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err %v, want a time-out", err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	if c.conn != nil {
		t.Error("connection left open after a time-out")
	}
}

func TestRawConnRefusesCRLFInHeaders(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	c := mustRawConn(t, srv.URL)
	if _, _, err := c.do(http.MethodGet, "/", [][2]string{{"Authorization", "Bearer x\r\nX-Evil: 1"}}, nil); err == nil {
		t.Error("a CR LF in a header value was sent")
	}
	if _, _, err := c.do(http.MethodGet, "/ HTTP/1.1\r\nX-Evil: 1\r\n\r\nGET /", nil, nil); err == nil {
		t.Error("a CR LF in the target was sent")
	}
	if _, _, err := c.do(http.MethodGet, "/ HTTP/1.0", nil, nil); err == nil {
		t.Error("a space in the target was sent")
	}
	if _, _, err := c.do(http.MethodGet, "/", nil, nil); err != nil {
		t.Error(err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// TestRawConnDoesNotAllocate: against a server that allocates nothing
// per request either, a call on an open connection allocates nothing.
func TestRawConnDoesNotAllocate(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		answer := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) <= 2 { // the end of a request's head (GET: no body)
				if _, err := conn.Write(answer); err != nil {
					return
				}
			}
		}
	}()
	c := mustRawConn(t, "http://"+ln.Addr().String()+"/api")
	header := [][2]string{{"Authorization", "Bearer at"}}
	call := func() {
		if status, body, err := c.do(http.MethodGet, c.uri, header, nil); err != nil || status != 200 || string(body) != "ok" {
			t.Fatalf("%d %q %v", status, body, err)
		}
	}
	call() // dials, sizes the buffers
	if n := testing.AllocsPerRun(100, call); n != 0 {
		t.Errorf("%v allocations per call, want 0", n)
	}
}

func TestRefreshForm(t *testing.T) {
	twice := func(rt string) url.Values { return url.Values{"a": {rt}, "b": {rt}} }
	if newRefreshForm(stdForm).form != nil || newRefreshForm(twice).form == nil {
		t.Error("the template must serve stdForm, and not a form holding the token twice")
	}
	for _, form := range []func(string) url.Values{stdForm, twice} {
		f := newRefreshForm(form)
		for _, rt := range []string{"", "plain", "5Aep861.a b+c/d=e&f%", rtMarker} {
			if got, want := string(f.append([]byte("x"), rt)), "x"+form(rt).Encode(); got != want {
				t.Errorf("append(%q) = %q, want %q", rt, got, want)
			}
		}
	}
}

// The benchmarks run a refresh and an API call, each as the load makes
// it, against the same trivial handler, served by httptest in a child
// process as peerbench's servers are: cpu-ns/op (from getrusage), B/op
// and allocs/op are the client's alone; ns/op is a call's round trip.

var benchAnswer = `{"access_token":"00DRP000000bench!AQ0AQbenchbenchbenchbenchbenchbenchbench","refresh_token":"5Aep861benchbenchbenchbenchbenchbenchbenchbench","token_type":"Bearer","instance_url":"http://127.0.0.1","issued_at":"1700000000000"}`

// TestBenchServerProcess is the benchmarks' server when run as their
// child; otherwise it is skipped.
func TestBenchServerProcess(t *testing.T) {
	if os.Getenv("PEERBENCH_BENCH_SERVER") != "1" {
		t.Skip("the benchmarks' server, run as a child process")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, benchAnswer)
	}))
	defer srv.Close()
	fmt.Println(srv.URL)
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent is done
}

// benchServer starts the child and returns its URL.
func benchServer(b *testing.B) string {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchServerProcess$")
	cmd.Env = append(os.Environ(), "PEERBENCH_BENCH_SERVER=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		b.Fatalf("the server child said %q, %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return strings.TrimSpace(line)
}

// benchLoad runs worker in 32 goroutines, as the load's 32 clients,
// reporting this process's CPU time per call. ns/op is the wall time per
// call of all of them together: the inverse of req/s.
func benchLoad(b *testing.B, worker func(next func() bool)) {
	b.ReportAllocs()
	b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	cpu0 := cpu()
	b.RunParallel(func(pb *testing.PB) { worker(pb.Next) })
	b.ReportMetric(float64(cpu()-cpu0)/float64(b.N), "cpu-ns/op")
}

const benchRT, benchBearer = "5Aep861benchbenchbenchbench", "Bearer 00DRP000000bench"

func BenchmarkNetHTTPClient(b *testing.B) {
	url := benchServer(b)
	client := plainClient(32)
	b.Run("refresh", func(b *testing.B) {
		inst := &instance{tokenURL: url + "/token", form: stdForm}
		benchLoad(b, func(next func() bool) {
			for next() {
				if _, ok, err := refresh(client, inst, benchRT); !ok {
					b.Error(err)
				}
			}
		})
	})
	b.Run("api", func(b *testing.B) {
		benchLoad(b, func(next func() bool) {
			for next() {
				req, _ := http.NewRequest(http.MethodGet, url+"/api", nil)
				req.Header.Set("Authorization", benchBearer)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	})
}

// BenchmarkRawClient: each worker dials its own connection, once a
// round; 32 dials are lost in a round's calls.
func BenchmarkRawClient(b *testing.B) {
	url := benchServer(b) + "/token"
	worker := func(call func(c *rawConn)) func(next func() bool) {
		return func(next func() bool) {
			c, err := newRawConn(url)
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Close()
			for next() {
				call(c)
			}
		}
	}
	b.Run("refresh", func(b *testing.B) {
		form := newRefreshForm(stdForm)
		benchLoad(b, func(next func() bool) {
			var body []byte
			worker(func(c *rawConn) {
				body = form.append(body[:0], benchRT)
				if _, ok := rawRefresh(c, c.uri, body); !ok {
					b.Error("refresh failed")
				}
			})(next)
		})
	})
	b.Run("api", func(b *testing.B) {
		header := [][2]string{{"Authorization", benchBearer}}
		benchLoad(b, worker(func(c *rawConn) {
			if status, _, err := c.do(http.MethodGet, "/api", header, nil); err != nil || status != 200 {
				b.Error(status, err)
			}
		}))
	})
}
