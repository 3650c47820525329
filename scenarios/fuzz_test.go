package scenarios

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, and that what it accepts
// builds. Seeds are the catalogue and the test files.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"catalogue/*/*.yaml", "testdata/*/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("name: x\nprovider: salesforce\nsteps: [{message: {body: {a: &a [1, *a]}}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			if s != nil {
				t.Fatal("a scenario and an error")
			}
			return
		}
		if _, _, err := s.Build(); err != nil {
			t.Fatalf("Parse accepted a scenario Build refuses: %v", err)
		}
		if len(s.Steps) == 0 {
			t.Fatal("no steps")
		}
		for _, st := range s.Steps {
			n := 0
			if st.Message != nil {
				n++
			}
			if st.Advance != 0 {
				n++
			}
			if st.Restart {
				n++
			}
			if st.Revoke != "" {
				n++
			}
			if n != 1 {
				t.Fatalf("step with %d actions: %+v", n, st)
			}
		}
	})
}

func FuzzLabelFilter(f *testing.F) {
	for _, s := range []string{"a", "a && !b || (c)", "((a)", "!!!x || y && z"} {
		f.Add(s)
	}
	list := []*Scenario{{Name: "x", Provider: "salesforce", Labels: []string{"a", "b"}}}
	f.Fuzz(func(t *testing.T, filter string) {
		_, _ = Select(list, nil, filter)
	})
}
