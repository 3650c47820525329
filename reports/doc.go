// Package reports renders the results of a `refreshproof check` run: the
// conformance rules' verdicts per scenario, with the traces they were
// judged on, as JUnit XML, a JSON run record, Markdown and HTML.
//
// The input is a Record: the component, the rule catalogue, one Result
// per rule and scenario (passed, failed, skipped, expected-failure or
// unexpected-pass, with a message for the author and the journal seqs of
// the evidence), one harness.Trace per scenario, and the scenarios that
// could not run. Summarize counts it per rule; ExitCode turns it into the
// gate's exit status (1 when a rule failed, 2 when no rule failed but a
// scenario could not run, else 0; expected failures and unexpected passes
// do not fail the run). Merge joins the records of CI shards.
//
// # JSON run record
//
// Record.WriteJSON writes the record itself, indented; ReadRecord reads
// it back, so that `refreshproof report --from run.json` renders a saved
// run again and merges several. The form is versioned by "version"
// (RecordVersion): a field that changes meaning or goes away raises it,
// new fields do not, and readers ignore fields they do not know. Traces
// in it are redacted (tokens appear as labels like [AT#2]) unless the run
// was told to reveal them. Times are RFC 3339, durations nanoseconds.
//
// # JUnit XML
//
// WriteJUnit writes the Ant JUnit format that Jenkins, GitLab and the
// GitHub JUnit actions read, valid against the Jenkins JUnit schema
// (testdata/junit.xsd). There is one <testsuite> per rule, named
// "[R05] entire-update-keys", and in it one <testcase> per scenario the
// rule was judged on, named "[R05] entire-update-keys (salesforce/rotation)"
// with classname "refreshproof.<provider>.R05-entire-update-keys". Suites
// are per rule, not per scenario, because the rule is the stable unit of
// the gate: Jenkins shows the classname as package and class, GitLab lists
// it as the test's suite, and the GitHub actions group by testsuite, so in
// each a failing rule is one group holding the scenarios it failed on.
//
//   - failed: <failure type="R05" message="first line of the message">
//     with the whole message, the warnings, and the exchanges of the
//     messages involved, one line each, the evidence marked with '>'.
//   - skipped: <skipped message="reason">.
//   - expected-failure: <skipped message="expected failure: reason"> with
//     the failure's text, as test runners report an expected failure.
//   - unexpected-pass: a passing test case whose system-out says that the
//     expectation can be removed from refreshproof.yaml.
//   - warnings of a passing case go to its system-out.
//   - a rule no scenario judged: one skipped case "[R16] … (no scenario)".
//   - scenarios that could not run: a last suite, "scenarios that could
//     not run", with an <error type="scenario-error"> case per scenario.
//
// Every suite carries the properties provider, strategy, component.name,
// component.version, component.function, component.dir, sailor.version,
// tool.version and record.version. A test case's time is its share of the
// scenario's run (the scenario's duration divided among the rules judged
// on it), so that times add up to the time spent running scenarios; the
// <testsuites> time is the run's.
//
// # Markdown
//
// WriteMarkdown writes a CI job summary (GitHub's $GITHUB_STEP_SUMMARY):
// a title with the verdict, the run's facts, a table of the rules with
// their passed, failed and skipped counts, the scenarios that could not
// run, and for each failure its message and a Mermaid sequenceDiagram of
// the exchanges of the messages involved, between Component, Token
// endpoint, API and Platform: "POST /services/oauth2/token (RT#1, rotated)"
// answered by "400 invalid_grant", emitted events as async arrows, the
// evidence on a tinted background, cut to about 30 arrows around the
// evidence. Expected failures, unexpected passes and warnings follow.
//
// # HTML
//
// WriteHTML writes one self-contained page: inline CSS, no script, no
// fonts, images or other files to fetch, so it can be kept as a CI
// artifact and opened anywhere. It shows the verdict and the run's facts,
// the rules table, each failure's message with a timeline of its
// exchanges (seq, time since the scenario started, direction, request,
// status, tokens sent and issued; evidence rows highlighted and marked ▶),
// expected failures and warnings, and a collapsible section per scenario
// with its verdicts and every exchange. Narrow screens (phones) get a
// stacked timeline. All text from the run is HTML-escaped.
package reports
