package sim

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
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
		"lockout": func(p *fleetParser, d *Device, at string, v *yaml.Node) {
			d.Login.Lockout = p.lockout(at, v)
		},
		"methods": func(p *fleetParser, d *Device, at string, v *yaml.Node) {
			d.Login.Methods = p.oneOfEach(at, v, authMethods, "an authentication method")
		},
		"instruction": func(p *fleetParser, d *Device, at string, v *yaml.Node) {
			if p.scalar(at, v) && v.Value == "" {
				p.addf(v, "%s: is empty", at)
			}
			d.Login.Instruction = v.Value
		},
	},
	"ssh": {
		"algorithms": func(p *fleetParser, d *Device, at string, v *yaml.Node) {
			d.SSH.Algorithms = p.algorithms(at, v)
		},
		"host_keys": func(p *fleetParser, d *Device, at string, v *yaml.Node) {
			d.SSH.HostKeys = p.hostKeys(at, v)
		},
		"host_key_seed": func(p *fleetParser, d *Device, at string, v *yaml.Node) {
			if p.scalar(at, v) && v.Value == "" {
				p.addf(v, "%s: is empty", at)
			}
			d.SSH.HostKeySeed = v.Value
		},
	},
}

// section parses the mapping n of a device's section name.
func (p *fleetParser) section(d *Device, at, name string, n *yaml.Node) {
	keys := sections[name]
	p.mapping(at, n, slices.Sorted(maps.Keys(keys)), func(key, kat string, v *yaml.Node) {
		p.keys[name+"."+key] = v
		keys[key](p, d, kat, v)
	})
}

// mapping walks the mapping n, at path at, whose keys may be those listed:
// each one given goes to each with its own path; an unknown key or a key
// given twice is a problem. It returns the keys given, or nil when n is not
// a mapping (an empty value is an empty mapping).
func (p *fleetParser) mapping(at string, n *yaml.Node, keys []string, each func(key, at string, v *yaml.Node)) map[string]bool {
	seen := map[string]bool{}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return seen
	}
	if n.Kind != yaml.MappingNode {
		p.addf(n, "%s: must be a mapping with %s", at, strings.Join(keys, ", "))
		return nil
	}
	for j := 0; j+1 < len(n.Content); j += 2 {
		k, v := n.Content[j], n.Content[j+1]
		kat := at + "." + k.Value
		switch {
		case !slices.Contains(keys, k.Value):
			p.addf(k, "%s: unknown field", kat)
		case seen[k.Value]:
			p.addf(k, "%s: given twice", kat)
		default:
			seen[k.Value] = true
			each(k.Value, kat, v)
		}
	}
	return seen
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
	if !d.SSH.legacyKeysOK() {
		n := p.keys["ssh.host_keys"] // only given keys can be wrong: the default suits
		p.addf(n, "%s: ssh.host_keys: %s algorithms offer rsa host keys only", where, d.SSH.Algorithms)
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

// lockout parses {after: N, within: DURATION, for: DURATION}; after and
// for are required, within defaults to for.
func (p *fleetParser) lockout(at string, n *yaml.Node) Lockout {
	var lo Lockout
	seen := p.mapping(at, n, []string{"after", "within", "for"}, func(key, kat string, v *yaml.Node) {
		switch key {
		case "after":
			lo.After = p.count(kat, v)
		case "within":
			lo.Within = p.positive(kat, v)
		case "for":
			lo.For = p.positive(kat, v)
		}
	})
	if seen == nil {
		return Lockout{}
	}
	for _, req := range []string{"after", "for"} {
		if !seen[req] {
			p.addf(n, "%s.%s: missing", at, req)
		}
	}
	if !seen["within"] {
		lo.Within = lo.For
	}
	return lo
}

// count parses a whole number of 1 or more.
func (p *fleetParser) count(at string, v *yaml.Node) int {
	if !p.scalar(at, v) {
		return 0
	}
	n, err := strconv.Atoi(v.Value)
	if err != nil || n < 1 {
		p.addf(v, "%s: %q is not a count (1 or more)", at, v.Value)
	}
	return n
}

// positive parses a duration of more than zero.
func (p *fleetParser) positive(at string, v *yaml.Node) time.Duration {
	if !p.scalar(at, v) {
		return 0
	}
	t, err := time.ParseDuration(v.Value)
	if err != nil || t <= 0 {
		p.addf(v, "%s: %q is not a duration above zero (like 1m)", at, v.Value)
	}
	return t
}

// algorithms parses an algorithm set's name.
func (p *fleetParser) algorithms(at string, v *yaml.Node) Algorithms {
	if !p.scalar(at, v) {
		return Modern
	}
	a, ok := algorithmSets[v.Value]
	if !ok {
		p.addf(v, "%s: %q is not an algorithm set (%s)", at, v.Value, strings.Join(slices.Sorted(maps.Keys(algorithmSets)), ", "))
	}
	return a
}

// hostKeys parses a list of host key types, each at most once.
func (p *fleetParser) hostKeys(at string, n *yaml.Node) []KeyType {
	names := make([]string, len(keyTypes))
	for i, t := range keyTypes {
		names[i] = string(t)
	}
	var ts []KeyType
	for _, name := range p.oneOfEach(at, n, names, "a host key type") {
		ts = append(ts, KeyType(name))
	}
	return ts
}

// oneOfEach parses a list of one or more of names, each at most once; what
// says what one of them is, for problems.
func (p *fleetParser) oneOfEach(at string, n *yaml.Node, names []string, what string) []string {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.addf(n, "%s: must be a list of one or more of %s", at, strings.Join(names, ", "))
		return nil
	}
	var out []string
	for i, v := range n.Content {
		iat := fmt.Sprintf("%s[%d]", at, i)
		switch {
		case v.Kind != yaml.ScalarNode || !slices.Contains(names, v.Value):
			p.addf(v, "%s: %q is not %s (%s)", iat, v.Value, what, strings.Join(names, ", "))
		case slices.Contains(out, v.Value):
			p.addf(v, "%s: %s: given twice", iat, v.Value)
		default:
			out = append(out, v.Value)
		}
	}
	return out
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
