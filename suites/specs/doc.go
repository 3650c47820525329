// Package specs runs refreshproof's conformance rules as Ginkgo specs, in
// the manner of the csi-test sanity suite: Register adds them to any Ginkgo
// suite (one Describe per rule, labelled with its ID and name; one It per
// scenario), Run runs them from a go test, and Main runs them from a
// program's main with a Ginkgo SuiteConfig and ReporterConfig (label
// filter, JUnit and JSON reports). Conform is the Gomega matcher they use.
//
// It is a package of its own so that the refreshproof CLI does not link a
// test framework: the CLI judges with suites.Evaluate and never runs Ginkgo,
// and keeping Ginkgo and Gomega (and what they pull in) out of it makes the
// binary the npm package ships about 4 MB smaller and its start-up and idle
// memory lower. Import this package to run the rules as Ginkgo specs; the
// verdicts are suites.Evaluate's, the same as `refreshproof check` gives.
package specs
