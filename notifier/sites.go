package notifier

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto/backoff"
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
// Config.SiteCheck), and at once when a silence ended, until ctx ends.
// While the checks fail (the store unreachable) it says so once, again
// only when the error changes, and once when they work again.
func (n *Notifier) watchSites(ctx context.Context) {
	wait := &backoff.Waiter{What: "the store to check sites for results", Log: n.log}
	var last string // the error of the last failed check, while they fail
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(n.siteCheckEvery()):
		case <-n.checkSites:
		}
		err := n.CheckSites(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			wait.Retry(err) // warns of the first
			if last != "" && last != err.Error() {
				n.log.Warn("check sites for results: another error", "err", err)
			} else {
				n.log.Debug("check sites for results", "err", err)
			}
			last = err.Error()
		default:
			wait.Done()
			last = ""
		}
	}
}

// siteCheckEvery is how often watchSites checks: Config.SiteCheck, or a
// quarter of stale_after between 100ms and a minute.
func (n *Notifier) siteCheckEvery() time.Duration {
	if n.cfg.SiteCheck > 0 {
		return n.cfg.SiteCheck
	}
	return min(max(n.cfg.Inventory().staleAfter()/4, 100*time.Millisecond), time.Minute)
}

// pokeSites makes watchSites check now: a silence ended, and what it held
// back may go.
func (n *Notifier) pokeSites() {
	select {
	case n.checkSites <- struct{}{}:
	default:
	}
}

// CheckSites decides, for every site of the inventory, from the results
// the store holds, whether it went blind (no result for stale_after, since
// this notifier began to watch the site at the earliest) or sees results
// again, and commits each decision with its alert (state.DecideSite in
// Store.CommitSite), routed like every alert (route.Table.Fan), so that of
// several notifiers sharing the store one alerts, once, and wakes the
// leader's mailer. Like a result's commit it decides nothing until the
// silences have been read once: an empty cache would email a silenced
// site.
func (n *Notifier) CheckSites(ctx context.Context) error {
	if err := n.ensureSilences(ctx); err != nil {
		return err
	}
	inv := n.cfg.Inventory()
	watched := n.watched.see(inv, n.cfg.Now()).sites
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
		rules := state.SiteRules{StaleAfter: inv.staleAfter(), Started: watched[site],
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
// stale_after, the notifier's start, since when it watches each device,
// and its clock.
func (n *Notifier) fleet() api.Fleet {
	inv, now := n.cfg.Inventory(), n.cfg.Now().UTC()
	watched := n.watched.see(inv, now)
	return api.Fleet{Sites: inv.Sites, Names: watched.names, StaleAfter: inv.staleAfter(), Started: n.started,
		Watched: watched.devices, Now: now}
}
