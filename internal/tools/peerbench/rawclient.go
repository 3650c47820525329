package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// The load generator shares the machine with the server under test, and
// net/http's client spends more CPU per call than the fastest servers
// do, which squeezes the req/s ratios between servers towards 1. rawConn
// is the load's client instead: plain HTTP/1.1 with keep-alive, one
// connection, buffers reused, nothing a load on loopback does not need.
// TLS and the one-off set-up calls keep net/http.

const (
	rawTimeout     = 30 * time.Second // per call, as the net/http clients' Timeout
	maxRawHeader   = 64 << 10         // a response's status line and headers, and its trailers
	maxRawBody     = 16 << 20
	rawUserAgent   = "Go-http-client/1.1" // what net/http sends, so servers see the same request
	rawContentType = "application/x-www-form-urlencoded"
)

var (
	errRawHeaderTooLarge = errors.New("rawConn: response header section over 64 KiB")
	errRawBodyTooLarge   = errors.New("rawConn: response body over 16 MiB")
	errRawMalformed      = errors.New("rawConn: malformed response")
)

// rawConn is one keep-alive HTTP/1.1 connection to one http:// origin,
// dialled on first use and again after the server or an error closed it.
// It is for one load worker: not safe for concurrent use.
type rawConn struct {
	addr    string // what is dialled
	host    string // the Host header: the URL's host, as net/http sends it
	uri     string // the path and query of the URL it was made from
	timeout time.Duration

	conn net.Conn
	br   *bufio.Reader

	method, target string // what prefix was built for
	prefix         []byte // request line, Host, User-Agent
	wbuf           []byte
	body           []byte
	zsrc           bytes.Reader
	zr             *gzip.Reader
	unzipped       []byte
}

// newRawConn parses rawurl, which must be http://; it does not dial.
func newRawConn(rawurl string) (*rawConn, error) {
	u, err := url.Parse(rawurl)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("rawConn: %q is not an http:// URL", rawurl)
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return &rawConn{addr: net.JoinHostPort(u.Hostname(), port), host: u.Host, uri: u.RequestURI(), timeout: rawTimeout}, nil
}

// sameOrigin says whether o talks to the same server as c.
func (c *rawConn) sameOrigin(o *rawConn) bool { return c.addr == o.addr && c.host == o.host }

// Close closes the connection, if open; the next call dials again.
func (c *rawConn) Close() error {
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn = nil
	return err
}

// do sends one request and reads its answer. header holds the request's
// extra headers (Host, User-Agent and Content-Length are written here).
// body, when not nil or for POST, PUT and PATCH, goes with a
// Content-Length. As net/http does, it asks for gzip unless header names
// Accept-Encoding, and then undoes a gzip answer.
//
// respBody aliases a buffer of c's: it is valid until the next call to
// do or Close. After any error the connection is closed, and the next
// call dials again.
func (c *rawConn) do(method, pathAndQuery string, header [][2]string, body []byte) (status int, respBody []byte, err error) {
	gz, err := c.request(method, pathAndQuery, header, body)
	if err != nil {
		return 0, nil, err // nothing sent: the connection is as it was
	}
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.addr, c.timeout)
		if err != nil {
			return 0, nil, err
		}
		c.conn = conn
		if c.br == nil {
			// As large as the header limit: a line that does not fit is
			// over the limit.
			c.br = bufio.NewReaderSize(conn, maxRawHeader)
		} else {
			c.br.Reset(conn)
		}
	}
	status, respBody, keep, err := c.roundTrip(method, gz)
	if err != nil || !keep {
		c.Close()
	}
	if err != nil {
		return 0, nil, err
	}
	return status, respBody, nil
}

// roundTrip sends c.wbuf and reads the answer; keep says whether the
// connection may carry the next request.
func (c *rawConn) roundTrip(method string, gz bool) (status int, body []byte, keep bool, err error) {
	if err := c.conn.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, nil, false, err
	}
	if _, err := c.conn.Write(c.wbuf); err != nil {
		return 0, nil, false, err
	}
	var h rawHead
	for {
		if h, err = c.readHead(); err != nil {
			return 0, nil, false, err
		}
		if h.status >= 200 {
			break
		}
		// 1xx answers are interim (100 Continue, 103 Early Hints): the
		// real one follows.
	}
	keep = !h.close
	switch {
	case method == "HEAD" || h.status == 204 || h.status == 304:
		c.body = c.body[:0]
	case h.chunked:
		err = c.readChunked()
	case h.length >= 0:
		if h.length > maxRawBody {
			return 0, nil, false, errRawBodyTooLarge
		}
		c.body = slices.Grow(c.body[:0], int(h.length))[:h.length]
		_, err = io.ReadFull(c.br, c.body)
	default:
		// No length and not chunked: the body ends where the
		// connection does.
		c.body, err = readAll(c.br, c.body[:0])
		keep = false
	}
	if err != nil {
		return 0, nil, false, err
	}
	if gz && h.gzip && len(c.body) > 0 {
		c.zsrc.Reset(c.body)
		if c.zr == nil {
			c.zr, err = gzip.NewReader(&c.zsrc)
		} else {
			err = c.zr.Reset(&c.zsrc)
		}
		if err == nil {
			c.unzipped, err = readAll(c.zr, c.unzipped[:0])
		}
		if err != nil {
			return 0, nil, false, fmt.Errorf("rawConn: gzip answer: %w", err)
		}
		return h.status, c.unzipped, keep, nil
	}
	return h.status, c.body, keep, nil
}

// request builds the request in c.wbuf, to go in one write; gz says
// whether it asked for gzip itself.
func (c *rawConn) request(method, target string, header [][2]string, body []byte) (gz bool, err error) {
	if method != c.method || target != c.target {
		if !validToken(method) || !validToken(target) {
			return false, fmt.Errorf("rawConn: invalid request line %q %q", method, target)
		}
		c.method, c.target = method, target
		b := append(c.prefix[:0], method...)
		b = append(b, ' ')
		b = append(b, target...)
		b = append(b, " HTTP/1.1\r\nHost: "...)
		b = append(b, c.host...)
		b = append(b, "\r\nUser-Agent: "+rawUserAgent+"\r\n"...)
		c.prefix = b
	}
	b := append(c.wbuf[:0], c.prefix...)
	if body != nil || method == "POST" || method == "PUT" || method == "PATCH" {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	gz = true
	for _, h := range header {
		// A CR or LF in a token would split the request: refused, as
		// net/http refuses it.
		if !validToken(h[0]) || !validField(h[1]) {
			return false, fmt.Errorf("rawConn: invalid header %q", h[0])
		}
		if foldEqual(h[0], "accept-encoding") {
			gz = false
		}
		b = append(b, h[0]...)
		b = append(b, ": "...)
		b = append(b, h[1]...)
		b = append(b, "\r\n"...)
	}
	if gz {
		b = append(b, "Accept-Encoding: gzip\r\n"...)
	}
	b = append(b, "\r\n"...)
	c.wbuf = append(b, body...)
	return gz, nil
}

// validToken: no space or control byte, which would end a request line
// field or header name early.
func validToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return s != ""
}

// validField: no control byte but tab in a header.
func validField(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

// rawHead is what the load needs of a response's head.
type rawHead struct {
	status               int
	length               int64 // -1: no Content-Length
	chunked, close, gzip bool
}

func (c *rawConn) readHead() (rawHead, error) {
	h := rawHead{length: -1}
	n := 0
	line, err := c.headerLine(&n)
	if err != nil {
		return h, err
	}
	// "HTTP/1.x NNN reason"
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[8] != ' ' || (len(line) > 12 && line[12] != ' ') {
		return h, fmt.Errorf("%w: status line %q", errRawMalformed, truncate(line))
	}
	for _, d := range line[9:12] {
		if d < '0' || d > '9' {
			return h, fmt.Errorf("%w: status line %q", errRawMalformed, truncate(line))
		}
		h.status = h.status*10 + int(d-'0')
	}
	http10 := line[7] == '0'
	keepAlive := false // an HTTP/1.0 answer keeps the connection only if it says so
	te := false
	for {
		line, err := c.headerLine(&n)
		if err != nil {
			return h, err
		}
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return h, fmt.Errorf("%w: header line %q", errRawMalformed, truncate(line))
		}
		name, value := line[:colon], bytes.Trim(line[colon+1:], " \t")
		switch {
		case foldEqual(name, "content-length"):
			v, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || v < 0 || (h.length >= 0 && v != h.length) {
				return h, fmt.Errorf("%w: Content-Length %q", errRawMalformed, truncate(value))
			}
			h.length = v
		case foldEqual(name, "transfer-encoding"):
			// Chunked must be the last coding; any other leaves the
			// body to end with the connection.
			te = true
			last := value
			if i := bytes.LastIndexByte(value, ','); i >= 0 {
				last = bytes.Trim(value[i+1:], " \t")
			}
			h.chunked = foldEqual(last, "chunked")
		case foldEqual(name, "connection"):
			for _, tok := range bytes.Split(value, []byte(",")) {
				tok = bytes.Trim(tok, " \t")
				h.close = h.close || foldEqual(tok, "close")
				keepAlive = keepAlive || foldEqual(tok, "keep-alive")
			}
		case foldEqual(name, "content-encoding"):
			h.gzip = foldEqual(value, "gzip")
		}
	}
	if te {
		h.length = -1 // Transfer-Encoding overrides Content-Length
	}
	if http10 && !keepAlive {
		h.close = true
	}
	return h, nil
}

// headerLine reads one line of a header section, without its CRLF; n
// counts the section's bytes against the limit.
func (c *rawConn) headerLine(n *int) ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	*n += len(line)
	if err == bufio.ErrBufferFull || *n > maxRawHeader {
		return nil, errRawHeaderTooLarge
	}
	if err != nil {
		if err == io.EOF && *n > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return bytes.TrimSuffix(line[:len(line)-1], []byte("\r")), nil
}

// readChunked reads a chunked body into c.body; trailers are read and
// dropped.
func (c *rawConn) readChunked() error {
	c.body = c.body[:0]
	for {
		line, err := c.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return fmt.Errorf("%w: chunk size line too long", errRawMalformed)
		}
		if err != nil {
			return noEOF(err)
		}
		size, err := chunkSize(line)
		if err != nil {
			return err
		}
		if size == 0 {
			n := 0
			for {
				line, err := c.headerLine(&n)
				if err != nil {
					return noEOF(err)
				}
				if len(line) == 0 {
					return nil
				}
			}
		}
		if size > maxRawBody-len(c.body) {
			return errRawBodyTooLarge
		}
		start := len(c.body)
		c.body = slices.Grow(c.body, size)[:start+size]
		if _, err := io.ReadFull(c.br, c.body[start:]); err != nil {
			return noEOF(err)
		}
		crlf, err := c.br.ReadSlice('\n')
		if err != nil {
			return noEOF(err)
		}
		if len(bytes.TrimSuffix(crlf[:len(crlf)-1], []byte("\r"))) != 0 {
			return fmt.Errorf("%w: no CRLF after a chunk", errRawMalformed)
		}
	}
}

// chunkSize parses "HEX[;ext]CRLF", refusing sizes over the body limit
// before they can overflow.
func chunkSize(line []byte) (int, error) {
	line = bytes.TrimRight(line, "\r\n")
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.Trim(line, " \t")
	if len(line) == 0 {
		return 0, fmt.Errorf("%w: empty chunk size", errRawMalformed)
	}
	size := 0
	for _, d := range line {
		var v byte
		switch {
		case '0' <= d && d <= '9':
			v = d - '0'
		case 'a' <= d && d <= 'f':
			v = d - 'a' + 10
		case 'A' <= d && d <= 'F':
			v = d - 'A' + 10
		default:
			return 0, fmt.Errorf("%w: chunk size %q", errRawMalformed, truncate(line))
		}
		size = size<<4 | int(v)
		if size > maxRawBody {
			return 0, errRawBodyTooLarge
		}
	}
	return size, nil
}

// readAll appends r's bytes to b up to EOF, refusing more than the body
// limit.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, 4096)
		}
		n, err := r.Read(b[len(b):min(cap(b), maxRawBody+1)])
		b = b[:len(b)+n]
		if len(b) > maxRawBody {
			return b, errRawBodyTooLarge
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// noEOF: an EOF inside a body is a truncated body.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// foldEqual says whether b is lower, ignoring ASCII case; lower is lower
// case.
func foldEqual[S string | []byte](b S, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func truncate(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}
