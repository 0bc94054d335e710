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
	// LastWorker the worker of that result. It never goes back: a decision
	// from an older read of the devices keeps it.
	LastReceived time.Time `json:"last_received,omitzero"`
	LastWorker   string    `json:"last_worker,omitempty"`
	// Notified says that the NOC was told the site is blind and not yet
	// that it sees results again. On a blind record it is false while the
	// site is silenced (its alert held back); on a record that is not
	// blind it is true while the recovery is held back by a silence.
	Notified bool `json:"notified,omitempty"`
	// Episode numbers the times the site went blind (1 the first time):
	// the IDs of an episode's alerts carry it, so that no alert of a later
	// episode has the ID of one already sent.
	Episode int `json:"episode,omitempty"`
	// BlindFrom is, while a recovery is held back (not Blind, Notified),
	// when the results had stopped: the held alert's FailureSince.
	BlindFrom time.Time `json:"blind_from,omitzero"`
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
	// Started is when the deciding notifier began to watch the site: when
	// it started, or later when the site entered its inventory on a
	// reload. A site is never blind before StaleAfter has passed since, so
	// a notifier that restarts after a while does not find every site
	// blind at once, nor one just added.
	Started time.Time
	// Silenced says that alerts about the site are held back now.
	Silenced bool
}

// StaleAt is when a result received at received (zero: none) goes stale for
// a notifier started at started: after more than after passed since the
// later of the two.
func StaleAt(received, started time.Time, after time.Duration) time.Time {
	return Later(received, started).Add(after)
}

// IsStale reports whether now is past StaleAt; never when after <= 0.
func IsStale(received, started, now time.Time, after time.Duration) bool {
	return after > 0 && now.After(StaleAt(received, started, after))
}

// Later returns the later of a and b.
func Later(a, b time.Time) time.Time {
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
//     StaleAfter (counted from Started at the earliest): a new episode,
//     one alert, held back while the site is silenced (the record says
//     so: Notified false);
//   - a blind site whose held-back alert may go now (the silence ended)
//     gets it;
//   - a blind site with a result newer than LastReceived is no longer
//     blind: one alert, if the NOC was told it was blind, held back while
//     the site is silenced (Notified stays true) and sent once it is not.
//
// A site never goes back: seen older than the record (another notifier
// committed a newer result meanwhile) counts as the record's.
func DecideSite(prev Site, name string, seen Seen, rules SiteRules, now time.Time) (SiteUpdate, error) {
	now, seen.Received = now.UTC(), seen.Received.UTC()
	if !seen.Received.After(prev.LastReceived) {
		seen = Seen{Received: prev.LastReceived, Worker: prev.LastWorker}
	}
	switch {
	case prev.Blind && seen.Received.After(prev.LastReceived):
		return siteSeeing(prev, name, seen, rules, now), nil
	case prev.Blind && !prev.Notified && !rules.Silenced:
		next := prev
		next.Notified = true
		return SiteUpdate{Site: next, Alerts: []Alert{blindAlert(next, rules.Started, now)}}, nil
	case !prev.Blind && IsStale(seen.Received, rules.Started, now, rules.StaleAfter):
		// A site whose recovery is held back goes blind again unannounced:
		// the NOC still has it blind.
		next := Site{Name: name, Blind: true, Since: now, LastReceived: seen.Received, LastWorker: seen.Worker,
			Notified: prev.Notified || !rules.Silenced, Episode: prev.Episode + 1}
		u := SiteUpdate{Site: next}
		if !prev.Notified && !rules.Silenced {
			u.Alerts = append(u.Alerts, blindAlert(next, rules.Started, now))
		}
		return u, nil
	case !prev.Blind && prev.Notified && !rules.Silenced:
		// The silence that held the recovery back ended.
		next := prev
		next.Notified, next.BlindFrom = false, time.Time{}
		a := seeingAlert(prev, prev.BlindFrom, now)
		a.At = prev.Since
		return SiteUpdate{Site: next, Alerts: []Alert{a}}, nil
	}
	return SiteUpdate{}, ErrNoUpdate
}

// siteSeeing is the update of blind site prev whose results came again.
func siteSeeing(prev Site, name string, seen Seen, rules SiteRules, now time.Time) SiteUpdate {
	next := Site{Name: name, Since: now, LastReceived: seen.Received, LastWorker: seen.Worker, Episode: prev.Episode}
	from := blindFrom(prev)
	u := SiteUpdate{Site: next}
	switch {
	case prev.Notified && rules.Silenced:
		u.Site.Notified, u.Site.BlindFrom = true, from
	case prev.Notified:
		u.Alerts = append(u.Alerts, seeingAlert(next, from, now))
	}
	return u
}

// blindAlert is the alert of site next going blind. Its At is now;
// FailureSince is when the silence began: the last result before it, or
// started (when the notifier began to watch the site) when there is
// none; Worker the worker of that result ("" for none).
func blindAlert(next Site, started, now time.Time) Alert {
	a := Alert{Kind: AlertSite, Created: now, Site: next.Name, At: now, Failure: Stale,
		FailureSince: next.LastReceived, Worker: next.LastWorker,
		ID: siteAlertID(next.Name, "ok>"+Stale, next.Episode, blindFrom(next))}
	if a.FailureSince.IsZero() {
		a.FailureSince = started.UTC()
	}
	return a
}

// seeingAlert is the alert of site next seeing results again, at now,
// after none since from; Worker is the worker of the result that ended
// the silence.
func seeingAlert(next Site, from, now time.Time) Alert {
	return Alert{Kind: AlertSite, Created: now, Site: next.Name, At: now, FailureSince: from,
		Worker: next.LastWorker, ID: siteAlertID(next.Name, Stale+">ok", next.Episode, from)}
}

// blindFrom is when blind site s stopped seeing results: its last result,
// or when it went blind if it never had one.
func blindFrom(s Site) time.Time {
	if s.LastReceived.IsZero() {
		return s.Since
	}
	return s.LastReceived
}

// siteAlertID is the ID of a site's alert: deterministic for an episode
// (every notifier deciding it from the same record gives the same), and
// apart for every episode, by its number and when its results stopped
// (which also keeps them apart in a store started afresh).
func siteAlertID(site, change string, episode int, from time.Time) string {
	return fmt.Sprintf("%s|site|%s|%d|%d", site, change, episode, from.UnixNano())
}
