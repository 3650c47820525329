// Package suites holds refreshproof's conformance rules (R01–R18): pure
// functions over harness traces, and the Ginkgo specs that report them.
//
// Judge judges one trace against every rule and returns a Verdict per rule:
// passed (possibly with warnings), failed with findings written for the
// component author (the exchanges involved, why it matters, the fix and a
// link to docs/rules.md), or skipped with the reason (the rule does not
// apply to the component's strategy, or the scenario did not exercise it).
// Rules returns the catalogue; Lookup finds a rule by ID or name.
//
// The same rules run as Ginkgo specs, in the manner of the csi-test sanity
// suite: Register adds them to any Ginkgo suite (one Describe per rule,
// labelled with its ID and name; one It per scenario), Run runs them from a
// go test, and Main runs them from a program's main with a Ginkgo
// SuiteConfig and ReporterConfig (label filter, JUnit and JSON reports),
// which is how `refreshproof check` runs them.
package suites
