package sim

import (
	"fmt"
	"strings"
	"time"
)

// JunOS: operational mode (admin@r1> ) and configuration mode ([edit]
// above admin@r1# ), an empty line before every prompt after a command,
// BSD ping output.
var _ = register(&platform{
	name:             "juniper_junos",
	sshVersion:       "SSH-2.0-OpenSSH_7.5",
	start:            junosModes,
	banner:           junosBanner,
	cliError:         junosError,
	blankAfterOutput: true,
	ping: pingSyntax{
		after: []pingOpt{
			number("count", 1, 2000000000, setCount),
			number("wait", 1, 3600, setTimeout),
			number("size", 0, 65468, setSize),
			word("source", setSource),
			word("interface", setIface),
			word("routing-instance", setVRF),
			{kw: "rapid", flag: true, set: setRapid},
		},
		// Without count JunOS pings until ^C; the simulator stops at 5.
		count: 5, timeout: 1, size: 56,
	},
	render: junosRender{},
})

func junosModes() *mode {
	op := &mode{name: "exec", prompt: func(c *cli) string { return c.user + "@" + c.host + "> " }}
	conf := &mode{name: "configuration", prompt: func(c *cli) string { return "[edit]\n" + c.user + "@" + c.host + "# " }}
	say := func(s string) func(c *cli, args []string, _ []token) {
		return func(c *cli, args []string, _ []token) { c.print(strings.ReplaceAll(s, "%s", strings.Join(args, " "))) }
	}
	bye := func(c *cli, _ []string, _ []token) { c.done = true }
	leave := func(c *cli, _ []string, _ []token) {
		c.print("Exiting configuration mode\n")
		c.mode = op
	}
	op.commands = []*command{
		cmd("exit", bye),
		cmd("quit", bye),
		cmd("set cli screen-length <0-100000>", say("Screen length set to %s\n")),
		cmd("set cli screen-width <0-100000>", say("Screen width set to %s\n")),
		cmd("set cli complete-on-space off", say("Disabling complete-on-space\n")),
		cmd("set cli complete-on-space on", say("Enabling complete-on-space\n")),
		cmd("show version", func(c *cli, _ []string, _ []token) { c.print(junosVersion(c)) }),
		cmd("ping ...", func(c *cli, _ []string, rest []token) { c.ping(rest, false) }),
		cmd("configure", func(c *cli, _ []string, _ []token) {
			c.print("Entering configuration mode\n")
			c.mode = conf
		}),
	}
	conf.commands = []*command{
		cmd("exit", leave),
		cmd("quit", leave),
		cmd("exit configuration-mode", leave),
		cmd("top", silent),
		cmd("commit", say("commit complete\n")),
		cmd("run ...", func(c *cli, _ []string, rest []token) { c.doExec(op, rest) }),
	}
	return op
}

func junosBanner(c *cli) string {
	return "Last login: " + c.started.Format("Mon Jan _2 15:04:05 2006") + " from 127.0.0.1\n" +
		"--- JUNOS 22.4R2.8 Kernel 64-bit  JNPR-12.1-20230601.3d2d1c5_buil\n"
}

func junosVersion(c *cli) string {
	return `Hostname: ` + c.host + `
Model: vmx
Junos: 22.4R2.8
JUNOS OS Kernel 64-bit  [20230601.3d2d1c5_builder_stable_12_223]
JUNOS OS libs [20230601.3d2d1c5_builder_stable_12_223]
JUNOS OS runtime [20230601.3d2d1c5_builder_stable_12_223]
JUNOS OS time zone information [20230601.3d2d1c5_builder_stable_12_223]
JUNOS network stack and utilities [20230615.083612_builder_junos_224_r2]
JUNOS Packet Forwarding Engine Support (MX Common) [20230615.083612_builder_junos_224_r2]
JUNOS Routing Software Suite [20230615.083612_builder_junos_224_r2]
`
}

// junosError is the JunOS way of refusing a line.
func junosError(c *cli, e *cliError) string {
	switch {
	case e.kind == errAmbiguous:
		return c.caret(e.col) + fmt.Sprintf("syntax error, '%s' is ambiguous.\n", e.word)
	case e.kind == errIncomplete:
		return c.caret(e.col) + "syntax error, expecting <command>.\n"
	case e.tok == 0:
		return c.caret(e.col) + "unknown command.\n"
	}
	return c.caret(e.col) + "syntax error.\n"
}

// junosRender prints JunOS (FreeBSD) ping output, "!" marks with rapid.
type junosRender struct{}

func (junosRender) header(p *pingRun) string {
	return fmt.Sprintf("PING %s (%s): %d data bytes\n", p.req.target, p.req.target, p.req.size)
}

func (junosRender) probe(p *pingRun, pr probe) string {
	switch {
	case p.req.rapid && pr.ok:
		return "!"
	case p.req.rapid:
		return "."
	case !pr.ok:
		return fmt.Sprintf("Request timeout for icmp_seq %d\n", p.sent-1)
	}
	return fmt.Sprintf("%d bytes from %s: icmp_seq=%d ttl=64 time=%s ms\n", p.req.size+8, p.req.target, p.sent-1, ms3(pr.rtt))
}

func (junosRender) footer(p *pingRun) string {
	loss := 0
	if p.sent > 0 {
		loss = (p.sent - p.received) * 100 / p.sent
	}
	s := fmt.Sprintf("\n--- %s ping statistics ---\n%d packets transmitted, %d packets received, %d%% packet loss\n",
		p.req.target, p.sent, p.received, loss)
	if p.received > 0 {
		s += fmt.Sprintf("round-trip min/avg/max/stddev = %s/%s/%s/%s ms\n", ms3(p.min), ms3(p.avg()), ms3(p.max), ms3(p.stddev()))
	}
	return s
}

func (junosRender) unknownHost(r pingRequest, _ time.Time) string {
	return "ping: cannot resolve " + r.target + ": Unknown host\n"
}
