package sim

import (
	"fmt"
	"strings"
	"time"
)

// IOS-XE: user (r1>) and privileged (r1#) exec, enable with a password,
// configure terminal, and the classic "!!!!!" ping.
var _ = register(&platform{
	name:       "cisco_iosxe",
	sshVersion: "SSH-2.0-Cisco-1.25",
	start:      func() *mode { return iosxeModes().priv },
	startUser:  func() *mode { return iosxeModes().user },
	banner:     func(*cli) string { return "\n" },
	cliError:   ciscoError,
	ping: pingSyntax{
		before: []pingOpt{word("vrf", setVRF)},
		after: []pingOpt{
			number("repeat", 1, 2147483647, setCount),
			number("timeout", 0, 3600, setTimeout),
			number("size", 36, 18024, setSize),
			word("source", setSource),
		},
		count: 5, timeout: 2, size: 100,
	},
	// User EXEC pings a target and nothing more: an option after it is
	// invalid input, as on IOS.
	userPing: &pingSyntax{before: []pingOpt{word("vrf", setVRF)}, count: 5, timeout: 2, size: 100},
	render:   iosRender{},
})

// iosxeModes builds IOS-XE's mode tree: r1>, r1# and r1(config)#.
func iosxeModes() modeTree {
	return ciscoModes(func(c *cli, suffix string) string { return c.host + suffix }, iosxeExec())
}

// iosxeExec are the exec commands of IOS-XE, in both exec modes.
func iosxeExec() []*command {
	return []*command{
		terminalCommand("length", 0, 512, ""),
		terminalCommand("width", 0, 512, ""),
		cmd("terminal monitor", silent),
		cmd("terminal no monitor", silent),
		cmd("show version", func(c *cli, _ []string, _ []token) { c.print(iosxeVersion(c)) }),
		cmd("ping ...", func(c *cli, _ []string, rest []token) { c.ping(rest, false) }),
	}
}

func iosxeVersion(c *cli) string {
	return `Cisco IOS XE Software, Version 17.09.04a
Cisco IOS Software [Cupertino], Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.9.4a, RELEASE SOFTWARE (fc3)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2023 by Cisco Systems, Inc.
Compiled Fri 20-Oct-23 10:44 by mcpre

ROM: IOS-XE ROMMON

` + c.host + ` uptime is ` + c.uptime() + `
Uptime for this control processor is ` + c.uptime() + `
System returned to ROM by reload
System image file is "bootflash:packages.conf"

cisco C8000V (VXE) processor (revision VXE) with 1987899K/3075K bytes of memory.
Processor board ID 9SIMLW0RK01
4 Gigabit Ethernet interfaces
32768K bytes of non-volatile configuration memory.
3965132K bytes of physical memory.

Configuration register is 0x2102
`
}

// ciscoError is the IOS, IOS-XE and IOS-XR way of refusing a line.
func ciscoError(c *cli, e *cliError) string {
	switch e.kind {
	case errIncomplete:
		return "% Incomplete command.\n\n"
	case errAmbiguous:
		return fmt.Sprintf("%% Ambiguous command:  %q\n", e.word)
	}
	return c.caret(e.col) + "% Invalid input detected at '^' marker.\n\n"
}

// iosRender prints IOS and IOS-XE ping output.
type iosRender struct{ timestamp bool }

func (r iosRender) header(p *pingRun) string {
	var b strings.Builder
	if r.timestamp {
		b.WriteString(xrTimestamp(p.now))
	}
	b.WriteString("Type escape sequence to abort.\n")
	fmt.Fprintf(&b, "Sending %d, %d-byte ICMP Echos to %s, timeout is %d seconds:\n",
		p.req.count, p.req.size, p.req.target, p.req.timeout)
	if isAddr(p.req.source) {
		fmt.Fprintf(&b, "Packet sent with a source address of %s\n", p.req.source)
	}
	return b.String()
}

func (iosRender) probe(p *pingRun, pr probe) string {
	mark := "."
	if pr.ok {
		mark = "!"
	}
	if p.sent%70 == 0 {
		mark += "\n"
	}
	return mark
}

func (iosRender) footer(p *pingRun) string {
	var b strings.Builder
	if p.sent%70 != 0 {
		b.WriteString("\n")
	}
	pct := 0
	if p.sent > 0 {
		pct = p.received * 100 / p.sent
	}
	fmt.Fprintf(&b, "Success rate is %d percent (%d/%d)", pct, p.received, p.sent)
	if p.received > 0 {
		fmt.Fprintf(&b, ", round-trip min/avg/max = %d/%d/%d ms", int(p.min), int(p.avg()), int(p.max))
	}
	b.WriteString("\n")
	return b.String()
}

func (r iosRender) unknownHost(req pingRequest, now time.Time) string {
	if r.timestamp {
		return xrTimestamp(now) + "% Bad hostname or protocol not running\n"
	}
	if isAddr(req.target) {
		return "% Unrecognized host or address, or protocol not running.\n\n"
	}
	return fmt.Sprintf("Translating %q...domain server (255.255.255.255)\n", req.target) +
		"% Unrecognized host or address, or protocol not running.\n\n"
}
