package main

import (
	"strconv"
	"strings"
	"time"
)

// parseDuration reads a duration the commands take (history --since,
// silence add --for): time.ParseDuration's, with a leading number of
// days ("7d", "1d12h"). Its bounds, the sign included, are the caller's.
func parseDuration(s string) (time.Duration, bool) {
	var days time.Duration
	if n, rest, ok := strings.Cut(s, "d"); ok {
		v, err := strconv.ParseUint(n, 10, 16)
		if err != nil {
			return 0, false
		}
		days, s = time.Duration(v)*24*time.Hour, rest
		if s == "" {
			return days, true
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || (days > 0 && d < 0) {
		return 0, false
	}
	return days + d, true
}
