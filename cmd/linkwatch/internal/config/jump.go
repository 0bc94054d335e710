package config

import (
	"fmt"
	"maps"
	"slices"

	"github.com/linkwatch/linkwatch/proto"
)

// JumpHost is an SSH bastion that devices are reached through
// (jump_hosts.NAME), with a login of its own: a key of Config.Credentials,
// never a password in the file. A device says which one it uses in its
// jump_host; a jump host's Sites apply it to every device of those sites
// that does not say; defaults.jump_host applies to every other device.
type JumpHost struct {
	Name        string   `yaml:"-"` // its key in jump_hosts
	Host        string   `yaml:"host"`
	Port        int      `yaml:"port"` // default 22
	Credentials string   `yaml:"credentials"`
	SSH         SSH      `yaml:"ssh"`
	Sites       []string `yaml:"sites"`
}

// NoJumpHost, as a device's jump_host, reaches the device directly when
// its site or the defaults name a jump host. No jump host may be called
// so.
const NoJumpHost = "none"

// defaultJumpPort is a jump host's port when the file does not say.
const defaultJumpPort = 22

// jumpHosts resolves the jump hosts: their names and default ports.
func (f *file) jumpHosts(given func(path string) bool) map[string]JumpHost {
	if f.JumpHosts == nil {
		return nil
	}
	out := make(map[string]JumpHost, len(f.JumpHosts))
	for name, j := range f.JumpHosts {
		j.Name = name
		if !given(join(join("jump_hosts", name), "port")) {
			j.Port = defaultJumpPort
		}
		out[name] = j
	}
	return out
}

// jumpHostName is the jump host of a device, as written (rd) at site: its
// own jump_host, else that of the jump host whose sites list the site,
// else the defaults'. "" or NoJumpHost is none.
func (f *file) jumpHostName(rd rawDevice, site string) string {
	if rd.JumpHost != "" {
		return rd.JumpHost
	}
	if name, ok := siteJumpHost(f.JumpHosts, site); ok {
		return name
	}
	return f.Defaults.JumpHost
}

// siteJumpHost is the jump host whose sites list site (the first by name;
// validation refuses a site listed twice).
func siteJumpHost(jumps map[string]JumpHost, site string) (string, bool) {
	for _, name := range slices.Sorted(maps.Keys(jumps)) {
		if slices.Contains(jumps[name].Sites, site) {
			return name, true
		}
	}
	return "", false
}

// jumpOf is the resolved jump host named name, nil for none (or for a
// name validation will refuse).
func jumpOf(jumps map[string]JumpHost, name string) *JumpHost {
	j, ok := jumps[name]
	if !ok || name == NoJumpHost {
		return nil
	}
	return &j
}

// jumps checks the jump hosts and every reference to one.
func (v *validator) jumps() {
	siteOwner := map[string]string{} // site → path of the sites entry that claims it
	for _, name := range slices.Sorted(maps.Keys(v.cfg.JumpHosts)) {
		j := v.cfg.JumpHosts[name]
		path := join("jump_hosts", name)
		v.check(path, proto.ValidName(name))
		if name == NoJumpHost {
			v.errorf(path, "%q cannot name a jump host: jump_host: %s means none", name, NoJumpHost)
		}
		v.required(join(path, "host"), j.Host, proto.ValidTarget)
		v.intRange(join(path, "port"), j.Port, 1, 65535)
		if j.Credentials == "" {
			v.errorf(join(path, "credentials"), "is required: the jump host's own login, a key of credentials")
		} else {
			v.credentialRef(join(path, "credentials"), j.Credentials)
		}
		v.ssh(join(path, "ssh"), j.SSH)
		for i, site := range j.Sites {
			sp := fmt.Sprintf("%s.sites[%d]", path, i)
			switch first, taken := siteOwner[site]; {
			case proto.ValidName(site) != nil:
				v.check(sp, proto.ValidName(site))
			case taken:
				v.errorf(sp, "site %q is already given a jump host by %s", site, first)
			case len(v.cfg.DevicesAt(site)) == 0:
				v.errorf(sp, "no device is at site %q", site)
			default:
				siteOwner[site] = sp
			}
		}
	}
	v.jumpHostRef("defaults.jump_host", v.f.Defaults.JumpHost)
	for i, rd := range v.f.Devices {
		path := fmt.Sprintf("devices[%d]", i)
		v.jumpHostRef(join(path, "jump_host"), rd.JumpHost)
		if _, clash := v.cfg.JumpHosts[rd.Name]; clash {
			v.errorf(join(path, "name"), "%q is also the name of a jump host: a site's devices and jump hosts share its host key pins, "+
				"so their names must differ", rd.Name)
		}
	}
}

// jumpHostRef checks a jump_host setting: empty, none, or a jump host.
func (v *validator) jumpHostRef(path, name string) {
	if _, ok := v.cfg.JumpHosts[name]; name != "" && name != NoJumpHost && !ok {
		v.errorf(path, "%q is not defined in jump_hosts (or say %s to reach the device directly)", name, NoJumpHost)
	}
}
