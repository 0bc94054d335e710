package notifier

import (
	"context"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// watchSilences keeps the cache of silences fresh and, when a silence or
// an occurrence of a maintenance window ends, reconciles the devices it
// covered: each link whose state differs from the one last emailed is
// reported once (state.Reconcile, idempotent inside Commit, so notifiers
// doing it at once report it once), and has the site checker look at once
// for the sites' alerts it held back (state.DecideSite, idempotent inside
// CommitSite likewise). At start it reconciles every device: silences may
// have ended while no notifier ran.
func (n *Notifier) watchSilences(ctx context.Context) {
	last := n.cfg.Now()
	done := map[string]bool{} // ended silences reconciled, by id
	started := false          // every device reconciled once
	var lastErr string
	for {
		if !started && n.silences.isLoaded() {
			// Silences that ended before the notifier started are
			// covered by reconciling every device.
			for _, s := range n.silences.get() {
				if !s.End.After(last) {
					done[s.ID] = true
				}
			}
			started = n.reconcile(ctx, func(string, string) bool { return true })
		}
		// On the notifier's clock: a test's clock set apart from the real one
		// must not make this loop spin.
		timer := time.NewTimer(n.nextSilenceChange(last).Sub(n.cfg.Now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-n.silences.wake:
			timer.Stop()
		}
		now := n.cfg.Now()
		if err := n.loadSilences(ctx); err != nil {
			if err.Error() != lastErr {
				n.log.Warn("read silences; keeping the last ones read", "err", err)
			}
			lastErr = err.Error()
		} else {
			lastErr = ""
		}
		ended := n.endedSilences(done, last, now)
		if len(ended) > 0 {
			n.pokeSites() // a site's held alert may go now
			n.reconcile(ctx, func(site, device string) bool {
				for _, s := range ended {
					if s.Covers(site, device) {
						return true
					}
				}
				return false
			})
		}
		n.pruneSilences(ctx, now)
		last = now
	}
}

// endedSilences returns the silences that ended by now and were not
// reconciled yet, marking them in done, and the occurrences of windows
// that ended in (last, now].
func (n *Notifier) endedSilences(done map[string]bool, last, now time.Time) state.Silences {
	var ended state.Silences
	stored := map[string]bool{}
	for _, s := range n.silences.get() {
		stored[s.ID] = true
		if s.End.After(now) || done[s.ID] {
			continue
		}
		done[s.ID] = true
		if s.End.After(s.Start) { // one expired before it began silenced nothing
			ended = append(ended, s)
		}
	}
	for id := range done {
		if !stored[id] {
			delete(done, id)
		}
	}
	for _, w := range n.windows() {
		ended = append(ended, w.Ended(last, now)...)
	}
	return ended
}

// nextSilenceChange is when the watch loop looks again: at the next
// refresh, or earlier when a silence or a window starts or ends before.
func (n *Notifier) nextSilenceChange(now time.Time) time.Time {
	next := now.Add(n.cfg.SilenceRefresh)
	sooner := func(t time.Time) {
		if t.After(now) && t.Before(next) {
			next = t
		}
	}
	for _, s := range n.silences.get() {
		sooner(s.Start)
		sooner(s.End)
	}
	for _, w := range n.windows() {
		sooner(w.Next(now))
	}
	return next
}

// reconcile commits state.Reconcile for every stored device that covers
// picks, mailing what it reports. It reports whether every device was
// read (a device whose commit fails is logged and skipped).
func (n *Notifier) reconcile(ctx context.Context, covers func(site, device string) bool) bool {
	devs, err := n.store.Devices(ctx)
	if err != nil {
		n.log.Warn("reconcile after a silence: list devices", "err", err)
		return false
	}
	alerts := 0
	routes := n.cfg.Routes()
	for _, d := range devs {
		if !covers(d.Site, d.Name) {
			continue
		}
		var last state.Update
		err := n.store.Commit(ctx, d.Name, func(prev state.Device) (state.Update, error) {
			now := n.cfg.Now()
			u, err := state.Reconcile(prev, n.rules(now), now)
			last = u
			u.Alerts = routes.Fan(u.Alerts) // last keeps them unrouted, for the log
			return u, err
		})
		if err != nil {
			n.log.Warn("reconcile after a silence", "device", d.Name, "err", err)
			continue
		}
		for _, a := range last.Alerts {
			n.log.Info("reported after a silence", "device", d.Name, "alert", a.ID)
		}
		alerts += len(last.Alerts)
	}
	if alerts > 0 {
		n.Wake()
	}
	return true
}

// pruneSilences removes silences ended longer than state.SilenceRetention
// ago, at most once an hour.
func (n *Notifier) pruneSilences(ctx context.Context, now time.Time) {
	if now.Sub(n.pruned) < time.Hour {
		return
	}
	n.pruned = now
	if err := n.store.PruneSilences(ctx, now.Add(-state.SilenceRetention)); err != nil {
		n.log.Warn("prune silences", "err", err)
	}
}
