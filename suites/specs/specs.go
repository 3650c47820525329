package specs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	"github.com/onsi/gomega/gcustom"
	gomegatypes "github.com/onsi/gomega/types"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/scenarios"
	"github.com/refreshproof/refreshproof/suites"
)

// Config says what Register judges.
type Config struct {
	// Traces are saved or fresh runs to judge, one per scenario.
	Traces []harness.Trace
	// Scenarios and RunScenario make traces lazily: each scenario is run
	// once, when its first spec needs it (specs of other scenarios can be
	// filtered out without running it). Used when Traces is nil.
	Scenarios   []*scenarios.Scenario
	RunScenario func(ctx context.Context, sc *scenarios.Scenario) (harness.Trace, error)
	// Strategy is the component's refresh strategy. Empty means the one
	// each trace records, then on-401.
	Strategy harness.Strategy
	// Skip lists rules (IDs or names) not to judge; their specs are
	// reported as skipped.
	Skip []string
	// Strict makes warnings fail.
	Strict bool
}

func (cfg Config) policy() suites.Policy {
	return suites.Policy{Strategy: cfg.Strategy, Skip: cfg.Skip, Strict: cfg.Strict}
}

// SuiteDescription is the name of the suite Run and Main run.
const SuiteDescription = "refreshproof conformance"

// subject is one scenario to judge: a trace, or the way to make it.
type subject struct {
	name     string // provider/name
	labels   []string
	once     sync.Once
	verdicts map[string]suites.Verdict // by rule ID
	err      error
	make     func() (harness.Trace, error)
}

// verdict runs or takes the subject's trace once and judges it with every
// rule at once, as check does, so that root causes link across rules.
func (s *subject) verdict(p suites.Policy, id string) (suites.Verdict, error) {
	s.once.Do(func() {
		tr, err := s.make()
		if err != nil {
			s.err = err
			return
		}
		s.verdicts = map[string]suites.Verdict{}
		for _, v := range suites.Evaluate(tr, p) {
			s.verdicts[v.Rule] = v
		}
	})
	return s.verdicts[id], s.err
}

func (cfg Config) subjects() []*subject {
	var out []*subject
	if cfg.Traces != nil {
		for _, tr := range cfg.Traces {
			tr := tr
			out = append(out, &subject{name: tr.Scenario.Provider + "/" + tr.Scenario.Name, labels: append([]string{tr.Scenario.Provider}, tr.Scenario.Labels...),
				make: func() (harness.Trace, error) { return tr, nil }})
		}
		return out
	}
	for _, sc := range cfg.Scenarios {
		sc := sc
		run := cfg.RunScenario
		out = append(out, &subject{name: sc.String(), labels: append([]string{sc.Provider}, sc.Labels...), make: func() (harness.Trace, error) {
			if run == nil {
				return harness.Trace{}, fmt.Errorf("specs: Config.RunScenario is nil")
			}
			return run(context.Background(), sc)
		}})
	}
	return out
}

// Register registers the conformance specs with Ginkgo: one Describe per
// rule, labelled with the rule's ID and name ("R05", "entire-update-keys"),
// and in it one It per scenario, labelled with the scenario's provider and
// labels, whose text names the scenario:
//
//	[R05] entire-update-keys: hands the platform the entire token response after each refresh (salesforce/expired-access-token)
//
// Verdicts are made by suites.Evaluate, as `refreshproof check` makes them. A
// failing spec fails with the verdict's message (a consequence of another
// rule's failure says so); a rule the scenario does not exercise, that does
// not apply to the strategy, or that cfg.Skip names is skipped with the
// reason. A warning passes (fails with cfg.Strict) and is added as a report
// entry. Call Register at the top level of a suite (a var _ = or an init)
// or inside a container node, before RunSpecs.
func Register(cfg Config) bool {
	subjects := cfg.subjects()
	for _, r := range suites.Rules() {
		r := r
		ginkgo.Describe(r.Title()+":", ginkgo.Label(r.ID, r.Name), func() {
			for _, s := range subjects {
				s := s
				ginkgo.It(fmt.Sprintf("%s (%s)", r.Spec, s.name), ginkgo.Label(labels(s.labels)...), func() {
					if cfg.policy().Skips(r) {
						ginkgo.Skip(fmt.Sprintf("%s is skipped by configuration", r.ID))
					}
					vd, err := s.verdict(cfg.policy(), r.ID)
					if err != nil {
						ginkgo.Fail(fmt.Sprintf("the scenario %s could not be run: %v", s.name, err))
					}
					for _, w := range vd.Warnings {
						ginkgo.AddReportEntry("warning", w.Summary+"\n"+w.Message)
					}
					if vd.Status == suites.Skipped {
						ginkgo.Skip(vd.Reason)
					}
					gomega.Expect(vd).To(Conform())
				})
			}
		})
	}
	return true
}

// labels drops characters Ginkgo does not allow in labels.
func labels(ls []string) []string {
	var out []string
	for _, l := range ls {
		if l = strings.Trim(strings.Map(func(r rune) rune {
			if strings.ContainsRune("&|!,()/", r) {
				return '-'
			}
			return r
		}, l), " "); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Conform is a Gomega matcher for a suites.Verdict: it succeeds unless the
// verdict failed, and its failure message is the verdict's message.
func Conform() gomegatypes.GomegaMatcher {
	return gcustom.MakeMatcher(func(v suites.Verdict) (bool, error) {
		return v.Status != suites.Failed, nil
	}).WithTemplate("{{.Actual.Message}}")
}

// Run runs the conformance specs from a go test:
//
//	func TestConformance(t *testing.T) {
//		specs.Run(t, specs.Config{Traces: traces})
//	}
//
// Ginkgo runs one suite per process, so Run must be the only RunSpecs of
// its test binary.
func Run(t *testing.T, cfg Config) bool {
	gomega.RegisterFailHandler(ginkgo.Fail)
	Register(cfg)
	return ginkgo.RunSpecs(t, SuiteDescription)
}

// Main runs the conformance specs from a program's main (a conformance
// CLI of your own), without go test, and reports whether every spec
// passed. args are passed to ginkgo.RunSpecs: a types.SuiteConfig (label
// filter, parallelism) and a types.ReporterConfig (JUnit and JSON
// reports, verbosity), as csi-sanity does:
//
//	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
//	suiteConfig.LabelFilter = "R05 || R06"
//	reporterConfig.JUnitReport = "junit.xml"
//	ok := specs.Main(cfg, suiteConfig, reporterConfig)
//
// Like Run, Main can run once per process.
func Main(cfg Config, args ...any) bool {
	gomega.RegisterFailHandler(ginkgo.Fail)
	Register(cfg)
	t := &mainT{}
	return ginkgo.RunSpecs(t, SuiteDescription, args...) && !t.failed
}

// mainT stands in for *testing.T when the specs run from main.
type mainT struct{ failed bool }

func (t *mainT) Fail() { t.failed = true }
