package state

import (
	"context"
	"errors"
	"time"
)

// Link is the stored state of one link: a target as seen from one device.
type Link struct {
	Device      string    `json:"device"`
	Site        string    `json:"site"`
	Target      string    `json:"target"`
	VRF         string    `json:"vrf,omitempty"`
	State       string    `json:"state"` // UP, DOWN, DROP or ERROR
	Since       time.Time `json:"since"` // when State was entered
	LastChecked time.Time `json:"last_checked"`
	Sent        int       `json:"sent"`
	Received    int       `json:"received"`
	LossPercent float64   `json:"loss_percent"`
	RTTAvgMs    *float64  `json:"rtt_avg_ms,omitempty"`
	// RTTMinMs and RTTMaxMs are the fastest and slowest reply of the
	// last result (nil when it had none), exported as metrics.
	RTTMinMs *float64 `json:"rtt_min_ms,omitempty"`
	RTTMaxMs *float64 `json:"rtt_max_ms,omitempty"`
	Error    string   `json:"error,omitempty"`
	// Pending is a new state seen but not yet confirmed, PendingCount how
	// many results in a row have shown it.
	Pending      string `json:"pending,omitempty"`
	PendingCount int    `json:"pending_count,omitempty"`
	// Notified is the state last announced to the NOC (Flapping while it
	// was said to flap; "" before the first announcement), NotifiedAt
	// the check time it was announced at. An alert is due whenever the
	// reportable state differs from it and nothing holds the alert back.
	Notified   string    `json:"notified,omitempty"`
	NotifiedAt time.Time `json:"notified_at,omitzero"`
	FlapState
}

// FlapState is the flap detection of a link or of a device's
// reachability: the times of its recent confirmed changes, and whether
// it is flapping.
type FlapState struct {
	Flapping bool `json:"flapping,omitempty"`
	// FlappingSince is when it began to flap.
	FlappingSince time.Time `json:"flapping_since,omitzero"`
	// Flaps are the check times of its confirmed changes within the flap
	// window, oldest first (at most the rule's Changes+1 of them).
	Flaps []time.Time `json:"flaps,omitempty"`
}

// Device is the stored record of one device: whether the last probe could
// reach it, and the state of each of its links keyed by target.
type Device struct {
	Name string `json:"name"`
	Site string `json:"site"`
	// LastResult is the check time of the newest result applied; an older
	// result (redelivery, reordering) must never roll state back.
	LastResult time.Time `json:"last_result"`
	// LastScheduled is the scheduled time of the job of the newest result
	// applied (zero for results without one): a result of the same or an
	// older job — one probed twice after a redelivery — is not a new
	// observation.
	LastScheduled time.Time `json:"last_scheduled,omitzero"`
	// Failure is the failure kind of the last probe ("" when it reached the
	// device), FailureText its message and FailureSince when it began.
	Failure      string    `json:"failure,omitempty"`
	FailureText  string    `json:"failure_text,omitempty"`
	FailureSince time.Time `json:"failure_since,omitempty"`
	// FailedInARow counts the consecutive results that could not reach
	// the device; the failure counts (and alerts) once it reaches the
	// confirmation rule's number.
	FailedInARow int `json:"failed_in_a_row,omitempty"`
	// ReachedInARow counts the consecutive results that reached a device
	// whose failure is recorded; it is reachable again once that reaches
	// the confirmation rule's number.
	ReachedInARow int `json:"reached_in_a_row,omitempty"`
	// Worker is the worker that sent the newest result applied, Received
	// when the notifier committed it (by the notifier's clock, which,
	// unlike the workers', is the one staleness is judged by).
	Worker   string    `json:"worker,omitempty"`
	Received time.Time `json:"received,omitzero"`
	// Notified is the reachability last announced (Reachable,
	// Unreachable or Flapping; "" before the first), NotifiedAt the check
	// time it was announced at.
	Notified   string    `json:"notified,omitempty"`
	NotifiedAt time.Time `json:"notified_at,omitzero"`
	// FlapState is the flap detection of the device's reachability.
	FlapState
	Links map[string]Link `json:"links,omitempty"`
	// Recent are the newest results applied, oldest first (at most
	// maxRecent), so that a result arriving late — redelivered after
	// newer ones were applied — can still be placed among them.
	Recent []Observation `json:"recent,omitempty"`
}

// RawDevice is a stored device record not decoded: the name it is stored
// under and its JSON as stored (written as the JSON of a Device, but read
// as hostile: a store's data can be changed behind its back).
type RawDevice struct {
	Name string
	JSON []byte
}

// Observation is what one applied result of a scheduled job showed.
type Observation struct {
	Scheduled time.Time `json:"scheduled"`
	Checked   time.Time `json:"checked"`
	// Links maps each link's LinkKey to the state the result showed;
	// nil when the result could not reach the device.
	Links map[string]string `json:"links,omitempty"`
}

// Change is one confirmed state change of a link, as kept in the history,
// or, with Target "", of a device's reachability: From and To are then
// Reachable or Unreachable (From "" at first contact), Failure the
// failure kind and Error its text.
type Change struct {
	Device    string    `json:"device"`
	Site      string    `json:"site"`
	Target    string    `json:"target"`
	VRF       string    `json:"vrf,omitempty"`
	From      string    `json:"from"` // "" for the first state ever seen
	To        string    `json:"to"`
	At        time.Time `json:"at"`                  // check time of the result that confirmed it
	PrevSince time.Time `json:"prev_since,omitzero"` // when From was entered; zero (omitted) for the first state seen
	Sent      int       `json:"sent"`
	Received  int       `json:"received"`
	RTTAvgMs  *float64  `json:"rtt_avg_ms,omitempty"`
	Error     string    `json:"error,omitempty"`
	Failure   string    `json:"failure,omitempty"`
}

// Alert kinds.
const (
	AlertLink   = "link"   // a link changed state
	AlertDevice = "device" // a device became unreachable, or reachable again
)

// Alert is one entry of the outbox: something the NOC must be told about.
type Alert struct {
	// ID is deterministic, so committing the same result twice cannot
	// queue the same alert twice.
	ID      string    `json:"id"`
	Kind    string    `json:"kind"`
	Created time.Time `json:"created"`
	// Change is set for AlertLink.
	Change *Change `json:"change,omitempty"`
	// For AlertDevice: the device, its site, the failure kind ("" when the
	// device is reachable again), its text, and the time of the result.
	// State is the reachability announced (Reachable, Unreachable or
	// Flapping; "" in alerts stored before it existed: read Failure), From
	// the one announced before.
	State        string    `json:"state,omitempty"`
	From         string    `json:"from,omitempty"`
	Device       string    `json:"device,omitempty"`
	Site         string    `json:"site,omitempty"`
	Failure      string    `json:"failure,omitempty"`
	FailureText  string    `json:"failure_text,omitempty"`
	At           time.Time `json:"at,omitempty"`
	FailureSince time.Time `json:"failure_since,omitempty"`
	// Flaps, for an alert that something began to flap, counts its
	// changes since FlapsFrom.
	Flaps     int       `json:"flaps,omitempty"`
	FlapsFrom time.Time `json:"flaps_from,omitzero"`
	// Worker is, for AlertSite, the worker of the last result before the
	// site went blind, or of the first one after.
	Worker string `json:"worker,omitempty"`
	// Route names the route whose recipients get the alert ("" for the
	// default route, notify.to). An alert taken by several routes is
	// queued once per route, each with the route appended to its ID
	// (route.Fan).
	Route string `json:"route,omitempty"`
	// Attempts counts failed deliveries; LastError is the newest failure.
	Attempts  int    `json:"attempts,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

// Update is what one result commits: the device's new record, the changes
// to append to the history, and the alerts to put in the outbox.
type Update struct {
	Device  Device
	Changes []Change
	Alerts  []Alert
}

// ErrNoUpdate, returned by a decide function, commits nothing.
var ErrNoUpdate = errors.New("nothing to update")

// Store keeps link state, history and the alert outbox. Every method is safe
// for concurrent use.
type Store interface {
	// Commit is the notifier's one atomic step per result. It reads the
	// stored record of the device (zero Device with a nil Links map when
	// there is none), calls decide with it, and writes the returned record,
	// changes and alerts together, or nothing: a concurrent commit for the
	// same device makes it read again and call decide again. decide
	// returning ErrNoUpdate commits nothing and Commit returns nil; any
	// other error is returned.
	Commit(ctx context.Context, device string, decide func(prev Device) (Update, error)) error
	// Devices returns every stored device record, sorted by name.
	Devices(ctx context.Context) ([]Device, error)
	// DevicesAfter returns the stored device records whose names sort
	// after after ("": from the first), sorted by name, at most n (all
	// when n <= 0): a page of Devices.
	DevicesAfter(ctx context.Context, after string, n int) ([]Device, error)
	// RawDevicesAfter is DevicesAfter without decoding: each record's
	// name and its JSON as stored, for a reader that passes records on
	// (status) and decodes only what it needs. The JSON is the reader's
	// own copy.
	RawDevicesAfter(ctx context.Context, after string, n int) ([]RawDevice, error)
	// History returns the changes of device's links and reachability
	// (only target's when target is not ""; a reachability change has
	// Target ""), or of every device's when device is "", at or after
	// since, newest first, at most limit (all when limit <= 0).
	History(ctx context.Context, device, target string, since time.Time, limit int) ([]Change, error)
	// CommitSite is Commit for the record of a site (a zero Site when
	// there is none): it writes the returned record and queues its alerts
	// together, or nothing.
	CommitSite(ctx context.Context, site string, decide func(prev Site) (SiteUpdate, error)) error
	// Sites returns every stored site record, sorted by name.
	Sites(ctx context.Context) ([]Site, error)
	// Outbox returns up to limit alerts waiting to be sent (all when
	// limit <= 0), oldest first by Created then ID.
	Outbox(ctx context.Context, limit int) ([]Alert, error)
	// Ack removes delivered alerts from the outbox. Unknown IDs are ignored.
	Ack(ctx context.Context, ids ...string) error
	// Retry records a failed delivery attempt on an alert still in the outbox.
	Retry(ctx context.Context, id string, lastErr string) error
	// Park moves an alert that can never be delivered out of the outbox
	// into the dead-letter list, kept for inspection.
	Park(ctx context.Context, id string, reason string) error
	// Parked lists the dead-letter alerts, oldest first.
	Parked(ctx context.Context) ([]Alert, error)
	// AddSilence stores s, a new silence with an ID of its own, unless
	// max silences (ended ones not yet pruned included) are stored
	// already (ErrTooManySilences), checked in the same transaction. A
	// second silence with the same ID is an error.
	AddSilence(ctx context.Context, s Silence, max int) error
	// Silences returns the stored silences that end at or after since
	// (all when since is zero), by Start, then ID.
	Silences(ctx context.Context, since time.Time) ([]Silence, error)
	// ExpireSilence ends silence id at at, recording by as who did, and
	// returns it as stored. A silence that ended at or before at is
	// returned unchanged; an unknown id is ErrNoSilence.
	ExpireSilence(ctx context.Context, id string, at time.Time, by string) (Silence, error)
	// PruneSilences removes the silences that ended before before.
	PruneSilences(ctx context.Context, before time.Time) error
	// Close releases the store.
	Close() error
}
