package microsoft_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/microsoft"
)

// A component refreshes its access token against the Microsoft mock, as
// it would against login.microsoftonline.com, then calls Graph with the
// new token.
func Example() {
	p, err := mockprovider.New(microsoft.New(microsoft.Options{}), mockprovider.Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()

	client := p.Client()
	resp, err := http.PostForm(srv.URL+"/common/oauth2/v2.0/token", url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {p.Initial().Refresh.Value},
		"client_id":     {client.ID},
		"client_secret": {client.Secret},
	})
	if err != nil {
		panic(err)
	}
	var tok struct {
		TokenType    string `json:"token_type"`
		Scope        string `json:"scope"`
		ExpiresIn    int    `json:"expires_in"`
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, tok.TokenType, tok.Scope)
	fmt.Println("expires in 1h to 1.5h:", tok.ExpiresIn >= 3599 && tok.ExpiresIn <= 5399)
	fmt.Println("new refresh token:", tok.RefreshToken != p.Initial().Refresh.Value)

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1.0/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	var me struct {
		DisplayName string `json:"displayName"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, me.DisplayName)
	// Output:
	// 200 Bearer openid profile https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read
	// expires in 1h to 1.5h: true
	// new refresh token: true
	// 200 Megan Bowen
}
