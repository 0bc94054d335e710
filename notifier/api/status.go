package api

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// MaxFleetHistory bounds the changes of every device that one history
// request returns.
const MaxFleetHistory = 1000

// StatusReply carries every stored device with its links, every device of
// the inventory not stored yet, and the sites found without results.
type StatusReply struct {
	Devices []DeviceStatus `json:"devices"`
	// Sites are the stored site records (a site has one once it went
	// blind); Blind ones had no result for StaleAfter.
	Sites []state.Site `json:"sites,omitempty"`
	// At is the notifier's clock when it answered, StaleAfter its
	// notify.stale_after.
	At         time.Time     `json:"at,omitzero"`
	StaleAfter time.Duration `json:"stale_after,omitempty"`
}

// DeviceStatus is a stored device record (its JSON fields unchanged) and
// what the notifier judges of it now.
type DeviceStatus struct {
	state.Device
	// Stale says that the device's newest result is older than stale_after
	// (counted from the notifier's start at the earliest), or that its site
	// is blind and no result of it came since: its links' states are not
	// fresh.
	Stale bool `json:"stale,omitempty"`
	// NotProbed marks a device of the inventory with no result yet.
	NotProbed bool `json:"not_probed,omitempty"`
}

// Fleet is what the notifier knows beside the store: the inventory (each
// device's site), notify.stale_after, when it started, since when it
// watches each device of the inventory (later than Started for one a
// reload added: its staleness counts from then) and its clock.
type Fleet struct {
	Sites      map[string]string
	StaleAfter time.Duration
	Started    time.Time
	Watched    map[string]time.Time
	Now        time.Time
}

// Option adds to what Serve answers.
type Option func(*options)

type options struct {
	fleet    func() Fleet
	silencer Silencer
}

// WithFleet makes status list the devices of fleet's inventory that have
// no record yet and judge every device's staleness. Without it status
// answers the stored records only, none stale.
func WithFleet(fleet func() Fleet) Option {
	return func(o *options) { o.fleet = fleet }
}

func status(ctx context.Context, store Reader, fleet func() Fleet) (StatusReply, error) {
	devs, err := store.Devices(ctx)
	if err != nil {
		return StatusReply{}, err
	}
	sites, err := store.Sites(ctx)
	if err != nil {
		return StatusReply{}, err
	}
	var f Fleet
	if fleet != nil {
		f = fleet()
	}
	rep := StatusReply{Sites: sites, At: f.Now, StaleAfter: f.StaleAfter, Devices: make([]DeviceStatus, 0, len(devs))}
	blind := map[string]state.Site{}
	for _, s := range sites {
		if s.Blind {
			blind[s.Name] = s
		}
	}
	stale := func(d state.Device) bool {
		s, ok := blind[d.Site]
		since := state.Later(f.Started, f.Watched[d.Name])
		return ok && !d.Received.After(s.LastReceived) || state.IsStale(d.Received, since, f.Now, f.StaleAfter)
	}
	stored := map[string]bool{}
	for _, d := range devs {
		stored[d.Name] = true
		rep.Devices = append(rep.Devices, DeviceStatus{Device: d, Stale: stale(d)})
	}
	for name, site := range f.Sites {
		if d := (state.Device{Name: name, Site: site}); !stored[name] {
			rep.Devices = append(rep.Devices, DeviceStatus{Device: d, NotProbed: true, Stale: stale(d)})
		}
	}
	slices.SortFunc(rep.Devices, func(a, b DeviceStatus) int { return strings.Compare(a.Name, b.Name) })
	return rep, nil
}
