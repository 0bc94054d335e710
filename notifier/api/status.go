package api

import (
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// MaxFleetHistory bounds the changes of every device that one history
// request returns.
const MaxFleetHistory = 1000

// StatusReply carries one page of the devices, by name: the stored ones
// with their links and those of the inventory not stored yet, and, in the
// first page, the site records.
type StatusReply struct {
	Devices []DeviceStatus `json:"devices"`
	// Sites are the stored site records (a site has one once it went
	// blind); Blind ones had no result for StaleAfter. Only the first
	// page has them.
	Sites []state.Site `json:"sites,omitempty"`
	// At is the notifier's clock when it answered, StaleAfter its
	// notify.stale_after.
	At         time.Time     `json:"at,omitzero"`
	StaleAfter time.Duration `json:"stale_after,omitempty"`
	// Next, when not "", is the After of the request for the next page.
	Next string `json:"next,omitempty"`
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
	Sites map[string]string
	// Names are the keys of Sites, sorted, when the caller keeps them
	// (status needs them at every page); nil: status sorts them.
	Names      []string
	StaleAfter time.Duration
	Started    time.Time
	Watched    map[string]time.Time
	Now        time.Time
}

// Option adds to what Serve answers.
type Option func(*options)

type options struct {
	fleet     func() Fleet
	silencer  Silencer
	pageBytes int
	// decodeAll makes status decode every stored record, never splice
	// one (tests compare the two).
	decodeAll bool
}

// WithFleet makes status list the devices of fleet's inventory that have
// no record yet and judge every device's staleness. Without it status
// answers the stored records only, none stale.
func WithFleet(fleet func() Fleet) Option {
	return func(o *options) { o.fleet = fleet }
}

// WithPageBytes bounds the JSON of one page of status to n bytes (one
// device more when a single device is larger). Without it a page is at
// most half the server's payload limit.
func WithPageBytes(n int) Option {
	return func(o *options) { o.pageBytes = n }
}

// RowState is the state status shows for the link l of d, or for d itself
// when l is nil (a device with no link state yet: UNKNOWN): STALE when d is
// stale, FLAPPING for a flapping link, else the link's state.
func RowState(d DeviceStatus, l *state.Link) string {
	switch {
	case d.Stale:
		return state.Stale
	case l == nil:
		return state.Unknown
	case l.Flapping:
		return state.Flapping
	}
	return l.State
}
