package suites

import (
	"fmt"
	"strings"

	"github.com/refreshproof/refreshproof/harness"
)

// Status is a rule's result on one trace.
type Status string

const (
	// Passed: the trace exercised the rule and the component conformed.
	// A passed verdict may carry warnings.
	Passed Status = "passed"
	// Failed: the trace shows at least one violation.
	Failed Status = "failed"
	// Warned: the trace exercised the rule, nothing it requires (a MUST
	// of the platform or an RFC) was violated, but something it
	// recommends (a SHOULD) was not done, or the harness itself cut the
	// scenario short; Verdict.Warnings say what. Policy.Strict makes a
	// warning fail.
	Warned Status = "warned"
	// Skipped: the rule does not apply to the component's strategy, or
	// the scenario did not exercise it; Verdict.Reason says which.
	Skipped Status = "skipped"
)

// DocBase is prepended to Rule.Doc to make the links in failure
// messages. A fork or a mirror may change it.
var DocBase = "https://github.com/refreshproof/refreshproof/blob/main/"

// Rule is one conformance rule. IDs and names are a published contract:
// once released, a rule keeps its ID, its name and its meaning.
type Rule struct {
	// ID is the stable identifier, "R05".
	ID string `json:"id"`
	// Name is the stable short name, "entire-update-keys".
	Name string `json:"name"`
	// Requirement is the rule in one line: what a conforming component
	// does.
	Requirement string `json:"requirement"`
	// Spec is the spec sentence about the component ("hands the platform
	// the entire token response after each refresh").
	Spec string `json:"spec"`
	// Strategies lists the strategies the rule applies to; nil means all.
	Strategies []harness.Strategy `json:"strategies,omitempty"`
	// Explanation says why the rule matters in production.
	Explanation string `json:"explanation"`
	// Fix says what a component author does about a failure.
	Fix string `json:"fix"`
	// Sources are the documents the rule follows.
	Sources []string `json:"sources"`
	// Doc is the rule's section in the docs, relative to the repository
	// root: "docs/rules.md#r05-entire-update-keys".
	Doc string `json:"doc"`

	judge func(v *view) result
}

// Title is the rule's ID and name as used in spec and test case names:
// "[R05] entire-update-keys".
func (r Rule) Title() string { return "[" + r.ID + "] " + r.Name }

// DocURL is the link to the rule's documentation.
func (r Rule) DocURL() string { return DocBase + r.Doc }

// Applies tells whether the rule applies to components of strategy s.
func (r Rule) Applies(s harness.Strategy) bool {
	if len(r.Strategies) == 0 {
		return true
	}
	for _, x := range r.Strategies {
		if x == s {
			return true
		}
	}
	return false
}

func (r Rule) strategyList() string {
	if len(r.Strategies) == 0 {
		return "all strategies"
	}
	var s []string
	for _, x := range r.Strategies {
		s = append(s, string(x))
	}
	return strings.Join(s, ", ")
}

// Finding is one violation (or, in Verdict.Warnings, one thing worth
// fixing that is not a violation), written for the component author.
type Finding struct {
	// Summary is one sentence: what the component did.
	Summary string `json:"summary"`
	// Seqs are the journal sequence numbers of the exchanges involved.
	Seqs []int64 `json:"seqs,omitempty"`
	// Message is the full text: what happened with the evidence, why it
	// matters in production, how to fix it, and the rule's doc link.
	Message string `json:"message"`
	// CausedBy names the rule whose finding in the same scenario this
	// one follows from ("R10": the keys were lost because an unusable
	// token response was emitted); empty for a root cause.
	CausedBy string `json:"causedBy,omitempty"`

	// produces are the facts this finding establishes, and restsOn the
	// facts it follows from; Evaluate links the two across rules.
	produces, restsOn []fact
}

// Verdict is one rule's result on one trace.
type Verdict struct {
	Rule     string `json:"rule"` // the rule's ID
	Name     string `json:"name"`
	Scenario string `json:"scenario"` // provider/name
	Status   Status `json:"status"`
	// Reason says why the rule was skipped, or in one line what a pass
	// rests on.
	Reason   string    `json:"reason,omitempty"`
	Findings []Finding `json:"findings,omitempty"`
	Warnings []Finding `json:"warnings,omitempty"`
	// CausedBy names the rule whose failure in the same scenario this
	// verdict follows from, when every finding of it does; Cause is that
	// finding's summary. Such a verdict is a consequence: it still counts
	// as a failure of its rule (Status stays Failed), but it is reported
	// under its cause, whose fix cures both.
	CausedBy string `json:"causedBy,omitempty"`
	Cause    string `json:"cause,omitempty"`
	// Why, Fix and Doc are the rule's explanation, fix and doc link,
	// closing the message of a failure or a warning.
	Why string `json:"why,omitempty"`
	Fix string `json:"fix,omitempty"`
	Doc string `json:"doc,omitempty"`
}

// Message is the verdict as text for the component author: the findings
// of a failure, the warnings of a pass, or why the rule was skipped.
func (v Verdict) Message() string {
	var parts []string
	list := v.Findings
	head := fmt.Sprintf("[%s] %s failed on %s", v.Rule, v.Name, v.Scenario)
	switch v.Status {
	case Skipped:
		return fmt.Sprintf("[%s] %s skipped on %s: %s", v.Rule, v.Name, v.Scenario, v.Reason)
	case Passed:
		return fmt.Sprintf("[%s] %s passed on %s", v.Rule, v.Name, v.Scenario)
	case Warned:
		list = v.Warnings
		head = fmt.Sprintf("[%s] %s warned on %s", v.Rule, v.Name, v.Scenario)
	}
	if v.CausedBy != "" {
		head += fmt.Sprintf(", as a consequence of %s (%s)", v.CausedBy, v.Cause)
	}
	parts = append(parts, head)
	ownWhy, ownFix := true, true
	for _, f := range list {
		parts = append(parts, f.Message)
		ownWhy = ownWhy && strings.Contains(f.Message, "\nWhy it matters: ")
		ownFix = ownFix && strings.Contains(f.Message, "\nFix: ")
	}
	var tail []string
	if v.CausedBy != "" {
		// One fix for one mistake: the cause's.
		ownWhy, ownFix = true, true
		tail = append(tail, fmt.Sprintf("This follows from the %s failure in the same scenario; its fix cures this too.", v.CausedBy))
	}
	if !ownWhy && v.Why != "" {
		tail = append(tail, "Why it matters: "+v.Why)
	}
	if !ownFix && v.Fix != "" {
		tail = append(tail, "Fix: "+v.Fix)
	}
	if v.Doc != "" {
		tail = append(tail, "See "+v.Doc)
	}
	if len(tail) > 0 {
		parts = append(parts, strings.Join(tail, "\n"))
	}
	return strings.Join(parts, "\n\n")
}

// result is what a rule's judge function returns.
type result struct {
	skip     string // non-empty: not exercised, and why
	pass     string // what the pass rests on
	findings []Finding
	warnings []Finding
}

func skipped(format string, args ...any) result { return result{skip: fmt.Sprintf(format, args...)} }

// Rules returns the catalogue, in ID order. The slice is a copy.
func Rules() []Rule {
	return append([]Rule(nil), catalogue...)
}

// Lookup finds a rule by ID ("R05", "r05") or name ("entire-update-keys").
func Lookup(idOrName string) (Rule, bool) {
	for _, r := range catalogue {
		if strings.EqualFold(r.ID, idOrName) || r.Name == idOrName {
			return r, true
		}
	}
	return Rule{}, false
}

// Judge judges trace tr against every rule for a component of the given
// strategy (empty means the trace's own, then on-401) and returns one
// verdict per rule, in ID order, with consequences linked to their
// causes. Judge only reads the trace: it can judge a saved run again.
func Judge(tr harness.Trace, strategy harness.Strategy) []Verdict {
	return Evaluate(tr, Policy{Strategy: strategy})
}

// Policy says how verdicts are made from a trace beyond the rules
// themselves. The zero Policy judges every rule with the trace's own
// strategy and lets warnings pass.
type Policy struct {
	// Strategy is the component's refresh strategy; empty means the
	// trace's own, then on-401.
	Strategy harness.Strategy
	// Skip lists rules (IDs or names) not to judge; their verdicts are
	// skipped with the reason "skipped by configuration".
	Skip []string
	// Strict makes a warning fail its rule (--strict, strict: true).
	Strict bool
}

// Skips tells whether the policy skips rule r.
func (p Policy) Skips(r Rule) bool {
	for _, s := range p.Skip {
		if strings.EqualFold(strings.TrimSpace(s), r.ID) || strings.TrimSpace(s) == r.Name {
			return true
		}
	}
	return false
}

// Evaluate judges trace tr against every rule under policy p and returns
// one verdict per rule, in ID order. A failure that follows from another
// failure in the same scenario (keys lost because an unusable token
// response was emitted) is marked as that one's consequence
// (Verdict.CausedBy); it still counts as a failure of its rule. Evaluate
// is the one place where skips, strictness and root causes are decided:
// `refreshproof check` and the Ginkgo entry points both use it.
func Evaluate(tr harness.Trace, p Policy) []Verdict {
	v := newView(&tr, p.Strategy)
	out := make([]Verdict, 0, len(catalogue))
	for _, r := range catalogue {
		if p.Skips(r) {
			out = append(out, Verdict{Rule: r.ID, Name: r.Name, Scenario: v.scenario(), Status: Skipped, Reason: "skipped by configuration", Doc: r.DocURL()})
			continue
		}
		out = append(out, judgeOne(r, v))
	}
	linkCauses(out)
	if p.Strict {
		for i := range out {
			if out[i].Status == Warned {
				out[i].Status = Failed
				out[i].Findings, out[i].Warnings = out[i].Warnings, nil
				out[i].Reason = "a warning, which strict mode makes a failure"
			}
		}
	}
	return out
}

// JudgeRule judges trace tr against one rule.
func JudgeRule(r Rule, tr harness.Trace, strategy harness.Strategy) Verdict {
	return judgeOne(r, newView(&tr, strategy))
}

func judgeOne(r Rule, v *view) Verdict {
	vd := Verdict{Rule: r.ID, Name: r.Name, Scenario: v.scenario(), Doc: r.DocURL()}
	if !r.Applies(v.strategy) {
		vd.Status = Skipped
		vd.Reason = fmt.Sprintf("does not apply to strategy %s (it applies to %s)", v.strategy, r.strategyList())
		return vd
	}
	res, err := safeJudge(r, v)
	if err != nil {
		// A bug in a rule must not take the whole check down, nor pass
		// for a verdict: the rule is skipped with the reason in plain view.
		vd.Status = Skipped
		vd.Reason = fmt.Sprintf("refreshproof could not judge this rule (internal error: %v); please report it with the run record", err)
		return vd
	}
	if len(res.findings) > 0 || len(res.warnings) > 0 {
		vd.Why, vd.Fix = r.Explanation, r.Fix
	}
	switch {
	case len(res.findings) > 0:
		vd.Status = Failed
	case res.skip != "" && len(res.warnings) == 0:
		vd.Status, vd.Reason = Skipped, res.skip
	case len(res.warnings) > 0:
		vd.Status, vd.Reason = Warned, res.pass
	default:
		vd.Status, vd.Reason = Passed, res.pass
	}
	vd.Findings, vd.Warnings = v.withCounts(res.findings), v.withCounts(res.warnings)
	return vd
}

// withCounts adds the exact counts to each finding about a message whose
// exchanges the journal only partly kept, once per message.
func (v *view) withCounts(fs []Finding) []Finding {
	for i := range fs {
		noted := map[int]bool{}
		for _, seq := range fs[i].Seqs {
			m := v.tr.MessageAt(seq)
			if m < 0 || noted[m] {
				continue
			}
			noted[m] = true
			fs[i].Message += v.countsNote(m)
		}
	}
	return fs
}

func safeJudge(r Rule, v *view) (res result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %v", r.ID, p)
		}
	}()
	return r.judge(v), nil
}

func anchor(id, name string) string {
	return "docs/rules.md#" + strings.ToLower(id) + "-" + name
}

var (
	srcPlatform   = "elastic.io: \"approach to send requests to OAuth2 APIs\" and the sailor's updateKeys (PUT /v1/accounts/{id}; the keys object is overwritten entirely)"
	srcRFC6749s6  = "RFC 6749 §6 (refreshing an access token)"
	srcRFC6749s5  = "RFC 6749 §5.1, §5.2 (token response, error response)"
	srcRFC6749s21 = "RFC 6749 §2.3.1 (client password: HTTP Basic or request body)"
	srcRFC6750s3  = "RFC 6750 §3, §3.1 (WWW-Authenticate, invalid_token: the client MAY request a new access token and retry)"
	srcRFC6750s2  = "RFC 6750 §2.1, §2.3, §5.3 (Authorization request header; URI query parameter SHOULD NOT be used; don't pass bearer tokens in page URLs)"
	srcRFC9700    = "RFC 9700 §4.14.2 (refresh token rotation and reuse detection)"
	srcSalesforce = "Salesforce Help: OAuth 2.0 refresh token flow; refresh token rotation; REST API status codes (401 INVALID_SESSION_ID, 403 REQUEST_LIMIT_EXCEEDED)"
	srcMicrosoft  = "Microsoft identity platform: refresh tokens (new refresh token on every refresh), AADSTS error codes; Microsoft Graph: throttling (429, Retry-After) and error responses"
	srcRFC9110    = "RFC 9110 §15.5.4, §15.6 (403 Forbidden; 5xx); RFC 6585 §4 (429 Too Many Requests)"

	srcRFC9110RetryAfter   = "RFC 9110 §10.2.3 (Retry-After: how long the client ought to wait before a follow-up request), §15.6.4 (503); RFC 6585 §4 (429 MAY include Retry-After)"
	srcReleaseSecrets      = "elastic.io release notes 20.23: components using the Secrets service MUST NOT refresh tokens themselves and MUST NOT use this.emit('updateKeys')"
	srcSecretsGuide        = "elastic.io Secrets guide and API (auth-secrets, auth-clients): GET /v2/workspaces/{id}/secrets/{id}, POST …/refresh; the platform refreshes at least 1 minute before expiry; state ready or error"
	srcMicrosoftThrottling = "Microsoft Graph throttling guidance: on 429 wait the number of seconds in Retry-After before retrying; retrying immediately prolongs the throttling"
)

// classicStrategies are those of self-refreshing components: rules about
// the component's own token requests and its updateKeys apply to them
// and not to Secrets-mode components, whose tokens the platform keeps.
var classicStrategies = []harness.Strategy{harness.StrategyOn401, harness.StrategyEveryCall, harness.StrategyBeforeExpiry}

var secretsOnly = []harness.Strategy{harness.StrategyPlatformSecrets}

var catalogue = []Rule{
	{
		ID: "R01", Name: "no-refresh-while-valid",
		Requirement: "with a valid token, calls the API without refreshing",
		Spec:        "calls the API with a valid access token without refreshing it first",
		Strategies:  []harness.Strategy{harness.StrategyOn401, harness.StrategyBeforeExpiry},
		Explanation: "every needless refresh costs a token request, counts against the provider's limits, and with rotating refresh tokens multiplies the chances of losing the newest one.",
		Fix:         "use the access token you have; refresh only when the API answers 401 (on-401) or when its lifetime has passed (before-expiry), and keep the refreshed token in memory for the next message.",
		Sources:     []string{srcRFC6749s6, srcPlatform},
		judge:       judgeR01,
	},
	{
		ID: "R02", Name: "refresh-once-on-401",
		Requirement: "after an API 401, makes exactly one refresh request before its next API call (every-call: exactly one refresh per API call)",
		Spec:        "refreshes exactly once after the API answers 401",
		Strategies:  classicStrategies,
		Explanation: "a 401 means the access token is no longer good; without a refresh the message fails for nothing, and more than one refresh wastes token requests and, with rotating refresh tokens, invalidates the token just received.",
		Fix:         "on 401 (invalid session, expired token) make one token request with grant_type=refresh_token, then use the new access token; share one refresh between calls that fail together.",
		Sources:     []string{srcRFC6750s3, srcRFC6749s6, srcPlatform},
		judge:       judgeR02,
	},
	{
		ID: "R03", Name: "refresh-request-well-formed",
		Requirement: "POSTs form-urlencoded grant_type=refresh_token, the current refresh token and the client credentials (body or Basic) to the provider's token URL",
		Spec:        "POSTs a well-formed refresh request to the provider's token URL",
		Strategies:  classicStrategies,
		Explanation: "the token endpoint only accepts a form-encoded POST with grant_type=refresh_token, the refresh token and the client's credentials; anything else is refused and the account cannot be refreshed.",
		Fix:         "POST application/x-www-form-urlencoded grant_type=refresh_token&refresh_token=…&client_id=…&client_secret=… (or the client in an HTTP Basic Authorization header) to the provider's token URL.",
		Sources:     []string{srcRFC6749s6, srcRFC6749s21, srcSalesforce, srcMicrosoft},
		judge:       judgeR03,
	},
	{
		ID: "R04", Name: "retry-once-with-new-token",
		Requirement: "replays the rejected request exactly once, with the new access token, same method, path, query and body",
		Spec:        "replays the rejected request exactly once, with the new access token",
		Strategies:  []harness.Strategy{harness.StrategyOn401, harness.StrategyBeforeExpiry, harness.StrategyPlatformSecrets},
		Explanation: "the request that got 401 is what the message needs; not replaying it loses the work, replaying it with the old token fails again, and replaying it twice can duplicate writes.",
		Fix:         "after the refresh, send the same request (method, path, query, body) once more with the new access token in the Authorization header.",
		Sources:     []string{srcRFC6750s3, srcPlatform},
		judge:       judgeR04,
	},
	{
		ID: "R05", Name: "entire-update-keys",
		Requirement: "after each successful refresh, hands the platform exactly one updateKeys that contains every field of the token response, unchanged, under the credential field",
		Spec:        "hands the platform the entire token response after each refresh",
		Strategies:  classicStrategies,
		Explanation: "the platform replaces the account's stored keys with what updateKeys carries, and the next container starts from them; a field left out (a rotated refresh_token, instance_url, expires_in) is lost for good, and a refresh not emitted leaves the next container with a dead token.",
		Fix:         "emit this.emit('updateKeys', {<credential field>: {...storedKeys, ...tokenResponse}}) once per refresh, awaiting it, with every field of the response unchanged (keep the stored refresh_token when the response has none).",
		Sources:     []string{srcPlatform, srcRFC6749s6, srcRFC6749s5},
		judge:       judgeR05,
	},
	{
		ID: "R06", Name: "credentials-survive",
		Requirement: "leaves the account's stored keys (replaced by each updateKeys) holding a refresh token the provider still accepts",
		Spec:        "leaves the account's stored keys with a refresh token the provider still accepts",
		Strategies:  classicStrategies,
		Explanation: "the stored keys are all the next container gets; without a refresh token the provider accepts, every later message fails until a user signs in again.",
		Fix:         "always emit the refresh token with updateKeys (the newest one, or the stored one when the response has none), and never present a rotated-out refresh token, which makes Salesforce revoke the whole token family.",
		Sources:     []string{srcPlatform, srcRFC6749s6, srcRFC9700},
		judge:       judgeR06,
	},
	{
		ID: "R07", Name: "uses-rotated-refresh-token",
		Requirement: "never presents a refresh token the provider has invalidated by rotation (across refreshes, messages in one container, and restarts); presenting a superseded one that the provider still accepts is a warning",
		Spec:        "refreshes with the newest refresh token, never a rotated-out one",
		Strategies:  classicStrategies,
		Explanation: "when the provider rotates refresh tokens, the old one is invalid; Salesforce treats presenting it as reuse and revokes the whole family, access tokens included, so the account is dead until a user signs in again. The platform never updates cfg inside a running container, so a component that reads the refresh token from cfg on every message presents a rotated-out token in its second message.",
		Fix:         "keep the newest tokens in memory per account (module scope, keyed by the account) and prefer them over cfg; adopt the refresh_token of every refresh response.",
		Sources:     []string{srcRFC6749s6, srcRFC9700, srcSalesforce, srcMicrosoft, srcPlatform},
		judge:       judgeR07,
	},
	{
		ID: "R08", Name: "no-loop-on-repeated-401",
		Requirement: "when the replayed request gets 401 again, does not refresh again and ends the message with an error",
		Spec:        "stops with an error when the API answers 401 to a freshly refreshed token",
		Explanation: "a 401 right after a successful refresh is not cured by another refresh; looping turns one bad session into a storm of token requests that can lock the user out and exhaust API limits, and hides the real error.",
		Fix:         "refresh at most once per request; when the replay with the new token gets 401, throw an error with the provider's message.",
		Sources:     []string{srcRFC6750s3, srcSalesforce},
		judge:       judgeR08,
	},
	{
		ID: "R09", Name: "refresh-failure-is-an-error",
		Requirement: "when the refresh is rejected, ends the message with an error naming the provider's error; no updateKeys, no data, no further API calls",
		Spec:        "ends the message with the provider's error when the refresh is rejected",
		Explanation: "a refused refresh (invalid_grant, invalid_client, interaction_required) means a person must act; swallowing it or going on without a token hides that from the flow's owner and from the platform's retry and alerting.",
		Fix:         "when the token endpoint answers 4xx, throw an error that includes the provider's error and error_description, emit no data and no updateKeys, and make no more API calls for the message.",
		Sources:     []string{srcRFC6749s5, srcSalesforce, srcMicrosoft, srcPlatform},
		judge:       judgeR09,
	},
	{
		ID: "R10", Name: "transient-refresh-failure",
		Requirement: "when the token endpoint fails transiently (5xx, timeout) or answers something that is not a token response, retries the refresh a bounded number of times (at most 3), and never emits keys, or calls the API, without a new access token",
		Spec:        "retries a failing token endpoint a bounded number of times and never emits keys without a new token",
		Strategies:  classicStrategies,
		Explanation: "a token endpoint in maintenance must not be hammered, and keys emitted without a new access token (undefined, or the old one) overwrite good stored keys with bad ones.",
		Fix:         "retry the refresh at most twice more with a pause (honour Retry-After), then fail the message with a retryable error; check that the response is JSON with an access_token before you emit updateKeys or use it.",
		Sources:     []string{srcRFC6749s5, srcRFC9110, srcPlatform},
		judge:       judgeR10,
	},
	{
		ID: "R11", Name: "no-refresh-on-403",
		Requirement: "does not refresh on 403",
		Spec:        "does not refresh when the API answers 403",
		Explanation: "403 means the token is fine but not allowed (a missing permission, Salesforce's REQUEST_LIMIT_EXCEEDED); a new token does not cure it, and the useless refresh adds token traffic and hides the real error.",
		Fix:         "treat 403 as an error of the request: report it with the provider's message; refresh only on 401.",
		Sources:     []string{srcRFC9110, srcRFC6750s3, srcSalesforce, srcMicrosoft},
		judge:       judgeR11,
	},
	{
		ID: "R12", Name: "no-refresh-on-server-error",
		Requirement: "does not refresh on 429 or 5xx from the API (bounded retries of the API call are fine)",
		Spec:        "does not refresh when the API answers 429 or 5xx",
		Explanation: "429 and 5xx say nothing about the token; refreshing on them adds load to a provider that is already struggling and, with rotating refresh tokens, risks the account for nothing.",
		Fix:         "on 429/503 wait (Retry-After) and retry the call a bounded number of times, or report a retryable error; refresh only on 401.",
		Sources:     []string{srcRFC9110, srcMicrosoft, srcSalesforce},
		judge:       judgeR12,
	},
	{
		ID: "R13", Name: "bearer-authorization",
		Requirement: "sends the access token in the Authorization header (Bearer; Salesforce also accepts OAuth), never in the URL",
		Spec:        "sends the access token in the Authorization header, never in the URL",
		Explanation: "URLs end up in proxy logs, browser history and error reports; a token in the query string leaks to all of them.",
		Fix:         "send Authorization: Bearer <access_token> on every API call and nothing token-like in the URL.",
		Sources:     []string{srcRFC6750s2, srcSalesforce},
		judge:       judgeR13,
	},
	{
		ID: "R14", Name: "secrets-stay-secret",
		Requirement: "never writes an access token, refresh token or client secret to its logs, error messages or emitted data",
		Spec:        "never writes a token or the client secret to its logs, errors or emitted data",
		Explanation: "logs and error messages are kept, shipped and read by many people; a logged refresh token or client secret gives anyone who reads them lasting access to the user's account.",
		Fix:         "log that a refresh happened, never what it returned; build error messages from the provider's error and error_description only.",
		Sources:     []string{"RFC 6750 §5.3 (don't store bearer tokens in cleartext); RFC 6819 §5.1.4.1", srcPlatform},
		judge:       judgeR14,
	},
	{
		ID: "R15", Name: "follows-instance-url",
		Requirement: "after a Salesforce refresh, sends API calls to the instance_url of the refresh response",
		Spec:        "sends API calls to the instance_url of the latest Salesforce refresh",
		Explanation: "Salesforce moves orgs between instances; the refresh response says where the org is now, and the old instance answers 401 to the new token.",
		Fix:         "after each refresh, take instance_url from the response for every later call (and store it with updateKeys).",
		Sources:     []string{srcSalesforce},
		judge:       judgeR15,
	},
	{
		ID: "R16", Name: "single-refresh-under-concurrency",
		Requirement: "when concurrent requests get 401 together, refreshes once (judged only where the trace shows concurrent 401s)",
		Spec:        "refreshes once when concurrent requests get 401 together",
		Explanation: "parallel refreshes with one refresh token race: Salesforce refuses the second (\"token request is already being processed\"), and with rotation all but one of the new refresh tokens are lost.",
		Fix:         "single-flight the refresh: the first 401 starts it, the others await the same promise and replay with its result.",
		Sources:     []string{srcSalesforce, srcRFC9700},
		judge:       judgeR16,
	},
	{
		ID: "R17", Name: "refresh-before-expiry",
		Requirement: "(before-expiry) refreshes before calling the API when the token's lifetime has passed",
		Spec:        "refreshes before calling the API once the token's lifetime has passed",
		Strategies:  []harness.Strategy{harness.StrategyBeforeExpiry},
		Explanation: "a component that declares before-expiry relies on expires_in; calling with a token it knows is expired wastes a call and, without a 401 handler, fails the message.",
		Fix:         "store the expiry (receipt time + expires_in) with the tokens and refresh when it has passed, before the call; keep a 401 handler as a fallback.",
		Sources:     []string{srcRFC6749s5, srcMicrosoft},
		judge:       judgeR17,
	},
	{
		ID: "R18", Name: "ends-cleanly",
		Requirement: "ends every message (end, resolve or reject) within the time limit and does not crash, also on malformed token responses",
		Spec:        "ends every message cleanly, without a crash or a timeout",
		Explanation: "the sailor has no timeout of its own: a message that never ends blocks the flow, and a crash drops every message the container was processing.",
		Fix:         "return (or throw) from process on every path, catch errors from JSON parsing and from the token endpoint, and never leave a promise unhandled.",
		Sources:     []string{srcPlatform, srcRFC6749s5},
		judge:       judgeR18,
	},
	{
		ID: "R19", Name: "honours-retry-after",
		Requirement: "after the API answers 429 (or 503 with Retry-After), waits at least Retry-After before sending the request again, and retries it at most 3 times",
		Spec:        "waits as Retry-After asks before it sends a throttled request again",
		Explanation: "a throttled API counts every request, early retries included: retrying before Retry-After extends the throttling, and Microsoft Graph and other providers answer a client that keeps retrying early with longer throttling or blocks it, for every flow of the tenant.",
		Fix:         "on 429, or 503 with Retry-After, wait the number of seconds Retry-After gives (or until its date) before the retry, retry at most a few times, and when the wait is longer than the message should take, end it with a retryable error instead.",
		Sources:     []string{srcRFC9110RetryAfter, srcMicrosoftThrottling},
		judge:       judgeR19,
	},
	{
		ID: "R20", Name: "no-own-token-request",
		Requirement: "(platform-secrets) never calls the provider's token endpoint itself: the platform refreshes the secret",
		Spec:        "never calls the provider's token endpoint itself",
		Strategies:  secretsOnly,
		Explanation: "the Secrets service owns the secret's tokens and refreshes them; a component that refreshes on its own spends the refresh token behind the platform's back, which with rotation (and Salesforce's reuse detection) leaves the platform holding a dead refresh token and the credential broken for every flow that uses it.",
		Fix:         "on 401 POST {ELASTICIO_API_URI}/v2/workspaces/{ELASTICIO_WORKSPACE_ID}/secrets/{secretId}/refresh and use the access token of the answer; never send the refresh token anywhere.",
		Sources:     []string{srcReleaseSecrets, srcSecretsGuide},
		judge:       judgeR20,
	},
	{
		ID: "R21", Name: "no-update-keys",
		Requirement: "(platform-secrets) never emits updateKeys",
		Spec:        "never emits updateKeys",
		Strategies:  secretsOnly,
		Explanation: "the release notes forbid it outright: updateKeys writes the legacy credential's keys, which a Secrets credential does not use, so at best it does nothing and at worst it stores tokens where they leak or go stale.",
		Fix:         "remove the updateKeys emit: the Secrets service stores what its refresh returns.",
		Sources:     []string{srcReleaseSecrets},
		judge:       judgeR21,
	},
	{
		ID: "R22", Name: "platform-refresh-on-401",
		Requirement: "(platform-secrets) after an API 401, asks the platform to refresh the secret once (POST …/secrets/{id}/refresh) before its next API call, unless the secret it reads again already holds a newer token",
		Spec:        "asks the platform to refresh the secret once after the API answers 401",
		Strategies:  secretsOnly,
		Explanation: "the platform refreshes ahead of expiry, but a token can die early (revoked, a session ended); without a refresh request the message fails for nothing, and more than one per 401 makes the platform spend refresh tokens for nothing.",
		Fix:         "on 401 read the secret again; if it still holds the rejected token, POST …/secrets/{secretId}/refresh once and use the access_token of its answer.",
		Sources:     []string{srcSecretsGuide, srcRFC6750s3},
		judge:       judgeR22,
	},
	{
		ID: "R23", Name: "reads-secret-per-message",
		Requirement: "(platform-secrets) reads the secret (GET …/secrets/{id}) in every message before its first API call, instead of keeping a token across messages",
		Spec:        "reads the secret again for every message",
		Strategies:  secretsOnly,
		Explanation: "the platform refreshes the secret on its own, a minute before expiry and whenever another flow asks; a token kept in module scope from an earlier message goes stale without the component knowing and costs a 401 and a refresh, or fails outright once the platform's refresh has rotated it away.",
		Fix:         "fetch the secret at the start of every message (it is one local platform call) and keep its token only for that message.",
		Sources:     []string{srcSecretsGuide},
		judge:       judgeR23,
	},
	{
		ID: "R24", Name: "bounded-refresh-requests",
		Requirement: "(platform-secrets) asks the platform to refresh at most 3 times in one message",
		Spec:        "asks the platform to refresh a bounded number of times",
		Strategies:  secretsOnly,
		Explanation: "each refresh request makes the platform send a real token request to the provider; a component that keeps asking on a persistent 401 or a secret in error turns one broken session into a storm of token requests for every flow sharing the credential.",
		Fix:         "ask once per 401; when the replay with the refreshed token gets 401 again, or the refresh leaves the secret in state error, end the message with an error.",
		Sources:     []string{srcSecretsGuide, srcRFC6750s3},
		judge:       judgeR24,
	},
	{
		ID: "R25", Name: "secret-error-is-an-error",
		Requirement: "(platform-secrets) when the secret it reads is in state error, ends the message with an error that says so (the secret's error or the provider's code), and emits no data",
		Spec:        "ends the message with an error when the secret is in state error",
		Strategies:  secretsOnly,
		Explanation: "a secret in state error means the platform could not refresh it (the refresh token expired or was revoked) and a person must sign in again; going on with its dead token, or swallowing the state, hides that from the flow's owner.",
		Fix:         "check attributes.state of every secret you read or refresh; when it is error, throw an error that includes attributes.error.",
		Sources:     []string{srcSecretsGuide, srcReleaseSecrets},
		judge:       judgeR25,
	},
}

func init() {
	for i := range catalogue {
		catalogue[i].Doc = anchor(catalogue[i].ID, catalogue[i].Name)
	}
}
