package mockprovider

import (
	"errors"
	"fmt"
	"net/http"
	"os"
)

// BodyLimiter is implemented by a dialect that answers a request whose
// body is over the provider's limit (Config.MaxRequestBody) in its
// provider's error format, so that a client's error handling sees what it
// would parse from the real service rather than a plain-text page. x is
// classified from its host and path only: its Body is empty.
type BodyLimiter interface {
	BodyTooLarge(x *Exchange, limit int64) *Response
}

// bodyRefusal answers a request whose body was not read in full: over
// maxBody (err nil), not received within the server's read timeout, or
// cut off by the client. It fills the entry's kind and note.
func (p *Provider) bodyRefusal(d Dialect, x *Exchange, e *Entry, err error, maxBody int64) *Response {
	e.Kind = KindUnknown
	switch {
	case err == nil:
		e.Note = fmt.Sprintf("request body over %d bytes", maxBody)
		if x.Host != "" && !MatchesHost(d, x.Host) {
			x.Kind = KindUnknown
		} else {
			d.Classify(x)
		}
		if x.Kind != "" {
			e.Kind = x.Kind
		}
		if bl, ok := d.(BodyLimiter); ok {
			if resp := bl.BodyTooLarge(x, maxBody); resp != nil {
				return resp
			}
		}
		return &Response{Status: http.StatusRequestEntityTooLarge, Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, Body: []byte(e.Note + "\n")}
	case errors.Is(err, os.ErrDeadlineExceeded):
		// The client is still there, sending too slowly: the server's
		// read timeout ended the request, not the client.
		e.Note = "request body not received within the server's read timeout"
		return &Response{Status: http.StatusRequestTimeout, Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, Body: []byte(e.Note + "\n")}
	default:
		e.Note = "reading request body: " + err.Error()
		// The client went before it had sent the whole request (it
		// gave up, or its process was killed).
		e.ClientGone = true
		return &Response{Status: http.StatusBadRequest, Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, Body: []byte("request body unreadable\n")}
	}
}
