package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

// secretsRec records traces of a Secrets-mode component against the real
// mocks, in process: the provider of a built-in Secrets scenario and the
// harness's own mock platform with its Secrets service, whose refresh is
// a real grant at the provider. As with recorder, what the component
// emits is added by hand. It panics on a broken set-up, since rule cases
// build traces without a *testing.T.
type secretsRec struct {
	p      *mockprovider.Provider
	pl     *harness.Platform
	client *http.Client
	tr     harness.Trace
}

func newSecretsRec(provider, scenario string) *secretsRec {
	sc, err := scenarios.Builtin(provider, scenario)
	must(err)
	d, cfg, err := sc.Build()
	must(err)
	p, err := mockprovider.New(d, cfg)
	must(err)
	pl, err := harness.NewPlatform(p, sc, "oauth")
	must(err)
	r := &secretsRec{p: p, pl: pl, client: &http.Client{Transport: mockprovider.Transport(p)}}
	r.tr = harness.Trace{
		Version:   harness.TraceVersion,
		Scenario:  harness.TraceScenario{Name: sc.Name, Provider: sc.Provider, Labels: sc.Labels},
		Component: harness.TraceComponent{Name: "recorded", Strategy: harness.StrategyPlatformSecrets, CredentialField: "oauth"},
		Started:   time.Now(),
	}
	r.tr.InitialKeys = pl.Keys()
	return r
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func (r *secretsRec) message() *secretsRec {
	if len(r.tr.Containers) == 0 {
		r.tr.Containers = []harness.Container{{Index: 0}}
	}
	i := len(r.tr.Messages)
	r.pl.SetMessage(i)
	r.tr.Messages = append(r.tr.Messages, harness.Message{Index: i, Label: fmt.Sprintf("m%d", i+1), JournalFrom: r.p.Journal().Last(), KeysBefore: r.pl.Keys(), Started: time.Now()})
	return r
}

// platform sends one request to the mock platform as the sailor's task
// user would.
func (r *secretsRec) platform(method, path string) (int, map[string]any) {
	req := httptest.NewRequest(method, "http://127.0.0.1"+path, nil)
	req.SetBasicAuth(r.pl.Credentials())
	w := httptest.NewRecorder()
	r.pl.ServeHTTP(w, req)
	var obj map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &obj)
	return w.Code, obj
}

// creds reads data.attributes of a Secrets answer.
func creds(obj map[string]any) (state string, c map[string]any) {
	data, _ := obj["data"].(map[string]any)
	attrs, _ := data["attributes"].(map[string]any)
	c, _ = attrs["credentials"].(map[string]any)
	return str(attrs["state"]), c
}

func (r *secretsRec) read() (string, map[string]any) {
	_, obj := r.platform("GET", r.pl.SecretPath())
	return creds(obj)
}

func (r *secretsRec) refresh() (string, map[string]any) {
	_, obj := r.platform("POST", r.pl.SecretPath()+"/refresh")
	return creds(obj)
}

// api calls the provider's API with the access token of c.
func (r *secretsRec) api(c map[string]any) int {
	u := "https://graph.microsoft.com/v1.0/me/messages?$top=10"
	if r.tr.Scenario.Provider == sf {
		und, _ := c["undefined_params"].(map[string]any)
		u = str(und["instance_url"]) + "/services/data/v67.0/query?q=SELECT+Id+FROM+Account"
	}
	req, err := http.NewRequest("GET", u, nil)
	must(err)
	req.Header.Set("Authorization", "Bearer "+str(c["access_token"]))
	resp, err := r.client.Do(req)
	must(err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// ownRefresh sends the refresh_token grant the component must not send.
func (r *secretsRec) ownRefresh(c map[string]any) map[string]any {
	cl := r.p.Client()
	form := "grant_type=refresh_token&refresh_token=" + str(c["refresh_token"]) + "&client_id=" + cl.ID + "&client_secret=" + cl.Secret
	req, err := http.NewRequest("POST", "https://login.salesforce.com/services/oauth2/token", strings.NewReader(form))
	must(err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := r.client.Do(req)
	must(err)
	defer resp.Body.Close()
	var obj map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&obj)
	return obj
}

func (r *secretsRec) advance(d time.Duration) *secretsRec {
	r.p.Clock().Advance(d)
	r.pl.ClockAdvanced(context.Background())
	return r
}

// end closes the current message with an outcome and its events.
func (r *secretsRec) end(outcome harness.Outcome, events ...harness.Event) *secretsRec {
	m := &r.tr.Messages[len(r.tr.Messages)-1]
	m.JournalTo = r.p.Journal().Last()
	for i := range events {
		events[i].ID = i + 1
		events[i].Settled = true
		events[i].JournalSeq = m.JournalTo
	}
	m.Events, m.Outcome, m.KeysAfter, m.Ended = events, outcome, r.pl.Keys(), time.Now()
	r.pl.SetMessage(-1)
	return r
}

func (r *secretsRec) trace() harness.Trace {
	t := r.tr
	t.FinalKeys = r.pl.Keys()
	t.KeyUpdates = r.pl.KeyUpdates()
	t.Journal = r.p.Journal().Entries(mockprovider.Filter{})
	t.Counts = r.p.Journal().Counts()
	t.Tokens = r.p.Authority().Tokens()
	t.Families = r.p.Authority().Families()
	t.Redact(r.p.Redactor())
	return t
}

func dataEvent() harness.Event {
	return harness.Event{Name: "data", Args: json.RawMessage(`[{"body":{"count":1}}]`)}
}

func updateKeysEvent(c map[string]any) harness.Event {
	b, _ := json.Marshal([]any{map[string]any{"oauth": c}})
	return harness.Event{Name: "updateKeys", Args: b}
}

// conformingSecrets is a compliant Secrets-mode component on a 401: read,
// call, ask the platform to refresh, replay once.
func conformingSecrets(provider string) *secretsRec {
	r := newSecretsRec(provider, "secrets-expired-access-token").message()
	_, c := r.read()
	r.api(c)
	_, c = r.refresh()
	r.api(c)
	return r.end(harness.OutcomeOK, dataEvent())
}

func init() {
	ruleCases = append(ruleCases, secretsCases...)
}

var secretsCases = []ruleCase{
	// R04 understands the platform's refresh as the refresh.
	{name: "secrets: replayed once after the platform's refresh", rule: "R04", want: Passed,
		trace: func() harness.Trace { return conformingSecrets(sf).trace() }},
	{name: "secrets: no replay after the platform's refresh", rule: "R04", want: Failed, contains: []string{"never sent the request again", "made by the platform's Secrets service"},
		trace: func() harness.Trace {
			r := newSecretsRec(ms, "secrets-expired-access-token").message()
			_, c := r.read()
			r.api(c)
			r.refresh()
			return r.end(harness.OutcomeOK, dataEvent()).trace()
		}},
	{name: "secrets: updateKeys rules do not apply", rule: "R05", want: Skipped, contains: []string{"does not apply to strategy platform-secrets"},
		trace: func() harness.Trace { return conformingSecrets(ms).trace() }},

	// R20 no-own-token-request
	{name: "only the platform refreshed", rule: "R20", want: Passed,
		trace: func() harness.Trace { return conformingSecrets(sf).trace() }},
	{name: "refreshed at the token endpoint itself", rule: "R20", want: Failed, contains: []string{"sent 1 request to Salesforce's token endpoint itself"},
		trace: func() harness.Trace {
			r := newSecretsRec(sf, "secrets-expired-access-token").message()
			_, c := r.read()
			r.api(c)
			fresh := r.ownRefresh(c)
			c["access_token"] = fresh["access_token"]
			r.api(c)
			return r.end(harness.OutcomeOK, dataEvent()).trace()
		}},

	// R21 no-update-keys
	{name: "no updateKeys", rule: "R21", want: Passed,
		trace: func() harness.Trace { return conformingSecrets(ms).trace() }},
	{name: "emits updateKeys after the platform's refresh", rule: "R21", want: Failed, contains: []string{"emitted updateKeys"},
		trace: func() harness.Trace {
			r := newSecretsRec(ms, "secrets-expired-access-token").message()
			_, c := r.read()
			r.api(c)
			_, c = r.refresh()
			r.api(c)
			return r.end(harness.OutcomeOK, updateKeysEvent(c), dataEvent()).trace()
		}},

	// R22 platform-refresh-on-401
	{name: "one refresh request after the 401", rule: "R22", want: Passed,
		trace: func() harness.Trace { return conformingSecrets(ms).trace() }},
	{name: "no refresh request after the 401", rule: "R22", want: Failed, contains: []string{"did not ask the platform to refresh the secret and made no further API call"},
		trace: func() harness.Trace {
			r := newSecretsRec(sf, "secrets-expired-access-token").message()
			_, c := r.read()
			r.api(c)
			return r.end(harness.OutcomeError, errorEvent("Salesforce answered 401")).trace()
		}},
	{name: "two refresh requests after one 401", rule: "R22", want: Failed, contains: []string{"asked the platform to refresh 2 times before its next API call"},
		trace: func() harness.Trace {
			r := newSecretsRec(ms, "secrets-expired-access-token").message()
			_, c := r.read()
			r.api(c)
			r.refresh()
			_, c = r.refresh()
			r.api(c)
			return r.end(harness.OutcomeOK, dataEvent()).trace()
		}},

	{name: "a 401 after a refused platform refresh is no second 401 to answer", rule: "R22", want: Passed,
		trace: func() harness.Trace {
			r := newSecretsRec(sf, "secrets-refresh-rejected").message()
			_, c := r.read()
			r.api(c)
			_, c = r.refresh() // state error: the old token comes back
			r.api(c)
			return r.end(harness.OutcomeError, errorEvent("Salesforce answered 401 again")).trace()
		}},

	// R23 reads-secret-per-message
	{name: "reads the secret for each message", rule: "R23", want: Passed,
		trace: func() harness.Trace {
			r := newSecretsRec(sf, "secrets-background-refresh").message()
			_, c := r.read()
			r.api(c)
			r.end(harness.OutcomeOK, dataEvent()).advance(3 * time.Hour).message()
			_, c = r.read()
			r.api(c)
			return r.end(harness.OutcomeOK, dataEvent()).trace()
		}},
	{name: "keeps the first message's token", rule: "R23", want: Failed, contains: []string{"had not read the secret", "The platform had already replaced it"},
		trace: func() harness.Trace {
			r := newSecretsRec(ms, "secrets-background-refresh").message()
			_, c := r.read()
			r.api(c)
			r.end(harness.OutcomeOK, dataEvent()).advance(3 * time.Hour).message()
			if r.api(c) == 401 {
				_, c = r.refresh()
				r.api(c)
			}
			return r.end(harness.OutcomeOK, dataEvent()).trace()
		}},

	// R24 bounded-refresh-requests
	{name: "one refresh request on a persistent 401", rule: "R24", want: Passed,
		trace: func() harness.Trace {
			r := newSecretsRec(sf, "secrets-repeated-401").message()
			_, c := r.read()
			r.api(c)
			_, c = r.refresh()
			r.api(c)
			return r.end(harness.OutcomeError, errorEvent("Salesforce answered 401 again")).trace()
		}},
	{name: "five refresh requests on a persistent 401", rule: "R24", want: Failed, contains: []string{"asked the platform to refresh the secret 5 times", "at most 3"},
		trace: func() harness.Trace {
			r := newSecretsRec(ms, "secrets-repeated-401").message()
			_, c := r.read()
			r.api(c)
			for range 5 {
				_, c = r.refresh()
				r.api(c)
			}
			return r.end(harness.OutcomeError, errorEvent("Graph answered 401")).trace()
		}},

	// R25 secret-error-is-an-error
	{name: "a secret in state error ends the message with its error", rule: "R25", want: Passed,
		trace: func() harness.Trace {
			r := newSecretsRec(sf, "secrets-refresh-rejected").message()
			_, c := r.read()
			r.api(c)
			r.refresh()
			r.end(harness.OutcomeError, errorEvent("the secret is in state error (invalid_grant)")).message()
			if st, _ := r.read(); st != "error" {
				panic("the refused refresh left the secret in state " + st)
			}
			return r.end(harness.OutcomeError, errorEvent("the credential's secret is in state error (token refresh failed with status 400: invalid_grant: expired access/refresh token)")).trace()
		}},
	{name: "a secret in state error is used anyway", rule: "R25", want: Failed, contains: []string{"in state error", "ended the message without an error"},
		trace: func() harness.Trace {
			r := newSecretsRec(ms, "secrets-refresh-rejected").message()
			_, c := r.read()
			r.api(c)
			r.refresh()
			r.end(harness.OutcomeError, errorEvent("AADSTS70008")).message()
			_, c = r.read()
			r.api(c)
			return r.end(harness.OutcomeOK, dataEvent()).trace()
		}},
}
