// Package suggest finds, among the names a program knows, the one a
// mistyped name was most likely meant to be: the "did you mean" of an
// unknown configuration key, platform, site or device.
package suggest

import (
	"fmt"
	"strings"
)

// maxLen bounds the names compared: a mistyped key is short, and the
// distance costs the product of the two lengths.
const maxLen = 64

// Closest returns the name of known closest to name, and false when none
// is close enough to be worth suggesting. Case and the difference between
// '-' and '_' do not count; otherwise a name is close when it is a few
// edits away (one per five letters, at least one), or when it is a whole
// '_'-separated part of the known name ("junos" of "juniper_junos", "ios"
// of "cisco_ios"). Of equally close names the first in known wins.
func Closest(name string, known []string) (string, bool) {
	n := normalize(name)
	if n == "" || len(n) > maxLen {
		return "", false
	}
	best, bestDist := "", -1
	for _, k := range known {
		kn := normalize(k)
		if kn == n {
			return k, true
		}
		d := distance(n, kn)
		if d > max(1, len(n)/5) && !part(n, kn) {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	return best, bestDist >= 0
}

// Hint is `; did you mean "NAME"?` for the closest known name, or "": the
// end of a message that says name is unknown.
func Hint(name string, known []string) string {
	if k, ok := Closest(name, known); ok {
		return fmt.Sprintf("; did you mean %q?", k)
	}
	return ""
}

func normalize(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "-", "_")
}

// part reports whether short is one or more whole '_'-separated parts of
// long.
func part(short, long string) bool {
	if len(short) < 3 || len(short) >= len(long) {
		return false
	}
	i := strings.Index("_"+long+"_", "_"+short+"_")
	return i >= 0
}

// distance is the Levenshtein distance of a and b, an adjacent
// transposition counting as one edit (`platfrom` is one from `platform`).
func distance(a, b string) int {
	if len(b) > maxLen {
		return maxLen
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
