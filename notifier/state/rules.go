package state

import (
	"fmt"
	"maps"
	"time"
)

// Rules are what decides, besides the results themselves, what the NOC is
// told: how many results confirm a change, when changes come too often to
// be worth an email each, and which alerts a silence holds back.
type Rules struct {
	// Confirm is how many results in a row must show a new state, of a
	// link or of a device's reachability, before it counts (at least 1).
	Confirm int
	Flap    Flap
	// Silenced reports whether alerts about target of device at site are
	// held back now: target is the link's LinkKey, "" the device itself;
	// device "" is the site itself. nil: nothing is silenced.
	Silenced func(site, device, target string) bool
}

// Flap is the flap rule: a link, or a device's reachability, that changes
// more than Changes times within Window is flapping; it is announced once
// as such and then held quiet until it has not changed for Quiet (Window
// when 0), when its state is announced once. Changes 0 turns it off.
type Flap struct {
	Changes int
	Window  time.Duration
	Quiet   time.Duration
}

func (r Rules) withDefaults() Rules {
	r.Confirm = max(r.Confirm, 1)
	if r.Flap.Quiet <= 0 {
		r.Flap.Quiet = r.Flap.Window
	}
	return r
}

func (r Rules) silenced(site, device, target string) bool {
	return r.Silenced != nil && r.Silenced(site, device, target)
}

// count records a confirmed change at at (one that counts: not the first
// sight of a link or a device) and starts flapping when there were too
// many within the window.
func (f Flap) count(s FlapState, at time.Time, counts bool) FlapState {
	if f.Changes <= 0 || !counts {
		return s
	}
	flaps := make([]time.Time, 0, len(s.Flaps)+1)
	for _, t := range s.Flaps {
		if at.Sub(t) < f.Window {
			flaps = append(flaps, t)
		}
	}
	flaps = append(flaps, at)
	if len(flaps) > f.Changes+1 {
		flaps = flaps[len(flaps)-f.Changes-1:]
	}
	s.Flaps = flaps
	if !s.Flapping && len(flaps) > f.Changes {
		s.Flapping, s.FlappingSince = true, at
	}
	return s
}

// settle ends flapping once there has been no change for the quiet period
// by at, the time of a result that confirmed the state.
func (f Flap) settle(s FlapState, at time.Time) FlapState {
	if !s.Flapping || len(s.Flaps) > 0 && at.Sub(s.Flaps[len(s.Flaps)-1]) < f.Quiet {
		return s
	}
	return FlapState{}
}

// reportable is what a link would be announced as: Flapping while it
// flaps, else its state.
func (l Link) reportable() string {
	if l.Flapping {
		return Flapping
	}
	return l.State
}

// reportable is what a device's reachability would be announced as.
func (d Device) reportable() string {
	switch {
	case d.Flapping:
		return Flapping
	case d.Failure != "":
		return Unreachable
	}
	return Reachable
}

// announceLink returns the alert due for l, a link of dev, and records it
// as announced: one is due when its reportable state differs from the one
// last announced, unless a silence holds it back. The first sight of a
// link that is UP is announced silently.
func (r Rules) announceLink(l *Link, key string, now time.Time) (Alert, bool) {
	to := l.reportable()
	switch {
	case to == l.Notified:
		return Alert{}, false
	case l.Notified == "" && to == Up:
		l.Notified, l.NotifiedAt = Up, l.Since
		return Alert{}, false
	case r.silenced(l.Site, l.Device, key):
		return Alert{}, false
	}
	c := Change{
		Device: l.Device, Site: l.Site, Target: l.Target, VRF: l.VRF,
		From: l.Notified, To: to, At: l.LastChecked, PrevSince: l.NotifiedAt,
		Sent: l.Sent, Received: l.Received, RTTAvgMs: l.RTTAvgMs, Error: l.Error,
	}
	a := Alert{
		ID:      fmt.Sprintf("%s|%s|%s>%s|%d", c.Device, key, c.From, c.To, c.At.UnixNano()),
		Kind:    AlertLink,
		Created: now.UTC(),
		Change:  &c,
	}
	if to == Flapping && len(l.Flaps) > 0 {
		a.Flaps, a.FlapsFrom = len(l.Flaps), l.Flaps[0]
	}
	l.Notified, l.NotifiedAt = to, c.At
	return a, true
}

// announceDevice returns the alert due for d's reachability as of the
// result checked at at, and records it as announced, by the same rule as
// announceLink: the first contact that reaches a device is quiet.
func (r Rules) announceDevice(d *Device, at, now time.Time) (Alert, bool) {
	to := d.reportable()
	switch {
	case to == d.Notified:
		return Alert{}, false
	case d.Notified == "" && to == Reachable:
		d.Notified, d.NotifiedAt = Reachable, at
		return Alert{}, false
	case r.silenced(d.Site, d.Name, ""):
		return Alert{}, false
	}
	a := Alert{
		ID:      fmt.Sprintf("%s|device|%s>%s|%d", d.Name, d.Notified, to, at.UnixNano()),
		Kind:    AlertDevice,
		Created: now.UTC(),
		State:   to, From: d.Notified,
		Device: d.Name, Site: d.Site,
		At: at, FailureSince: d.NotifiedAt,
	}
	switch to {
	case Unreachable:
		a.Failure, a.FailureText, a.FailureSince = d.Failure, d.FailureText, d.FailureSince
	case Flapping:
		if len(d.Flaps) > 0 {
			a.Flaps, a.FlapsFrom = len(d.Flaps), d.Flaps[0]
		}
	}
	d.Notified, d.NotifiedAt = to, at
	return a, true
}

// Reconcile reports, once, each link (and the device's reachability) whose
// reportable state differs from the one last announced and is not
// silenced now: what a notifier runs when a silence ends. It returns
// ErrNoUpdate when nothing is to be reported, so running it again, or on
// two notifiers at once, reports nothing more.
func Reconcile(prev Device, rules Rules, now time.Time) (Update, error) {
	rules = rules.withDefaults()
	next := upgrade(prev)
	next.Links = maps.Clone(next.Links)
	var u Update
	for key, l := range next.Links {
		if a, ok := rules.announceLink(&l, key, now); ok {
			u.Alerts = append(u.Alerts, a)
		}
		next.Links[key] = l
	}
	if !next.LastResult.IsZero() {
		if a, ok := rules.announceDevice(&next, next.LastResult, now); ok {
			u.Alerts = append(u.Alerts, a)
		}
	}
	if len(u.Alerts) == 0 {
		return Update{}, ErrNoUpdate
	}
	u.Device = next
	return u, nil
}
