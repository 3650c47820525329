package scenarios

import (
	"strconv"
	"strings"
	"time"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// ParseDuration parses a duration as scenario files write them: a Go
// duration, optionally after a number of days ("90d", "1d12h", "36h",
// "0s"); negative durations are refused. It is mockprovider.ParseDuration,
// the one parser every input of refreshproof uses.
func ParseDuration(s string) (time.Duration, error) { return mockprovider.ParseDuration(s) }

// formatDuration writes d the way ParseDuration reads it, shortest:
// "90d", "1d12h", "10m".
func formatDuration(d time.Duration) string {
	day := 24 * time.Hour
	var days string
	if d >= day {
		days = strconv.FormatInt(int64(d/day), 10) + "d"
		if d %= day; d == 0 {
			return days
		}
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return days + s
}
