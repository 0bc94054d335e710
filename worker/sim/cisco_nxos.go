package sim

import (
	"fmt"
	"strings"
	"time"
)

// NX-OS: prompts with a trailing space (r1# ), Linux-like ping output with
// "Request N timed out" lines.
var _ = register(&platform{
	name:       "cisco_nxos",
	sshVersion: "SSH-2.0-OpenSSH_8.3",
	start: func() *mode {
		return ciscoModes(func(c *cli, suffix string) string { return c.host + suffix + " " }, nxosExec()).priv
	},
	banner:   nxosBanner,
	cliError: nxosError,
	ping: pingSyntax{
		after: []pingOpt{
			number("count", 1, 655350, setCount),
			number("timeout", 1, 60, setTimeout),
			number("packet-size", 1, 65468, setSize),
			word("source-interface", setSource),
			word("source", setSource),
			word("vrf", setVRF),
		},
		count: 5, timeout: 2, size: 56,
	},
	render: nxosRender{},
})

func nxosExec() []*command {
	return []*command{
		terminalCommand("length", 0, 511, ""),
		terminalCommand("width", 24, 511, ""),
		cmd("terminal monitor", silent),
		cmd("terminal no monitor", silent),
		cmd("show version", func(c *cli, _ []string, _ []token) { c.print(nxosVersion(c)) }),
		cmd("ping ...", func(c *cli, _ []string, rest []token) { c.ping(rest, false) }),
		cmd("ping6 ...", func(c *cli, _ []string, rest []token) { c.ping(rest, true) }),
	}
}

func nxosBanner(*cli) string {
	return `
Cisco NX-OS Software
Copyright (c) 2002-2023, Cisco Systems, Inc. All rights reserved.
Nexus 9000v software ("Nexus 9000v Software") and related documentation,
files or other reference materials ("Documentation") are
the proprietary property and confidential information of Cisco
Systems, Inc. ("Cisco") and are protected, without limitation,
pursuant to United States and International copyright and trademark
laws in the applicable jurisdiction which provide civil and criminal
penalties for copying or distribution without Cisco's authorization.
`
}

func nxosVersion(c *cli) string {
	d, h, m, sec := c.uptimeParts()
	return `Cisco Nexus Operating System (NX-OS) Software
TAC support: http://www.cisco.com/tac
Copyright (C) 2002-2023, Cisco and/or its affiliates.
All rights reserved.

Nexus 9000v is a demo version of the Nexus Operating System

Software
  BIOS: version 
  NXOS: version 10.3(3) [Maintenance Release]
  NXOS image file is: bootflash:///nxos64-cs.10.3.3.F.bin
  NXOS compile time:  4/24/2023 16:00:00 [04/24/2023 23:39:58]

Hardware
  cisco Nexus9000 C9300v Chassis 
  Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz with 16409060 kB of memory.
  Processor Board ID 9SIMLW0RK02

  Device name: ` + c.host + `
  bootflash: 4287040 kB

Kernel uptime is ` + fmt.Sprintf("%d day(s), %d hour(s), %d minute(s), %d second(s)", d, h, m, sec) + `
`
}

// nxosError is the NX-OS way of refusing a line.
func nxosError(c *cli, e *cliError) string {
	switch e.kind {
	case errIncomplete:
		return c.caret(e.col) + "% Incomplete command at '^' marker.\n"
	case errAmbiguous:
		return c.caret(e.col) + "% Ambiguous command at '^' marker.\n"
	}
	return c.caret(e.col) + "% Invalid command at '^' marker.\n"
}

// nxosRender prints NX-OS ping output.
type nxosRender struct{}

func (nxosRender) header(p *pingRun) string {
	from := ""
	if isAddr(p.req.source) {
		from = " from " + p.req.source
	}
	return fmt.Sprintf("%s %s (%s)%s: %d data bytes\n", strings.ToUpper(nxosPing(p)), p.req.target, p.req.target, from, p.req.size)
}

func (nxosRender) probe(p *pingRun, pr probe) string {
	switch {
	case !pr.ok:
		return fmt.Sprintf("Request %d timed out\n", p.sent-1)
	case p.req.v6:
		return fmt.Sprintf("%d bytes from %s: icmp_seq=%d time=%s ms\n", p.req.size+8, p.req.target, p.sent-1, ms3(pr.rtt))
	}
	return fmt.Sprintf("%d bytes from %s: icmp_seq=%d ttl=254 time=%s ms\n", p.req.size+8, p.req.target, p.sent-1, ms3(pr.rtt))
}

// nxosPing is the command's name as NX-OS prints it in its output.
func nxosPing(p *pingRun) string {
	if p.req.v6 {
		return "ping6"
	}
	return "ping"
}

func (nxosRender) footer(p *pingRun) string {
	s := fmt.Sprintf("\n--- %s %s statistics ---\n%d packets transmitted, %d packets received, %.2f%% packet loss\n",
		p.req.target, nxosPing(p), p.sent, p.received, p.lossPercent())
	if p.received > 0 {
		s += fmt.Sprintf("round-trip min/avg/max = %s/%s/%s ms\n", ms3(p.min), ms3(p.avg()), ms3(p.max))
	}
	return s
}

func (nxosRender) unknownHost(r pingRequest, _ time.Time) string {
	return "% Invalid host/interface " + r.target + "\n"
}
