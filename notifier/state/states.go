package state

import "github.com/linkwatch/linkwatch/proto"

// The states a link, a device or a site can be in, as stored, shown and
// emailed: the one home of their names.
var (
	// Up, Down, Drop and Error are a link's verdicts, the short names of
	// proto.LinkStatus. A device that cannot be reached does not change
	// its links' states: they are held at their last value.
	Up    = proto.LinkStatus_LINK_STATUS_UP.Short()
	Down  = proto.LinkStatus_LINK_STATUS_DOWN.Short()
	Drop  = proto.LinkStatus_LINK_STATUS_DROP.Short()
	Error = proto.LinkStatus_LINK_STATUS_ERROR.Short()
)

const (
	// Flapping is a link, or a device's reachability, that changed more
	// often than the flap rule allows: its changes still go to the
	// history, but alerts are held until it has been quiet.
	Flapping = "FLAPPING"
	// Unknown is shown for a device that has never been reached, so none
	// of its links has a state yet.
	Unknown = "UNKNOWN"
	// Stale is shown for a link whose results stopped: its last state is
	// no longer fresh.
	Stale = "STALE"
	// Reachable and Unreachable are a device's reachability, as recorded
	// in the history and announced in alerts.
	Reachable   = "REACHABLE"
	Unreachable = "UNREACHABLE"
)

// ShownStates lists, in order of severity, every state a link can be
// shown in: the states linkwatch status shows, and its --state takes, in
// this order.
var ShownStates = []string{Down, Drop, Error, Flapping, Stale, Unknown, Up}
