package worker

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/scrapli/scrapligo/assets"
	"github.com/scrapli/scrapligo/platform"
	"gopkg.in/yaml.v3"

	"github.com/linkwatch/linkwatch/worker/ping"
)

// cli is what the worker needs to know of a platform's CLI: how its prompt
// looks in any level a login may land in, and the commands that make
// output unpaged and unwrapped. Built once per platform, shared by every
// session.
//
// Both come from scrapligo's own platform definition, the one the platform
// table (package ping) names, not from copies:
//   - prompt: the patterns of the table's LoginLevels joined with "|", the
//     way scrapligo's network driver joins its levels' patterns;
//   - setup: the "driver.send-command" steps of the definition's
//     network-on-open, in order (terminal width and length; JunOS also
//     turns complete-on-space off), less the width step, kept apart as
//     width: a probe sends it only when a line it types may not fit
//     (see setupFor).
//
// The rest of the definition does not fit the worker, which drives
// scrapligo's generic driver, not its network driver (SCRAPLIGO.md: the
// platform driver costs about twice the CPU per probe): on-open's
// "acquire-priv" needs the network driver, so the worker takes only the
// escalation from user EXEC to privileged EXEC ("enable", its password
// prompt, both levels' prompts) and runs it itself when a credential says
// to (see enter); on-close and the configuration levels are never used.
type cli struct {
	prompt *regexp.Regexp
	setup  []string
	width  string // the step that widens the line; "" if the definition has none
	// enable is how to go from user EXEC to privileged EXEC, for
	// platforms whose login may land in either; nil where there is no
	// such step.
	enable *enable
}

// enable is the definition's escalation from its "exec" level to its
// "privilege-exec" level: the command, the password prompt it may show,
// and the prompt of each level.
type enable struct {
	command    string
	password   *regexp.Regexp
	user, priv *regexp.Regexp
	// either is the password prompt or any prompt of the platform: what
	// may follow enable or its secret.
	either *regexp.Regexp
}

// platformCLI looks name up in the platform table (package ping), aliases
// included, and returns the platform with its CLI.
func platformCLI(name string) (ping.Platform, cli, error) {
	pl, err := ping.Lookup(name)
	if err != nil {
		return ping.Platform{}, cli{}, err
	}
	c, ok := clis()[pl.Name]
	if !ok {
		return ping.Platform{}, cli{}, fmt.Errorf("platform %s: no CLI definition", pl.Name)
	}
	return pl, c.cli, c.err
}

type cliOrError struct {
	cli cli
	err error
}

// clis reads scrapligo's definition of every platform of the table, once.
var clis = sync.OnceValue(func() map[string]cliOrError {
	m := map[string]cliOrError{}
	for _, name := range ping.Platforms() {
		pl, _ := ping.Lookup(name)
		c, err := scrapliCLI(pl)
		if err != nil {
			err = fmt.Errorf("platform %s: scrapligo definition %s: %w", pl.Name, pl.Definition, err)
		}
		m[pl.Name] = cliOrError{c, err}
	}
	return m
})

// scrapliCLI builds pl's CLI from the scrapligo platform definition it
// names.
func scrapliCLI(pl ping.Platform) (cli, error) {
	data, err := assets.Assets.ReadFile("platforms/" + pl.Definition + ".yaml")
	if err != nil {
		return cli{}, err
	}
	var def platform.Definition
	if err := yaml.Unmarshal(data, &def); err != nil {
		return cli{}, err
	}
	if def.Default == nil {
		return cli{}, fmt.Errorf("no default platform")
	}
	var patterns []string
	for _, level := range pl.LoginLevels {
		l, ok := def.Default.PrivilegeLevels[level]
		switch {
		case !ok || l.Pattern == "":
			return cli{}, fmt.Errorf("no privilege level %q", level)
		case len(l.NotContains) > 0:
			// Exclusions need the network driver's prompt matching.
			return cli{}, fmt.Errorf("privilege level %q excludes prompts (not-contains)", level)
		}
		patterns = append(patterns, l.Pattern)
	}
	prompt, err := regexp.Compile(strings.Join(patterns, "|"))
	if err != nil {
		return cli{}, fmt.Errorf("prompt: %w", err)
	}
	c := cli{prompt: prompt}
	if c.enable, err = scrapliEnable(pl, def); err != nil {
		return cli{}, err
	}
	if c.enable != nil {
		c.enable.either = regexp.MustCompile("(?:" + c.enable.password.String() + ")|(?:" + prompt.String() + ")")
	}
	for _, op := range def.Default.NetworkOnOpen {
		if op["operation"] != platform.OpDriverSendCommand {
			continue
		}
		cmd, ok := op["command"].(string)
		if !ok || cmd == "" {
			return cli{}, fmt.Errorf("network-on-open: %s without a command", platform.OpDriverSendCommand)
		}
		if c.width == "" && widthStep.MatchString(cmd) {
			c.width = cmd
			continue
		}
		c.setup = append(c.setup, cmd)
	}
	return c, nil
}

// widthStep is the setup step that sets the line's width ("terminal width
// 511", "set cli screen-width 511").
var widthStep = regexp.MustCompile(`\bwidth\b`)

const (
	// narrowWidth is the width of a line that ignores the size the pty
	// request asks for (511 columns): 80, the default of every platform.
	// The platforms take the pty's size as the line's, so the width step
	// is a fallback for a line that might not.
	narrowWidth = 80
	// promptRoom is what a typed line leaves for the prompt before it
	// (RP/0/RSP0/CPU0:hostname#, user@hostname>): the prompt is not read
	// before the setup, which would cost a round trip.
	promptRoom = 40
)

// setupFor is the setup a probe that types lines needs: unpaged output
// always (a ping of many probes prints a line each on several platforms),
// the width step only when a line could reach narrowWidth with its
// prompt, where a line that kept the default width would wrap or scroll
// the echo and scrapligo would not find the command it typed.
func (c cli) setupFor(lines []string) []string {
	if c.width == "" {
		return c.setup
	}
	for _, l := range lines {
		if len(l)+promptRoom >= narrowWidth {
			return append([]string{c.width}, c.setup...)
		}
	}
	return c.setup
}

// scrapliEnable reads the escalation from "exec" to "privilege-exec" of a
// platform whose login may land in both; nil for one that lands in one
// level only.
func scrapliEnable(pl ping.Platform, def platform.Definition) (*enable, error) {
	if !slices.Contains(pl.LoginLevels, "exec") || !slices.Contains(pl.LoginLevels, "privilege-exec") {
		return nil, nil
	}
	user, priv := def.Default.PrivilegeLevels["exec"], def.Default.PrivilegeLevels["privilege-exec"]
	if priv.Escalate == "" || priv.PreviousPriv != "exec" {
		return nil, fmt.Errorf("privilege-exec: no escalation from exec")
	}
	e := &enable{command: priv.Escalate}
	var err error
	for _, r := range []struct {
		re  **regexp.Regexp
		pat string
	}{{&e.user, user.Pattern}, {&e.priv, priv.Pattern}, {&e.password, or(priv.EscalatePrompt, `(?im)^password:\s?$`)}} {
		if *r.re, err = regexp.Compile(r.pat); err != nil {
			return nil, fmt.Errorf("privilege-exec escalation: %w", err)
		}
	}
	return e, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
