package notifier

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto"
)

// Inventory is what the notifier accepts results for: the configured
// devices, their sites and links, and the probe interval.
type Inventory struct {
	Interval time.Duration
	// Sites maps each device name to its site.
	Sites map[string]string
	// Links holds, per device, the LinkKey of each of its targets.
	Links map[string]map[string]bool
	// StaleAfter is how long a site or a device may go without a result
	// before it is stale (notify.stale_after); 0 is two intervals.
	StaleAfter time.Duration
}

// errRejected marks a result that is not believed: it is dropped, counted
// and logged, and changes nothing.
var errRejected = errors.New("result rejected")

// admit checks a result that arrived on subject with headers against the
// inventory: published by a worker (not copied in from another stream by
// a republish or a source), for a device of the inventory, from its own
// site, on that device's own subject (the bus lets a site's workers
// publish only their site's subjects), from a scheduled job, and not from
// the future. A result scheduled far ahead would otherwise freeze the
// device's state: every real result after it would look older.
func (n *Notifier) admit(subject string, headers nats.Header, res *proto.ProbeResult) error {
	for _, h := range []string{jetstream.StreamHeader, "Nats-Stream-Source"} {
		if v := headers.Get(h); v != "" {
			return fmt.Errorf("%w: copied from stream %q (%s), not published by a worker", errRejected, v, h)
		}
	}
	if err := proto.ValidName(res.GetDevice()); err != nil {
		return fmt.Errorf("%w: device name: %w", errRejected, err)
	}
	inv := n.cfg.Inventory()
	site, ok := inv.Sites[res.GetDevice()]
	switch {
	case !ok:
		return fmt.Errorf("%w: device %q is not in the inventory", errRejected, res.GetDevice())
	case res.GetSite() != site:
		return fmt.Errorf("%w: device %q belongs to site %q, the result says %q", errRejected, res.GetDevice(), site, res.GetSite())
	}
	if want, _ := proto.ResultSubject(site, res.GetDevice()); subject != want {
		return fmt.Errorf("%w: result of %s arrived on %s, not %s", errRejected, res.GetDevice(), subject, want)
	}
	if err := inv.checkLinks(res); err != nil {
		return err
	}
	if res.GetScheduledAt() == nil {
		return fmt.Errorf("%w: result of %s has no scheduled time", errRejected, res.GetDevice())
	}
	limit := n.cfg.Now().Add(inv.Interval)
	for _, t := range []struct {
		what string
		at   time.Time
	}{{"scheduled", res.GetScheduledAt().AsTime()}, {"checked", res.GetCheckedAt().AsTime()}} {
		if t.at.After(limit) {
			return fmt.Errorf("%w: result of %s %s at %s, more than one interval (%s) ahead", errRejected,
				res.GetDevice(), t.what, t.at.UTC().Format(time.RFC3339), inv.Interval)
		}
	}
	return nil
}

// checkLinks accepts only links the device has, and a result of a reached
// device only with links: an empty one would forget every link's state.
func (inv *Inventory) checkLinks(res *proto.ProbeResult) error {
	if len(res.GetLinks()) == 0 && res.GetFailure() == proto.FailureKind_FAILURE_KIND_UNSPECIFIED {
		return fmt.Errorf("%w: result of %s reached the device but has no link", errRejected, res.GetDevice())
	}
	for _, l := range res.GetLinks() {
		t := l.GetTarget()
		if !inv.Links[res.GetDevice()][state.LinkKey(t.GetAddress(), t.GetVrf())] {
			return fmt.Errorf("%w: %s has no link to %q (vrf %q)", errRejected, res.GetDevice(), t.GetAddress(), t.GetVrf())
		}
	}
	return nil
}
