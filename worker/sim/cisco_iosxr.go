package sim

import "time"

// IOS-XR: one exec mode (RP/0/RP0/CPU0:r1#) and configuration; show and
// ping commands print the time first; ping says count where IOS says repeat.
var _ = register(&platform{
	name:       "cisco_iosxr",
	sshVersion: "SSH-2.0-Cisco-2.0",
	start:      xrModes,
	banner:     func(*cli) string { return "\n\n" },
	cliError:   ciscoError,
	ping: pingSyntax{
		before: []pingOpt{word("vrf", setVRF)},
		after: []pingOpt{
			number("count", 1, 2147483647, setCount),
			number("timeout", 0, 3600, setTimeout),
			number("size", 36, 18024, setSize),
			word("source", setSource),
		},
		count: 5, timeout: 2, size: 100,
	},
	render: iosRender{timestamp: true},
})

func xrModes() *mode {
	prefix := func(c *cli) string { return "RP/0/RP0/CPU0:" + c.host }
	exec := &mode{name: "exec", prompt: func(c *cli) string { return prefix(c) + "#" }}
	config := &mode{name: "configuration", prompt: func(c *cli) string { return prefix(c) + "(config)#" }}
	enter := func(c *cli, _ []string, _ []token) { c.mode = config }
	exec.commands = append(sessionCommands(),
		terminalCommand("length", 0, 512, ""),
		terminalCommand("width", 0, 512, ""),
		cmd("terminal monitor", silent),
		cmd("terminal monitor disable", silent),
		cmd("terminal no monitor", silent),
		cmd("show version", func(c *cli, _ []string, _ []token) { c.print(xrVersion(c)) }),
		cmd("ping ...", func(c *cli, _ []string, rest []token) { c.ping(rest, false) }),
		cmd("configure", enter),
		cmd("configure terminal", enter),
	)
	config.commands = append(configCommands(exec, exec), cmd("commit", silent))
	return exec
}

// xrTimestamp is the line IOS-XR prints before show and ping output.
func xrTimestamp(t time.Time) string {
	return t.Format("Mon Jan _2 15:04:05.000 MST") + "\n"
}

func xrVersion(c *cli) string {
	return xrTimestamp(c.now()) + `Cisco IOS XR Software, Version 7.9.2
Copyright (c) 2013-2023 by Cisco Systems, Inc.

Build Information:
 Built By     : swtools
 Built On     : Thu Jun 29 10:12:33 PDT 2023
 Build Host   : iox-ucs-047
 Workspace    : /auto/srcarchive15/prod/7.9.2/xrv9k/ws
 Version      : 7.9.2
 Label        : 7.9.2

cisco IOS-XRv 9000 () processor
System uptime is ` + c.uptime() + `
`
}
