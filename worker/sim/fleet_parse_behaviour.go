package sim

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// setter parses the value v of one key of a section into d; at names the
// key for problems.
type setter func(p *fleetParser, d *Device, at string, v *yaml.Node)

// sections are the device keys that hold a mapping of their own: how the
// session, the login and the SSH server behave. Each maps its keys to
// their parsers.
var sections = map[string]map[string]setter{
	"session": {
		"no_prompt": func(p *fleetParser, d *Device, at string, v *yaml.Node) {
			d.Session.NoPrompt = p.boolean(at, v)
		},
		"slow_banner": func(p *fleetParser, d *Device, at string, v *yaml.Node) {
			d.Session.SlowBanner = p.duration(at, v)
		},
	},
	"login": {
		"lands_in": func(p *fleetParser, d *Device, at string, v *yaml.Node) {
			d.Login.LandsIn = p.level(at, v)
		},
	},
}

// section parses the mapping n of a device's section name.
func (p *fleetParser) section(d *Device, at, name string, n *yaml.Node) {
	keys := sections[name]
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.addf(n, "%s: must be a mapping with %s", at, strings.Join(slices.Sorted(maps.Keys(keys)), ", "))
		return
	}
	seen := map[string]bool{}
	for j := 0; j+1 < len(n.Content); j += 2 {
		k, v := n.Content[j], n.Content[j+1]
		kat := at + "." + k.Value
		set, ok := keys[k.Value]
		switch {
		case !ok:
			p.addf(k, "%s: unknown field", kat)
		case seen[k.Value]:
			p.addf(k, "%s: given twice", kat)
		default:
			seen[k.Value] = true
			p.keys[name+"."+k.Value] = v
			set(p, d, kat, v)
		}
	}
}

// together checks what one key alone cannot: keys that must agree with
// others of the device.
func (p *fleetParser) together(d *Device, where string) {
	if n := p.keys["login.lands_in"]; n != nil && d.Login.LandsIn == UserExec {
		if pl := platformFor(d.Platform); pl != nil && pl.startUser == nil {
			p.addf(n, "%s: login.lands_in: %s has no user EXEC login (%s have)", where, d.Platform,
				strings.Join(userExecPlatforms(), ", "))
		}
	}
}

// userExecPlatforms are the platforms whose logins may land in user EXEC.
func userExecPlatforms() []string {
	var names []string
	for name, pl := range platforms {
		if pl.startUser != nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// scalar reports whether v is a single value, adding a problem if not.
func (p *fleetParser) scalar(at string, v *yaml.Node) bool {
	if v.Kind != yaml.ScalarNode {
		p.addf(v, "%s: must be a single value", at)
		return false
	}
	return true
}

// duration parses a duration of zero or more.
func (p *fleetParser) duration(at string, v *yaml.Node) time.Duration {
	if !p.scalar(at, v) {
		return 0
	}
	t, err := time.ParseDuration(v.Value)
	if err != nil || t < 0 {
		p.addf(v, "%s: %q is not a duration (like 50ms)", at, v.Value)
	}
	return t
}

// boolean parses true or false.
func (p *fleetParser) boolean(at string, v *yaml.Node) bool {
	var b bool
	if !p.scalar(at, v) {
		return false
	}
	if v.Tag != "!!bool" || v.Decode(&b) != nil {
		p.addf(v, "%s: %q is not true or false", at, v.Value)
	}
	return b
}

// levels spells the privilege levels a login may land in.
var levels = map[string]Level{"privileged": Privileged, "user-exec": UserExec}

// level parses where a login lands.
func (p *fleetParser) level(at string, v *yaml.Node) Level {
	if !p.scalar(at, v) {
		return Privileged
	}
	l, ok := levels[v.Value]
	if !ok {
		p.addf(v, "%s: %q is not a level (privileged, user-exec)", at, v.Value)
	}
	return l
}

// String renders l the way the fleet file spells it.
func (l Level) String() string {
	for s, v := range levels {
		if v == l {
			return s
		}
	}
	return fmt.Sprintf("Level(%d)", int(l))
}
