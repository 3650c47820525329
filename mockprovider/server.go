package mockprovider

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is a Provider listening on a local address, shaped like
// net/http/httptest.Server.
type Server struct {
	// URL is the base URL, http://127.0.0.1:PORT or https://… after
	// StartTLS, with no trailing slash.
	URL string
	// Listener is the listening socket.
	Listener net.Listener
	// TLS is the server's TLS configuration, set by StartTLS.
	TLS *tls.Config
	// CA is the certificate authority behind TLS; clients trust CA.PEM.
	CA *CA
	// Config may be changed before Start.
	Config *http.Server
	// Provider is what the server serves.
	Provider *Provider
	// RealHosts makes the provider hand out the real host names
	// (https://login.salesforce.com) in the URLs of its answers, for a
	// component whose traffic is redirected to this server. When false,
	// URLs name this server, so plain clients (curl) can follow them.
	RealHosts bool

	mu     sync.Mutex
	closed bool
}

// NewUnstartedServer listens on addr ("127.0.0.1:0" when empty) without
// serving yet. An address that is not loopback (an empty host, 0.0.0.0,
// [::], another interface's address, a name other than localhost) needs
// p.AdminToken set, since the admin API can mint and reveal tokens; the
// error is then an *AddressError. The server's Config bounds reading a
// request (30 s), writing an answer (1 min, plus a scripted delay) and
// idle keep-alive connections (2 min).
func NewUnstartedServer(p *Provider, addr string) (*Server, error) {
	if p == nil {
		return nil, errors.New("mockprovider: nil provider")
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := checkListenAddr(addr, p.AdminToken != ""); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mockprovider: listen: %w", err)
	}
	return &Server{
		Listener: l,
		Provider: p,
		Config: &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10,
			ReadTimeout: readTimeout, WriteTimeout: writeTimeout, IdleTimeout: idleTimeout},
	}, nil
}

// NewServer starts a plain-HTTP server for p on a free loopback port. It
// panics if it cannot listen, as httptest.NewServer does; use
// NewUnstartedServer to handle the error.
func NewServer(p *Provider) *Server {
	s, err := NewUnstartedServer(p, "")
	if err != nil {
		panic(err)
	}
	s.Start()
	return s
}

// NewTLSServer starts a TLS server for p with a fresh CA, on a free loopback
// port. It panics if it cannot listen.
func NewTLSServer(p *Provider) *Server {
	s, err := NewUnstartedServer(p, "")
	if err != nil {
		panic(err)
	}
	if err := s.StartTLS(); err != nil {
		panic(err)
	}
	return s
}

func (s *Server) base(scheme string) string {
	addr := s.Listener.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

func (s *Server) setAdvertise() {
	if s.RealHosts {
		s.Provider.SetAdvertise(nil)
		return
	}
	base := s.URL
	d := s.Provider.Dialect()
	s.Provider.SetAdvertise(func(host string) string {
		for _, h := range d.Hosts() {
			if h == host {
				return base
			}
		}
		return base + HostPath(host)
	})
}

// Start serves plain HTTP. It panics if called twice.
func (s *Server) Start() {
	if s.URL != "" {
		panic("mockprovider: server already started")
	}
	s.URL = s.base("http")
	s.setAdvertise()
	go func() { _ = s.Config.Serve(s.Listener) }()
}

// StartTLS makes a CA with a certificate for the provider's hosts and
// loopback, and serves HTTPS.
func (s *Server) StartTLS() error {
	if s.URL != "" {
		panic("mockprovider: server already started")
	}
	var hosts []string
	hosts = append(hosts, s.Provider.Dialect().Hosts()...)
	if h, _, err := net.SplitHostPort(s.Listener.Addr().String()); err == nil {
		hosts = append(hosts, h)
	}
	ca, err := NewCA(hosts)
	if err != nil {
		return err
	}
	s.CA = ca
	s.TLS = ca.ServerConfig()
	s.Provider.mu.Lock()
	s.Provider.caPEM = ca.PEM
	s.Provider.mu.Unlock()
	s.URL = s.base("https")
	s.setAdvertise()
	tl := tls.NewListener(s.Listener, s.TLS)
	go func() { _ = s.Config.Serve(tl) }()
	return nil
}

// Close ends pending scripted delays, closes the listener and every open
// connection.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.Provider.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.Config.Shutdown(ctx); err != nil {
		_ = s.Config.Close()
	}
	_ = s.Listener.Close()
}

// Client returns an HTTP client that trusts the server's CA and sends
// requests for the provider's real hosts (login.salesforce.com,
// graph.microsoft.com, …) to this server, keeping their Host and TLS
// server name. Requests to any other non-loopback host fail.
func (s *Server) Client() *http.Client {
	addr := s.Listener.Addr().String()
	d := s.Provider.Dialect()
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, target string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(target)
			if err != nil {
				return nil, err
			}
			if MatchesHost(d, host) {
				return dialer.DialContext(ctx, network, addr)
			}
			if isLoopbackHost(host) {
				return dialer.DialContext(ctx, network, target)
			}
			return nil, fmt.Errorf("mockprovider: refusing to reach %s: not a host of the %s mock", host, d.Name())
		},
		ForceAttemptHTTP2: false,
		MaxIdleConns:      64,
		IdleConnTimeout:   30 * time.Second,
	}
	if s.CA != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: s.CA.Pool(), MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}
