package mockprovider

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseDuration checks ParseDuration on arbitrary text: an error
// returns zero, a result is never negative, a result prints (in Go's
// form) to text that parses back to it, and text time.ParseDuration
// reads as a non-negative duration means the same here. Seeds are the
// forms scenario files, the admin API and refreshproof.yaml use.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90d", "1d12h", "36h", "1h30m", "0s", "0.5d", " 2h ", "+5m", "-1s", "-0s", "30", "1d-1h", "1d+1h",
		"106751d", "106752d", "9223372036854775807ns", "2562047h47m16.854775807s", "2562047h47m16.854775808s", "1e3d", "NaNd", "Infd", "d", "1dd", "1.5.5d", "1d1d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		want, goErr := time.ParseDuration(s)
		goReads := goErr == nil && want >= 0 && !strings.HasPrefix(s, "-")
		if err != nil {
			if d != 0 {
				t.Fatalf("ParseDuration(%q) = %v with error %v", s, d, err)
			}
			if goReads {
				t.Fatalf("ParseDuration(%q) refused (%v), time.ParseDuration reads %v", s, err, want)
			}
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		if back, err := ParseDuration(d.String()); err != nil || back != d {
			t.Fatalf("ParseDuration(%q) = %v, which prints as %q and parses back to %v, %v", s, d, d.String(), back, err)
		}
		if goReads && want != d {
			t.Fatalf("ParseDuration(%q) = %v, time.ParseDuration says %v", s, d, want)
		}
	})
}
