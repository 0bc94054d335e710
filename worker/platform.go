package worker

import (
	"fmt"
	"regexp"
)

// cli is what the worker needs to know of a platform's CLI: how its prompt
// looks in any mode a login may land in, and the commands that make output
// unpaged and unwrapped. Built once per platform, shared by every session.
type cli struct {
	prompt *regexp.Regexp
	setup  []string
}

var clis = map[string]cli{
	// Patterns follow scrapligo's platform definitions, folded into one
	// pattern for exec and privileged exec.
	"cisco_iosxe": {
		prompt: regexp.MustCompile(`(?im)^[\w.\-@/:]{1,63}[>#]\s?$`),
		setup:  []string{"terminal length 0", "terminal width 512"},
	},
	"cisco_iosxr": {
		prompt: regexp.MustCompile(`(?im)^[\w.\-@/:]{1,63}#\s?$`),
		setup:  []string{"terminal length 0", "terminal width 512"},
	},
	"cisco_nxos": {
		prompt: regexp.MustCompile(`(?im)^[\w.\-]{1,63}[>#]\s?$`),
		setup:  []string{"terminal length 0", "terminal width 511"},
	},
	"arista_eos": {
		prompt: regexp.MustCompile(`(?im)^[\w.\-@()/: ]{1,63}[>#]\s?$`),
		setup:  []string{"terminal length 0", "terminal width 32767"},
	},
	"juniper_junos": {
		prompt: regexp.MustCompile(`(?im)^({\w+:\d}\n){0,1}[\w\-@()/:\.]{1,63}[>#]\s?$`),
		setup:  []string{"set cli screen-length 0", "set cli screen-width 511"},
	},
}

func cliFor(platform string) (cli, error) {
	if platform == "cisco_ios" {
		platform = "cisco_iosxe"
	}
	c, ok := clis[platform]
	if !ok {
		return cli{}, fmt.Errorf("unsupported platform %q", platform)
	}
	return c, nil
}
