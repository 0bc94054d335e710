package notifier

import (
	"errors"
	"fmt"
	"time"

	"github.com/linkwatch/linkwatch/proto"
)

// Inventory is what the notifier accepts results for: the configured
// devices and their sites, and the probe interval.
type Inventory struct {
	Interval time.Duration
	// Sites maps each device name to its site.
	Sites map[string]string
}

// errRejected marks a result that is not believed: it is dropped, counted
// and logged, and changes nothing.
var errRejected = errors.New("result rejected")

// admit checks a result that arrived on subject against the inventory: a
// device of the inventory, from its own site, published on that device's
// own subject (the bus lets a site's workers publish only their site's
// subjects), from a scheduled job, and not from the future. A result
// scheduled far ahead would otherwise freeze the device's state: every
// real result after it would look older.
func (n *Notifier) admit(subject string, res *proto.ProbeResult) error {
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
	if res.GetScheduledAt() == nil {
		return fmt.Errorf("%w: result of %s has no scheduled time", errRejected, res.GetDevice())
	}
	limit := n.cfg.Now().Add(inv.Interval)
	for what, ts := range map[string]time.Time{"scheduled": res.GetScheduledAt().AsTime(), "checked": res.GetCheckedAt().AsTime()} {
		if ts.After(limit) {
			return fmt.Errorf("%w: result of %s %s at %s, more than one interval (%s) ahead", errRejected,
				res.GetDevice(), what, ts.UTC().Format(time.RFC3339), inv.Interval)
		}
	}
	return nil
}
