package state

import (
	"fmt"
	"maps"
	"time"

	"github.com/linkwatch/linkwatch/proto"
)

// Link states as stored (Link.State, Change.From and To) and shown: the
// short names of proto.LinkStatus. A device that cannot be reached does not
// change its links' states: they are held at their last value.
var (
	Up    = proto.LinkStatus_LINK_STATUS_UP.Short()
	Down  = proto.LinkStatus_LINK_STATUS_DOWN.Short()
	Drop  = proto.LinkStatus_LINK_STATUS_DROP.Short()
	Error = proto.LinkStatus_LINK_STATUS_ERROR.Short()
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
func Decide(prev Device, res *proto.ProbeResult, confirm int, now time.Time) (Update, error) {
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
			return Update{}, ErrNoUpdate
		}
	case !prev.LastResult.IsZero() && !checked.After(prev.LastResult):
		return Update{}, ErrNoUpdate
	}
	if confirm < 1 {
		confirm = 1
	}
	next := prev
	next.Name, next.Site, next.LastResult = res.GetDevice(), res.GetSite(), checked
	if !scheduled.IsZero() {
		next.LastScheduled = scheduled
	}
	next.Links = maps.Clone(prev.Links)
	if next.Links == nil {
		next.Links = map[string]Link{}
	}
	u := Update{}
	if failure := res.GetFailure(); failure != proto.FailureKind_FAILURE_KIND_UNSPECIFIED {
		// Unreachable: links held; one alert for the device once the
		// failure is confirmed like any other change. A kind this build
		// does not know (a newer worker's) is a failure all the same, and
		// its short name ("UNKNOWN_9") is not "", which reads as reached.
		next.FailedInARow++
		if prev.Failure == "" && next.FailedInARow < confirm {
			u.Device = next
			return u, nil
		}
		next.Failure, next.FailureText = failure.Short(), res.GetFailureText()
		if prev.Failure == "" {
			next.FailureSince = checked
			u.Alerts = append(u.Alerts, newDeviceAlert(next, checked, now))
		}
		u.Device = next
		return u, nil
	}
	next.FailedInARow = 0
	if prev.Failure != "" {
		back := newDeviceAlert(next, checked, now)
		back.Failure, back.FailureText, back.FailureSince = "", prev.FailureText, prev.FailureSince
		back.ID = fmt.Sprintf("%s|device|%s>ok|%d", next.Name, prev.Failure, checked.UnixNano())
		u.Alerts = append(u.Alerts, back)
		next.Failure, next.FailureText, next.FailureSince = "", "", time.Time{}
	}
	seen := map[string]bool{}
	for _, lr := range res.GetLinks() {
		key := LinkKey(lr.GetTarget().GetAddress(), lr.GetTarget().GetVrf())
		seen[key] = true
		link, change := step(prev.Links[key], next, lr, confirm)
		next.Links[key] = link
		if change != nil {
			u.Changes = append(u.Changes, *change)
			if change.From != "" || change.To != Up {
				u.Alerts = append(u.Alerts, newLinkAlert(*change, now))
			}
		}
	}
	// A complete probe that no longer has a target means the inventory
	// dropped it: forget the link.
	for key := range next.Links {
		if !seen[key] {
			delete(next.Links, key)
		}
	}
	u.Device = next
	return u, nil
}

// step applies one link result to the link's stored state under the
// confirmation rule and returns the new state and the change, if any.
func step(prev Link, dev Device, lr *proto.LinkResult, confirm int) (Link, *Change) {
	checked := lr.GetCheckedAt().AsTime().UTC()
	if lr.GetCheckedAt() == nil {
		checked = dev.LastResult
	}
	status := lr.GetStatus()
	if !status.Known() {
		// No status, or one this build does not know: not a verdict.
		status = proto.LinkStatus_LINK_STATUS_ERROR
	}
	state := status.Short()
	l := prev
	l.Device, l.Site, l.Target, l.VRF = dev.Name, dev.Site, lr.GetTarget().GetAddress(), lr.GetTarget().GetVrf()
	l.LastChecked, l.Sent, l.Received, l.Error = checked, int(lr.GetSent()), int(lr.GetReceived()), lr.GetError()
	l.LossPercent = 100 - lr.GetSuccessPercent()
	if status == proto.LinkStatus_LINK_STATUS_ERROR {
		l.LossPercent = 0
	}
	l.RTTAvgMs = nil
	if lr.RttAvgMs != nil {
		v := lr.GetRttAvgMs()
		l.RTTAvgMs = &v
	}
	switch {
	case prev.State == "":
		l.State, l.Since, l.Pending, l.PendingCount = state, checked, "", 0
		return l, newChange(l, "", time.Time{}, checked)
	case state == prev.State:
		l.Pending, l.PendingCount = "", 0
		return l, nil
	}
	if l.Pending == state {
		l.PendingCount++
	} else {
		l.Pending, l.PendingCount = state, 1
	}
	if l.PendingCount < confirm {
		return l, nil
	}
	from, fromSince := prev.State, prev.Since
	l.State, l.Since, l.Pending, l.PendingCount = state, checked, "", 0
	return l, newChange(l, from, fromSince, checked)
}

func newChange(l Link, from string, prevSince, at time.Time) *Change {
	return &Change{
		Device: l.Device, Site: l.Site, Target: l.Target, VRF: l.VRF,
		From: from, To: l.State, At: at, PrevSince: prevSince,
		Sent: l.Sent, Received: l.Received, RTTAvgMs: l.RTTAvgMs, Error: l.Error,
	}
}

func newLinkAlert(c Change, now time.Time) Alert {
	return Alert{
		ID:      fmt.Sprintf("%s|%s|%s>%s|%d", c.Device, LinkKey(c.Target, c.VRF), c.From, c.To, c.At.UnixNano()),
		Kind:    AlertLink,
		Created: now.UTC(),
		Change:  &c,
	}
}

func newDeviceAlert(d Device, at, now time.Time) Alert {
	return Alert{
		ID:      fmt.Sprintf("%s|device|ok>%s|%d", d.Name, d.Failure, at.UnixNano()),
		Kind:    AlertDevice,
		Created: now.UTC(),
		Device:  d.Name, Site: d.Site,
		Failure: d.Failure, FailureText: d.FailureText,
		At: at, FailureSince: d.FailureSince,
	}
}
