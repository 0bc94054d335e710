package notifier

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// watched remembers when this notifier began to watch each site and
// device of its inventory: the results of one added by a reload are
// counted from then, not from the notifier's start, so that it is not
// found blind or stale at once.
type watched struct {
	mu      sync.Mutex
	started time.Time
	sites   map[string]time.Time // nil until the inventory was first read
	devices map[string]time.Time
	// last is the inventory see last saw, and what it returned for it:
	// an inventory is not changed once handed over (a reload hands a new
	// one), so the same one is answered from these without a walk of the
	// fleet (status asks at every page).
	last *Inventory
	view watchedView
}

// watchedView is since when each site and device of an inventory is
// watched, and the inventory's device names, sorted. It is shared: never
// changed once made.
type watchedView struct {
	sites, devices map[string]time.Time
	names          []string
}

func newWatched(started time.Time) *watched { return &watched{started: started} }

// see records the sites and devices of inv not watched yet as watched
// from now (from the start, the first time), forgets those inv no longer
// has, and returns since when each is watched, with inv's device names.
func (w *watched) see(inv *Inventory, now time.Time) watchedView {
	w.mu.Lock()
	defer w.mu.Unlock()
	if inv == w.last {
		return w.view
	}
	if w.sites == nil {
		w.sites, w.devices, now = map[string]time.Time{}, map[string]time.Time{}, w.started
	}
	now = state.Later(now.UTC(), w.started)
	keep := map[string]bool{}
	for device, site := range inv.Sites {
		keep[site] = true
		if _, ok := w.devices[device]; !ok {
			w.devices[device] = now
		}
		if _, ok := w.sites[site]; !ok {
			w.sites[site] = now
		}
	}
	maps.DeleteFunc(w.devices, func(d string, _ time.Time) bool { _, ok := inv.Sites[d]; return !ok })
	maps.DeleteFunc(w.sites, func(s string, _ time.Time) bool { return !keep[s] })
	w.last = inv
	w.view = watchedView{sites: maps.Clone(w.sites), devices: maps.Clone(w.devices),
		names: slices.Sorted(maps.Keys(inv.Sites))}
	return w.view
}
