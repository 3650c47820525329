package suites

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
)

const (
	graphMessages = "https://graph.microsoft.com/v1.0/me/messages"
	entraToken    = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
	formType      = "application/x-www-form-urlencoded"
)

// TestRecordedRefreshAttempts judges refresh requests the real Microsoft
// mock answered: however a refresh is encoded, it is a refresh attempt
// (R02 sees it), R03 judges its form, and a refused one must be an error
// (R09).
func TestRecordedRefreshAttempts(t *testing.T) {
	type want map[string]Status
	cases := []struct {
		name    string
		refresh func(r *recorder) (int, string)
		want    want
		says    string // in R03's message
	}{
		{
			name: "form-encoded refresh",
			refresh: func(r *recorder) (int, string) {
				c := r.p.Client()
				f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.stored("refresh_token")}, "client_id": {c.ID}, "client_secret": {c.Secret}}
				return r.send("POST", entraToken, formType, f.Encode(), nil)
			},
			want: want{"R02": Passed, "R03": Passed},
		},
		{
			name: "JSON body",
			refresh: func(r *recorder) (int, string) {
				c := r.p.Client()
				body := `{"grant_type":"refresh_token","refresh_token":"` + r.stored("refresh_token") + `","client_id":"` + c.ID + `","client_secret":"` + c.Secret + `"}`
				return r.send("POST", entraToken, "application/json", body, nil)
			},
			want: want{"R02": Passed, "R03": Failed, "R09": Passed},
			says: "its body was JSON",
		},
		{
			name: "form without grant_type",
			refresh: func(r *recorder) (int, string) {
				c := r.p.Client()
				f := url.Values{"refresh_token": {r.stored("refresh_token")}, "client_id": {c.ID}, "client_secret": {c.Secret}}
				return r.send("POST", entraToken, formType, f.Encode(), nil)
			},
			want: want{"R02": Passed, "R03": Failed, "R09": Passed},
			says: "no grant_type parameter",
		},
		{
			name: "GET with the refresh token in the query",
			refresh: func(r *recorder) (int, string) {
				c := r.p.Client()
				f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.stored("refresh_token")}, "client_id": {c.ID}, "client_secret": {c.Secret}}
				return r.send("GET", entraToken+"?"+f.Encode(), "", "", nil)
			},
			want: want{"R02": Passed, "R03": Failed},
			says: "it used GET instead of POST",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecorder(t, "microsoft", "expired-access-token")
			r.message()
			bearer := map[string]string{"Authorization": "Bearer " + r.stored("access_token")}
			if st, body := r.send("GET", graphMessages, "", "", bearer); st != 401 {
				t.Fatalf("the expired token: %d %s", st, body)
			}
			st, body := tc.refresh(r)
			outcome, events := harness.OutcomeOK, []harness.Event(nil)
			if st >= 400 {
				// A component that reports the provider's error, as R09 asks.
				outcome, events = harness.OutcomeError, []harness.Event{errorEvent("token refresh failed: " + body)}
			} else if st, body := r.send("GET", graphMessages, "", "", map[string]string{"Authorization": "Bearer " + accessToken(t, body)}); st != 200 {
				t.Fatalf("the replay: %d %s", st, body)
			}
			tr := r.end(outcome, events...).trace()
			vs := map[string]Verdict{}
			for _, v := range Judge(tr, "") {
				vs[v.Rule] = v
			}
			for id, st := range tc.want {
				if vs[id].Status != st {
					t.Errorf("%s: %s, want %s\n%s", id, vs[id].Status, st, vs[id].Message())
				}
			}
			if tc.says != "" && !strings.Contains(vs["R03"].Message(), tc.says) {
				t.Errorf("R03 does not say %q:\n%s", tc.says, vs["R03"].Message())
			}
		})
	}
}

func accessToken(t *testing.T, body string) string {
	t.Helper()
	obj, ok := decodeObject(body)
	if !ok || str(obj["access_token"]) == "" {
		t.Fatalf("not a token response: %s", body)
	}
	return str(obj["access_token"])
}

// TestRecordedHeldRefresh: in token-endpoint-timeout the mock holds the
// first refresh for 40 s. A component without a client timeout is still
// waiting when the harness's time limit kills the message (here: the
// client gives up, which the mock records the same way): that is a warning
// about the missing timeout (R18), and the cut-off refresh is no
// transient failure of the component's (R10).
func TestRecordedHeldRefresh(t *testing.T) {
	r := newRecorder(t, "microsoft", "token-endpoint-timeout")
	r.message()
	r.send("GET", graphMessages, "", "", map[string]string{"Authorization": "Bearer " + r.stored("access_token")})
	c := r.p.Client()
	f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.stored("refresh_token")}, "client_id": {c.ID}, "client_secret": {c.Secret}}
	// The client gives up after 200ms; the in-process transport may still
	// hand it the late answer, which a killed process never reads.
	r.sendWithin(200*time.Millisecond, "POST", entraToken, formType, f.Encode(), nil)
	tr := r.end(harness.OutcomeTimeout).trace()
	if e := tr.Journal[len(tr.Journal)-1]; !e.ClientGone || !e.HasFault(mockprovider.FaultDelay) {
		t.Fatalf("the journal does not record the held, abandoned answer: %+v", e)
	}
	vs := map[string]Verdict{}
	for _, v := range Judge(tr, "") {
		vs[v.Rule] = v
	}
	if v := vs["R18"]; v.Status != Warned || !strings.Contains(v.Message(), "timeout on token and API requests") {
		t.Errorf("R18: %s\n%s", v.Status, v.Message())
	}
	if v := vs["R10"]; v.Status != Skipped {
		t.Errorf("R10: %s\n%s", v.Status, v.Message())
	}
}

// TestRecordedRefreshPerConcurrent401: three calls get 401 together and
// the component refreshes once per failed call, each replaying with its
// own new token, in the orders the server sees such a component's
// requests. R16 fails; R04 (each call replayed once, with a new token)
// and R01 (no refresh without a 401) do not count the same mistake again.
func TestRecordedRefreshPerConcurrent401(t *testing.T) {
	for _, order := range []string{"RRRPPP", "RPRPRP", "RRPRPP"} {
		t.Run(order, func(t *testing.T) {
			r := newRecorder(t, "microsoft", "concurrent-401")
			r.message()
			old := map[string]string{"Authorization": "Bearer " + r.stored("access_token")}
			for range 3 {
				if st, _ := r.send("GET", graphMessages, "", "", old); st != 401 {
					t.Fatalf("the expired token: %d", st)
				}
			}
			c := r.p.Client()
			var fresh []string
			for _, step := range order {
				switch step {
				case 'R':
					f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.stored("refresh_token")}, "client_id": {c.ID}, "client_secret": {c.Secret}}
					st, body := r.send("POST", entraToken, formType, f.Encode(), nil)
					if st != 200 {
						t.Fatalf("refresh: %d %s", st, body)
					}
					fresh = append(fresh, accessToken(t, body))
				case 'P':
					at := fresh[0]
					fresh = fresh[1:]
					if st, _ := r.send("GET", graphMessages, "", "", map[string]string{"Authorization": "Bearer " + at}); st != 200 {
						t.Fatalf("replay: %d", st)
					}
				}
			}
			tr := r.end(harness.OutcomeOK).trace()
			vs := map[string]Verdict{}
			for _, v := range Judge(tr, "") {
				vs[v.Rule] = v
			}
			if vs["R16"].Status != Failed {
				t.Errorf("R16: %s, want failed\n%s", vs["R16"].Status, vs["R16"].Message())
			}
			for _, id := range []string{"R01", "R02", "R04"} {
				if vs[id].Status == Failed {
					t.Errorf("%s counts the same mistake again:\n%s", id, vs[id].Message())
				}
			}
		})
	}
}

// TestRecordedIDTokenRedacted: Microsoft's token responses carry an ID
// token (a JWT with the user's name and e-mail); a redacted trace shows it
// as a label, as it does every token.
func TestRecordedIDTokenRedacted(t *testing.T) {
	r := newRecorder(t, "microsoft", "expired-access-token")
	r.message()
	c := r.p.Client()
	f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.stored("refresh_token")}, "client_id": {c.ID}, "client_secret": {c.Secret}}
	if st, body := r.send("POST", entraToken, formType, f.Encode(), nil); st != 200 || !strings.Contains(body, `"id_token":"eyJ`) {
		t.Fatalf("refresh: %d %s", st, body)
	}
	tr := r.end(harness.OutcomeOK).trace()
	body := tr.Journal[len(tr.Journal)-1].ResponseBody
	if !strings.Contains(body, `"id_token":"[ID_TOKEN#`) || strings.Contains(body, "eyJ") {
		t.Errorf("the ID token is not redacted: %s", body)
	}
	if !strings.Contains(string(tr.InitialKeys), "[ID_TOKEN#1]") {
		t.Errorf("the sign-in ID token is not redacted in the initial keys: %s", tr.InitialKeys)
	}
}

// TestRecordedLoopBeyondJournal records a component that keeps
// refreshing on repeated 401s longer than the journal holds: R08's finding
// must give the message's exact counts from the journal's counters and
// name the gap between evidence lines far apart, and must not when the
// journal kept everything.
func TestRecordedLoopBeyondJournal(t *testing.T) {
	loop := func(capacity, rounds int) Verdict {
		r := newRecorderCap(t, "microsoft", "repeated-401", capacity).message()
		at := r.stored("access_token")
		for i := 0; i < rounds; i++ {
			if st, _ := r.send("GET", graphMessages, "", "", map[string]string{"Authorization": "Bearer " + at}); st != 401 {
				t.Fatalf("round %d: API answered %d, want 401", i, st)
			}
			c := r.p.Client()
			f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.stored("refresh_token")}, "client_id": {c.ID}, "client_secret": {c.Secret}}
			st, body := r.send("POST", entraToken, formType, f.Encode(), nil)
			if st != 200 {
				t.Fatalf("round %d: refresh answered %d: %s", i, st, body)
			}
			var tok map[string]any
			if err := json.Unmarshal([]byte(body), &tok); err != nil {
				t.Fatal(err)
			}
			at = tok["access_token"].(string)
			r.keys["oauth"] = tok
		}
		tr := r.end(harness.OutcomeTimeout).trace()
		if got := tr.Messages[0].Exchanges.ByGrant["refresh_token"]; got != int64(rounds) {
			t.Fatalf("the message counts %d refresh requests, want %d", got, rounds)
		}
		r08, _ := Lookup("R08")
		return JudgeRule(r08, tr, harness.StrategyOn401)
	}

	v := loop(40, 60)
	if v.Status != Failed || len(v.Findings) != 1 {
		t.Fatalf("R08 over an evicted loop: %s %+v", v.Status, v.Findings)
	}
	msg := v.Findings[0].Message
	for _, want := range []string{
		"Exact counts: message m1 made 120 exchanges: 60 token requests, 60 API calls.",
		"had evicted 80 of this message's",
		"exchanges later …",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("R08's finding lacks %q:\n%s", want, msg)
		}
	}

	v = loop(0, 60)
	if v.Status != Failed {
		t.Fatalf("R08 over a kept loop: %s", v.Status)
	}
	if msg := v.Findings[0].Message; strings.Contains(msg, "Exact counts") || !strings.Contains(msg, "refreshed 59 times more") {
		t.Errorf("R08 with the whole loop journaled:\n%s", msg)
	}
}
