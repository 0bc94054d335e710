package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/worker"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// defaults checks the defaults section; the devices that rely on it are
// then not blamed for its mistakes.
func (v *validator) defaults() {
	def := v.f.Defaults
	if def.Platform != "" {
		v.platform("defaults.platform", def.Platform)
	}
	if def.Credentials != "" {
		v.credentialRef("defaults.credentials", def.Credentials)
	}
	v.check("defaults.site", proto.ValidName(def.Site))
	v.intRange("defaults.port", def.Port, 1, 65535)
	v.ssh("defaults.ssh", def.SSH)
	v.session("defaults.session", def.Session)
	v.ping("defaults.ping", def.Ping)
}

// session checks a session mode.
func (v *validator) session(path, mode string) {
	if mode != SessionPerProbe && mode != SessionPersistent {
		v.errorf(path, "%q is not a session mode (%s or %s)", mode, SessionPerProbe, SessionPersistent)
	}
}

func (v *validator) platform(path, name string) {
	if !ping.Known(name) {
		v.errorf(path, "%q is not a known platform (%s)%s", name, ping.KnownList(), ping.Hint(name))
	}
}

// ssh checks that every algorithm named at path is one linkwatch speaks.
func (v *validator) ssh(path string, s SSH) {
	for _, l := range []struct {
		kind  string // the key, as worker.CheckAlgorithms names the kind
		names []string
	}{{"key_exchanges", s.KeyExchanges}, {"ciphers", s.Ciphers}, {"macs", s.MACs}, {"host_key_algorithms", s.HostKeyAlgorithms}} {
		for j, name := range l.names {
			v.check(fmt.Sprintf("%s.%s[%d]", path, l.kind, j), worker.CheckAlgorithms(l.kind, []string{name}))
		}
	}
}

func (v *validator) credentialRef(path, name string) {
	if _, ok := v.cfg.Credentials[name]; !ok {
		v.errorf(path, "%q is not defined in credentials", name)
	}
}

// ping checks the ping settings given at path against the limits the
// worker enforces (ping.Params.Validate). It reports whether they were all
// valid.
func (v *validator) ping(path string, o overrides) bool {
	before := len(v.d.errs)
	if o.Count != nil {
		v.intRange(join(path, "count"), *o.Count, ping.MinCount, ping.MaxCount)
	}
	if t := o.Timeout; t != nil && *t%time.Second != 0 {
		v.errorf(join(path, "timeout"), "%s is not a whole number of seconds", *t)
	} else if t != nil {
		v.durRange(join(path, "timeout"), *t, ping.MinTimeout, ping.MaxTimeout)
	}
	if s := o.Size; s != nil && *s != 0 && (*s < ping.MinSize || *s > ping.MaxSize) {
		v.errorf(join(path, "size"), "%d is out of range (0, or %d..%d)", *s, ping.MinSize, ping.MaxSize)
	}
	if o.VRF != nil {
		v.check(join(path, "vrf"), proto.ValidVRF(*o.VRF))
	}
	if o.Source != nil {
		v.check(join(path, "source"), proto.ValidSource(*o.Source))
	}
	return len(v.d.errs) == before && !v.d.bad[join(path, "count")] && !v.d.bad[join(path, "timeout")]
}

func (v *validator) devices() {
	names := map[string]int{}
	for i, rd := range v.f.Devices {
		path := fmt.Sprintf("devices[%d]", i)
		if first, dup := names[rd.Name]; dup && rd.Name != "" {
			v.errorf(join(path, "name"), "duplicate device name %q (also %s)", rd.Name, v.deviceRef(first))
		} else {
			names[rd.Name] = i
		}
		v.device(path, rd, v.cfg.Devices[i])
	}
}

// deviceRef names device i for a message about another: devices[i], or
// the line of its row in a devices file.
func (v *validator) deviceRef(i int) string {
	path := fmt.Sprintf("devices[%d]", i)
	if _, csv := v.d.srcOf[path]; csv {
		return fmt.Sprintf("line %d", v.d.nodes[path].Line)
	}
	return path
}

// device checks one device as written (rd) and as resolved (d).
func (v *validator) device(path string, rd rawDevice, d Device) {
	v.required(join(path, "name"), d.Name, proto.ValidName)
	v.required(join(path, "host"), d.Host, proto.ValidTarget)
	if rd.Port != nil {
		v.intRange(join(path, "port"), *rd.Port, 1, 65535)
	}
	if rd.Platform != "" {
		v.platform(join(path, "platform"), rd.Platform)
	} else if d.Platform == "" {
		v.errorf(join(path, "platform"), "is required (here or in defaults.platform)")
	}
	if rd.Site != "" {
		v.check(join(path, "site"), proto.ValidName(rd.Site))
	}
	if rd.Credentials != "" {
		v.credentialRef(join(path, "credentials"), rd.Credentials)
	} else if d.Credentials == "" {
		v.errorf(join(path, "credentials"), "is required (here or in defaults.credentials)")
	}
	if rd.SSH != nil {
		v.ssh(join(path, "ssh"), *rd.SSH)
	}
	if rd.Session != "" {
		v.session(join(path, "session"), rd.Session)
	}
	pingOK := v.ping(join(path, "ping"), rd.Ping)
	if v.targets(path, rd, d) && pingOK {
		v.pingTime(path, d)
	}
}

// targets checks the targets of one device as written (rd) and as resolved
// (d). It reports whether their ping settings were all valid.
func (v *validator) targets(path string, rd rawDevice, d Device) bool {
	if len(rd.Targets) == 0 {
		v.errorf(join(path, "targets"), "at least one target is required")
	}
	ok := true
	seen := map[string]int{}
	for j, rt := range rd.Targets {
		tp := fmt.Sprintf("%s.targets[%d]", path, j)
		v.required(join(tp, "address"), rt.Address, proto.ValidPingTarget)
		ok = v.ping(tp, rt.Ping) && ok
		t := d.Targets[j]
		key := linkKey(t)
		if first, dup := seen[key]; dup && t.Address != "" {
			v.errorf(join(tp, "address"), "duplicate target %q%s (also targets[%d])", t.Address, inVRF(t.VRF), first)
		} else {
			seen[key] = j
		}
	}
	return ok
}

// required checks a value that must be given and must be valid.
func (v *validator) required(path, s string, valid func(string) error) {
	if s == "" {
		v.errorf(path, "is required")
		return
	}
	v.check(path, valid(s))
}

// linkKey identifies a link within a device: its address, in canonical
// form, and its VRF.
func linkKey(t Target) string {
	addr := strings.ToLower(strings.TrimSuffix(t.Address, "."))
	if a, err := netip.ParseAddr(t.Address); err == nil {
		addr = a.String()
	}
	return addr + " " + t.VRF
}

func inVRF(vrf string) string {
	if vrf == "" {
		return ""
	}
	return fmt.Sprintf(" in VRF %q", vrf)
}

// pingTime checks that one round of a device's pings, which run one after
// another, fits in the interval.
func (v *validator) pingTime(path string, d Device) {
	if v.d.bad["interval"] || v.cfg.Interval < minInterval || v.cfg.Interval > maxInterval {
		return // the interval is wrong, reported already
	}
	var total time.Duration
	for _, t := range d.Targets {
		total += time.Duration(t.Count) * t.Timeout
	}
	if total > v.cfg.Interval {
		v.errorf(path, "pings may take %s (count × timeout summed over %d targets), longer than interval %s",
			fmtDur(total), len(d.Targets), fmtDur(v.cfg.Interval))
	}
}
