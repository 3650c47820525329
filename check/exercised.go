package check

import (
	"fmt"
	"sort"
	"strings"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/scenarios"
)

// Exercised tells whether a scenario run exercised the component: it
// presented, at least once, a token the provider issued to the provider
// (an access token to the API, a refresh token to the token endpoint).
// A run in which it did not (no API call, every connection blocked, calls
// only to paths the mock does not serve) judged nothing, whatever the
// rules say; reason then says what happened instead, with the fix.
func Exercised(tr harness.Trace) (ok bool, reason string) {
	unknown := map[string]bool{}
	calls := 0
	for _, e := range tr.Journal {
		if e.Kind == mockprovider.KindPlatform || e.Kind == mockprovider.KindAdmin || e.Caller != "" {
			continue // the platform's own requests (a secret's refresh) show nothing of the component
		}
		calls++
		if e.Unmocked || e.Kind == mockprovider.KindUnknown {
			// A call the mock could only answer "not found" judged nothing,
			// whatever token it carried.
			unknown[e.Method+" "+e.Path] = true
			continue
		}
		if e.Presented != nil && e.Presented.Label != "" {
			return true, ""
		}
	}
	var why []string
	if tr.Component.Strategy != harness.StrategyPlatformSecrets && readsSecrets(tr) {
		why = append(why, secretsHint())
	}
	if b := Blocked(tr); len(b) > 0 {
		why = append(why, b...)
	}
	if len(unknown) > 0 {
		paths := make([]string, 0, len(unknown))
		for p := range unknown {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		if len(paths) > 3 {
			paths = append(paths[:3], fmt.Sprintf("%d more", len(paths)-3))
		}
		why = append(why, fmt.Sprintf("its calls went only to paths the %s mock does not serve (%s)", title(tr.Scenario.Provider), strings.Join(paths, ", ")))
	}
	if calls == 0 && len(why) == 0 {
		why = append(why, fmt.Sprintf("it made no request to %s at all (check --action and the message body: does this function call the API?)", title(tr.Scenario.Provider)))
	}
	if len(why) == 0 {
		why = append(why, fmt.Sprintf("it never presented a token %s issued", title(tr.Scenario.Provider)))
	}
	return false, strings.Join(why, "; ")
}

// Blocked explains each host the component tried to reach and refreshproof
// blocked: another provider's host names which one and the flag to change;
// any other host is outside what a check may reach.
func Blocked(tr harness.Trace) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range tr.Network {
		if n.Event != "blocked" || seen[n.Host] {
			continue
		}
		seen[n.Host] = true
		if info, ok := scenarios.ProviderOfHost(n.Host); ok && info.Name != tr.Scenario.Provider {
			out = append(out, fmt.Sprintf("the component called %s, which is %s; this run mocks %s (--provider %s)", n.Host, info.Title, title(tr.Scenario.Provider), info.Name))
			continue
		}
		out = append(out, fmt.Sprintf("the component called %s, which refreshproof blocks: a check reaches only the mock %s hosts and loopback", n.Host, title(tr.Scenario.Provider)))
	}
	return out
}

func title(provider string) string {
	if info, ok := scenarios.ProviderInfo(provider); ok {
		return info.Title
	}
	return provider
}

// Unmocked says which data calls of an exercised run went to paths the
// mock does not serve: the provider-style "not found" they got says
// nothing about the component, and a message that failed on it failed for
// the mock's want, not the component's. Empty when there were none.
func Unmocked(tr harness.Trace) string {
	seen := map[string]bool{}
	var paths []string
	n := 0
	for _, e := range tr.Journal {
		if !e.Unmocked || e.Caller != "" {
			continue
		}
		n++
		if p := e.Method + " " + e.Path; !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	if n == 0 {
		return ""
	}
	if len(paths) > 3 {
		paths = append(paths[:3], fmt.Sprintf("%d more", len(paths)-3))
	}
	calls := "calls"
	if n == 1 {
		calls = "call"
	}
	return fmt.Sprintf("%d data %s went to paths the %s mock does not serve (%s); their failures are the mock's, not the component's", n, calls, title(tr.Scenario.Provider), strings.Join(paths, ", "))
}
