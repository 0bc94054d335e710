package worker

import (
	"regexp"

	"github.com/linkwatch/linkwatch/worker/ping"
)

// Script is what a probe of a device types into its CLI, and how it knows
// the device has answered: the platform's prompt, and the lines, the setup
// a probe needs (cli.setupFor) then one ping per target, each answered by
// the prompt. Prober.Probe sends these lines over scrapligo's channel (sendCommand); package
// floor types the same ones with a bare SSH client, the floor the probe
// path is measured against.
type Script struct {
	Prompt *regexp.Regexp
	Lines  []string
}

// ScriptFor is the script of a probe of targets on platform (a name of the
// platform table, aliases included).
func ScriptFor(platform string, targets []ping.Params) (Script, error) {
	pl, c, err := platformCLI(platform)
	if err != nil {
		return Script{}, err
	}
	pings := pingLines(pl, targets)
	return Script{Prompt: c.prompt, Lines: append(c.setupFor(pings), pings...)}, nil
}
