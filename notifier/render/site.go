package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// siteParts words the counts of sites gone blind and seen again in a
// subject that has other parts too.
func siteParts(blind, seeing int) []string {
	var parts []string
	if blind > 0 {
		parts = append(parts, fmt.Sprintf("%d %s without results", blind, plural(blind, "site")))
	}
	if seeing > 0 {
		parts = append(parts, fmt.Sprintf("%d %s reporting again", seeing, plural(seeing, "site")))
	}
	return parts
}

// siteSentence words a site alert on its own: "site dc1: no results for
// 10m (last from worker w1)", or "site dc1: results again (from worker w2)
// after 12m without".
func siteSentence(a state.Alert) string {
	e := siteEntry(a, time.UTC)
	return "site " + a.Site + ": " + e.Change
}

// siteEntry is the entry of a site's results stopping (Failure set) or
// resuming.
func siteEntry(a state.Alert, loc *time.Location) entry {
	e := entry{Site: a.Site, Where: a.Site, Details: []string{"at " + formatTime(a.At, loc)}, at: a.At}
	silence, _ := duration(a.FailureSince, a.At)
	silence = shortDuration(silence)
	if a.Failure != "" {
		e.State = state.Stale
		if a.Worker != "" {
			e.Change = fmt.Sprintf("no results for %s (last from worker %s)", silence, a.Worker)
			e.Details = append(e.Details, "last result received at "+formatTime(a.FailureSince, loc))
		} else {
			e.Change = fmt.Sprintf("no results for %s (none since the notifier started watching the site)", silence)
		}
		e.Details = append(e.Details, "its links are shown STALE until results come again")
		return e
	}
	e.State, e.Change = state.Reachable, "results again"
	if a.Worker != "" {
		e.Change += " (from worker " + a.Worker + ")"
	}
	e.Change += " after " + silence + " without"
	return e
}

// shortDuration drops the zero seconds and minutes of a rounded duration:
// 10m0s is 10m, 1h0m0s is 1h.
func shortDuration(d string) string {
	if strings.HasSuffix(d, "m0s") {
		d = strings.TrimSuffix(d, "0s")
	}
	if strings.HasSuffix(d, "h0m") {
		d = strings.TrimSuffix(d, "0m")
	}
	return d
}
