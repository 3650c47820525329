package mockprovider

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses a duration as time.ParseDuration does, and also
// accepts a leading number of days, as token lifetimes are usually given:
// "90d", "1d12h", "36h", "1h30m", "0s". Negative durations are refused.
// Scenario files, the admin API and refreshproof.yaml all read durations
// with it.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, errors.New("empty duration")
	}
	if strings.HasPrefix(in, "-") {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	in = strings.TrimPrefix(in, "+")
	var days time.Duration
	if i := strings.IndexByte(in, 'd'); i >= 0 {
		n, err := strconv.ParseUint(in[:i], 10, 64)
		if f, ferr := strconv.ParseFloat(in[:i], 64); err != nil && ferr == nil && in[i+1:] == "" && f >= 0 && f <= 100*365 {
			return time.Duration(f * float64(24*time.Hour)), nil // "0.5d"
		}
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q (want a Go duration such as 2h or 90m, optionally after days such as 90d or 1d12h)", s)
		}
		if n > uint64(math.MaxInt64/int64(24*time.Hour)) {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		in = in[i+1:]
		if in == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(in)
	if err != nil {
		if _, nerr := strconv.ParseFloat(in, 64); nerr == nil && days == 0 {
			return 0, fmt.Errorf("duration %q has no unit (write %ss, %sm or %sh)", s, in, in, in)
		}
		if strings.Contains(err.Error(), "invalid") && strings.Contains(err.Error(), "overflow") {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		return 0, fmt.Errorf("invalid duration %q (want a Go duration such as 2h or 90m, optionally after days such as 90d or 1d12h)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	if days > math.MaxInt64-d {
		return 0, fmt.Errorf("duration %q is too long", s)
	}
	return days + d, nil
}
