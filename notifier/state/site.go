package state

import (
	"fmt"
	"time"
)

// AlertSite is the alert kind of a site whose results stopped (it went
// blind: Failure is Stale) or resumed (Failure is "").
const AlertSite = "site"

// Site is the stored record of one site: whether its results stopped.
// A site gets a record the first time it goes blind; one with no record
// has never been blind.
type Site struct {
	Name string `json:"name"`
	// Blind says that no result of the site was committed for stale_after
	// when the record was written; Since is when it became blind, or
	// stopped being blind (the deciding notifier's clock).
	Blind bool      `json:"blind,omitempty"`
	Since time.Time `json:"since,omitzero"`
	// LastReceived is the newest Device.Received of the site's devices when
	// the record was written (zero when none of them ever reported), and
	// LastWorker the worker of that result.
	LastReceived time.Time `json:"last_received,omitzero"`
	LastWorker   string    `json:"last_worker,omitempty"`
	// Notified says that the NOC was told the site is blind: its alert was
	// queued. It is not while the site is silenced.
	Notified bool `json:"notified,omitempty"`
}

// SiteUpdate is what one decision about a site commits: its new record and
// the alerts to put in the outbox.
type SiteUpdate struct {
	Site   Site
	Alerts []Alert
}

// Seen is what the store tells of a site's results: the newest
// Device.Received among its devices (zero when none ever reported) and the
// worker of that result.
type Seen struct {
	Received time.Time
	Worker   string
}

// SiteRules are what DecideSite judges a site by.
type SiteRules struct {
	// StaleAfter is how long a site may go without a result before it is
	// blind (notify.stale_after); <= 0 turns the check off.
	StaleAfter time.Duration
	// Started is when the deciding notifier started: a site is never blind
	// before StaleAfter has passed since, so a notifier that restarts
	// after a while does not find every site blind at once.
	Started time.Time
	// Silenced says that alerts about the site are held back now.
	Silenced bool
}

// StaleAt is when a result received at received (zero: none) goes stale for
// a notifier started at started: after more than after passed since the
// later of the two.
func StaleAt(received, started time.Time, after time.Duration) time.Time {
	return later(received, started).Add(after)
}

// IsStale reports whether now is past StaleAt; never when after <= 0.
func IsStale(received, started, now time.Time, after time.Duration) bool {
	return after > 0 && now.After(StaleAt(received, started, after))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// DecideSite is the state machine of a site's results, pure like Decide so
// that every Store runs it inside its own transaction. From the stored
// record and what the store tells of the site's results now, it returns
// the next record and its alerts, or ErrNoUpdate:
//
//   - a site that is not blind becomes blind once no result came for
//     StaleAfter (counted from Started at the earliest): one alert, held
//     back while the site is silenced (the record says so: Notified false);
//   - a blind site whose held-back alert may go now (the silence ended)
//     gets it;
//   - a blind site with a result newer than LastReceived is no longer
//     blind: one alert, if the NOC was told it was blind.
func DecideSite(prev Site, name string, seen Seen, rules SiteRules, now time.Time) (SiteUpdate, error) {
	now, seen.Received = now.UTC(), seen.Received.UTC()
	switch {
	case prev.Blind && seen.Received.After(prev.LastReceived):
		next := Site{Name: name, Since: now, LastReceived: seen.Received, LastWorker: seen.Worker}
		u := SiteUpdate{Site: next}
		if prev.Notified {
			u.Alerts = append(u.Alerts, siteAlert(prev, next, time.Time{}, now))
		}
		return u, nil
	case prev.Blind && !prev.Notified && !rules.Silenced:
		next := prev
		next.Notified = true
		return SiteUpdate{Site: next, Alerts: []Alert{siteAlert(prev, next, rules.Started, now)}}, nil
	case !prev.Blind && IsStale(seen.Received, rules.Started, now, rules.StaleAfter):
		next := Site{Name: name, Blind: true, Since: now, LastReceived: seen.Received, LastWorker: seen.Worker,
			Notified: !rules.Silenced}
		u := SiteUpdate{Site: next}
		if next.Notified {
			u.Alerts = append(u.Alerts, siteAlert(prev, next, rules.Started, now))
		}
		return u, nil
	}
	return SiteUpdate{}, ErrNoUpdate
}

// siteAlert is the alert of a site going blind (next.Blind) or seeing
// results again. Its At is now; FailureSince is when the silence began:
// the last result before it, or started (the notifier's start) when the
// site has none; Worker the worker of that result ("" for none), or of the
// one that ended the silence.
func siteAlert(prev, next Site, started, now time.Time) Alert {
	a := Alert{Kind: AlertSite, Created: now, Site: next.Name, At: now}
	if next.Blind {
		a.Failure, a.FailureSince, a.Worker = Stale, next.LastReceived, next.LastWorker
		if a.FailureSince.IsZero() {
			a.FailureSince = started.UTC()
		}
		a.ID = fmt.Sprintf("%s|site|ok>%s|%d", next.Name, Stale, next.LastReceived.UnixNano())
		return a
	}
	a.FailureSince, a.Worker = prev.LastReceived, next.LastWorker
	if a.FailureSince.IsZero() {
		a.FailureSince = prev.Since
	}
	a.ID = fmt.Sprintf("%s|site|%s>ok|%d", next.Name, Stale, next.LastReceived.UnixNano())
	return a
}
