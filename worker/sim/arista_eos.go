package sim

import (
	"fmt"
	"strconv"
	"time"
)

// Arista EOS: r1> and r1#, enable, configure; ping is Linux iputils.
var _ = register(&platform{
	name:       "arista_eos",
	sshVersion: "SSH-2.0-OpenSSH_8.7",
	start:      func() *mode { return eosModes().priv },
	startUser:  func() *mode { return eosModes().user },
	banner: func(c *cli) string {
		return "Last login: " + c.started.Format("Mon Jan _2 15:04:05 2006") + " from 127.0.0.1\n"
	},
	cliError: eosError,
	ping: pingSyntax{
		before: []pingOpt{word("vrf", setVRF)},
		after: []pingOpt{
			number("repeat", 1, 100000, setCount),
			number("timeout", 0, 3600, setTimeout),
			number("size", 36, 18024, setSize),
			word("source", setSource),
		},
		count: 5, timeout: 2, size: 100,
	},
	render: eosRender{},
})

// eosModes builds EOS's mode tree: r1>, r1# and r1(config)#.
func eosModes() modeTree {
	return ciscoModes(func(c *cli, suffix string) string { return c.host + suffix }, eosExec())
}

func eosExec() []*command {
	return []*command{
		cmd("terminal length <0-32767>", func(c *cli, args []string, _ []token) {
			if args[0] == "0" {
				c.print("Pagination disabled.\n")
			}
		}),
		terminalCommand("width", 10, 32767, "Width set to %s columns.\n"),
		cmd("terminal monitor", silent),
		cmd("terminal no monitor", silent),
		cmd("show version", func(c *cli, _ []string, _ []token) { c.print(eosVersion(c)) }),
		cmd("ping ...", func(c *cli, _ []string, rest []token) { c.ping(rest, false) }),
	}
}

func eosVersion(c *cli) string {
	return `Arista vEOS-lab
Hardware version:
Serial number: SN-SIMLW0RK03
Hardware MAC address: 5254.0012.3456
System MAC address: 5254.0012.3456

Software image version: 4.30.1F
Architecture: x86_64
Internal build version: 4.30.1F-32315456.4301F
Internal build ID: 6cf1a4c4-2a74-4ea3-8a1d-07a6c2b8a1e0
Image format version: 1.0
Image optimization: None

Uptime: ` + c.uptime() + `
Total memory: 3982068 kB
Free memory: 2412088 kB
`
}

// eosError is the EOS way of refusing a line.
func eosError(_ *cli, e *cliError) string {
	switch e.kind {
	case errIncomplete:
		return "% Incomplete command\n"
	case errAmbiguous:
		return "% Ambiguous command\n"
	}
	return "% Invalid input\n"
}

// eosRender prints EOS ping output: Linux iputils.
type eosRender struct{}

func (eosRender) header(p *pingRun) string {
	from := ""
	if isAddr(p.req.source) {
		from = " from " + p.req.source + " :"
	}
	return fmt.Sprintf("PING %s (%s)%s %d(%d) bytes of data.\n", p.req.target, p.req.target, from, p.req.size-28, p.req.size)
}

func (eosRender) probe(p *pingRun, pr probe) string {
	if !pr.ok {
		return "" // iputils prints nothing for a lost probe
	}
	return fmt.Sprintf("%d bytes from %s: icmp_seq=%d ttl=64 time=%s ms\n", p.req.size-20, p.req.target, p.sent, iputilsMs(pr.rtt))
}

func (eosRender) footer(p *pingRun) string {
	s := fmt.Sprintf("\n--- %s ping statistics ---\n%d packets transmitted, %d received, %s%% packet loss, time %dms\n",
		p.req.target, p.sent, p.received, strconv.FormatFloat(p.lossPercent(), 'g', 6, 64), p.elapsedMs())
	if p.received > 0 {
		ipg := float64(p.elapsedMs()) / float64(max(p.sent-1, 1))
		s += fmt.Sprintf("rtt min/avg/max/mdev = %s/%s/%s/%s ms, ipg/ewma %s/%s ms\n",
			ms3(p.min), ms3(p.avg()), ms3(p.max), ms3(p.stddev()), ms3(ipg), ms3(p.last))
	}
	return s
}

func (eosRender) unknownHost(r pingRequest, _ time.Time) string {
	return "ping: unknown host " + r.target + "\n"
}

// iputilsMs formats one reply's time the way iputils does: fewer decimals
// as the number grows.
func iputilsMs(v float64) string {
	switch {
	case v >= 100:
		return strconv.Itoa(int(v))
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return ms3(v)
}
