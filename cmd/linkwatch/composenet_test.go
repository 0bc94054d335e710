package main

import (
	"fmt"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/worker/ping"
	"github.com/linkwatch/linkwatch/worker/sim"
)

// isolation checks, on the loaded model, what the compose deployment
// promises (deploy/README.md, "Docker Compose"): each site's routers on
// its own network only, which no service but the site's workers, routers
// and leaf node joins; a site's workers on its network, a remote site's
// (one with a leaf node) on nothing else, reaching the bus through the
// leaf node; every linkwatch service with its own role's key and a
// read-only root file system.
func (c *composeChecker) isolation() {
	for _, s := range c.linkwatch {
		if !s.spec.ReadOnly {
			c.addf(s.name, "read_only is not true: linkwatch writes only to its volumes")
		}
		if s.cmd != nil {
			c.keys(s)
		}
	}
	for _, d := range c.devices() {
		c.deviceHost(d)
	}
	for _, s := range c.linkwatch {
		if s.cmd != nil && s.cmd.Name() == "worker" {
			c.worker(s, flagValue(s.cmd, "site"))
		}
	}
	c.siteNetworks()
	c.storeNetworks()
}

// storeNetworks checks that the state store and the mail relay (the
// hosts of state.redis_url and notify.smtp) share networks with the
// notifiers only: a site's worker or leaf node that could reach Redis
// (no password, off loopback) could rewrite or wipe state and alerts, and
// one that could reach the relay could send mail as linkwatch.
func (c *composeChecker) storeNetworks() {
	stores := map[string]bool{}
	for _, s := range c.linkwatch {
		if s.cfg == nil {
			continue
		}
		if u, err := url.Parse(s.cfg.State.RedisURL); err == nil && u.Hostname() != "" {
			stores[u.Hostname()] = true
		}
		if s.cfg.Notify.SMTP != nil {
			stores[s.cfg.Notify.SMTP.Host] = true
		}
	}
	for store := range stores {
		spec, ok := c.project.Services[store]
		if !ok {
			continue
		}
		for _, n := range networksOf(spec) {
			for _, name := range c.project.ServiceNames() {
				if name == store || stores[name] || !slices.Contains(networksOf(c.project.Services[name]), n) {
					continue
				}
				if ls := c.service(name); ls == nil || ls.cmd == nil || ls.cmd.Name() != "notifier" {
					c.addf(name, "shares network %s with %s, which only the notifiers may reach", n, store)
				}
			}
		}
	}
}

// devices returns the devices of every configuration a linkwatch service
// reads, each once.
func (c *composeChecker) devices() []config.Device {
	var devs []config.Device
	for _, s := range c.linkwatch {
		if s.cfg == nil {
			continue
		}
		for _, d := range s.cfg.Devices {
			if !slices.ContainsFunc(devs, func(o config.Device) bool { return o.Name == d.Name && o.Site == d.Site && o.Host == d.Host }) {
				devs = append(devs, d)
			}
		}
	}
	return devs
}

// deviceHost checks that a device's host is a service on the network of
// the device's site and no other, and, when it is a simulator, that it
// serves the device on its port and platform.
func (c *composeChecker) deviceHost(d config.Device) {
	spec, ok := c.project.Services[d.Host]
	if !ok {
		c.problems = append(c.problems, fmt.Sprintf("%s: device %s of site %s: its host %q is not a service", composeFile, d.Name, d.Site, d.Host))
		return
	}
	if nets := networksOf(spec); !slices.Equal(nets, []string{d.Site}) {
		c.addf(d.Host, "host of device %s of site %s: on networks %v, want %s only", d.Name, d.Site, nets, d.Site)
	}
	s := c.service(d.Host)
	if s == nil || s.fleet == nil {
		return
	}
	want, _ := ping.Lookup(d.Platform)
	if !slices.ContainsFunc(s.fleet.Devices, func(f sim.Device) bool {
		got, err := ping.Lookup(f.Platform)
		return f.Port == d.Port && err == nil && got.Name == want.Name
	}) {
		c.addf(d.Host, "serves no %s device on port %d, which device %s of site %s is (--fleet %s)", d.Platform, d.Port, d.Name, d.Site, flagValue(s.cmd, "fleet"))
	}
}

// worker checks that a worker of site is on the site's network, and that
// a worker of a remote site (one with a leaf node) is on no other.
func (c *composeChecker) worker(s *linkwatchService, site string) {
	nets := networksOf(s.spec)
	_, remote := c.leafNode(site)
	switch {
	case !slices.Contains(nets, site):
		c.addf(s.name, "worker of site %s: not on network %s (on %v)", site, site, nets)
	case remote && len(nets) != 1:
		c.addf(s.name, "worker of site %s, which has a leaf node: on networks %v, want %s only", site, nets, site)
	}
}

// bus checks that the NATS server a service of role logs in to (the host
// of each nats.url) is one service on the service's networks: for a
// worker of a remote site, the site's leaf node.
func (c *composeChecker) bus(s *linkwatchService, role proto.Role) {
	if s.cfg.NATS.URL == "" {
		c.addf(s.name, "its configuration has no nats.url: role %s has no server to log in to (no linkwatch run here)", role)
		return
	}
	site, _ := role.Site()
	leaf, remote := c.leafNode(site)
	for _, u := range config.NATSURLs(s.cfg.NATS.URL) {
		host := hostOf(u)
		switch got := c.answering(s.spec, host); {
		case remote && !slices.Equal(got, []string{leaf}):
			c.addf(s.name, "nats.url host %q: answered by %v on its networks %v, want only the leaf node %s", host, got, networksOf(s.spec), leaf)
		case len(got) != 1:
			c.addf(s.name, "nats.url host %q: answered by %v on its networks %v, want one service", host, got, networksOf(s.spec))
		}
	}
}

// leafNode returns the service of site's NATS leaf node, nats-leaf-<site>
// after its role, and whether there is one: whether site is remote.
func (c *composeChecker) leafNode(site string) (string, bool) {
	name := leafService(site)
	_, ok := c.project.Services[name]
	return name, ok && name != ""
}

// siteNetworks checks that no service but a site's workers, routers and
// leaf node is on the site's network.
func (c *composeChecker) siteNetworks() {
	var sites []string
	for _, d := range c.devices() {
		sites = append(sites, d.Site)
	}
	for _, name := range c.project.ServiceNames() {
		for _, n := range networksOf(c.project.Services[name]) {
			if slices.Contains(sites, n) && !c.mayJoin(name, n) {
				c.addf(name, "on network %s, which only %s's workers, routers and NATS leaf node may join", n, n)
			}
		}
	}
}

// mayJoin reports whether a service is one of site's workers, routers or
// its leaf node. A linkwatch service whose command is wrong may: what it
// is is unknown, and its command is reported.
func (c *composeChecker) mayJoin(service, site string) bool {
	if service == leafService(site) || slices.ContainsFunc(c.devices(), func(d config.Device) bool {
		return d.Site == site && d.Host == service
	}) {
		return true
	}
	s := c.service(service)
	return s != nil && (s.cmd == nil || s.cmd.Name() == "worker" && flagValue(s.cmd, "site") == site)
}

// keys checks that a service mounts exactly one key volume, its role's
// (key-<role>, which setup.sh makes), read-only, where its configuration's
// nats.nkey_seed_file is, and reaches the bus; and that a command that
// logs in to no bus mounts none.
func (c *composeChecker) keys(s *linkwatchService) {
	role, err := busRole(s)
	if err != nil {
		c.addf(s.name, "%v", err)
		return
	}
	var keys []types.ServiceVolumeConfig
	for _, v := range s.spec.Volumes {
		if strings.HasPrefix(v.Source, "key-") || v.Target == "/keys" || s.cfg != nil && v.Target == path.Dir(s.cfg.NATS.NkeySeedFile) {
			keys = append(keys, v)
		}
	}
	switch {
	case role == "" && len(keys) > 0:
		c.addf(s.name, "%s logs in to no bus, yet mounts key volume %s", s.cmd.CommandPath(), keys[0].Source)
	case role == "" || s.cfg == nil:
		return
	case s.cfg.NATS.NkeySeedFile == "":
		c.addf(s.name, "its configuration has no nats.nkey_seed_file: role %s would log in with no key", role)
	default:
		c.key(s, role, keys)
		c.bus(s, role)
	}
}

// key checks the key volumes a service of role mounts.
func (c *composeChecker) key(s *linkwatchService, role proto.Role, keys []types.ServiceVolumeConfig) {
	want, dir := "key-"+string(role), path.Dir(s.cfg.NATS.NkeySeedFile)
	if len(keys) != 1 {
		c.addf(s.name, "mounts %d key volumes, want one: %s (role %s) at %s", len(keys), want, role, dir)
		return
	}
	k := keys[0]
	switch {
	case k.Type != types.VolumeTypeVolume || k.Source != want || k.Target != dir:
		c.addf(s.name, "key volume %s at %s, want %s (role %s) at %s", k.Source, k.Target, want, role, dir)
	case !k.ReadOnly:
		c.addf(s.name, "key volume %s: mounted writable, want :ro", k.Source)
	}
	name := c.d.projectName() + "-" + want
	switch v, ok := c.project.Volumes[want]; {
	case !ok:
		c.addf(s.name, "no volume %s: want the external volume %s that setup.sh makes", want, name)
	case !bool(v.External) || v.Name != name:
		c.addf(s.name, "volume %s: external %v, name %q, want the external volume %s that setup.sh makes", want, v.External, v.Name, name)
	}
	if !slices.Contains(c.d.roles, string(role)) {
		c.addf(s.name, "deploy/compose/setup.sh makes no key for role %s (roles=%q)", role, strings.Join(c.d.roles, " "))
	}
}

// busRole is the role a linkwatch command logs in to the bus with
// (scheduler.go, notifier.go, worker.go, withNATS), "" for the simulator,
// which logs in to none.
func busRole(s *linkwatchService) (proto.Role, error) {
	switch cmd := strings.TrimPrefix(s.cmd.CommandPath(), s.cmd.Root().Name()+" "); cmd {
	case "scheduler":
		return proto.RoleScheduler, nil
	case "notifier":
		return proto.RoleNotifier, nil
	case "worker":
		return proto.WorkerRole(flagValue(s.cmd, "site"))
	case "status", "history", "tail", "hostkeys scan", "hostkeys list", "hostkeys forget":
		return proto.RoleCLI, nil
	case "sim":
		return "", nil
	default:
		return "", fmt.Errorf("linkwatch %s: no bus role known for it (add it to busRole)", cmd)
	}
}

// service returns the linkwatch service of that name, nil when there is
// none.
func (c *composeChecker) service(name string) *linkwatchService {
	i := slices.IndexFunc(c.linkwatch, func(s *linkwatchService) bool { return s.name == name })
	if i < 0 {
		return nil
	}
	return c.linkwatch[i]
}

// answering returns the services that answer to host on the networks of
// spec: by their name or an alias on a network they share.
func (c *composeChecker) answering(spec types.ServiceConfig, host string) []string {
	var names []string
	for _, name := range c.project.ServiceNames() {
		other := c.project.Services[name]
		for _, n := range networksOf(spec) {
			cfg, on := other.Networks[n]
			if on && (name == host || cfg != nil && slices.Contains(cfg.Aliases, host)) {
				names = append(names, name)
				break
			}
		}
	}
	return names
}

// networksOf returns the networks a service is on, sorted.
func networksOf(spec types.ServiceConfig) []string {
	return slices.Sorted(maps.Keys(spec.Networks))
}

// leafService is the name of the service of site's NATS leaf node,
// nats-leaf-<site> after its role; "" for no valid site.
func leafService(site string) string {
	role, err := proto.LeafRole(site)
	if err != nil {
		return ""
	}
	return "nats-" + string(role)
}

// hostOf is the host of a NATS URL, "" when it does not parse.
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Hostname()
}
