package reports

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestJUnitGolden(t *testing.T) {
	golden(t, "junit.xml.golden", render(t, func(b *bytes.Buffer) error { return WriteJUnit(b, sampleRecord()) }))
}

func junitOf(t *testing.T, rec Record) []byte {
	t.Helper()
	return render(t, func(b *bytes.Buffer) error { return WriteJUnit(b, rec) })
}

func TestJUnitMatchesSchema(t *testing.T) {
	s, err := loadSchema("testdata/junit.xsd")
	if err != nil {
		t.Fatal(err)
	}
	empty := sampleRecord()
	empty.Results, empty.Traces, empty.Errors = nil, nil, nil
	passing := sampleRecord()
	passing.Results = passing.Results[:3]
	passing.Errors = nil
	for name, rec := range map[string]Record{"sample": sampleRecord(), "no results": empty, "passing": passing, "zero": {}} {
		t.Run(name, func(t *testing.T) {
			doc, err := parseInstance(bytes.NewReader(junitOf(t, rec)))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range s.validate(doc) {
				t.Error(e)
			}
		})
	}
}

// TestSchemaCheckerRejects makes sure the checker is not vacuous: each
// document breaks the schema in one way.
func TestSchemaCheckerRejects(t *testing.T) {
	s, err := loadSchema("testdata/junit.xsd")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"unknown root", `<results/>`, "not a global element"},
		{"testcase without name", `<testsuites><testsuite name="a" tests="1"><testcase classname="c"/></testsuite></testsuites>`, `required attribute "name"`},
		{"suite without tests", `<testsuites><testsuite name="a"/></testsuites>`, `required attribute "tests"`},
		{"undeclared attribute", `<testsuites><testsuite name="a" tests="0" flaky="1"/></testsuites>`, `attribute "flaky" is not declared`},
		{"bad time", `<testsuites time="1.5s"/>`, "does not match pattern"},
		{"too many decimals", `<testsuites><testsuite name="a" tests="0" time="0.12345"/></testsuites>`, "does not match pattern"},
		{"skipped outside testcase", `<testsuites><testsuite name="a" tests="0"><skipped/></testsuite></testsuites>`, "do not match the content model"},
		{"property without value", `<testsuites><testsuite name="a" tests="0"><properties><property name="p"/></properties></testsuite></testsuites>`, `required attribute "value"`},
		{"text in properties", `<testsuites><testsuite name="a" tests="0"><properties>hi</properties></testsuite></testsuites>`, "not mixed"},
		{"element in system-out", `<testsuites><testsuite name="a" tests="0"><system-out><b/></system-out></testsuite></testsuites>`, "has child elements"},
		{"testcase directly in testsuites", `<testsuites><testcase name="x"/></testsuites>`, "do not match the content model"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := parseInstance(strings.NewReader(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			errs := s.validate(doc)
			if !strings.Contains(strings.Join(errs, "\n"), tc.want) {
				t.Errorf("validate(%s) = %q, want an error containing %q", tc.doc, errs, tc.want)
			}
		})
	}
}

func TestJUnitXmllint(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install -y libxml2-utils)")
	}
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(path, junitOf(t, sampleRecord()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit.xsd", path).CombinedOutput()
	if err != nil {
		t.Errorf("xmllint --schema testdata/junit.xsd: %v\n%s", err, out)
	}
}

// The parts of the JUnit document that CI tools and users rely on.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name       string `xml:"name,attr"`
		Tests      int    `xml:"tests,attr"`
		Failures   int    `xml:"failures,attr"`
		Skipped    int    `xml:"skipped,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitContent(t *testing.T) {
	var doc junitDoc
	if err := xml.Unmarshal(junitOf(t, sampleRecord()), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 10 || doc.Failures != 1 || doc.Errors != 1 {
		t.Errorf("testsuites: tests %d, failures %d, errors %d; want 10, 1, 1", doc.Tests, doc.Failures, doc.Errors)
	}
	if len(doc.Suites) != 6 {
		t.Fatalf("%d testsuites, want one per rule and one for the scenarios that could not run", len(doc.Suites))
	}
	props := map[string]string{}
	for _, p := range doc.Suites[0].Properties {
		props[p.Name] = p.Value
	}
	for k, v := range map[string]string{"provider": "salesforce", "strategy": "on-401", "component.name": "sf-query-on401",
		"component.version": "1.0.0", "sailor.version": "2.7.4", "tool.version": "refreshproof v0.1.0"} {
		if props[k] != v {
			t.Errorf("property %s = %q, want %q", k, props[k], v)
		}
	}
	caseName := regexp.MustCompile(`^\[(R\d\d)\] [a-z0-9-]+ \(salesforce/[a-z-]+\)$`)
	found := map[string]bool{}
	for _, s := range doc.Suites[:5] {
		for _, c := range s.Cases {
			m := caseName.FindStringSubmatch(c.Name)
			if m == nil {
				t.Errorf("test case name %q does not read [Rnn] name (scenario)", c.Name)
				continue
			}
			if !strings.HasPrefix(c.Classname, "refreshproof.salesforce."+m[1]+"-") {
				t.Errorf("%s: classname %q", c.Name, c.Classname)
			}
			found[c.Name] = true
			switch c.Name {
			case "[R07] uses-rotated-refresh-token (salesforce/rotation)":
				f := c.Failure
				if f == nil || f.Type != "R07" || f.Message != firstLine(r07Message) {
					t.Fatalf("%s: failure %+v", c.Name, f)
				}
				for _, want := range []string{"keep the newest tokens in memory", "> #6", "POST /services/oauth2/token (RT#1, rotated)", "400 invalid_grant", "> #2", "200 (AT#2, RT#2)", "emit error: Token refresh failed"} {
					if !strings.Contains(f.Text, want) {
						t.Errorf("%s: failure text lacks %q:\n%s", c.Name, want, f.Text)
					}
				}
			case "[R17] refresh-before-expiry (salesforce/rotation)":
				if c.Skipped == nil || !strings.Contains(c.Skipped.Message, "before-expiry") {
					t.Errorf("%s: skipped = %+v", c.Name, c.Skipped)
				}
			case "[R05] entire-update-keys (salesforce/expired-access-token)":
				if c.Skipped == nil || !strings.HasPrefix(c.Skipped.Message, "expected failure: tracked in issue 12") {
					t.Errorf("%s: an expected failure is a skipped test case; got %+v", c.Name, c.Skipped)
				}
			case "[R06] credentials-survive (salesforce/expired-access-token)":
				if c.Skipped != nil || c.Failure != nil || !strings.Contains(c.SystemOut, "remove the expectation") {
					t.Errorf("%s: an unexpected pass is a passing test case that says so; got %+v", c.Name, c)
				}
			case "[R02] refresh-once-on-401 (salesforce/expired-access-token)":
				if !strings.Contains(c.SystemOut, "warning: the replayed request") {
					t.Errorf("%s: warnings belong in system-out; got %q", c.Name, c.SystemOut)
				}
			}
		}
	}
	if len(found) != 9 {
		t.Errorf("%d rule test cases, want 9", len(found))
	}
	last := doc.Suites[5]
	if len(last.Cases) != 1 || last.Cases[0].Error == nil || !strings.Contains(last.Cases[0].Error.Message, "component did not start") {
		t.Errorf("scenario errors suite: %+v", last)
	}
}

func TestJUnitRuleWithoutResults(t *testing.T) {
	rec := sampleRecord()
	rec.Rules = append(rec.Rules, RuleInfo{ID: "R16", Name: "single-refresh-under-concurrency"})
	var doc junitDoc
	if err := xml.Unmarshal(junitOf(t, rec), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[5]
	if s.Name != "[R16] single-refresh-under-concurrency" || len(s.Cases) != 1 || s.Cases[0].Skipped == nil || s.Skipped != 1 {
		t.Errorf("a rule no scenario judged is one skipped test case; got %+v", s)
	}
}
