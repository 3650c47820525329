package salesforce

import (
	"net/http"
	"net/url"
	"testing"
)

// TestQueryBlankCondition: a WHERE condition of only a non-ASCII space
// between two ANDs is a malformed query, not a panic (the SOQL regexps'
// \s is ASCII, strings.Fields is not, so the condition had no first
// token). The input is kept in testdata/fuzz/FuzzSOQL/nbsp-condition.
func TestQueryBlankCondition(t *testing.T) {
	p := fuzzProvider(t)
	q := "SELECT Id FROM Account WHERE Name = 'a' AND \u00a0 AND Name = 'b'"
	status, b := apiCall(t, p, http.MethodGet, "/services/data/v67.0/query", url.Values{"q": {q}}.Encode(), "")
	if status != http.StatusBadRequest {
		t.Fatalf("status %d: %s", status, b)
	}
}
