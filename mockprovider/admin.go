package mockprovider

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The admin API, under AdminPrefix on every host:
//
//	GET  health                 provider, virtual time, journal counts
//	GET  journal                ?kind=token,api&after=N&limit=N&reveal=true (paged)
//	POST reset                  start the scenario over
//	GET  clock                  virtual time and offset
//	POST clock/advance          {"by":"1h"} or ?by=1h
//	PUT  scenario               a scenario (ScenarioLoader) or a JSON Config
//	GET  config                 the configuration in force
//	GET  tokens                 kept tokens and their states (?reveal=true for values; paged)
//	GET  families               token families (paged)
//	POST families               {"clientId":"…","scope":"…"}: mint a family (a new account)
//	POST revoke                 {"token":"RT#1"} or {"family":"F#1"}
//	POST expire                 {"token":"AT#1"}
//	GET  ca.pem                 the CA certificate, when serving TLS
//
// Lists are paged and streamed: an answer holds at most limit items
// (adminPageDefault unless asked, adminPageMax at most), encoded one by
// one, and names the cursor of the next page in "next" and in the
// X-Next-After (journal) or X-Next-Offset (tokens, families) header when
// more follow. The journal's cursor is a sequence number (after=SEQ;
// since=SEQ is the same), so pages neither skip nor repeat exchanges
// while new ones come; the others' is an offset into the list.
//
// Secrets are redacted unless reveal=true; minting a family returns its
// token values, since the caller needs them. POST and PUT need a JSON
// Content-Type (PUT scenario also YAML), and who may call at all is
// decided in guard.go.

type adminError struct {
	Error string   `json:"error"`
	Hint  string   `json:"hint,omitempty"`
	Paths []string `json:"paths,omitempty"`
}

var adminPaths = []string{"GET health", "GET journal", "POST reset", "GET clock", "POST clock/advance", "PUT scenario", "GET config", "GET tokens", "GET families", "POST families", "POST revoke", "POST expire", "GET ca.pem"}

func writeJSON(w http.ResponseWriter, status int, v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"encoding the answer failed"}`)
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return b
}

// Page sizes of the admin API's lists: the default keeps a page of
// journal entries with cut bodies to a few MiB of JSON, the maximum to a
// few tens.
const (
	adminPageDefault = 1000
	adminPageMax     = 10000
)

// pageLimit reads a list's limit parameter.
func pageLimit(q url.Values) (int, *adminError) {
	s := q.Get("limit")
	if s == "" {
		return adminPageDefault, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > adminPageMax {
		return 0, &adminError{Error: fmt.Sprintf("limit must be a number from 1 to %d", adminPageMax), Hint: fmt.Sprintf(`page through longer lists with the answer's "next" (default page %d)`, adminPageDefault)}
	}
	return n, nil
}

// streamList writes {"head": headValue, "name": [items], "next": N}
// item by item, as writeJSON would lay it out, so that a long list is
// never one buffer: only the page's item being encoded and a write
// buffer are held at a time. head is left out when empty, next when
// there is no next page.
func streamList(w http.ResponseWriter, head string, headValue any, name string, n int, item func(i int) any, next string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	defer bw.Flush()
	bw.WriteString("{\n")
	if head != "" {
		b, _ := json.MarshalIndent(headValue, "  ", "  ")
		fmt.Fprintf(bw, "  %q: %s,\n", head, b)
	}
	fmt.Fprintf(bw, "  %q: [", name)
	for i := range n {
		b, err := json.MarshalIndent(item(i), "    ", "  ")
		if err != nil {
			// The status is sent; an answer cut short is the only
			// way left to say so.
			return
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		if _, err := bw.Write(b); err != nil {
			return // the client went away
		}
	}
	if n > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteByte(']')
	if next != "" {
		fmt.Fprintf(bw, ",\n  \"next\": %s", next)
	}
	bw.WriteString("\n}\n")
}

func reveal(r *http.Request) bool {
	v, _ := strconv.ParseBool(r.URL.Query().Get("reveal"))
	return v
}

// decodeStrict decodes a JSON object body into v, refusing unknown fields
// and trailing data.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errors.New("empty body; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad JSON: %w", err)
	}
	if dec.More() {
		return errors.New("bad JSON: data after the object")
	}
	return nil
}

func (p *Provider) serveAdmin(w http.ResponseWriter, r *http.Request, sub string, start time.Time) {
	route := r.Method + " " + strings.TrimSuffix(sub, "/")
	if refused := p.adminGuard(r, route); refused != nil {
		if refused.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="refreshproof admin"`)
		}
		writeJSON(w, refused.status, refused.adminError)
		return
	}
	p.mu.RLock()
	maxBody := p.cfg.MaxRequestBody
	p.mu.RUnlock()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || int64(len(body)) > maxBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, adminError{Error: fmt.Sprintf("request body unreadable or over %d bytes", maxBody)})
		return
	}
	rec := &recordingWriter{ResponseWriter: w}
	p.adminRoute(rec, r, route, body)
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return // reads are not exchanges worth a journal line
	}
	e := Entry{Time: start, VirtualTime: p.clock.Now(), Host: r.Host, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body), Kind: KindAdmin, Status: rec.status, ResponseBody: rec.body.String()}
	p.record(&e, start, p.Journal())
}

type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *recordingWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }
func (w *recordingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	if w.body.Len() < 4096 {
		w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (p *Provider) adminRoute(w http.ResponseWriter, r *http.Request, route string, body []byte) {
	q := r.URL.Query()
	switch route {
	case "GET health", "GET ":
		writeJSON(w, 200, map[string]any{
			"status": "ok", "provider": p.Dialect().Name(), "virtualTime": p.clock.Now().UTC(),
			"clockOffset": p.clock.Offset().String(), "journal": p.Journal().Counts(),
		})
	case "GET journal":
		f := Filter{}
		for _, k := range strings.Split(q.Get("kind"), ",") {
			if k = strings.TrimSpace(k); k != "" {
				f.Kinds = append(f.Kinds, Kind(k))
			}
		}
		after, since := q.Get("after"), q.Get("since")
		if after != "" && since != "" && after != since {
			writeJSON(w, 400, adminError{Error: "after and since are the same cursor; give one"})
			return
		}
		if after == "" {
			after = since
		}
		if after != "" {
			var err error
			if f.Since, err = strconv.ParseInt(after, 10, 64); err != nil || f.Since < 0 {
				writeJSON(w, 400, adminError{Error: "after (or since) must be a sequence number", Hint: `the "next" of the previous page, or 0`})
				return
			}
		}
		limit, bad := pageLimit(q)
		if bad != nil {
			writeJSON(w, 400, *bad)
			return
		}
		j := p.Journal()
		counts := j.Counts()
		entries, more := j.Page(f, limit)
		red := p.Redactor()
		show := reveal(r)
		next := ""
		if more {
			next = strconv.FormatInt(entries[len(entries)-1].Seq, 10)
			w.Header().Set("X-Next-After", next)
		}
		streamList(w, "counts", counts, "entries", len(entries), func(i int) any {
			// Each entry, and its redacted copy, is let go once encoded.
			e := entries[i]
			entries[i] = Entry{}
			if !show {
				e = red.Entry(e)
			}
			return e
		}, next)
	case "POST reset":
		p.Reset()
		writeJSON(w, 200, map[string]any{"status": "reset"})
	case "GET clock":
		writeJSON(w, 200, p.clockState())
	case "POST clock/advance":
		by := q.Get("by")
		if by == "" && len(bytes.TrimSpace(body)) > 0 {
			var req struct {
				By string `json:"by"`
			}
			if err := decodeStrict(body, &req); err != nil {
				writeJSON(w, 400, adminError{Error: err.Error(), Hint: `send {"by":"1h"}`})
				return
			}
			by = req.By
		}
		d, err := ParseDuration(by)
		if err != nil || d <= 0 {
			writeJSON(w, 400, adminError{Error: fmt.Sprintf("bad duration %q", by), Hint: `a positive duration such as "90s", "2h" or "30d"`})
			return
		}
		p.clock.Advance(d)
		writeJSON(w, 200, p.clockState())
	case "PUT scenario", "POST scenario":
		p.adminLoad(w, r, body)
	case "GET config":
		cfg := p.Config()
		if !reveal(r) {
			cl := append([]Client(nil), cfg.Clients...)
			for i := range cl {
				if cl[i].Secret != "" {
					cl[i].Secret = fmt.Sprintf("[CLIENT_SECRET#%d]", i+1)
				}
			}
			cfg.Clients = cl
		}
		writeJSON(w, 200, cfg)
	case "GET tokens", "GET families":
		offset := 0
		if o := q.Get("offset"); o != "" {
			var err error
			if offset, err = strconv.Atoi(o); err != nil || offset < 0 {
				writeJSON(w, 400, adminError{Error: "offset must be a non-negative number", Hint: `the "next" of the previous page, or 0`})
				return
			}
		}
		limit, bad := pageLimit(q)
		if bad != nil {
			writeJSON(w, 400, *bad)
			return
		}
		a := p.Authority()
		var (
			n    int
			item func(int) any
			more bool
			name string
		)
		if route == "GET tokens" {
			var toks []Token
			toks, more = a.TokensPage(offset, limit)
			show := reveal(r)
			n, name = len(toks), "tokens"
			item = func(i int) any {
				if !show {
					toks[i].Value = "[" + toks[i].Label + "]"
				}
				return toks[i]
			}
		} else {
			var fams []Family
			fams, more = a.FamiliesPage(offset, limit)
			n, name = len(fams), "families"
			item = func(i int) any { return fams[i] }
		}
		next := ""
		if more {
			next = strconv.Itoa(offset + n)
			w.Header().Set("X-Next-Offset", next)
		}
		streamList(w, "", nil, name, n, item, next)
	case "POST families":
		var req struct {
			ClientID string `json:"clientId"`
			Scope    string `json:"scope"`
		}
		if len(bytes.TrimSpace(body)) > 0 {
			if err := decodeStrict(body, &req); err != nil {
				writeJSON(w, 400, adminError{Error: err.Error(), Hint: `send {"clientId":"…","scope":"…"} or nothing`})
				return
			}
		}
		if req.ClientID == "" {
			req.ClientID = p.Client().ID
		} else if _, ok := p.client(req.ClientID); !ok {
			writeJSON(w, 400, adminError{Error: fmt.Sprintf("unknown client %q", req.ClientID)})
			return
		}
		if req.Scope == "" {
			req.Scope = p.Config().Scope
		}
		writeJSON(w, 201, p.Authority().Mint(req.ClientID, req.Scope))
	case "POST revoke", "POST expire":
		var req struct {
			Token  string `json:"token"`
			Family string `json:"family"`
		}
		if err := decodeStrict(body, &req); err != nil {
			writeJSON(w, 400, adminError{Error: err.Error(), Hint: `send {"token":"RT#1"} or {"family":"F#1"}`})
			return
		}
		a := p.Authority()
		var err error
		switch {
		case req.Family != "" && route == "POST revoke":
			err = a.RevokeFamily(req.Family)
		case req.Token != "" && route == "POST revoke":
			err = a.Revoke(req.Token)
		case req.Token != "":
			err = a.Expire(req.Token)
		default:
			writeJSON(w, 400, adminError{Error: "name a token (value or label)" + map[bool]string{true: " or a family", false: ""}[route == "POST revoke"]})
			return
		}
		if err != nil {
			writeJSON(w, 404, adminError{Error: err.Error()})
			return
		}
		writeJSON(w, 200, map[string]any{"status": "ok"})
	case "GET ca.pem":
		p.mu.RLock()
		pemBytes := p.caPEM
		p.mu.RUnlock()
		if pemBytes == nil {
			writeJSON(w, 404, adminError{Error: "this server does not serve TLS"})
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(pemBytes)
	default:
		path := route[strings.IndexByte(route, ' ')+1:]
		for _, known := range adminPaths {
			if strings.HasSuffix(known, " "+path) {
				writeJSON(w, 405, adminError{Error: fmt.Sprintf("method %s not allowed on %s", r.Method, path), Paths: adminPaths})
				return
			}
		}
		sort.Strings(adminPaths)
		writeJSON(w, 404, adminError{Error: fmt.Sprintf("no admin endpoint %q", path), Paths: adminPaths})
	}
}

func (p *Provider) clockState() map[string]any {
	return map[string]any{"virtualTime": p.clock.Now().UTC(), "offset": p.clock.Offset().String()}
}

func (p *Provider) adminLoad(w http.ResponseWriter, r *http.Request, body []byte) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var (
		d   Dialect
		cfg Config
		err error
	)
	if p.ScenarioLoader != nil {
		d, cfg, err = p.ScenarioLoader(body, ct)
	} else {
		err = decodeStrict(body, &cfg)
	}
	if err != nil {
		writeJSON(w, 400, adminError{Error: err.Error()})
		return
	}
	if d != nil && d.Name() != p.Dialect().Name() {
		writeJSON(w, 409, adminError{Error: fmt.Sprintf("this server is a %s provider; the scenario is for %s", p.Dialect().Name(), d.Name()), Hint: "start another server for that provider"})
		return
	}
	if err := p.Load(d, cfg); err != nil {
		writeJSON(w, 400, adminError{Error: err.Error()})
		return
	}
	writeJSON(w, 200, map[string]any{"status": "loaded", "provider": p.Dialect().Name(), "family": p.Initial().Family})
}
