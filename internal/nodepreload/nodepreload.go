// Package nodepreload holds the Node.js preload that redirects a
// component's connections for the real provider hosts to a mock.
package nodepreload

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

//go:embed redirect.js
var script []byte

// Redirect configures the preload.
type Redirect struct {
	// Host and Port are the mock's listening address.
	Host string `json:"host"`
	Port int    `json:"port"`
	// Hosts are the real host names to send to the mock ("*." wildcards).
	Hosts []string `json:"-"`
	// Block makes connections to any other non-loopback host fail with an
	// error that names the host.
	Block bool `json:"-"`
	// Log, when set, is a file the preload appends one JSON line to for
	// every redirected or blocked connection.
	Log string `json:"-"`
}

// Write puts the preload script in dir and returns its path.
func Write(dir string) (string, error) {
	p := filepath.Join(dir, "refreshproof-redirect.js")
	if err := os.WriteFile(p, script, 0o644); err != nil {
		return "", fmt.Errorf("nodepreload: %w", err)
	}
	return p, nil
}

// Env returns the environment variables that load the preload at path with
// r, keeping an existing NODE_OPTIONS value (from base, as os.Environ
// gives it) after the --require.
func Env(path string, r Redirect, base []string) ([]string, error) {
	cfg, err := json.Marshal(struct {
		Target Redirect `json:"target"`
		Hosts  []string `json:"hosts"`
		Block  bool     `json:"block"`
		Log    string   `json:"log,omitempty"`
	}{r, r.Hosts, r.Block, r.Log})
	if err != nil {
		return nil, fmt.Errorf("nodepreload: %w", err)
	}
	opts := "--require " + strconv.Quote(path)
	for _, kv := range base {
		if v, ok := strings.CutPrefix(kv, "NODE_OPTIONS="); ok && v != "" {
			opts += " " + v
		}
	}
	return []string{"NODE_OPTIONS=" + opts, "REFRESHPROOF_REDIRECT=" + string(cfg)}, nil
}
