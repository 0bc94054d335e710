// Package ping turns a router's own ping into a verdict: it builds the ping
// command in each platform's syntax and parses what the platform prints back
// into a Result. Everything here is a pure function over text; one file per
// platform, chosen from a map keyed by platform name.
package ping

import (
	"fmt"
	"strings"
	"time"
)

// Status is the verdict on one link.
type Status string

// The link verdicts. UP is every probe answered, DOWN none, DROP some.
// ERROR means the output was an error (unknown host, invalid input, no route
// to use) or held no result at all.
const (
	StatusUp    Status = "UP"
	StatusDown  Status = "DOWN"
	StatusDrop  Status = "DROP"
	StatusError Status = "ERROR"
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

// platformNames are the platforms linkwatch can drive, as the config, the
// simulator and scrapligo name them.
var platformNames = []string{"arista_eos", "cisco_iosxe", "cisco_iosxr", "cisco_nxos", "juniper_junos"}

// Platforms returns the names of the supported platforms, sorted.
func Platforms() []string { return append([]string(nil), platformNames...) }

// Known reports whether name is a supported platform.
func Known(name string) bool {
	for _, p := range platformNames {
		if p == name {
			return true
		}
	}
	return false
}

// platform is one platform's half of the contract: how to type a ping and how
// to read what comes back. command checks the line it builds against the
// platform's syntax (words.line), so even Params that skipped Validate cannot
// make it return more than one ping.
type platform struct {
	command func(p Params) (string, error)
	parse   func(output string) Result
}

// registry holds every supported platform, keyed by the names platformNames
// lists. Each entry lives in its own file.
var registry = map[string]platform{
	"arista_eos":    {command: eosCommand, parse: parseEOS},
	"cisco_iosxe":   {command: iosxeCommand, parse: parseIOSXE},
	"cisco_iosxr":   {command: iosxrCommand, parse: parseIOSXR},
	"cisco_nxos":    {command: nxosCommand, parse: parseNXOS},
	"juniper_junos": {command: junosCommand, parse: parseJunos},
}

// aliases are other names accepted for a platform: classic IOS prints what
// IOS-XE prints and takes the same ping options.
var aliases = map[string]string{"cisco_ios": "cisco_iosxe"}

func lookup(name string) (platform, error) {
	if a, ok := aliases[name]; ok {
		name = a
	}
	if p, ok := registry[name]; ok {
		return p, nil
	}
	return platform{}, fmt.Errorf("unknown platform %q (known: %s)", name, strings.Join(platformNames, ", "))
}

// CheckPlatform reports whether Parse and Command accept name, aliases
// included; its error names the known platforms.
func CheckPlatform(name string) error {
	_, err := lookup(name)
	return err
}

// Parse classifies what a ping printed on the given platform. The error is
// only for an unknown platform: any device output, however odd, gives a
// Result, with Status ERROR and the device's own message in Error when the
// output is an error or holds no ping statistics.
func Parse(platformName, output string) (Result, error) {
	p, err := lookup(platformName)
	if err != nil {
		return Result{}, err
	}
	return p.parse(output), nil
}

// Command validates p and returns the single-line ping command for the
// platform. Nothing that fails validation ever reaches the returned string,
// and the line is checked once more as it is built: it is the verb, the
// target and the platform's own keyword/value options, each word one
// proto.ValidCommandToken. So a target, VRF or source cannot smuggle a second
// command or an extra option.
func Command(platformName string, p Params) (string, error) {
	pl, err := lookup(platformName)
	if err != nil {
		return "", err
	}
	if err := p.Validate(); err != nil {
		return "", err
	}
	return pl.command(p)
}
