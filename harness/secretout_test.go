package harness_test

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/scenarios"
)

// TestSecretsInOutput: a component that prints its refresh token 3000
// times (far more than a stream keeps), in pieces and percent-encoded,
// and its id_token, leaves no token, id_token or client secret, nor any
// 20-byte piece of one, in the trace: not in the kept head and tail of
// its output, its emits, its updateKeys bodies or the journal.
func TestSecretsInOutput(t *testing.T) {
	needNode(t)
	c, err := harness.LoadComponent(filepath.Join("testdata", "secretout"))
	if err != nil {
		t.Fatal(err)
	}
	c.Provider, c.Function = "microsoft", "printSecrets"
	if err := c.Resolve(); err != nil {
		t.Fatalf("%v (make deps runs npm ci in harness/testdata/secretout)", err)
	}
	sc, err := scenarios.Builtin("microsoft", "valid-token")
	if err != nil {
		t.Fatal(err)
	}
	// The provider's tokens follow from the scenario's seed: a revealed
	// run shows the values the redacted run must hide.
	sc.Seed = 20261202
	run := func(reveal bool) harness.Trace {
		tr, err := harness.Runner{Reveal: reveal, OutputLimit: 64 << 10}.Run(context.Background(), c, sc)
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Messages) != 1 || tr.Messages[0].Outcome != harness.OutcomeOK {
			t.Fatalf("messages %+v, want one that ended ok", tr.Messages)
		}
		return tr
	}
	revealed := run(true)
	var secrets []string
	for _, tk := range revealed.Tokens {
		secrets = append(secrets, tk.Value)
	}
	var keys struct {
		Oauth struct {
			IDToken string `json:"id_token"`
		} `json:"oauth"`
	}
	for _, ku := range revealed.KeyUpdates {
		if err := json.Unmarshal(ku.Keys, &keys); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, keys.Oauth.IDToken)
	}
	if err := json.Unmarshal(revealed.InitialKeys, &keys); err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, keys.Oauth.IDToken)
	if m := regexp.MustCompile(`client secret (\S+)`).FindStringSubmatch(revealed.Containers[0].Stdout + revealed.Containers[0].Stderr); m != nil {
		secrets = append(secrets, m[1])
	} else {
		t.Error("the revealed output does not show the client secret")
	}
	for _, s := range secrets {
		if len(s) < 20 {
			t.Fatalf("secret %q: too short to be one (the fixture read the wrong field)", s)
		}
	}
	if !revealed.Containers[0].Truncated {
		t.Fatal("the output fits the bound: the test does not reach the cut")
	}

	tr := run(false)
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, s := range secrets {
		for _, form := range []string{s, url.QueryEscape(s)} {
			for i := 0; i+20 <= len(form); i++ {
				if piece := form[i : i+20]; strings.Contains(text, piece) {
					at := strings.Index(text, piece)
					t.Fatalf("the trace holds %q, a piece of a secret (%.40s...), at %q", piece, s, text[max(0, at-80):min(len(text), at+100)])
				}
			}
		}
	}
	// The counts are of what the process wrote, not of the redacted text.
	if got, want := tr.Containers[0].StdoutBytes, revealed.Containers[0].StdoutBytes; got != want {
		t.Errorf("stdout counted %d bytes, the revealed run %d", got, want)
	}
	out := tr.Containers[0].Stdout + tr.Containers[0].Stderr
	for _, want := range []string{"RT=[RT#1]", "RT=[RT#2]", "id_token=[ID_TOKEN#", "refresh_token=[RT#1]"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not show %q", want)
		}
	}
	if m := regexp.MustCompile(`RT=[^\[]`).FindString(out); m != "" {
		t.Errorf("the output holds a refresh token not replaced by its label: %q", m)
	}
}
