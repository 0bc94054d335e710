package config

import (
	"fmt"
	"maps"
	"net"
	netmail "net/mail"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/notifier/mail"
	"github.com/linkwatch/linkwatch/notifier/route"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/secretfile"
)

// validator checks a decoded file and its resolved Config, adding every
// problem to the decoder's list at the position of the offending value.
type validator struct {
	d   *decoder
	f   *file
	cfg *Config
}

// The bounds of interval.
const (
	minInterval = time.Second
	maxInterval = 24 * time.Hour
)

func (v *validator) validate() {
	v.top()
	v.natsAuth()
	v.state()
	v.notify()
	v.credentials()
	v.defaults()
	v.devices()
	v.jumps()
}

// errorf records a problem at path, placed at the node of path or, for a
// value the file does not give, of its nearest ancestor. A value that
// could not be decoded has been reported already and is skipped.
func (v *validator) errorf(path, format string, args ...any) {
	if v.d.bad[path] {
		return
	}
	p := path
	n, ok := v.d.nodes[p]
	for !ok && p != "" {
		p = parent(p)
		n, ok = v.d.nodes[p]
	}
	file := v.d.file
	if src, other := v.d.srcOf[p]; other && ok {
		file = src
	}
	v.d.add(file, n, path, fmt.Sprintf(format, args...))
}

// check records err's text as a problem at path.
func (v *validator) check(path string, err error) {
	if err != nil {
		v.errorf(path, "%s", err)
	}
}

// given reports whether the file gives a value at path.
func (v *validator) given(path string) bool {
	return v.d.given(path)
}

// parent strips the last key or index from a YAML path.
func parent(path string) string {
	i := max(strings.LastIndexByte(path, '.'), strings.LastIndexByte(path, '['))
	return path[:max(i, 0)]
}

func (v *validator) intRange(path string, n, lo, hi int) {
	if n < lo || n > hi {
		v.errorf(path, "%d is out of range (%d..%d)", n, lo, hi)
	}
}

func (v *validator) durRange(path string, d, lo, hi time.Duration) {
	if d < lo || d > hi {
		v.errorf(path, "%s is out of range (%s..%s)", fmtDur(d), fmtDur(lo), fmtDur(hi))
	}
}

// fmtDur prints a duration without trailing zero units: 5m, 24h, 1h30m.
func fmtDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func (v *validator) top() {
	c := v.cfg
	v.durRange("interval", c.Interval, minInterval, maxInterval)
	if c.DataDir == "" {
		v.errorf("data_dir", "is required")
	}
	if c.NATS.URL != "" && !validNATSURL(c.NATS.URL) {
		// Not echoed: a URL may carry a user and password.
		v.errorf("nats.url", "is not a NATS URL (nats://host:port, several separated by commas)")
	}
	if c.NATS.URL == "" || c.NATS.Listen != "" {
		v.check("nats.listen", validHostPort(c.NATS.Listen))
	}
	if c.State.RedisURL != "" && !validRedisURL(c.State.RedisURL) {
		v.errorf("state.redis_url", "is not a redis:// or rediss:// URL")
	}
	v.intRange("worker.concurrency", c.Worker.Concurrency, 1, 10000)
	v.intRange("worker.site_concurrency", c.Worker.SiteConcurrency, 0, 10000)
	v.durRange("worker.ack_wait", c.Worker.AckWait, time.Second, time.Hour)
	v.intRange("worker.max_output_kib", c.Worker.MaxOutputKiB, 64, 256<<10)
	v.hostKeys(c.Worker)
	v.logins(c.Worker.Logins)
	v.sessions(c)
}

// sessions checks the persistent session settings of the worker section.
func (v *validator) sessions(c *Config) {
	w := c.Worker
	v.intRange("worker.persistent_sessions_per_site", w.PersistentSessionsPerSite, 1, 10000)
	v.durRange("worker.session_keepalive", w.SessionKeepAlive, time.Second, 10*time.Minute)
	if v.given("worker.session_idle") {
		v.durRange("worker.session_idle", w.SessionIdle, max(c.Interval+time.Second, time.Minute), 24*time.Hour)
	}
	sites := c.Sites()
	for i, s := range w.PersistentSites {
		if !slices.Contains(sites, s) {
			v.errorf(fmt.Sprintf("worker.persistent_sites[%d]", i), "%q is not the site of any device (sites: %s)", s, strings.Join(sites, ", "))
		}
	}
}

// hostKeys checks the host key mode against the known_hosts file: the
// file is read in mode known_hosts only, so a file with another mode is a
// mistake worth saying (the operator believes keys are checked against it).
func (v *validator) hostKeys(w Worker) {
	switch w.HostKeys {
	case HostKeysKnownHosts:
		if w.KnownHosts == "" {
			v.errorf("worker.known_hosts", "is required with host_keys: %s", HostKeysKnownHosts)
		}
	case HostKeysTOFU, HostKeysInsecure:
		if w.KnownHosts != "" {
			v.errorf("worker.known_hosts", "is only read with host_keys: %s (host_keys is %s)", HostKeysKnownHosts, w.HostKeys)
		}
	default:
		v.errorf("worker.host_keys", "%q is not a host key mode (%s, %s or %s)", w.HostKeys,
			HostKeysTOFU, HostKeysKnownHosts, HostKeysInsecure)
	}
}

// The bounds of worker.logins. A record of refusals and pauses lives in a
// bucket whose entries expire a day after their last write: a window or a
// pause may not be longer.
const (
	maxPauseAfter = 1000
	maxLoginsTime = 24 * time.Hour
)

// logins checks worker.logins; the window and the pause matter only when
// pausing is on.
func (v *validator) logins(l Logins) {
	v.intRange("worker.logins.pause_after", l.PauseAfter, 0, maxPauseAfter)
	if l.PauseAfter <= 0 {
		return
	}
	v.durRange("worker.logins.within", l.Within, time.Second, maxLoginsTime)
	v.durRange("worker.logins.pause_for", l.PauseFor, time.Second, maxLoginsTime)
}

func validNATSURL(s string) bool {
	for _, part := range NATSURLs(s) {
		u, err := url.Parse(part)
		if err != nil || u.Host == "" || !map[string]bool{"nats": true, "tls": true, "ws": true, "wss": true}[u.Scheme] {
			return false
		}
	}
	return true
}

func validRedisURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "redis" || u.Scheme == "rediss") && u.Host != ""
}

func validHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not host:port", s)
	}
	if host != "" && proto.ValidTarget(host) != nil {
		return fmt.Errorf("%q: host is not an IP address or host name", s)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("%q: port is not a number in 1..65535", s)
	}
	return nil
}

func (v *validator) notify() {
	n := &v.cfg.Notify
	if n.From == "" && (len(n.To) > 0 || len(n.Routes) > 0) {
		v.errorf("notify.from", "is required when notify.to or notify.routes is set")
	}
	v.address("notify.from", n.From)
	for i, to := range n.To {
		v.address(fmt.Sprintf("notify.to[%d]", i), to)
	}
	v.routes(n.Routes)
	if len(n.Routes) > 0 && len(n.To) == 0 && !catchAll(n.Routes[len(n.Routes)-1]) {
		v.errorf("notify.to", "is required when notify.routes is set, unless the last route takes every alert "+
			"(no sites, no devices, no continue): the alerts no route stops go to notify.to")
	}
	v.durRange("notify.group_wait", n.GroupWait, 0, time.Hour)
	v.intRange("notify.flap.changes", n.Flap.Changes, 0, 1000)
	v.durRange("notify.flap.window", n.Flap.Window, time.Second, 30*24*time.Hour)
	v.durRange("notify.flap.quiet", n.Flap.Quiet, time.Second, 30*24*time.Hour)
	v.intRange("notify.confirm", n.Confirm, 1, 100)
	// A site's devices report about once an interval each: less than one
	// interval without results is no sign of anything.
	v.durRange("notify.stale_after", n.StaleAfter, v.cfg.Interval, 7*24*time.Hour)
	if n.Location == nil || n.Timezone == "" || n.Timezone == "Local" { // resolve could not load it
		v.errorf("notify.timezone", "%q is not a time zone name (like UTC or Europe/Paris)", n.Timezone)
	}
	if n.SMTP != nil {
		v.smtp(n.SMTP)
	}
	v.maintenance()
}

// routes checks notify.routes: a unique token for a name, sites that
// devices are at, device patterns that parse, and at least one recipient.
func (v *validator) routes(routes []Route) {
	sites := v.cfg.Sites()
	first := map[string]int{}
	for i, r := range routes {
		path := fmt.Sprintf("notify.routes[%d]", i)
		if err := proto.ValidName(r.Name); err != nil {
			v.errorf(join(path, "name"), "%s", err)
		} else if j, dup := first[r.Name]; dup {
			v.errorf(join(path, "name"), "duplicate route name %q (also notify.routes[%d])", r.Name, j)
		} else {
			first[r.Name] = i
		}
		for j, s := range r.Sites {
			if !slices.Contains(sites, s) {
				v.errorf(fmt.Sprintf("%s.sites[%d]", path, j), "%q is not the site of any device (sites: %s)", s, strings.Join(sites, ", "))
			}
		}
		for j, p := range r.Devices {
			if err := route.ValidPattern(p); err != nil || p == "" {
				v.errorf(fmt.Sprintf("%s.devices[%d]", path, j), "%q is not a device name pattern (like core-* or r[0-9])", p)
			}
		}
		if len(r.To) == 0 {
			v.errorf(join(path, "to"), "is required: a route needs at least one recipient")
		}
		for j, to := range r.To {
			v.address(fmt.Sprintf("%s.to[%d]", path, j), to)
		}
	}
}

// catchAll reports whether r takes every alert (route.Route.CatchAll).
func catchAll(r Route) bool {
	return route.Route{Sites: r.Sites, Devices: r.Devices, Continue: r.Continue}.CatchAll()
}

func (v *validator) address(path, s string) {
	if s == "" {
		return
	}
	if _, err := netmail.ParseAddress(s); err != nil {
		v.errorf(path, "%q is not an email address", s)
	}
}

// smtp checks the relay; resolve has applied its defaults.
func (v *validator) smtp(s *SMTP) {
	if _, ok := mail.DefaultPort(s.TLS); !ok {
		v.errorf("notify.smtp.tls", "%q is not one of %s", s.TLS, strings.Join(mail.TLSModes(), ", "))
	}
	if v.given("notify.smtp.port") {
		v.intRange("notify.smtp.port", s.Port, 1, 65535)
	}
	if s.Host == "" {
		v.errorf("notify.smtp.host", "is required")
	} else {
		v.check("notify.smtp.host", proto.ValidTarget(s.Host))
	}
	v.secretRef("notify.smtp", "username", s.Username, s.PasswordEnv, s.PasswordFile, userWithPassword)
	if s.Username != "" && s.TLS == mail.TLSNone && s.Host != "" && !mail.IsLoopback(s.Host) {
		v.errorf("notify.smtp.tls", "%q with a username would send the SMTP password in clear across the network: use starttls or tls (none is only for a relay on localhost or a loopback address)", s.TLS)
	}
}

func (v *validator) credentials() {
	for _, name := range slices.Sorted(maps.Keys(v.cfg.Credentials)) {
		c := v.cfg.Credentials[name]
		path := join("credentials", name)
		v.check(path, proto.ValidName(name))
		v.secretRef(path, "username", c.Username, c.PasswordEnv, c.PasswordFile, userRequired)
		if c.EnablePasswordEnv != "" && c.EnablePasswordFile != "" {
			v.errorf(path, "give only one of enable_password_env and enable_password_file")
		}
		if c.EnablePasswordEnv != "" && !envRE.MatchString(c.EnablePasswordEnv) {
			v.errorf(join(path, "enable_password_env"), "is not an environment variable name (letters, digits and '_')")
		}
		v.privateFile(join(path, "enable_password_file"), c.EnablePasswordFile)
	}
}

// envRE is the name of an environment variable.
var envRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// userRule says when a user name must come with a password reference.
type userRule int

const (
	userRequired     userRule = iota // always (device credentials)
	userWithPassword                 // when a password is named (SMTP, NATS)
	userOptional                     // never: a password alone is the default user's (Redis)
)

// secretRef checks a user name, found under userKey, and where its
// password is kept. Values are not echoed: a password pasted into the
// wrong field must not be printed.
func (v *validator) secretRef(path, userKey, user, env, file string, rule userRule) {
	switch {
	case user == "" && (rule == userRequired || rule == userWithPassword && (env != "" || file != "")):
		v.errorf(join(path, userKey), "is required")
	case user != "" && env == "" && file == "":
		v.errorf(path, "one of password_env or password_file is required")
	case env != "" && file != "":
		v.errorf(path, "give only one of password_env and password_file")
	}
	if env != "" && !envRE.MatchString(env) {
		v.errorf(join(path, "password_env"), "is not an environment variable name (letters, digits and '_')")
	}
	v.privateFile(join(path, "password_file"), file)
}

// privateFile checks that a file holding a secret, when it exists, is
// private to its owner. A missing file is reported when it is read: it may
// be mounted after validation.
func (v *validator) privateFile(path, file string) {
	if file == "" {
		return
	}
	if fi, err := os.Stat(file); err == nil {
		v.check(path, secretfile.CheckInfo(file, fi))
	}
}
