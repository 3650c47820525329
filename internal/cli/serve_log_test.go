package cli

import (
	"bytes"
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
