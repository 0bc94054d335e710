package state

import (
	"fmt"
	"slices"
	"time"

	"github.com/linkwatch/linkwatch/proto"
)

// maxRecent is how many of the newest results a device keeps as
// observations: a result later than that many newer ones is too late to
// be placed.
const maxRecent = 8

// observation is what res, of the job scheduled at scheduled, showed.
func observation(res *proto.ProbeResult, scheduled, checked time.Time) Observation {
	o := Observation{Scheduled: scheduled, Checked: checked}
	if res.GetFailure() != proto.FailureKind_FAILURE_KIND_UNSPECIFIED {
		return o
	}
	o.Links = make(map[string]string, len(res.GetLinks()))
	for _, lr := range res.GetLinks() {
		o.Links[LinkKey(lr.GetTarget().GetAddress(), lr.GetTarget().GetVrf())] = verdict(lr)
	}
	return o
}

// observe returns recent with o in its place by scheduled time, keeping
// the newest maxRecent.
func observe(recent []Observation, o Observation) []Observation {
	i, _ := slices.BinarySearchFunc(recent, o.Scheduled, func(r Observation, t time.Time) int { return r.Scheduled.Compare(t) })
	out := slices.Insert(slices.Clone(recent), i, o)
	if len(out) > maxRecent {
		out = out[len(out)-maxRecent:]
	}
	return out
}

// late applies a result of a job older than the newest one applied: one
// redelivered after newer results of the device were committed, as when a
// notifier dies in the middle of a commit, or when results wait out a
// store outage and come back in another order. It cannot change the
// device's state, which newer results decided, but it may show what they
// missed: a link that was UP in the results before and after it and DOWN
// in it went down and came back in between — when it was also probed in
// between. Each such excursion is put in
// the history as the two changes it was, and announced (unless silenced or
// flapping) like any change, so no state a probe saw is lost because its
// result came late. A repeat of a job already applied, or a result older
// than the observations kept, changes nothing (ErrNoUpdate). Under a
// confirmation rule above 1 a single result confirms nothing, so it is
// only recorded. Reachability is not reconstructed.
func late(prev Device, res *proto.ProbeResult, scheduled time.Time, rules Rules, now time.Time) (Update, error) {
	i, found := slices.BinarySearchFunc(prev.Recent, scheduled, func(r Observation, t time.Time) int { return r.Scheduled.Compare(t) })
	if found || i == 0 || i == len(prev.Recent) {
		return Update{}, ErrNoUpdate
	}
	rules = rules.withDefaults()
	before, after := prev.Recent[i-1], prev.Recent[i]
	o := observation(res, scheduled, res.GetCheckedAt().AsTime().UTC())
	next := upgrade(prev)
	next.Recent = observe(prev.Recent, o)
	u := Update{Device: next}
	if rules.Confirm > 1 || o.Links == nil || !o.Checked.After(before.Checked) || !o.Checked.Before(after.Checked) {
		// A job probed after its successor was (redelivered from a
		// worker that died) saw a later moment than the result it is
		// placed before: it shows nothing the others missed, and the
		// next job will show what it saw.
		return u, nil
	}
	for _, lr := range res.GetLinks() {
		key := LinkKey(lr.GetTarget().GetAddress(), lr.GetTarget().GetVrf())
		was, saw, then := before.Links[key], o.Links[key], after.Links[key]
		if was == "" || then == "" || was != then || saw == was {
			continue
		}
		l := next.Links[key]
		base := Change{Device: next.Name, Site: next.Site, Target: lr.GetTarget().GetAddress(), VRF: lr.GetTarget().GetVrf(),
			Sent: int(lr.GetSent()), Received: int(lr.GetReceived()), Error: lr.GetError()}
		if lr.RttAvgMs != nil {
			v := lr.GetRttAvgMs()
			base.RTTAvgMs = &v
		}
		away, back := base, base
		away.From, away.To, away.At = was, saw, o.Checked
		back.From, back.To, back.At, back.PrevSince = saw, then, after.Checked, o.Checked
		back.Sent, back.Received, back.RTTAvgMs, back.Error = 0, 0, nil, ""
		u.Changes = append(u.Changes, away, back)
		if l.Flapping || rules.silenced(next.Site, next.Name, key) {
			continue
		}
		for _, c := range []Change{away, back} {
			u.Alerts = append(u.Alerts, Alert{
				ID:      fmt.Sprintf("%s|%s|%s>%s|%d|late", c.Device, key, c.From, c.To, c.At.UnixNano()),
				Kind:    AlertLink,
				Created: now.UTC(),
				Change:  &c,
			})
		}
	}
	return u, nil
}
