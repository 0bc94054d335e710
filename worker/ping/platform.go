package ping

import (
	"fmt"
	"slices"
	"strings"

	"github.com/linkwatch/linkwatch/internal/suggest"
)

// Platform is everything linkwatch knows of one platform, in one place: the
// names it goes by, how a session with it is prepared, how to type a ping
// and how to read what comes back. The configuration, `linkwatch parse`,
// the worker and the simulator all accept exactly the names of this table.
type Platform struct {
	// Name is the platform's name in the configuration, fleet files and
	// results.
	Name string
	// Aliases are other names accepted for the platform.
	Aliases []string
	// Definition names the scrapligo platform definition
	// (github.com/scrapli/scrapligo/assets/platforms/<Definition>.yaml) that
	// the worker takes the prompt patterns and the setup commands from:
	// scrapligo maintains each vendor's prompts and paging commands, so
	// linkwatch does not keep copies of them. This package stays free of
	// scrapligo; the worker reads the definition.
	Definition string
	// LoginLevels are the privilege levels of Definition a login may land
	// in, by scrapligo's names. The worker waits for any of their prompts;
	// where a login may land in user EXEC ("exec") and ping with options
	// needs privileged EXEC, a credential with enable makes the worker go
	// there first.
	LoginLevels []string

	command func(p Params) (string, error)
	parse   func(output string) Result
}

// platforms is the table: every supported platform, sorted by name. The
// command and parser of each live in the platform's own file.
var platforms = []Platform{
	{
		Name: "arista_eos", Definition: "arista_eos", LoginLevels: []string{"exec", "privilege-exec"},
		command: eosCommand, parse: parseEOS,
	},
	{
		// Classic IOS prints what IOS-XE prints and takes the same ping
		// options and terminal commands.
		Name: "cisco_iosxe", Aliases: []string{"cisco_ios"},
		Definition: "cisco_iosxe", LoginLevels: []string{"exec", "privilege-exec"},
		command: iosxeCommand, parse: parseIOSXE,
	},
	{
		// IOS-XR has one exec level, "#".
		Name: "cisco_iosxr", Definition: "cisco_iosxr", LoginLevels: []string{"exec"},
		command: iosxrCommand, parse: parseIOSXR,
	},
	{
		Name: "cisco_nxos", Definition: "cisco_nxos", LoginLevels: []string{"exec", "privilege-exec"},
		command: nxosCommand, parse: parseNXOS,
	},
	{
		// A JunOS login lands in operational mode, scrapligo's "exec".
		Name: "juniper_junos", Definition: "juniper_junos", LoginLevels: []string{"exec"},
		command: junosCommand, parse: parseJunos,
	},
}

// Platforms returns the names of the supported platforms, sorted, without
// their aliases.
func Platforms() []string {
	names := make([]string, len(platforms))
	for i, p := range platforms {
		names[i] = p.Name
	}
	return names
}

// Names returns every accepted platform name, aliases included, sorted.
func Names() []string {
	var names []string
	for _, p := range platforms {
		names = append(append(names, p.Name), p.Aliases...)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the platform that name names, directly or as an alias. Its
// error names the known platforms.
func Lookup(name string) (Platform, error) {
	for _, p := range platforms {
		if p.Name == name || slices.Contains(p.Aliases, name) {
			return p, nil
		}
	}
	return Platform{}, fmt.Errorf("unknown platform %q (known: %s)%s", name, KnownList(), Hint(name))
}

// KnownList lists the platforms for a message, each with its aliases:
// "arista_eos, cisco_iosxe (alias cisco_ios), …".
func KnownList() string {
	items := make([]string, len(platforms))
	for i, p := range platforms {
		items[i] = p.Name
		if len(p.Aliases) > 0 {
			items[i] += " (alias " + strings.Join(p.Aliases, ", ") + ")"
		}
	}
	return strings.Join(items, ", ")
}

// Hint ends a message saying that name is not a platform with the one it
// was most likely meant to be, or is "": `; did you mean "cisco_iosxe"?`,
// or for an alias `; did you mean "cisco_ios" (an alias of
// "cisco_iosxe")?`.
func Hint(name string) string {
	guess, ok := suggest.Closest(name, Names())
	if !ok {
		return ""
	}
	p, _ := Lookup(guess)
	if p.Name == guess {
		return fmt.Sprintf("; did you mean %q?", guess)
	}
	return fmt.Sprintf("; did you mean %q (an alias of %q)?", guess, p.Name)
}

// Known reports whether name is a supported platform or one of its aliases.
func Known(name string) bool {
	_, err := Lookup(name)
	return err == nil
}

// Command validates p and returns the single-line ping command in the
// platform's syntax. Nothing that fails validation ever reaches the
// returned string, and the line is checked once more as it is built: it is
// the verb, the target and the platform's own keyword/value options, each
// word one proto.ValidCommandToken. So a target, VRF or source cannot
// smuggle a second command or an extra option.
func (pl Platform) Command(p Params) (string, error) {
	if pl.command == nil {
		return "", fmt.Errorf("unknown platform %q", pl.Name)
	}
	if err := p.Validate(); err != nil {
		return "", err
	}
	return pl.command(p)
}

// Parse classifies what a ping printed on the platform. Any device output,
// however odd, gives a Result, with Status ERROR and the device's own
// message in Error when the output is an error or holds no ping
// statistics.
func (pl Platform) Parse(output string) Result {
	if pl.parse == nil {
		return errorResult(fmt.Sprintf("unknown platform %q", pl.Name))
	}
	return pl.parse(output)
}
