package mockprovider

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/jarcoal/httpmock"
)

// Transport returns a new httpmock transport on which p answers for the
// dialect's real hosts, in-process and without sockets: an http.Client
// built on it talks to the mock as if it were the real provider. Requests
// to any other host fail with an error naming it. Each call returns an
// independent transport, so parallel runs share no global state.
func Transport(p *Provider) *httpmock.MockTransport {
	t := httpmock.NewMockTransport()
	Register(t, p)
	t.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		return nil, fmt.Errorf("mockprovider: refusing to reach %s: not a host of the %s mock", r.URL.Host, p.Dialect().Name())
	})
	return t
}

// Register registers p as the responder for its dialect's hosts, over http
// and https, on t.
func Register(t *httpmock.MockTransport, p *Provider) {
	for _, h := range p.Dialect().Hosts() {
		var pat string
		if strings.HasPrefix(h, "*.") {
			pat = `^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*` + regexp.QuoteMeta(h[1:]) + `(:\d+)?(/|$)`
		} else {
			pat = `^https?://` + regexp.QuoteMeta(h) + `(:\d+)?(/|$)`
		}
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions} {
			t.RegisterRegexpResponder(m, regexp.MustCompile(pat), Responder(p))
		}
	}
}

// Responder serves one request with p in-process. A scripted dropped
// connection becomes an error, a truncated body a read error after the
// first half.
func Responder(p *Provider) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		in := req.Clone(req.Context())
		in.Host = req.URL.Host
		in.RemoteAddr = ""
		in.RequestURI = req.URL.RequestURI()
		if req.Body != nil {
			b, err := io.ReadAll(req.Body)
			if err != nil {
				return nil, err
			}
			in.Body = io.NopCloser(bytes.NewReader(b))
		} else {
			in.Body = http.NoBody
		}
		w := &inProcessWriter{ResponseRecorder: httptest.NewRecorder()}
		p.ServeHTTP(w, in)
		if w.dropped && !w.wrote {
			return nil, errDropped
		}
		resp := w.Result()
		resp.Request = req
		if w.dropped { // truncated: the client reads half, then an error
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(w.Body.Bytes()), errReader{io.ErrUnexpectedEOF}))
		}
		return resp, nil
	}
}

type inProcessWriter struct {
	*httptest.ResponseRecorder
	dropped bool
	wrote   bool
}

func (w *inProcessWriter) WriteHeader(s int) { w.wrote = true; w.ResponseRecorder.WriteHeader(s) }
func (w *inProcessWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseRecorder.Write(b)
}
func (w *inProcessWriter) drop() { w.dropped = true }

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
