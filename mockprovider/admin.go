package mockprovider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The admin API, under AdminPrefix on every host:
//
//	GET  health                 provider, virtual time, journal counts
//	GET  journal                ?kind=token,api&since=N&limit=N&reveal=true
//	POST reset                  start the scenario over
//	GET  clock                  virtual time and offset
//	POST clock/advance          {"by":"1h"} or ?by=1h
//	PUT  scenario               a scenario (ScenarioLoader) or a JSON Config
//	GET  config                 the configuration in force
//	GET  tokens                 every token and its state (?reveal=true for values)
//	GET  families               token families
//	POST families               {"clientId":"…","scope":"…"}: mint a family (a new account)
//	POST revoke                 {"token":"RT#1"} or {"family":"F#1"}
//	POST expire                 {"token":"AT#1"}
//	GET  ca.pem                 the CA certificate, when serving TLS
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
		var err error
		if s := q.Get("since"); s != "" {
			if f.Since, err = strconv.ParseInt(s, 10, 64); err != nil {
				writeJSON(w, 400, adminError{Error: "since must be a sequence number"})
				return
			}
		}
		if s := q.Get("limit"); s != "" {
			if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit < 0 {
				writeJSON(w, 400, adminError{Error: "limit must be a non-negative number"})
				return
			}
		}
		entries := p.Journal().Entries(f)
		if !reveal(r) {
			red := p.Redactor()
			for i := range entries {
				entries[i] = red.Entry(entries[i])
			}
		}
		writeJSON(w, 200, map[string]any{"counts": p.Journal().Counts(), "entries": entries})
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
	case "GET tokens":
		toks := p.Authority().Tokens()
		if !reveal(r) {
			for i := range toks {
				toks[i].Value = "[" + toks[i].Label + "]"
			}
		}
		writeJSON(w, 200, map[string]any{"tokens": toks})
	case "GET families":
		writeJSON(w, 200, map[string]any{"families": p.Authority().Families()})
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
