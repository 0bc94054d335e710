package mailer

import (
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// settle is how long, once a burst has ended, its email waits for commits
// still in flight before the outbox is read for it again and it is sent:
// an alert created (by a notifier's clock) within the burst but committed
// just after the outbox was read would otherwise join the burst's email
// only when it is sent again after a crash, which would then carry another
// Message-ID. It is real time, not the injected clock's: commits take real
// time.
const settle = time.Second

// The email for a burst holds the alerts of one route, from the oldest
// (its first) to those created group_wait after it, at most max of them,
// in the outbox's order (Created, then ID). Once the burst has ended and
// settled, no alert can join it: the batch is a function of the outbox
// alone. A mailer that sent it and died before removing its alerts finds
// the same batch when it (or another) starts again, so the email sent
// again carries the same alerts and the same Message-ID, however many
// alerts came in meanwhile.

// nextBatch picks the email due first among alerts (the outbox, oldest
// first): of the route whose burst ends first, once the burst has ended
// (the caller then lets it settle). When none is due yet it returns how
// long to wait.
func nextBatch(alerts []state.Alert, now time.Time, groupWait time.Duration, max int) ([]state.Alert, time.Duration) {
	seen := map[string]bool{}
	var first *state.Alert
	for i, a := range alerts {
		if seen[a.Route] {
			continue
		}
		seen[a.Route] = true
		if first == nil || a.Created.Before(first.Created) {
			first = &alerts[i]
		}
	}
	if first == nil {
		return nil, 0
	}
	if due := first.Created.Add(groupWait); now.Before(due) {
		return nil, due.Sub(now)
	}
	return burst(alerts, first.Route, first.Created.Add(groupWait), max), 0
}

// burst is the email of route that starts with its oldest alert: the
// route's alerts created by end, at most max.
func burst(alerts []state.Alert, route string, end time.Time, max int) []state.Alert {
	var out []state.Alert
	for _, a := range alerts {
		if a.Route == route && !a.Created.After(end) && len(out) < max {
			out = append(out, a)
		}
	}
	return out
}
