// Package suites holds refreshproof's conformance rules (R01–R25): pure
// functions over harness traces.
//
// Judge judges one trace against every rule and returns a Verdict per rule:
// passed (possibly with warnings), failed with findings written for the
// component author (the exchanges involved, why it matters, the fix and a
// link to docs/rules.md), or skipped with the reason (the rule does not
// apply to the component's strategy, or the scenario did not exercise it).
// Rules returns the catalogue; Lookup finds a rule by ID or name.
//
// The same rules run as Ginkgo specs through package suites/specs, which
// is separate so that the CLI, which judges with Evaluate, does not link a
// test framework.
package suites
