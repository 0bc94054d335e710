package notifier

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
)

// staleAfter is how long a site or device of inv may go without a result
// before it is stale: inv.StaleAfter, or two intervals when it is not set.
func (inv *Inventory) staleAfter() time.Duration {
	if inv.StaleAfter > 0 {
		return inv.StaleAfter
	}
	return 2 * inv.Interval
}

// sites returns the inventory's sites, sorted.
func (inv *Inventory) sites() []string {
	var sites []string
	for _, s := range inv.Sites {
		if !slices.Contains(sites, s) {
			sites = append(sites, s)
		}
	}
	slices.Sort(sites)
	return sites
}

// watchSites runs CheckSites every fraction of stale_after (or every
// Config.SiteCheck) until ctx ends.
func (n *Notifier) watchSites(ctx context.Context) {
	for {
		every := n.cfg.SiteCheck
		if every <= 0 {
			every = min(max(n.cfg.Inventory().staleAfter()/4, 100*time.Millisecond), time.Minute)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
		if err := n.CheckSites(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("check sites for results; will retry", "err", err)
		}
	}
}

// CheckSites decides, for every site of the inventory, from the results
// the store holds, whether it went blind (no result for stale_after) or
// sees results again, and commits each decision with its alert
// (state.DecideSite in Store.CommitSite), routed like every alert
// (route.Table.Fan), so that of several notifiers sharing the store one
// alerts, once, and wakes the leader's mailer.
func (n *Notifier) CheckSites(ctx context.Context) error {
	inv := n.cfg.Inventory()
	devs, err := n.store.Devices(ctx)
	if err != nil {
		return fmt.Errorf("read devices: %w", err)
	}
	seen := map[string]state.Seen{}
	for _, d := range devs {
		site, ok := inv.Sites[d.Name]
		if !ok || site != d.Site {
			continue
		}
		if d.Received.After(seen[site].Received) {
			seen[site] = state.Seen{Received: d.Received, Worker: d.Worker}
		}
	}
	var alerts []state.Alert
	routes := n.cfg.Routes()
	silenced := n.silenced(n.cfg.Now())
	for _, site := range inv.sites() {
		rules := state.SiteRules{StaleAfter: inv.staleAfter(), Started: n.started,
			Silenced: silenced != nil && silenced(site, "", "")}
		var last state.SiteUpdate
		err := n.store.CommitSite(ctx, site, func(prev state.Site) (state.SiteUpdate, error) {
			u, err := state.DecideSite(prev, site, seen[site], rules, n.cfg.Now())
			last = u // the store may call decide again after a conflict
			u.Alerts = routes.Fan(u.Alerts)
			return u, err
		})
		if err != nil {
			return fmt.Errorf("commit site %s: %w", site, err)
		}
		n.logSite(last, seen[site])
		alerts = append(alerts, last.Alerts...)
	}
	if len(alerts) > 0 {
		n.Wake()
	}
	return nil
}

// logSite logs a site's new record, if CheckSites wrote one.
func (n *Notifier) logSite(u state.SiteUpdate, seen state.Seen) {
	switch {
	case u.Site.Name == "":
	case u.Site.Blind:
		n.cfg.Metrics.sites.WithLabelValues("blind").Inc()
		n.log.Warn("site without results", "site", u.Site.Name, "last_received", seen.Received,
			"last_worker", seen.Worker, "alerted", len(u.Alerts) > 0)
	default:
		n.cfg.Metrics.sites.WithLabelValues("seeing").Inc()
		n.log.Info("site has results again", "site", u.Site.Name, "worker", seen.Worker, "alerted", len(u.Alerts) > 0)
	}
}

// fleet is what the API tells beside the store: the inventory's devices,
// stale_after, the notifier's start and its clock.
func (n *Notifier) fleet() api.Fleet {
	inv := n.cfg.Inventory()
	return api.Fleet{Sites: inv.Sites, StaleAfter: inv.staleAfter(), Started: n.started, Now: n.cfg.Now().UTC()}
}
