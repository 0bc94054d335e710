// Package ping turns a router's own ping into a verdict: it builds the ping
// command in each platform's syntax and parses what the platform prints back
// into a Result. Everything here is a pure function over text; one file per
// platform, and one table of the platforms (platform.go) that the
// configuration, the CLI, the worker and the simulator all read.
package ping

import (
	"time"

	"github.com/linkwatch/linkwatch/proto"
)

// Status is the verdict on one link: the wire's proto.LinkStatus, whose
// JSON form is its short name ("UP").
type Status = proto.LinkStatus

// The link verdicts. UP is every probe answered, DOWN none, DROP some.
// ERROR means the output was an error (unknown host, invalid input, no route
// to use) or held no result at all.
const (
	StatusUp    = proto.LinkStatus_LINK_STATUS_UP
	StatusDown  = proto.LinkStatus_LINK_STATUS_DOWN
	StatusDrop  = proto.LinkStatus_LINK_STATUS_DROP
	StatusError = proto.LinkStatus_LINK_STATUS_ERROR
)

// Result is what one ping printed, classified.
type Result struct {
	Status         Status   `json:"status"`
	Sent           int      `json:"sent"`
	Received       int      `json:"received"`
	SuccessPercent float64  `json:"success_percent"`
	RTTMinMs       *float64 `json:"rtt_min_ms,omitempty"`
	RTTAvgMs       *float64 `json:"rtt_avg_ms,omitempty"`
	RTTMaxMs       *float64 `json:"rtt_max_ms,omitempty"`
	// Error is the device's own message when Status is ERROR.
	Error string `json:"error,omitempty"`
}

// Params is one ping to run on a device.
type Params struct {
	Target  string        // IP address or host name
	Count   int           // probes to send
	Timeout time.Duration // per-probe timeout, whole seconds on every platform
	Size    int           // datagram size in bytes; 0 leaves the platform default
	Source  string        // interface name or address; "" leaves the device's choice
	VRF     string        // VRF / routing instance; "" is the global table
}

// Parse classifies what a ping printed on the given platform. The error is
// only for an unknown platform: any device output, however odd, gives a
// Result, with Status ERROR and the device's own message in Error when the
// output is an error or holds no ping statistics.
func Parse(platformName, output string) (Result, error) {
	p, err := Lookup(platformName)
	if err != nil {
		return Result{}, err
	}
	return p.Parse(output), nil
}

// Command validates p and returns the single-line ping command for the
// named platform (see Platform.Command).
func Command(platformName string, p Params) (string, error) {
	pl, err := Lookup(platformName)
	if err != nil {
		return "", err
	}
	return pl.Command(p)
}
