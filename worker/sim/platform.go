package sim

import (
	"fmt"
	"time"

	"github.com/linkwatch/linkwatch/worker/ping"
)

// platform is one vendor CLI: modes with prompts and commands, its error
// texts and its ping. Each lives in its own file and registers itself in
// platforms.
type platform struct {
	name string
	// sshVersion is the server's SSH identification string.
	sshVersion string
	start      func() *mode // the mode a login lands in (a fresh mode tree per session)
	// startUser is the user EXEC mode a login lands in on a device whose
	// logins land there; nil on a platform without one.
	startUser func() *mode
	// userPing is the ping user EXEC allows, when it is narrower than the
	// privileged one.
	userPing *pingSyntax
	// banner is written when a shell starts, before the first prompt.
	banner func(c *cli) string
	// cliError renders a refused command line.
	cliError func(c *cli, e *cliError) string
	// ping parses the words after "ping" and renders the result.
	ping pingSyntax
	// render prints a ping's output in the platform's own format.
	render pingRenderer
	// blankAfterOutput: JunOS prints an empty line before every prompt that
	// follows a command.
	blankAfterOutput bool
}

// platforms holds every platform the simulator plays, by its name in the
// platform table of package ping.
var platforms = map[string]*platform{}

// register adds p under a platform name of the table in package ping; it
// panics on any other name, an alias included, so the simulator plays the
// table's platforms under the table's names.
func register(p *platform) *platform {
	if pl, err := ping.Lookup(p.name); err != nil || pl.Name != p.name {
		panic(fmt.Sprintf("sim: %q is not a platform name of package ping's table", p.name))
	}
	platforms[p.name] = p
	return p
}

// login returns the mode a login to d lands in.
func (p *platform) login(d *Device) *mode {
	if d.Login.LandsIn == UserExec && p.startUser != nil {
		return p.startUser()
	}
	return p.start()
}

// platformFor returns the platform that name names in package ping's table,
// aliases included, or nil: the simulator accepts exactly the names the
// configuration and the worker accept.
func platformFor(name string) *platform {
	pl, err := ping.Lookup(name)
	if err != nil {
		return nil
	}
	return platforms[pl.Name]
}

// modeTree helps build a platform's modes: exit leads from a mode to its
// parent (or logs out at the top), end from a configuration mode to the
// privileged one.
type modeTree struct {
	user, priv, config *mode
}

// ciscoModes builds the user (>), privileged (#) and configuration modes
// that IOS-XE, NX-OS and EOS share. prompt gets the host name and the
// suffix: ">", "#" or "(config)#".
func ciscoModes(prompt func(c *cli, suffix string) string, extra []*command) modeTree {
	t := modeTree{
		user:   &mode{name: "exec", user: true, prompt: func(c *cli) string { return prompt(c, ">") }},
		priv:   &mode{name: "privilege-exec", prompt: func(c *cli) string { return prompt(c, "#") }},
		config: &mode{name: "configuration", prompt: func(c *cli) string { return prompt(c, "(config)#") }},
	}
	exec := append(sessionCommands(), extra...)
	t.user.commands = append(exec, cmd("enable", func(c *cli, _ []string, _ []token) { c.enable(t.priv) }))
	t.priv.commands = append(append(sessionCommands(), extra...),
		cmd("disable", func(c *cli, _ []string, _ []token) { c.mode = t.user }),
		cmd("enable", func(c *cli, _ []string, _ []token) {}),
		cmd("configure terminal", func(c *cli, _ []string, _ []token) {
			c.print("Enter configuration commands, one per line.  End with CNTL/Z.\n")
			c.mode = t.config
		}),
	)
	t.config.commands = configCommands(t.priv, t.priv)
	return t
}

// sessionCommands are the ways out of an exec mode.
func sessionCommands() []*command {
	bye := func(c *cli, _ []string, _ []token) { c.done = true }
	return []*command{cmd("exit", bye), cmd("logout", bye), cmd("quit", bye)}
}

// configCommands are what the simulator models of a configuration mode:
// leaving it, and running an exec command with "do".
func configCommands(exit, end *mode) []*command {
	leave := func(to *mode) func(c *cli, _ []string, _ []token) {
		return func(c *cli, _ []string, _ []token) { c.mode = to }
	}
	return []*command{
		cmd("end", leave(end)),
		cmd("exit", leave(exit)),
		cmd("do ...", func(c *cli, _ []string, rest []token) { c.doExec(end, rest) }),
	}
}

// doExec runs an exec command from a configuration mode.
func (c *cli) doExec(exec *mode, rest []token) {
	cm, err := lookup(exec.commands, rest)
	if err != nil {
		c.refuse(rest, err)
		return
	}
	args, r := cm.args(rest)
	cm.run(c, args, r)
}

// enable asks for the enable secret and moves to the privileged mode. A
// device whose logins land in user EXEC plays one with AAA: one try, and a
// wrong secret is "% Access denied". Otherwise it is IOS's local enable
// secret: three tries, then "% Bad secrets".
func (c *cli) enable(priv *mode) {
	tries, refusal := 3, "% Bad secrets\n"
	if c.dev().Login.LandsIn == UserExec {
		tries, refusal = 1, "% Access denied\n\n"
	}
	for range tries {
		pw, ok := c.readSecret("Password: ")
		if !ok {
			return
		}
		if pw == c.dev().EnableSecret() {
			c.mode = priv
			return
		}
	}
	c.failed = true
	c.print(refusal)
}

// uptime renders the time since the server started like "1 day, 2 hours,
// 3 minutes".
func (c *cli) uptime() string {
	days, hours, mins, _ := c.uptimeParts()
	plural := func(n int, unit string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, unit)
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	return plural(days, "day") + ", " + plural(hours, "hour") + ", " + plural(mins, "minute")
}

// uptimeParts splits the time since the server started.
func (c *cli) uptimeParts() (days, hours, mins, secs int) {
	d := c.now().Sub(c.started)
	return int(d / (24 * time.Hour)), int(d/time.Hour) % 24, int(d/time.Minute) % 60, int(d/time.Second) % 60
}

// terminalCommand builds "terminal <what> <lo-hi>": paging and width are
// accepted and remembered nowhere, since the simulator never pages.
func terminalCommand(what string, lo, hi int, reply string) *command {
	return cmd(fmt.Sprintf("terminal %s <%d-%d>", what, lo, hi), func(c *cli, args []string, _ []token) {
		if reply != "" {
			c.print(fmt.Sprintf(reply, args[0]))
		}
	})
}

// silent is a command that prints nothing.
func silent(*cli, []string, []token) {}
