package mockprovider_test

import (
	"encoding/json"
	"testing"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/microsoft"
	"github.com/refreshproof/refreshproof/mockprovider/salesforce"
)

// TestGrantResponse: both dialects render the sign-in token response of
// the initial grant, with both tokens, as the platform stored it.
func TestGrantResponse(t *testing.T) {
	for _, d := range []mockprovider.Dialect{salesforce.New(salesforce.Options{}), microsoft.New(microsoft.Options{})} {
		t.Run(d.Name(), func(t *testing.T) {
			p, err := mockprovider.New(d, mockprovider.Config{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			b, err := d.(mockprovider.GrantResponder).GrantResponse(p, p.Initial())
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			if err := json.Unmarshal(b, &body); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
			if body["access_token"] != p.Initial().Access.Value || body["refresh_token"] != p.Initial().Refresh.Value {
				t.Fatalf("tokens of another grant: %s", b)
			}
			if got := p.Journal().Counts().Total; got != 0 {
				t.Fatalf("rendering journaled %d exchanges", got)
			}
		})
	}
}
