package mockprovider

import (
	"net/http"
	"time"
)

// Timeouts of the servers NewUnstartedServer makes. Without them a client
// that sends its body a byte a second, or keeps a connection open and
// idle, holds a connection and its goroutine for as long as it likes.
const (
	// readTimeout bounds reading a whole request, body included: a 1 MiB
	// body (the default MaxRequestBody) needs about 35 KB/s.
	readTimeout = 30 * time.Second
	// writeTimeout bounds writing an answer, counted from the end of the
	// request's headers; a scripted delay extends it (holdDeadlines).
	writeTimeout = time.Minute
	// idleTimeout closes a keep-alive connection no request used for this
	// long. It is longer than the idle timeouts of the usual clients (Go
	// 90 s, Node.js 5 s), so that the server is not the one closing a
	// connection a client is about to reuse, which a client sees as a
	// reset.
	idleTimeout = 2 * time.Minute
	// holdGrace is what a held request gets beyond its scripted delay to
	// be read and answered.
	holdGrace = time.Minute
)

// holdDeadlines gives a request the provider holds on purpose for d (a
// scripted delay: token-endpoint-timeout holds a refresh for 40 s) until
// d plus holdGrace from now to be answered. The server's read and write
// timeouts count from the start of the request, so they would cut such
// an answer: the write timeout by closing the connection before it is
// written, the read timeout by ending the server's wait for the client's
// next byte, which cancels the request's context and looks like a client
// that gave up. Writers without deadlines (in-process) are left alone.
func holdDeadlines(w http.ResponseWriter, d time.Duration) {
	rc := http.NewResponseController(w)
	until := time.Now().Add(d + holdGrace)
	_ = rc.SetReadDeadline(until)
	_ = rc.SetWriteDeadline(until)
}
