package salesforce

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// fuzzProvider is a provider for one fuzz input: the org's records as a
// run starts with them.
func fuzzProvider(t testing.TB) *mockprovider.Provider {
	p, err := mockprovider.New(New(Options{}), mockprovider.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// apiCall sends one authenticated REST API request to the org's instance
// and checks the answer's form: JSON, and an error is the API's list of
// {message, errorCode}.
func apiCall(t *testing.T, p *mockprovider.Provider, method, path, query, body string, header ...string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", strings.NewReader(body))
	req.Method, req.URL, req.Host = method, &url.URL{Path: path, RawQuery: query}, DefaultInstanceHost
	req.Header.Set("Authorization", "Bearer "+p.Initial().Access.Value)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	p.ServeHTTP(w, req)
	b := w.Body.Bytes()
	if w.Code == http.StatusNoContent {
		if len(b) != 0 {
			t.Fatalf("204 with a body: %q", b)
		}
		return w.Code, b
	}
	if !json.Valid(b) {
		t.Fatalf("%s %s?%s: status %d, body is not JSON: %q", method, path, query, w.Code, b)
	}
	if w.Code >= 400 {
		var errs []struct {
			Message   *string `json:"message"`
			ErrorCode string  `json:"errorCode"`
		}
		if err := json.Unmarshal(b, &errs); err != nil || len(errs) != 1 || errs[0].ErrorCode == "" || errs[0].Message == nil {
			t.Fatalf("%s %s?%s: status %d is not the API's error list: %s", method, path, query, w.Code, b)
		}
	}
	return w.Code, b
}

// FuzzSOQL sends arbitrary SOQL (and Sforce-Query-Options) to the query
// resource: the answer is a
// 200 result set whose size agrees with its records (a COUNT() query has
// none), or the API's 400 error list; never a panic. Seeds are the
// queries the examples, the README and the tests make.
func FuzzSOQL(f *testing.F) {
	for _, q := range []string{
		"SELECT Id, Name FROM Account LIMIT 10",
		"SELECT Id, Name FROM Account WHERE Name = 'zenith & co'",
		"SELECT Id, Name, AnnualRevenue FROM Account ORDER BY Name LIMIT 24",
		"SELECT COUNT() FROM Contact WHERE AccountId != null",
		"select id from lead where Status = 'Open - Not Contacted' and IsConverted = false order by CreatedDate desc nulls last limit 5 offset 2",
		"SELECT Id FROM Opportunity WHERE Amount = -12.50 AND Name != 'it\\'s'",
		"SELECT Nope FROM Account", "SELECT Id FROM Widget", "DELETE FROM Account", "SELECT Id FROM Account WHERE Name LIKE 'a%'",
		"SELECT Id FROM Account LIMIT 99999999999999999999", "SELECT Id FROM Account OFFSET 5000", " ", "",
	} {
		f.Add(q, "")
	}
	f.Add("SELECT Id, Name FROM Account", "batchSize=2")
	f.Fuzz(func(t *testing.T, q, options string) {
		p := fuzzProvider(t)
		req := url.Values{"q": {q}}.Encode()
		status, b := apiCall(t, p, http.MethodGet, "/services/data/v67.0/query", req, "", "Sforce-Query-Options", options)
		if status != http.StatusOK {
			if status != http.StatusBadRequest {
				t.Fatalf("query %q: status %d: %s", q, status, b)
			}
			return
		}
		var res struct {
			TotalSize *int              `json:"totalSize"`
			Done      bool              `json:"done"`
			Records   []json.RawMessage `json:"records"`
			Next      string            `json:"nextRecordsUrl"`
		}
		if err := json.Unmarshal(b, &res); err != nil || res.TotalSize == nil || res.Records == nil {
			t.Fatalf("query %q: not a result set: %s", q, b)
		}
		if res.Done != (res.Next == "") || len(res.Records) > *res.TotalSize {
			t.Fatalf("query %q: totalSize %d, %d records, done %v, next %q", q, *res.TotalSize, len(res.Records), res.Done, res.Next)
		}
	})
}

// FuzzSObjectBody sends arbitrary bodies to create and update records of
// each sObject type: the answer is 201 {id, success} or 204, or the
// API's error list; a refused body leaves the records as they were, and
// a created record can be read back. Seeds are the bodies the examples
// and tests send.
func FuzzSObjectBody(f *testing.F) {
	for _, s := range []string{
		`{"Name":"Zenith & Co","Phone":"(415) 555-0100","AnnualRevenue":1500.0}`,
		`{"attributes":{"type":"Account"},"Name":"A","NumberOfEmployees":12}`,
		`{"LastName":"Bowen","FirstName":"Megan","Email":"m@example.com"}`,
		`{"Name":"Deal","StageName":"Prospecting","CloseDate":"2025-04-01","Amount":1e3}`,
		`{"LastName":"L","Company":"C","Status":null}`,
		`{"Id":"001000000000001AAA","CreatedDate":"x"}`, `{"Nope":1}`, `{"Name":{"a":1}}`, `{"Name":[1]}`, `[]`, `null`, `{}`, `{"Name":"a"} trailing`, ``,
	} {
		for kind := range uint8(4) {
			f.Add(s, kind, kind%2 == 1)
		}
	}
	types := []string{"Account", "Contact", "Opportunity", "Lead"}
	f.Fuzz(func(t *testing.T, body string, kind uint8, update bool) {
		p := fuzzProvider(t)
		typ := types[int(kind)%len(types)]
		base := "/services/data/v67.0/sobjects/" + typ
		count := func() int {
			_, b := apiCall(t, p, http.MethodGet, "/services/data/v67.0/query", url.Values{"q": {"SELECT COUNT() FROM " + typ}}.Encode(), "")
			var res struct {
				TotalSize int `json:"totalSize"`
			}
			_ = json.Unmarshal(b, &res)
			return res.TotalSize
		}
		before := count()
		if update {
			_, b := apiCall(t, p, http.MethodGet, "/services/data/v67.0/query", url.Values{"q": {"SELECT Id FROM " + typ + " LIMIT 1"}}.Encode(), "")
			var res struct {
				Records []struct {
					ID string `json:"Id"`
				} `json:"records"`
			}
			if json.Unmarshal(b, &res) != nil || len(res.Records) == 0 {
				t.Fatalf("no %s to update: %s", typ, b)
			}
			status, b := apiCall(t, p, http.MethodPatch, base+"/"+res.Records[0].ID, "", body)
			if status != http.StatusNoContent && status != http.StatusBadRequest {
				t.Fatalf("PATCH %s: status %d: %s", typ, status, b)
			}
			if after := count(); after != before {
				t.Fatalf("PATCH changed the number of %s records: %d -> %d", typ, before, after)
			}
			return
		}
		status, b := apiCall(t, p, http.MethodPost, base, "", body)
		switch status {
		case http.StatusCreated:
			var res struct {
				ID      string `json:"id"`
				Success bool   `json:"success"`
			}
			if json.Unmarshal(b, &res) != nil || res.ID == "" || !res.Success {
				t.Fatalf("created without an id: %s", b)
			}
			if after := count(); after != before+1 {
				t.Fatalf("a create took the %s records from %d to %d", typ, before, after)
			}
			if status, b := apiCall(t, p, http.MethodGet, base+"/"+res.ID, "", ""); status != http.StatusOK {
				t.Fatalf("the created record does not read back: %d %s", status, b)
			}
		case http.StatusBadRequest:
			if after := count(); after != before {
				t.Fatalf("a refused create took the %s records from %d to %d", typ, before, after)
			}
		default:
			t.Fatalf("POST %s: status %d: %s", typ, status, b)
		}
	})
}
