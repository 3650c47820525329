package microsoft_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/microsoft"
)

// TestCatalogue scripts every catalogue error in turn and checks that it
// renders with its documented status and the shape of its endpoint.
func TestCatalogue(t *testing.T) {
	d := microsoft.New(microsoft.Options{})
	infos := d.Errors()
	required := []string{
		"AADSTS70008", "AADSTS700082", "AADSTS50173", "AADSTS700084", "AADSTS54005", "AADSTS7000215", "AADSTS7000218",
		"AADSTS700016", "AADSTS65001", "AADSTS50076", "AADSTS70000", "AADSTS9002313", "AADSTS900144", "AADSTS70011",
		"AADSTS50196", "AADSTS90002", "InvalidAuthenticationToken", "InvalidAuthenticationToken_CAE", "ErrorAccessDenied",
		"Authorization_RequestDenied", "TooManyRequests", "ApplicationThrottled", "ServiceUnavailable", "generalException", "ErrorItemNotFound",
	}
	for _, name := range required {
		if !strings.Contains(strings.Join(mockprovider.ErrorNames(d), " ")+" ", name+" ") {
			t.Errorf("catalogue lacks %s", name)
		}
	}
	var rules []mockprovider.Rule
	for i, e := range infos {
		rules = append(rules, mockprovider.Rule{Name: e.Name, Match: mockprovider.Match{Endpoint: mockprovider.EndpointAny, Nth: i + 1}, Respond: mockprovider.Respond{Error: e.Name}})
	}
	m := newMock(t, microsoft.Options{}, mockprovider.Config{Rules: rules})
	for _, e := range infos {
		t.Run(e.Name, func(t *testing.T) {
			if e.Description == "" {
				t.Error("no description")
			}
			var r response
			if e.Endpoint == mockprovider.KindToken {
				r = m.do(tokenRequest("common", refreshForm(m.p.Initial().Refresh.Value)))
			} else {
				r = m.do(graphRequest("/v1.0/me", bearer(m.p.Initial().Access.Value)))
			}
			if r.status != e.Status {
				t.Errorf("status %d, want %d", r.status, e.Status)
			}
			switch e.Endpoint {
			case mockprovider.KindToken:
				var body struct {
					Error       string `json:"error"`
					Desc        string `json:"error_description"`
					Codes       []int  `json:"error_codes"`
					TraceID     string `json:"trace_id"`
					Correlation string `json:"correlation_id"`
					URI         string `json:"error_uri"`
				}
				if err := json.Unmarshal(r.body, &body); err != nil {
					t.Fatalf("body is not JSON: %v", err)
				}
				code, _ := strconv.Atoi(strings.TrimPrefix(e.Name, "AADSTS"))
				if len(body.Codes) != 1 || body.Codes[0] != code || !strings.HasPrefix(body.Desc, e.Name+": ") {
					t.Errorf("error_codes %v, description %q; want %d", body.Codes, body.Desc, code)
				}
				if !strings.Contains(body.Desc, "\r\nTrace ID: "+body.TraceID+"\r\nCorrelation ID: "+body.Correlation+"\r\nTimestamp: ") {
					t.Errorf("description lacks the trace lines: %q", body.Desc)
				}
				if r.header.Get("X-Ms-Request-Id") != body.TraceID {
					t.Errorf("x-ms-request-id %q != trace_id %q", r.header.Get("X-Ms-Request-Id"), body.TraceID)
				}
				if want := "1," + strconv.Itoa(code) + ",0,,"; r.header.Get("X-Ms-Clitelem") != want {
					t.Errorf("x-ms-clitelem %q, want %q", r.header.Get("X-Ms-Clitelem"), want)
				}
				if r.header.Get("WWW-Authenticate") != "" {
					t.Error("token endpoint error has WWW-Authenticate")
				}
			case mockprovider.KindAPI:
				var body struct {
					Error struct {
						Code    string `json:"code"`
						Message string `json:"message"`
					} `json:"error"`
				}
				if err := json.Unmarshal(r.body, &body); err != nil {
					t.Fatalf("body is not JSON: %v", err)
				}
				if body.Error.Code == "" || body.Error.Message == "" {
					t.Errorf("error envelope lacks code or message: %s", r.body)
				}
				if (r.status == http.StatusUnauthorized) != (r.header.Get("WWW-Authenticate") != "") {
					t.Errorf("status %d with WWW-Authenticate %q", r.status, r.header.Get("WWW-Authenticate"))
				}
				if (r.status == http.StatusTooManyRequests || r.status == http.StatusServiceUnavailable) && r.header.Get("Retry-After") == "" {
					t.Error("no Retry-After")
				}
			default:
				t.Errorf("endpoint %q", e.Endpoint)
			}
		})
	}
}

// TestErrorUnknownName checks the catalogue refuses names it lacks, so a
// scenario's typo is caught when it loads.
func TestErrorUnknownName(t *testing.T) {
	d := microsoft.New(microsoft.Options{})
	rule := mockprovider.Rule{Name: "typo", Match: mockprovider.Match{Endpoint: mockprovider.EndpointRefresh}, Respond: mockprovider.Respond{Error: "AADSTS70082"}}
	err := rule.Validate(d)
	if err == nil || !strings.Contains(err.Error(), `did you mean "AADSTS700082"`) {
		t.Errorf("Validate = %v; want a did-you-mean for AADSTS700082", err)
	}
}
