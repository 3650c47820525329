package salesforce_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/salesforce"
)

// Example starts a Salesforce mock, refreshes the initial grant's access
// token as a component would, and calls the REST API at the instance_url
// the refresh response names.
func Example() {
	p, err := mockprovider.New(salesforce.New(salesforce.Options{}), mockprovider.Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	// The component is not redirected here, so the mock names its hosts
	// by paths on the test server.
	p.SetAdvertise(func(host string) string { return srv.URL + mockprovider.HostPath(host) })

	client, grant := p.Client(), p.Initial()
	resp, err := http.PostForm(srv.URL+"/services/oauth2/token", url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {grant.Refresh.Value},
		"client_id":     {client.ID},
		"client_secret": {client.Secret},
	})
	if err != nil {
		panic(err)
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		InstanceURL  string `json:"instance_url"`
		TokenType    string `json:"token_type"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, tok.TokenType, strings.TrimPrefix(tok.InstanceURL, srv.URL))
	fmt.Println("new refresh token:", tok.RefreshToken != "")

	q := url.QueryEscape("SELECT Name FROM Account ORDER BY Name LIMIT 1")
	req, _ := http.NewRequest(http.MethodGet, tok.InstanceURL+"/services/data/v67.0/query?q="+q, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	var result struct {
		TotalSize int
		Records   []struct{ Name string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&result)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Sforce-Limit-Info"), result.Records[0].Name)
	// Output:
	// 200 Bearer /__host/mockorg.my.salesforce.com
	// new refresh token: false
	// 200 api-usage=1/15000 Aperture Logistics
}
