package mockprovider

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startFake serves a fake provider with the server's timeouts changed by
// set before it starts.
func startFake(t *testing.T, cfg Config, set func(*http.Server)) (*Provider, *Server) {
	t.Helper()
	p, err := New(fakeDialect{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewUnstartedServer(p, "")
	if err != nil {
		t.Fatal(err)
	}
	set(s.Config)
	s.Start()
	t.Cleanup(s.Close)
	return p, s
}

// guardDeadline is how long a test's client waits for the server to close
// a connection before it gives up: a bound against hanging, far above the
// server's timeouts under test, never a measurement.
const guardDeadline = 20 * time.Second

// readUntilClosed reads conn until the server closes it, and fails if the
// test's own deadline ends the wait instead.
func readUntilClosed(t *testing.T, r io.Reader, conn net.Conn) string {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(guardDeadline))
	b, err := io.ReadAll(r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open (read so far: %q)", b)
	}
	return string(b)
}

func TestServerTimeoutsAreSet(t *testing.T) {
	p, err := New(fakeDialect{}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewUnstartedServer(p, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Listener.Close()
	if c := s.Config; c.ReadTimeout <= 0 || c.WriteTimeout <= 0 || c.IdleTimeout <= 0 || c.ReadHeaderTimeout <= 0 {
		t.Fatalf("timeouts read %v, write %v, idle %v, header %v: want all set", c.ReadTimeout, c.WriteTimeout, c.IdleTimeout, c.ReadHeaderTimeout)
	}
}

// TestTricklingBodyIsCutOff: a client that sends its body a byte at a
// time never finishes it within the read timeout; the server answers 408
// and closes the connection.
func TestTricklingBodyIsCutOff(t *testing.T) {
	p, s := startFake(t, Config{}, func(c *http.Server) { c.ReadTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	trickled := make(chan struct{})
	go func() {
		defer close(trickled)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("a")); err != nil {
					return
				}
			}
		}
	}()
	got := readUntilClosed(t, conn, conn)
	close(stop)
	<-trickled
	if !strings.HasPrefix(got, "HTTP/1.1 408") {
		t.Fatalf("answer to a trickling body: %q, want 408 then close", got)
	}
	es := p.Journal().Entries(Filter{})
	if len(es) != 1 || es[0].Status != http.StatusRequestTimeout || !strings.Contains(es[0].Note, "read timeout") || es[0].ClientGone {
		t.Fatalf("journal %+v: want one 408 entry naming the read timeout, the client not gone", es)
	}
}

// TestIdleConnectionIsClosed: a keep-alive connection no request uses is
// closed by the server.
func TestIdleConnectionIsClosed(t *testing.T) {
	_, s := startFake(t, Config{}, func(c *http.Server) { c.IdleTimeout = 200 * time.Millisecond })
	conn, err := net.Dial("tcp", s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET "+AdminPrefix+"health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("health: %d, close %v; want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
	}
	if rest := readUntilClosed(t, br, conn); rest != "" {
		t.Fatalf("unexpected bytes on the idle connection: %q", rest)
	}
}

// TestHeldAnswerOutlivesTimeouts: a scripted delay longer than the
// server's read and write timeouts is still answered in full, and the
// exchange is not taken for a client that gave up.
func TestHeldAnswerOutlivesTimeouts(t *testing.T) {
	p, s := startFake(t, Config{Rules: []Rule{{Name: "slow", Match: Match{Endpoint: EndpointRefresh}, Respond: Respond{Delay: 700 * time.Millisecond}}}},
		func(c *http.Server) { c.ReadTimeout, c.WriteTimeout = 200*time.Millisecond, 200*time.Millisecond })
	resp, body, err := postForm(t, s.Client(), s.URL+"/token", refreshForm(p, p.Initial().Refresh.Value))
	if err != nil || resp.StatusCode != 200 || !strings.Contains(body, "access_token") {
		t.Fatalf("held refresh: %v %v %q, want its 200 answer", resp, err, body)
	}
	es := p.Journal().Entries(Filter{Kinds: []Kind{KindToken}})
	if len(es) != 1 || es[0].ClientGone {
		t.Fatalf("journal %+v: want one exchange, the client not gone", es)
	}
}
