package state

import (
	"maps"
	"time"

	"github.com/linkwatch/linkwatch/proto"
)

// LinkKey is the key of a link within its device: the target address,
// qualified by VRF when it has one (the same address may live in two VRFs).
func LinkKey(address, vrf string) string {
	if vrf == "" {
		return address
	}
	return address + "%" + vrf
}

// Decide is the notifier's state machine for one result, pure so that
// every store runs exactly the same logic inside its own transaction. It
// returns ErrNoUpdate for a result no newer than the last one applied, so
// a redelivered or reordered result never rolls state back, and a job
// probed twice counts once towards the confirmation rule. Newer means a
// later job (the scheduler's time, immune to clock skew between workers and
// to interval changes) when both results come from scheduled jobs, else a
// later check time.
//
// Every confirmed change goes to the history. What the NOC is told follows
// rules: a change is announced when the reportable state (Flapping while
// the flap rule says so, else the state) differs from the one last
// announced and rules.Silenced does not hold it back. now is only the
// Created time of the alerts and the Received time of the device.
func Decide(prev Device, res *proto.ProbeResult, rules Rules, now time.Time) (Update, error) {
	checked := res.GetCheckedAt().AsTime().UTC()
	var scheduled time.Time
	if res.GetScheduledAt() != nil {
		scheduled = res.GetScheduledAt().AsTime().UTC()
	}
	switch {
	case !scheduled.IsZero():
		// The first scheduled result after state written without one
		// (check --notify) is taken as newer.
		if !prev.LastScheduled.IsZero() && !scheduled.After(prev.LastScheduled) {
			return late(prev, res, scheduled, rules, now)
		}
	case !prev.LastResult.IsZero() && !checked.After(prev.LastResult):
		return Update{}, ErrNoUpdate
	}
	rules = rules.withDefaults()
	prev = upgrade(prev)
	next := prev
	next.Name, next.Site, next.LastResult = res.GetDevice(), res.GetSite(), checked
	next.Worker, next.Received = res.GetWorker(), now.UTC()
	if !scheduled.IsZero() {
		next.LastScheduled = scheduled
	}
	next.Links = maps.Clone(prev.Links)
	if next.Links == nil {
		next.Links = map[string]Link{}
	}
	u := Update{}
	if failure := res.GetFailure(); failure != proto.FailureKind_FAILURE_KIND_UNSPECIFIED {
		// A kind this build does not know (a newer worker's) is a failure
		// all the same, and its short name ("UNKNOWN_9") is not "", which
		// reads as reached.
		unreachable(&next, &u, failure.Short(), res.GetFailureText(), checked, rules)
	} else {
		reached(&next, &u, res.GetLinks(), checked, rules, now)
	}
	if failed := res.GetFailure() != proto.FailureKind_FAILURE_KIND_UNSPECIFIED; failed == (next.Failure != "") {
		// The result agrees with the device's reachability: one more
		// quiet result.
		next.FlapState = rules.Flap.settle(next.FlapState, checked)
	}
	if a, ok := rules.announceDevice(&next, checked, now); ok {
		u.Alerts = append(u.Alerts, a)
	}
	if !scheduled.IsZero() {
		next.Recent = observe(next.Recent, observation(res, scheduled, checked))
	}
	u.Device = next
	return u, nil
}

// unreachable applies a result that could not reach the device: its
// links are held; the failure counts once confirmed like any other change.
func unreachable(next *Device, u *Update, failure, text string, checked time.Time, rules Rules) {
	next.ReachedInARow = 0
	next.FailedInARow++
	if next.Failure != "" {
		next.Failure, next.FailureText = failure, text
		return
	}
	if next.FailedInARow < rules.Confirm {
		return
	}
	from := Reachable
	if len(next.Links) == 0 {
		from = "" // never reached
	}
	next.Failure, next.FailureText, next.FailureSince = failure, text, checked
	u.Changes = append(u.Changes, Change{Device: next.Name, Site: next.Site, From: from, To: Unreachable,
		At: checked, PrevSince: next.NotifiedAt, Failure: failure, Error: text})
	next.FlapState = rules.Flap.count(next.FlapState, checked, from != "")
}

// reached applies a result that reached the device: each link steps under
// the confirmation rule, and a recorded failure ends once the device was
// reached rules.Confirm times in a row.
func reached(next *Device, u *Update, links []*proto.LinkResult, checked time.Time, rules Rules, now time.Time) {
	next.FailedInARow = 0
	if next.Failure != "" {
		if next.ReachedInARow++; next.ReachedInARow >= rules.Confirm {
			u.Changes = append(u.Changes, Change{Device: next.Name, Site: next.Site, From: Unreachable, To: Reachable,
				At: checked, PrevSince: next.FailureSince, Failure: next.Failure, Error: next.FailureText})
			next.Failure, next.FailureText, next.FailureSince, next.ReachedInARow = "", "", time.Time{}, 0
			next.FlapState = rules.Flap.count(next.FlapState, checked, true)
		}
	}
	seen := map[string]bool{}
	for _, lr := range links {
		key := LinkKey(lr.GetTarget().GetAddress(), lr.GetTarget().GetVrf())
		seen[key] = true
		link, change := step(next.Links[key], *next, lr, rules)
		if change != nil {
			u.Changes = append(u.Changes, *change)
		}
		if a, ok := rules.announceLink(&link, key, now); ok {
			u.Alerts = append(u.Alerts, a)
		}
		next.Links[key] = link
	}
	// A complete probe that no longer has a target means the inventory
	// dropped it: forget the link.
	for key := range next.Links {
		if !seen[key] {
			delete(next.Links, key)
		}
	}
}

// step applies one link result to the link's stored state under the
// confirmation and flap rules and returns the new state and the change for
// the history, if any.
func step(prev Link, dev Device, lr *proto.LinkResult, rules Rules) (Link, *Change) {
	checked := lr.GetCheckedAt().AsTime().UTC()
	if lr.GetCheckedAt() == nil {
		checked = dev.LastResult
	}
	state := verdict(lr)
	l := prev
	l.Device, l.Site, l.Target, l.VRF = dev.Name, dev.Site, lr.GetTarget().GetAddress(), lr.GetTarget().GetVrf()
	l.LastChecked, l.Sent, l.Received, l.Error = checked, int(lr.GetSent()), int(lr.GetReceived()), lr.GetError()
	l.LossPercent = 100 - lr.GetSuccessPercent()
	if state == Error {
		l.LossPercent = 0
	}
	l.RTTMinMs, l.RTTAvgMs, l.RTTMaxMs = optional(lr.RttMinMs), optional(lr.RttAvgMs), optional(lr.RttMaxMs)
	switch {
	case prev.State == "":
		l.State, l.Since, l.Pending, l.PendingCount = state, checked, "", 0
		return l, newChange(l, "", time.Time{}, checked)
	case state == prev.State:
		l.Pending, l.PendingCount = "", 0
		l.FlapState = rules.Flap.settle(l.FlapState, checked)
		return l, nil
	}
	if l.Pending == state {
		l.PendingCount++
	} else {
		l.Pending, l.PendingCount = state, 1
	}
	if l.PendingCount < rules.Confirm {
		return l, nil
	}
	from, fromSince := prev.State, prev.Since
	l.State, l.Since, l.Pending, l.PendingCount = state, checked, "", 0
	l.FlapState = rules.Flap.count(l.FlapState, checked, true)
	return l, newChange(l, from, fromSince, checked)
}

// optional returns a copy of the value v points to, in a pointer of its
// own (nil for nil): an optional value of a result, or of a clone.
func optional(v *float64) *float64 {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}

// verdict is the state a link result shows: its status, or ERROR for no
// status or one this build does not know, which is not a verdict.
func verdict(lr *proto.LinkResult) string {
	status := lr.GetStatus()
	if !status.Known() {
		status = proto.LinkStatus_LINK_STATUS_ERROR
	}
	return status.Short()
}

func newChange(l Link, from string, prevSince, at time.Time) *Change {
	return &Change{
		Device: l.Device, Site: l.Site, Target: l.Target, VRF: l.VRF,
		From: from, To: l.State, At: at, PrevSince: prevSince,
		Sent: l.Sent, Received: l.Received, RTTAvgMs: l.RTTAvgMs, Error: l.Error,
	}
}

// upgrade fills in what a record stored before announcements were tracked
// lacks: what was announced is then taken to be its state, as the alerts
// of the time said.
func upgrade(d Device) Device {
	if d.Notified == "" && !d.LastResult.IsZero() {
		d.Notified, d.NotifiedAt = Reachable, d.LastResult
		if d.Failure != "" {
			d.Notified, d.NotifiedAt = Unreachable, d.FailureSince
		}
	}
	if len(d.Links) == 0 {
		return d
	}
	links := make(map[string]Link, len(d.Links))
	for k, l := range d.Links {
		if l.Notified == "" && l.State != "" {
			l.Notified, l.NotifiedAt = l.State, l.Since
		}
		links[k] = l
	}
	d.Links = links
	return d
}
