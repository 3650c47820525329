package cli

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// TestExchangeLogRedacts: the exchange log shows a token that reaches a
// printed field (a path, a note) by its label, in both formats.
func TestExchangeLogRedacts(t *testing.T) {
	const at = "00D000000000001!AQ.secret-access-token-value"
	const rt = "5Aep861.secret-refresh-token-value"
	r := mockprovider.NewRedactor(map[string]string{at: "AT#3", rt: "RT#2"})
	e := &mockprovider.Entry{
		Seq: 7, Kind: mockprovider.KindToken, Method: "POST", Host: "login.salesforce.com",
		Path: "/services/oauth2/revoke/" + rt, Status: 400, Duration: 1500 * time.Microsecond, Grant: "refresh_token",
		Presented: &mockprovider.Presented{Label: "RT#2", State: mockprovider.StateRotated},
		Issued:    []string{"AT#3"}, Note: "refused " + at + " and " + rt,
		Header: map[string][]string{"Authorization": {"Bearer " + at}}, Body: "refresh_token=" + rt,
	}
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			exchangeLogger(&buf, format)(e, r)
			line := buf.String()
			if strings.Count(line, "\n") != 1 {
				t.Errorf("want one line, got %q", line)
			}
			for _, secret := range []string{at, rt} {
				if strings.Contains(line, secret) {
					t.Errorf("the log line reveals %q:\n%s", secret, line)
				}
			}
			for _, want := range []string{"[RT#2]", "[AT#3]", "RT#2", "rotated", "refresh_token", "AT#3"} {
				if !strings.Contains(line, want) {
					t.Errorf("the log line lacks %q:\n%s", want, line)
				}
			}
			if e.Path != "/services/oauth2/revoke/"+rt {
				t.Error("the logger changed the entry")
			}
		})
	}
}

// BenchmarkExchangeLog formats one refresh exchange's log line, with a
// redactor that knows as many tokens as a long serve run keeps.
func BenchmarkExchangeLog(b *testing.B) {
	secrets := map[string]string{}
	for i := 0; i < 2048; i++ {
		secrets[strings.Repeat("t", 40)+string(rune('a'+i%26))+strings.Repeat("u", i%50)] = "AT#1"
	}
	r := mockprovider.NewRedactor(secrets)
	e := &mockprovider.Entry{Seq: 123456, Kind: mockprovider.KindToken, Method: "POST", Host: "login.salesforce.com",
		Path: "/services/oauth2/token", Status: 200, Duration: 1234 * time.Microsecond, Grant: "refresh_token",
		Presented: &mockprovider.Presented{Label: "RT#41", State: mockprovider.StateValid}, Issued: []string{"AT#42", "RT#42"}}
	for _, format := range []string{"text", "json"} {
		b.Run(format, func(b *testing.B) {
			log := exchangeLogger(discard{}, format)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				log(e, r)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestDialHost: the preload sends provider connections to the listener;
// an all-interfaces bind is reached on loopback of its family.
func TestDialHost(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1": "127.0.0.1", "::1": "::1", "0.0.0.0": "127.0.0.1", "::": "::1", "192.0.2.7": "192.0.2.7"} {
		if got := dialHost(net.ParseIP(in)); got != want {
			t.Errorf("dialHost(%s) = %s, want %s", in, got, want)
		}
	}
}
