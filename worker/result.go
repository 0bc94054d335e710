package worker

import (
	"time"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// FailureKind classifies why a device could not be probed: the wire's
// proto.FailureKind, which results carry as they are.
type FailureKind = proto.FailureKind

// The device failure kinds the worker reports. FailureNone means the device
// was reached.
const (
	FailureNone            = proto.FailureKind_FAILURE_KIND_UNSPECIFIED
	FailureTimeout         = proto.FailureKind_FAILURE_KIND_TIMEOUT          // no answer in time: connect, handshake, or no prompt after a command
	FailureRefused         = proto.FailureKind_FAILURE_KIND_REFUSED          // TCP refused, or the SSH handshake closed before login
	FailureAuth            = proto.FailureKind_FAILURE_KIND_AUTH_FAILED      // the device refused our credentials
	FailureHostKeyMismatch = proto.FailureKind_FAILURE_KIND_HOSTKEY_MISMATCH // host key differs from known_hosts, or is unknown to it
	FailureCLI             = proto.FailureKind_FAILURE_KIND_CLI_ERROR        // logged in, but the CLI did not behave (rejected setup, flooding output, session dropped)
	FailureUnreachable     = proto.FailureKind_FAILURE_KIND_UNREACHABLE      // no route, host down, name does not resolve
	FailureInternal        = proto.FailureKind_FAILURE_KIND_INTERNAL         // a bug in linkwatch, recovered
	FailureSSHNegotiation  = proto.FailureKind_FAILURE_KIND_SSH_NEGOTIATION  // no SSH algorithm in common: the device offers only legacy ones
)

// Device is one device to probe. Credential names its login; Username,
// Password, Enable and EnablePassword hold it once resolved
// (WithCredentials), just before the probe.
type Device struct {
	Name           string
	Site           string
	Host           string
	Port           int
	Platform       string
	Credential     string
	Username       string
	Password       string
	Enable         bool
	EnablePassword string
	Targets        []ping.Params
	// Algorithms are SSH algorithms offered to this device besides the
	// defaults (an old device's legacy ones).
	Algorithms Algorithms
	// Jump is the jump host the device is reached through; the zero value
	// dials the device directly.
	Jump JumpHost
	// Persistent keeps the device's SSH session open across probes
	// (session: persistent; see Sessions); false opens and closes one per
	// probe.
	Persistent bool
}

// LinkResult is the verdict on one target of a device: the ping that was
// run and what it gave.
type LinkResult struct {
	ping.Params
	CheckedAt time.Time
	ping.Result
}

// DeviceResult is the outcome of probing one device. When Failure is set,
// Links holds the targets that completed before the failure (often none);
// the others were not measured.
type DeviceResult struct {
	Device      string
	Site        string
	StartedAt   time.Time
	CheckedAt   time.Time
	Failure     FailureKind
	FailureText string
	Links       []LinkResult
	// LoggedIn is set when the device accepted the login (SSH
	// authentication), whatever happened after.
	LoggedIn bool
	// JumpLoggedIn is set when the device's jump host accepted its own
	// login; JumpRefused when it refused it: the result is then
	// AUTH_FAILED, and the device was not logged in to.
	JumpLoggedIn, JumpRefused bool
}

// Failed reports whether the device could not be fully probed.
func (r DeviceResult) Failed() bool { return r.Failure != FailureNone }

// clean makes every device text of r fit to leave the worker (CleanText).
func (r *DeviceResult) clean() {
	r.FailureText = CleanText(r.FailureText, MaxText)
	for i := range r.Links {
		r.Links[i].Error = CleanText(r.Links[i].Error, MaxText)
	}
}
