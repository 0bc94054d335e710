package notifier

import (
	"maps"
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
}

func newWatched(started time.Time) *watched { return &watched{started: started} }

// see records the sites and devices of inv not watched yet as watched
// from now (from the start, the first time), forgets those inv no longer
// has, and returns since when each is watched.
func (w *watched) see(inv *Inventory, now time.Time) (sites, devices map[string]time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
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
	return maps.Clone(w.sites), maps.Clone(w.devices)
}
