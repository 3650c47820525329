package suites

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
)

const (
	sf = "salesforce"
	ms = "microsoft"
)

type ruleCase struct {
	name     string
	rule     string
	strategy harness.Strategy // empty: the trace's (on-401)
	trace    func() harness.Trace
	want     Status
	warn     bool     // a passed verdict carries a warning
	contains []string // in the verdict's message
	reason   string   // in the verdict's reason (what a pass rests on)
}

// withMods returns entry modifiers for api/refreshFails.
func query(q string) func(*mockprovider.Entry) { return func(e *mockprovider.Entry) { e.Query = q } }

var ruleCases = []ruleCase{
	// R01 no-refresh-while-valid
	{name: "valid token used as is", rule: "R01", want: Passed, trace: func() harness.Trace {
		return newTrace(ms, false).message(0).api(200, "AT#1").data().end().build()
	}},
	{name: "refreshes a valid token before calling", rule: "R01", want: Failed,
		contains: []string{"refreshed at #1 although its access token AT#1 was still valid", "strategy every-call"},
		trace: func() harness.Trace {
			b := newTrace(ms, false).message(0)
			at := b.refresh("RT#1", "")
			return b.emitWhole().api(200, at).data().end().build()
		}},
	{name: "expired token refreshed ahead of the call", rule: "R01", want: Passed, trace: func() harness.Trace {
		b := newTrace(ms, false).message(0).api(200, "AT#1").data().end().advance(2 * time.Hour).message(0)
		at := b.refresh("RT#1", "")
		return b.emitWhole().api(200, at).data().end().build()
	}},
	{name: "every-call is not judged", rule: "R01", strategy: harness.StrategyEveryCall, want: Skipped, contains: []string{"does not apply to strategy every-call"},
		trace: func() harness.Trace { return newTrace(ms, false).message(0).api(200, "AT#1").end().build() }},

	// R02 refresh-once-on-401
	{name: "one refresh after a 401", rule: "R02", want: Passed, trace: func() harness.Trace { return conforming(sf).build() }},
	{name: "no refresh after a 401", rule: "R02", want: Failed, contains: []string{"answered 401 at #1 (access token AT#1) and the component did not refresh"},
		trace: func() harness.Trace {
			return newTrace(sf, true).message(0).api(401, "AT#1").fail("session expired").end().build()
		}},
	{name: "two refreshes after one 401", rule: "R02", want: Failed, contains: []string{"made 2 successful refreshes before its next API call"},
		trace: func() harness.Trace {
			b := newTrace(sf, true).message(0).api(401, "AT#1")
			b.refresh("RT#1", "")
			at := b.refresh("RT#1", "")
			return b.emitWhole().api(200, at).data().end().build()
		}},
	{name: "no 401 at all", rule: "R02", want: Skipped, trace: func() harness.Trace {
		return newTrace(sf, false).message(0).api(200, "AT#1").data().end().build()
	}},
	{name: "every-call refreshes for its call", rule: "R02", strategy: harness.StrategyEveryCall, want: Passed, trace: func() harness.Trace {
		b := newTrace(ms, false).strategy(harness.StrategyEveryCall).message(0)
		at := b.refresh("RT#1", mockprovider.StateSuperseded)
		return b.emitWhole().api(200, at).data().end().build()
	}},
	{name: "every-call calls without refreshing", rule: "R02", strategy: harness.StrategyEveryCall, want: Failed, contains: []string{"declares strategy every-call", "at #1 with AT#1"},
		trace: func() harness.Trace {
			return newTrace(ms, false).strategy(harness.StrategyEveryCall).message(0).api(200, "AT#1").data().end().build()
		}},

	// R03 refresh-request-well-formed
	{name: "form-encoded refresh with client credentials", rule: "R03", want: Passed, trace: func() harness.Trace { return conforming(ms).build() }},
	{name: "Basic client credentials", rule: "R03", want: Passed, trace: func() harness.Trace {
		b := newTrace(ms, true).message(0).api(401, "AT#1").refreshFails("RT#1", 400, `{"error":"invalid_grant"}`, func(e *mockprovider.Entry) {
			e.Body = "grant_type=refresh_token&refresh_token=[RT#1]"
			e.Header["Authorization"] = []string{"Basic [app:[CLIENT_SECRET#1]]"}
		})
		return b.fail("invalid_grant").end().build()
	}},
	{name: "JSON body without a client secret", rule: "R03", want: Failed,
		contains: []string{"not application/x-www-form-urlencoded", "no grant_type parameter", "no client_secret"},
		trace: func() harness.Trace {
			b := newTrace(ms, true).message(0).api(401, "AT#1").refreshFails("RT#1", 400, `{"error":"invalid_request"}`, func(e *mockprovider.Entry) {
				e.Header = map[string][]string{"Content-Type": {"application/json"}}
				e.Body = `{"grant_type":"refresh_token","refresh_token":"[RT#1]","client_id":"app"}`
			})
			return b.fail("invalid_request").end().build()
		}},
	{name: "refresh request sent to the wrong URL", rule: "R03", want: Failed, contains: []string{"not Microsoft's token endpoint"},
		trace: func() harness.Trace {
			b := newTrace(ms, true).message(0).api(401, "AT#1")
			b.entry(mockprovider.Entry{Method: "POST", Host: "login.example.com", Path: "/token", Kind: mockprovider.KindUnknown, Status: 404, Body: "grant_type=refresh_token&refresh_token=[RT#1]"})
			return b.fail("404").end().build()
		}},
	{name: "no refresh made", rule: "R03", want: Skipped, trace: func() harness.Trace {
		return newTrace(ms, false).message(0).api(200, "AT#1").end().build()
	}},

	// R04 retry-once-with-new-token
	{name: "replays once with the new token", rule: "R04", want: Passed, trace: func() harness.Trace { return conforming(ms).build() }},
	{name: "does not replay", rule: "R04", want: Failed, contains: []string{"never sent the request again", "The message ended with an error"},
		trace: func() harness.Trace {
			b := newTrace(ms, true).message(0).api(401, "AT#1")
			b.refresh("RT#1", mockprovider.StateSuperseded)
			return b.emitWhole().fail("token refreshed, please retry").end().build()
		}},
	{name: "replays with the old token", rule: "R04", want: Failed, contains: []string{"presented AT#1, not the access token AT#2"},
		trace: func() harness.Trace {
			b := newTrace(ms, true).message(0).api(401, "AT#1")
			b.refresh("RT#1", mockprovider.StateSuperseded)
			return b.emitWhole().api(401, "AT#1").fail("401").end().build()
		}},
	{name: "a concurrent call arrives after the refresh", rule: "R04", want: Passed,
		trace: func() harness.Trace {
			// Two calls sent together; the second reaches the server
			// only after the refresh. Each is replayed once.
			b := newTrace(ms, true).message(0).api(401, "AT#1")
			at := b.refresh("RT#1", mockprovider.StateSuperseded)
			return b.emitWhole().api(401, "AT#1").api(200, at).api(200, at).data().end().build()
		}},
	{name: "replays twice", rule: "R04", want: Failed, contains: []string{"was sent 2 times after the refresh"},
		trace: func() harness.Trace {
			b := newTrace(ms, true).message(0).api(401, "AT#1")
			at := b.refresh("RT#1", mockprovider.StateSuperseded)
			return b.emitWhole().api(200, at).api(200, at).data().end().build()
		}},
	{name: "replays another query", rule: "R04", want: Failed, contains: []string{"differs from the rejected request", "$top=50"},
		trace: func() harness.Trace {
			b := newTrace(ms, true).message(0).api(401, "AT#1")
			at := b.refresh("RT#1", mockprovider.StateSuperseded)
			return b.emitWhole().api(200, at, query("$top=50")).data().end().build()
		}},

	// R05 entire-update-keys
	{name: "whole response emitted", rule: "R05", want: Passed, trace: func() harness.Trace { return conforming(sf).build() }},
	{name: "access token only", rule: "R05", want: Failed,
		contains: []string{"left out instance_url, signature, token_type", `-`, `"instance_url"`, "(-expected +received)"},
		trace: func() harness.Trace {
			b := newTrace(sf, true).message(0).api(401, "AT#1")
			at := b.refresh("RT#1", "")
			return b.updateKeys(map[string]any{"oauth": map[string]any{"access_token": "[" + at + "]", "refresh_token": "[RT#1]"}}).api(200, at).data().end().build()
		}},
	{name: "rotated refresh token left out", rule: "R05", want: Failed, contains: []string{"left out refresh_token", "refresh token is gone"},
		trace: func() harness.Trace {
			b := newTrace(sf, true).message(0).api(401, "AT#1")
			at := b.refresh("RT#1", mockprovider.StateRotated)
			resp := b.lastResponse()
			delete(resp, "refresh_token")
			return b.updateKeys(map[string]any{"oauth": resp}).api(200, at).data().end().build()
		}},
	{name: "no updateKeys", rule: "R05", want: Failed, contains: []string{"never received an updateKeys with it"},
		trace: func() harness.Trace {
			b := newTrace(ms, true).message(0).api(401, "AT#1")
			at := b.refresh("RT#1", "")
			return b.api(200, at).data().end().build()
		}},
	{name: "two updateKeys", rule: "R05", want: Failed, contains: []string{"followed by 2 updateKeys"},
		trace: func() harness.Trace {
			b := newTrace(ms, true).message(0).api(401, "AT#1")
			at := b.refresh("RT#1", "")
			return b.emitWhole().emitWhole().api(200, at).data().end().build()
		}},
	{name: "no refresh succeeded", rule: "R05", want: Skipped, trace: func() harness.Trace {
		return newTrace(ms, false).message(0).api(200, "AT#1").end().build()
	}},

	// R06 credentials-survive
	{name: "stored refresh token kept", rule: "R06", want: Passed, trace: func() harness.Trace { return conforming(sf).build() }},
	{name: "Salesforce response emitted as is", rule: "R06", want: Failed,
		contains: []string{"hold no refresh token", "replaced keys that held RT#1 with keys that hold none", "carried no refresh_token"},
		trace: func() harness.Trace {
			b := newTrace(sf, true).message(0).api(401, "AT#1")
			at := b.refresh("RT#1", "")
			return b.updateKeys(map[string]any{"oauth": b.lastResponse()}).api(200, at).data().end().build()
		}},
	{name: "stored token revoked by reuse", rule: "R06", want: Failed, contains: []string{"revoked the whole token family F#1", "never updates cfg"},
		trace: func() harness.Trace { return cfgFrozen().build() }},
	{name: "keys never changed", rule: "R06", want: Skipped, trace: func() harness.Trace {
		return newTrace(ms, false).message(0).api(200, "AT#1").end().build()
	}},

	// R07 uses-rotated-refresh-token
	{name: "newest refresh token kept in memory", rule: "R07", want: Passed, trace: func() harness.Trace {
		b := newTrace(sf, true).message(0).api(401, "AT#1")
		at := b.refresh("RT#1", mockprovider.StateRotated)
		b.emitWhole().api(200, at).data().end().advance(3*time.Hour).message(0).api(401, at)
		at = b.refresh("RT#2", mockprovider.StateRotated)
		return b.emitWhole().api(200, at).data().end().build()
	}},
	{name: "rotated-out token from frozen cfg", rule: "R07", want: Failed,
		contains: []string{"refreshed at #6 with RT#1, a refresh token the provider had already replaced", "never updates cfg inside a running container", "revoked the whole token family"},
		trace:    func() harness.Trace { return cfgFrozen().build() }},
	{name: "superseded Microsoft token is a warning", rule: "R07", want: Warned, warn: true, contains: []string{"still accepts it", "Microsoft keeps superseded refresh tokens valid"},
		trace: func() harness.Trace {
			b := newTrace(ms, true).message(0).api(401, "AT#1")
			at := b.refresh("RT#1", mockprovider.StateSuperseded)
			b.emitWhole().api(200, at).data().end().advance(3*time.Hour).message(0).api(401, at)
			at = b.refresh("RT#1", mockprovider.StateSuperseded)
			return b.emitWhole().api(200, at).data().end().build()
		}},
	{name: "no rotation", rule: "R07", want: Skipped, trace: func() harness.Trace { return conforming(sf).build() }},

	// R08 no-loop-on-repeated-401
	{name: "stops after the replay's 401", rule: "R08", want: Passed, trace: func() harness.Trace {
		b := newTrace(ms, false).message(0).api(401, "AT#1")
		at := b.refresh("RT#1", "")
		return b.emitWhole().api(401, at).fail("InvalidAuthenticationToken after refresh").end().build()
	}},
	{name: "refreshes again after the replay's 401", rule: "R08", want: Failed, contains: []string{"refreshed 1 time more (#5)"},
		trace: func() harness.Trace {
			b := newTrace(ms, false).message(0).api(401, "AT#1")
			at := b.refresh("RT#1", "")
			b.emitWhole().api(401, at)
			at = b.refresh("RT#1", "")
			return b.emitWhole().api(401, at).fail("401").end().build()
		}},
	{name: "swallows the replay's 401", rule: "R08", want: Failed, contains: []string{"instead of with an error"},
		trace: func() harness.Trace {
			b := newTrace(ms, false).message(0).api(401, "AT#1")
			at := b.refresh("RT#1", "")
			return b.emitWhole().api(401, at).data().end().build()
		}},
	{name: "replay succeeded", rule: "R08", want: Skipped, trace: func() harness.Trace { return conforming(ms).build() }},

	// R09 refresh-failure-is-an-error
	{name: "refused refresh reported", rule: "R09", want: Passed, trace: func() harness.Trace {
		return newTrace(sf, true).message(0).api(401, "AT#1").
			refreshFails("RT#1", 400, `{"error":"invalid_grant","error_description":"expired access/refresh token"}`).
			fail("Salesforce refused the refresh (invalid_grant: expired access/refresh token)").end().build()
	}},
	{name: "AADSTS code named", rule: "R09", want: Passed, trace: func() harness.Trace {
		return newTrace(ms, true).message(0).api(401, "AT#1").
			refreshFails("RT#1", 400, `{"error":"interaction_required","error_description":"AADSTS50076: Due to a configuration change...\r\nTrace ID: x"}`).
			fail("re-authorise the account: AADSTS50076").end().build()
	}},
	{name: "refused refresh swallowed", rule: "R09", want: Failed, contains: []string{"400 invalid_grant", "emitted data", "ended the message without an error"},
		trace: func() harness.Trace {
			return newTrace(ms, true).message(0).api(401, "AT#1").
				refreshFails("RT#1", 400, `{"error":"invalid_grant","error_description":"AADSTS70008: expired"}`).
				emit("data", map[string]any{"body": map[string]any{}}).end().build()
		}},
	{name: "error without the provider's error", rule: "R09", want: Failed, contains: []string{"does not name the provider's error", "called the API again"},
		trace: func() harness.Trace {
			return newTrace(sf, true).message(0).api(401, "AT#1").
				refreshFails("RT#1", 400, `{"error":"inactive_user","error_description":"inactive user"}`).
				api(401, "AT#1").fail("something went wrong").end().build()
		}},
	{name: "nothing refused", rule: "R09", want: Skipped, trace: func() harness.Trace { return conforming(sf).build() }},

	// R10 transient-refresh-failure
	{name: "three attempts then an error", rule: "R10", want: Passed, trace: func() harness.Trace {
		b := newTrace(ms, true).message(0).api(401, "AT#1")
		for i := 0; i < 3; i++ {
			b.refreshFails("RT#1", 503, `{"error":"temporarily_unavailable"}`)
		}
		return b.fail("token endpoint unavailable").end().build()
	}},
	{name: "hammers the token endpoint", rule: "R10", want: Failed, contains: []string{"made 5 refresh attempts", "at most 3"},
		trace: func() harness.Trace {
			b := newTrace(ms, true).message(0).api(401, "AT#1")
			for i := 0; i < 5; i++ {
				b.refreshFails("RT#1", 503, `{"error":"temporarily_unavailable"}`)
			}
			return b.fail("token endpoint unavailable").end().build()
		}},
	{name: "emits keys from a malformed answer", rule: "R10", want: Failed, contains: []string{"emitted updateKeys at #3 with no access_token", "not a token response"},
		trace: func() harness.Trace {
			b := newTrace(sf, true).message(0).api(401, "AT#1").refreshFails("RT#1", 200, "<html>maintenance</html>")
			return b.updateKeys(map[string]any{"oauth": map[string]any{"refresh_token": "[RT#1]"}}).fail("bad token response").end().build()
		}},
	{name: "calls the API with what it made of a malformed answer", rule: "R10", want: Failed, contains: []string{"went on: its next API call, #3, presented no token the provider issued"},
		trace: func() harness.Trace {
			b := newTrace(sf, true).message(0).api(401, "AT#1").refreshFails("RT#1", 200, "<html>maintenance</html>")
			return b.api(401, "", func(e *mockprovider.Entry) {
				e.Presented = &mockprovider.Presented{State: mockprovider.StateUnknown, Where: "bearer"}
			}).fail("Salesforce answered 401").end().build()
		}},
	{name: "token endpoint never failed", rule: "R10", want: Skipped, trace: func() harness.Trace { return conforming(sf).build() }},

	// R11 no-refresh-on-403
	{name: "403 reported", rule: "R11", want: Passed, trace: func() harness.Trace {
		return newTrace(sf, false).message(0).api(403, "AT#1").fail("REQUEST_LIMIT_EXCEEDED").end().build()
	}},
	{name: "refreshes on 403", rule: "R11", want: Failed, contains: []string{"answered 403 REQUEST_LIMIT_EXCEEDED at #1", "refreshed at #2"},
		trace: func() harness.Trace {
			b := newTrace(sf, false).message(0).api(403, "AT#1")
			at := b.refresh("RT#1", "")
			return b.emitWhole().api(403, at).fail("REQUEST_LIMIT_EXCEEDED").end().build()
		}},
	{name: "no 403", rule: "R11", want: Skipped, trace: func() harness.Trace { return conforming(sf).build() }},

	// R12 no-refresh-on-server-error
	{name: "429 retried without a refresh", rule: "R12", want: Passed, trace: func() harness.Trace {
		return newTrace(ms, false).message(0).api(429, "AT#1").api(200, "AT#1").data().end().build()
	}},
	{name: "refreshes on 500", rule: "R12", want: Failed, contains: []string{"answered 500", "refreshed at #2"},
		trace: func() harness.Trace {
			b := newTrace(ms, false).message(0).api(500, "AT#1")
			at := b.refresh("RT#1", "")
			return b.emitWhole().api(500, at).fail("500").end().build()
		}},

	// R13 bearer-authorization
	{name: "Authorization: Bearer", rule: "R13", want: Passed, trace: func() harness.Trace { return conforming(ms).build() }},
	{name: "token in the query", rule: "R13", want: Failed, contains: []string{"access token in its URL query"},
		trace: func() harness.Trace {
			return newTrace(ms, false).message(0).api(200, "AT#1", func(e *mockprovider.Entry) {
				e.Query = "access_token=[AT#1]"
				e.Presented.Where = "query"
				e.Header = nil
			}).data().end().build()
		}},
	{name: "Salesforce OAuth scheme", rule: "R13", want: Passed, trace: func() harness.Trace {
		return newTrace(sf, false).message(0).api(200, "AT#1", func(e *mockprovider.Entry) { e.Presented.Where = "oauth" }).data().end().build()
	}},
	{name: "no token at all", rule: "R13", want: Failed, contains: []string{"carried no access token"},
		trace: func() harness.Trace { return newTrace(ms, false).message(0).api(401, "").fail("401").end().build() }},

	// R14 secrets-stay-secret
	{name: "nothing secret printed", rule: "R14", want: Passed, trace: func() harness.Trace {
		return conforming(ms).stdout("refreshed the access token\n").build()
	}},
	{name: "tokens logged", rule: "R14", want: Failed, contains: []string{"access token AT#2 and refresh token RT#2 appear in the stdout of container 1"},
		trace: func() harness.Trace {
			return conforming(ms).stdout(`refreshed: {"access_token":"[AT#2]","refresh_token":"[RT#2]"}` + "\n").build()
		}},
	{name: "client secret in an error", rule: "R14", want: Failed, contains: []string{"client secret CLIENT_SECRET#1", "the error event"},
		trace: func() harness.Trace {
			return newTrace(ms, true).message(0).api(401, "AT#1").refreshFails("RT#1", 401, `{"error":"invalid_client"}`).
				fail("invalid_client for body client_secret=[CLIENT_SECRET#1]").end().build()
		}},
	{name: "unredacted trace", rule: "R14", want: Failed, contains: []string{"refresh token RT#1"},
		trace: func() harness.Trace {
			b := conforming(ms).stdout("token rt-secret-value-123 here\n")
			tr := b.build()
			tr.Redacted = false
			for i := range tr.Tokens {
				if tr.Tokens[i].Label == "RT#1" {
					tr.Tokens[i].Value = "rt-secret-value-123"
				}
			}
			return tr
		}},

	// R15 follows-instance-url
	{name: "follows the instance", rule: "R15", want: Passed, trace: func() harness.Trace { return conforming(sf).build() }},
	{name: "stays on the old instance", rule: "R15", want: Failed, contains: []string{"returned instance_url https://new.my.salesforce.com", "went to org.my.salesforce.com"},
		trace: func() harness.Trace {
			b := newTrace(sf, true).message(0).api(401, "AT#1")
			at := b.refresh("RT#1", "")
			e := &b.tr.Journal[len(b.tr.Journal)-1]
			e.ResponseBody = strings.Replace(e.ResponseBody, "org.my", "new.my", 1)
			return b.emitWhole().api(401, at).fail("401").end().build()
		}},
	{name: "not Salesforce", rule: "R15", want: Skipped, trace: func() harness.Trace { return conforming(ms).build() }},

	// R16 single-refresh-under-concurrency
	{name: "one refresh for three 401s", rule: "R16", want: Passed, trace: func() harness.Trace {
		b := newTrace(ms, true).message(0).api(401, "AT#1").api(401, "AT#1").api(401, "AT#1")
		at := b.refresh("RT#1", "")
		return b.emitWhole().api(200, at).api(200, at).api(200, at).data().end().build()
	}},
	{name: "a refresh per 401", rule: "R16", want: Failed, contains: []string{"3 API calls got 401 together", "made 2 refresh requests", "already being processed"},
		trace: func() harness.Trace {
			b := newTrace(sf, true).message(0).api(401, "AT#1").api(401, "AT#1").api(401, "AT#1")
			at := b.refresh("RT#1", "")
			b.refreshFails("RT#1", 400, `{"error":"invalid_grant","error_description":"token request is already being processed"}`, func(e *mockprovider.Entry) {
				e.Refusal = mockprovider.FailInFlight
			})
			return b.emitWhole().api(200, at).api(200, at).api(200, at).data().end().build()
		}},
	{name: "one call at a time", rule: "R16", want: Skipped, trace: func() harness.Trace { return conforming(sf).build() }},

	// R17 refresh-before-expiry
	{name: "refreshes when the lifetime passed", rule: "R17", strategy: harness.StrategyBeforeExpiry, want: Passed, trace: func() harness.Trace {
		b := newTrace(ms, false).strategy(harness.StrategyBeforeExpiry).message(0).api(200, "AT#1").data().end().advance(2 * time.Hour).message(0)
		at := b.refresh("RT#1", mockprovider.StateSuperseded)
		return b.emitWhole().api(200, at).data().end().build()
	}},
	{name: "calls with an expired token", rule: "R17", strategy: harness.StrategyBeforeExpiry, want: Failed, contains: []string{"called the API with AT#1, whose lifetime (expires_in) had passed 1h0m0s earlier"},
		trace: func() harness.Trace {
			b := newTrace(ms, false).strategy(harness.StrategyBeforeExpiry).message(0).api(200, "AT#1").data().end().advance(2*time.Hour).message(0).api(401, "AT#1")
			at := b.refresh("RT#1", mockprovider.StateSuperseded)
			return b.emitWhole().api(200, at).data().end().build()
		}},
	{name: "on-401 is not judged", rule: "R17", want: Skipped, contains: []string{"applies to before-expiry"}, trace: func() harness.Trace { return conforming(ms).build() }},

	// R18 ends-cleanly
	{name: "every message ends", rule: "R18", want: Passed, trace: func() harness.Trace { return conforming(ms).build() }},
	{name: "crash on a malformed token response", rule: "R18", want: Failed, contains: []string{"Message m1 crashed the component's process", "not a token response", "SyntaxError"},
		trace: func() harness.Trace {
			b := newTrace(sf, true).message(0).api(401, "AT#1").refreshFails("RT#1", 200, "upstream connect error")
			b.msg().Detail = "the component's process exited (code 1) during the message; stderr ends with:\nSyntaxError: Unexpected token u in JSON"
			return b.end(harness.OutcomeCrash).build()
		}},
	{name: "no end", rule: "R18", want: Failed, contains: []string{"returned without emitting end"},
		trace: func() harness.Trace {
			return newTrace(ms, false).message(0).api(200, "AT#1").end(harness.OutcomeNoEnd).build()
		}},
	{name: "cut short while the mock held the answer", rule: "R18", want: Warned, warn: true,
		contains: []string{"cut short by refreshproof's time limit", "held back on purpose", "timeout on token and API requests"},
		trace:    heldRefresh},
	{name: "a timeout with every answer in", rule: "R18", want: Failed, contains: []string{"did not end within the time limit", "Every request of the message had been answered", "return (or throw) from process"},
		trace: func() harness.Trace {
			return newTrace(ms, false).message(0).api(200, "AT#1").end(harness.OutcomeTimeout).build()
		}},
	{name: "a refresh the kill cut off is not judged", rule: "R10", want: Skipped, trace: heldRefresh},

	{name: "the last 401 before a kill is not judged", rule: "R02", want: Passed, trace: func() harness.Trace {
		// It refreshed after the first 401; the harness's time limit cut
		// the second message off right after its 401.
		b := newTrace(sf, true).message(0).api(401, "AT#1")
		at := b.refresh("RT#1", "")
		b.emitWhole().api(200, at).data().end()
		return b.message(0).api(401, "AT#1").end(harness.OutcomeTimeout).build()
	}},

	{name: "a refresh whose prompt was evicted from the journal is not judged", rule: "R01", want: Passed, reason: "1 refresh not judged: the journal had evicted", trace: func() harness.Trace {
		b := newTrace(sf, false).message(0).api(401, "AT#1")
		for range 3 {
			at := b.refresh("RT#1", "")
			b.api(401, at)
		}
		tr := b.end(harness.OutcomeTimeout).build()
		// The journal kept only its last entries, starting at a refresh.
		tr.Journal = tr.Journal[3:]
		tr.Counts.Evicted = 3
		return tr
	}},

	{name: "half a refresh request cut off by a kill is not judged", rule: "R03", want: Skipped, trace: func() harness.Trace {
		b := newTrace(sf, true).message(0).api(401, "AT#1")
		b.entry(mockprovider.Entry{Host: "login.salesforce.com", Method: "POST", Path: "/services/oauth2/token", Kind: mockprovider.KindUnknown,
			Status: 400, Body: "grant_type=refresh_token&refresh_tok", ClientGone: true, Note: "reading request body: unexpected EOF"})
		return b.end(harness.OutcomeTimeout).build()
	}},

	// R19 honours-retry-after
	{name: "waits as Retry-After asks", rule: "R19", want: Passed, trace: func() harness.Trace {
		return newTrace(ms, false).message(0).api(429, "AT#1", retryAfterHeader("2")).pause(2*time.Second).api(200, "AT#1").data().end().build()
	}},
	{name: "retries 9 ms after Retry-After: 10", rule: "R19", want: Failed, contains: []string{"Retry-After: 10 (wait 10s)", "9ms later"}, trace: func() harness.Trace {
		return newTrace(ms, false).message(0).api(429, "AT#1", retryAfterHeader("10")).api(200, "AT#1").data().end().build()
	}},
	{name: "retries without end", rule: "R19", want: Failed, contains: []string{"4 more times", "at most 3 retries"}, trace: func() harness.Trace {
		b := newTrace(ms, false).message(0)
		for range 5 {
			b.api(429, "AT#1").pause(time.Second)
		}
		return b.fail("throttled").end().build()
	}},
	{name: "a 503 without Retry-After is not throttling", rule: "R19", want: Skipped, trace: func() harness.Trace {
		return newTrace(sf, false).message(0).api(503, "AT#1").api(200, "AT#1").data().end().build()
	}},
	{name: "reports the 429 without retrying", rule: "R19", want: Passed, trace: func() harness.Trace {
		return newTrace(ms, false).message(0).api(429, "AT#1", retryAfterHeader("30")).fail("Graph answered 429; try again in 30 s").end().build()
	}},
}

// heldRefresh is token-endpoint-timeout for a component without a client
// timeout: the mock holds the refresh, the harness kills the message at
// its time limit, and the client is gone before the answer.
func heldRefresh() harness.Trace {
	b := newTrace(ms, true).message(0).api(401, "AT#1")
	b.refreshFails("RT#1", 200, `{"access_token":"x"}`, func(e *mockprovider.Entry) {
		e.Faults, e.ClientGone, e.Rule = []mockprovider.Fault{mockprovider.FaultDelay}, true, "first-refresh-slow"
		e.Duration = 30 * time.Second
	})
	return b.end(harness.OutcomeTimeout).build()
}

// cfgFrozen is sf-cfg-refresh-token under Salesforce rotation with reuse
// detection: the second message of the container presents the refresh
// token of its frozen cfg, which the first message rotated out.
func cfgFrozen() *builder {
	b := newTrace(sf, true).message(0).api(401, "AT#1")
	at := b.refresh("RT#1", mockprovider.StateRotated)
	b.emitWhole().api(200, at).data().end().advance(3*time.Hour).message(0).api(401, "AT#1")
	b.refreshFails("RT#1", 400, `{"error":"invalid_grant","error_description":"expired access/refresh token"}`, func(e *mockprovider.Entry) {
		e.Refusal = mockprovider.FailReuseDetected
	})
	for i := range b.tr.Tokens {
		b.tr.Tokens[i].State = mockprovider.StateRevoked
	}
	b.tr.Families[0].Revoked = true
	return b.fail("Salesforce refused to refresh (invalid_grant: expired access/refresh token)").end()
}

func TestRules(t *testing.T) {
	covered := map[string]map[Status]bool{}
	for _, tc := range ruleCases {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			r, ok := Lookup(tc.rule)
			if !ok {
				t.Fatalf("no rule %s", tc.rule)
			}
			v := JudgeRule(r, tc.trace(), tc.strategy)
			msg := v.Message()
			if v.Status != tc.want {
				t.Fatalf("status %s, want %s\n%s", v.Status, tc.want, msg)
			}
			if tc.warn != (len(v.Warnings) > 0) {
				t.Errorf("warnings %d, want some: %v\n%s", len(v.Warnings), tc.warn, msg)
			}
			for _, s := range tc.contains {
				if !strings.Contains(msg, s) {
					t.Errorf("message lacks %q:\n%s", s, msg)
				}
			}
			if !strings.Contains(v.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", v.Reason, tc.reason)
			}
			if v.Status == Failed || tc.warn {
				for _, s := range []string{"Why it matters: ", "Fix: ", r.DocURL()} {
					if !strings.Contains(msg, s) {
						t.Errorf("message lacks %q:\n%s", s, msg)
					}
				}
			}
		})
		if covered[tc.rule] == nil {
			covered[tc.rule] = map[Status]bool{}
		}
		covered[tc.rule][tc.want] = true
	}
	for _, r := range Rules() {
		if !covered[r.ID][Passed] || !covered[r.ID][Failed] {
			t.Errorf("%s needs a passing and a failing case, has %v", r.ID, covered[r.ID])
		}
	}
}

// TestJudgeIsPure judges the same trace twice and checks Judge neither
// changes the trace nor depends on anything else.
func TestJudgeIsPure(t *testing.T) {
	tr := cfgFrozen().build()
	a, b := Judge(tr, ""), Judge(tr, "")
	if len(a) != len(Rules()) {
		t.Fatalf("%d verdicts, want %d", len(a), len(Rules()))
	}
	for i := range a {
		if a[i].Message() != b[i].Message() || a[i].Status != b[i].Status {
			t.Errorf("%s differs between runs", a[i].Rule)
		}
	}
	var failed []string
	for _, v := range a {
		if v.Status == Failed {
			failed = append(failed, v.Rule)
		}
	}
	if got := strings.Join(failed, ","); got != "R06,R07" {
		t.Errorf("failed %s, want R06,R07", got)
	}
}

func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for i, r := range Rules() {
		want := "R" + string(rune('0'+(i+1)/10)) + string(rune('0'+(i+1)%10))
		if r.ID != want {
			t.Errorf("rule %d has ID %s, want %s", i, r.ID, want)
		}
		if seen[r.Name] {
			t.Errorf("duplicate name %s", r.Name)
		}
		seen[r.Name] = true
		if r.Requirement == "" || r.Spec == "" || r.Explanation == "" || r.Fix == "" || len(r.Sources) == 0 {
			t.Errorf("%s is missing text", r.ID)
		}
		if want := "docs/rules.md#" + strings.ToLower(r.ID) + "-" + r.Name; r.Doc != want {
			t.Errorf("%s doc %q, want %q", r.ID, r.Doc, want)
		}
	}
	if r, ok := Lookup("entire-update-keys"); !ok || r.ID != "R05" {
		t.Errorf("Lookup by name: %v %v", r.ID, ok)
	}
	if _, ok := Lookup("r05"); !ok {
		t.Error("Lookup by lower-case ID failed")
	}
}

// TestDocs checks that docs/rules.md has a section for every rule at the
// anchor the failure messages link to.
func TestDocs(t *testing.T) {
	raw, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for _, r := range Rules() {
		if !strings.Contains(doc, "\n## "+r.ID+" "+r.Name+"\n") {
			t.Errorf("docs/rules.md has no section %q (anchor %s)", "## "+r.ID+" "+r.Name, r.Doc)
		}
	}
}
