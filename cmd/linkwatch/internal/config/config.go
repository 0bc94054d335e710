// Package config reads linkwatch.yaml: it applies the built-in defaults,
// decodes the file strictly (an unknown key is an error, with the closest
// known key), validates every value that will reach a router's CLI, a NATS
// subject or an email header, and reports every problem at once with file,
// line, column and YAML path. The devices may instead be in a CSV file
// (devices_file), whose rows are decoded and validated as YAML devices
// are, their problems placed at the CSV's own lines and columns.
// Secrets are only ever named in the file (an environment variable or a
// file) and are read when asked for, never at load time.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/internal/suggest"

	// Time zones must load on hosts and images without system zoneinfo.
	_ "time/tzdata"
)

// Config is a loaded, validated configuration with every default applied.
// Relative paths in the file (data_dir, known_hosts and every password,
// key, certificate and CA file) are resolved against the directory of the
// configuration file.
type Config struct {
	Interval    time.Duration         `yaml:"interval"`
	DataDir     string                `yaml:"data_dir"`
	NATS        NATS                  `yaml:"nats"`
	State       State                 `yaml:"state"`
	Notify      Notify                `yaml:"notify"`
	Credentials map[string]Credential `yaml:"credentials"`
	JumpHosts   map[string]JumpHost   `yaml:"jump_hosts"`
	Worker      Worker                `yaml:"worker"`
	// DevicesFile is the CSV file the devices were read from (devices_file),
	// or "" when the configuration lists them under devices.
	DevicesFile string   `yaml:"devices_file"`
	Devices     []Device `yaml:"-"`
}

// NATS says which NATS server to use and how to log in to it. An empty URL
// means an embedded server listening on Listen (host:port).
//
// At most one way to log in: User with exactly one of PasswordEnv and
// PasswordFile (read it with Config.NATSPassword), an NkeySeedFile, or a
// CredsFile (a user JWT and its seed). CAFile is a PEM file of the CAs that
// sign the server's certificate (empty: the system's roots); CertFile and
// KeyFile, together, are a client certificate. The server's certificate is
// always verified: no setting turns that off. JetStreamDomain names the
// JetStream domain of the hub whose streams a client reaches through a
// leaf node (a remote site's workers and CLI); empty, the server's own.
type NATS struct {
	URL             string `yaml:"url"`
	Listen          string `yaml:"listen"`
	User            string `yaml:"user"`
	PasswordEnv     string `yaml:"password_env"`
	PasswordFile    string `yaml:"password_file"`
	NkeySeedFile    string `yaml:"nkey_seed_file"`
	CredsFile       string `yaml:"creds_file"`
	CAFile          string `yaml:"ca_file"`
	CertFile        string `yaml:"cert_file"`
	KeyFile         string `yaml:"key_file"`
	JetStreamDomain string `yaml:"jetstream_domain"`
}

// State says where link states live. An empty RedisURL means the embedded
// store under the data directory.
//
// PasswordEnv or PasswordFile names the Redis password (read it with
// Config.RedisPassword), with Username for a Redis ACL user other than
// default. CAFile is a PEM file of the CAs that sign the server's
// certificate for a rediss:// URL (empty: the system's roots).
type State struct {
	RedisURL     string `yaml:"redis_url"`
	Prefix       string `yaml:"prefix"`
	Username     string `yaml:"username"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
	CAFile       string `yaml:"ca_file"`
}

// Notify is who is told about link changes and how.
type Notify struct {
	From      string        `yaml:"from"`
	To        []string      `yaml:"to"`
	GroupWait time.Duration `yaml:"group_wait"`
	Confirm   int           `yaml:"confirm"`
	Flap      Flap          `yaml:"flap"`
	// StaleAfter is how long a site (or a device) may go without a result
	// before it is stale: a site gets an alert, its links show STALE.
	// Two intervals when the file does not give it.
	StaleAfter time.Duration  `yaml:"stale_after"`
	Timezone   string         `yaml:"timezone"`
	Location   *time.Location `yaml:"-"`    // Timezone, loaded
	SMTP       *SMTP          `yaml:"smtp"` // nil: emails go to standard output
	// Routes send the alerts of some sites (and device groups) to their
	// own recipients; To is the default route, of the alerts no route
	// takes.
	Routes []Route `yaml:"routes"`
	// Maintenance are recurring maintenance windows (Notify.Windows).
	Maintenance []Maintenance `yaml:"maintenance"`
}

// Route is one entry of notify.routes. An alert goes to the first route
// whose sites and devices match it, on to later ones while the matching
// routes say continue, and to notify.to when none takes it.
type Route struct {
	Name     string   `yaml:"name"`
	Sites    []string `yaml:"sites"`   // empty: any site
	Devices  []string `yaml:"devices"` // glob patterns (path.Match) on device names; empty: any device
	To       []string `yaml:"to"`
	Continue bool     `yaml:"continue"`
}

// Flap is the flap rule (state.Flap): a link or a device's reachability
// that changes more than Changes times within Window is announced once as
// FLAPPING and then kept quiet until it has not changed for Quiet. Window
// defaults to 12 intervals, Quiet to Window; Changes 0 turns flap
// detection off.
type Flap struct {
	Changes int           `yaml:"changes"`
	Window  time.Duration `yaml:"window"`
	Quiet   time.Duration `yaml:"quiet"`
}

// SMTP is the mail relay. When Username is set, exactly one of PasswordEnv
// and PasswordFile names the password; read it with Config.SMTPPassword.
type SMTP struct {
	Host         string `yaml:"host"`
	Port         int    `yaml:"port"`
	TLS          string `yaml:"tls"` // starttls, tls or none
	Username     string `yaml:"username"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
	// CAFile is a PEM file of the CAs that sign the relay's certificate;
	// empty trusts the system's roots.
	CAFile string `yaml:"ca_file"`
}

// Credential is how to log in to a device: a username and where the
// password is kept (exactly one of PasswordEnv and PasswordFile). Read the
// password with Config.Credential.
type Credential struct {
	Username     string `yaml:"username"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
	// Enable says to enter privileged mode (enable) when the login lands
	// in user EXEC; with EnablePasswordEnv or EnablePasswordFile the
	// device's enable secret is given there (and Enable is implied).
	Enable             bool   `yaml:"enable"`
	EnablePasswordEnv  string `yaml:"enable_password_env"`
	EnablePasswordFile string `yaml:"enable_password_file"`
}

// Worker bounds the probing work of one worker or one check run.
type Worker struct {
	Concurrency     int `yaml:"concurrency"`      // devices probed at once
	SiteConcurrency int `yaml:"site_concurrency"` // cap per site, over all its workers; 0 is none
	// HostKeys is how device host keys are checked: HostKeysTOFU (the
	// default without KnownHosts), HostKeysKnownHosts (the default with
	// it) or HostKeysInsecure.
	HostKeys string `yaml:"host_keys"`
	// KnownHosts is the OpenSSH known_hosts file of mode known_hosts; a
	// "{site}" in it is replaced by the site's name (KnownHostsFor).
	KnownHosts string `yaml:"known_hosts"`
	// AckWait is how long the bus waits for a job's ack before handing it
	// to another worker of the site; a busy worker keeps extending it.
	AckWait time.Duration `yaml:"ack_wait"`
	// MaxOutputKiB caps what a device may send in answer to one command,
	// in KiB; past it the session is closed (CLI_ERROR).
	MaxOutputKiB int `yaml:"max_output_kib"`
	// Logins says when a credential is paused for all the workers of a
	// site.
	Logins Logins `yaml:"logins"`
	// PersistentSites are the sites whose devices keep their SSH session
	// open across probes unless a device says session: per-probe.
	PersistentSites []string `yaml:"persistent_sites"`
	// PersistentSessionsPerSite caps the persistent sessions open at once
	// over all the workers of a site; a device past it is probed
	// per-probe until a session closes.
	PersistentSessionsPerSite int `yaml:"persistent_sessions_per_site"`
	// SessionKeepAlive is how often an idle persistent session is checked
	// with an SSH keepalive.
	SessionKeepAlive time.Duration `yaml:"session_keepalive"`
	// SessionIdle closes a persistent session no probe used for that
	// long; three intervals when the file does not give it.
	SessionIdle time.Duration `yaml:"session_idle"`
}

// The session modes of a device (devices[].session, defaults.session).
const (
	// SessionPerProbe connects, logs in, pings and closes at each probe.
	SessionPerProbe = "per-probe"
	// SessionPersistent keeps one SSH session per device open across
	// probes (worker.Sessions).
	SessionPersistent = "persistent"
)

// Logins rations logins with a credential that devices refuse: once
// PauseAfter distinct devices of a site refused it within Within, no
// worker of the site logs in with it for PauseFor; its devices' results
// say so (AUTH_FAILED). PauseAfter 0 turns pausing off. It converts to
// worker.LoginPolicy.
type Logins struct {
	PauseAfter int           `yaml:"pause_after"`
	Within     time.Duration `yaml:"within"`
	PauseFor   time.Duration `yaml:"pause_for"`
}

// The host key modes of worker.host_keys.
const (
	// HostKeysTOFU pins the key a device presents at first contact, shared
	// by the site's workers, and refuses any other key after that.
	HostKeysTOFU = "tofu"
	// HostKeysKnownHosts accepts only the keys an OpenSSH known_hosts file
	// lists.
	HostKeysKnownHosts = "known_hosts"
	// HostKeysInsecure accepts any key: a password goes to whatever
	// answers at a device's address.
	HostKeysInsecure = "insecure"
)

// KnownHostsFor is the known_hosts file of site's devices.
func (w Worker) KnownHostsFor(site string) string {
	return strings.ReplaceAll(w.KnownHosts, "{site}", site)
}

// Device is one router to log in to, with its links.
type Device struct {
	Name        string
	Host        string
	Port        int
	Platform    string
	Site        string
	Credentials string // a key of Config.Credentials
	SSH         SSH
	// Jump is the jump host the device is reached through, nil when it is
	// reached directly.
	Jump    *JumpHost
	Targets []Target
	// Session is SessionPerProbe or SessionPersistent.
	Session string
}

// SSH are the SSH algorithms a device may be offered besides linkwatch's
// defaults, for old devices that support nothing newer: Legacy allows
// every legacy algorithm linkwatch implements (worker.LegacyAlgorithms);
// the lists name single ones.
type SSH struct {
	Legacy            bool     `yaml:"legacy"`
	KeyExchanges      []string `yaml:"key_exchanges"`
	Ciphers           []string `yaml:"ciphers"`
	MACs              []string `yaml:"macs"`
	HostKeyAlgorithms []string `yaml:"host_key_algorithms"`
}

// Target is one link: the far end to ping and how, with every default and
// override already applied.
type Target struct {
	Address string
	VRF     string
	Source  string
	Count   int
	Timeout time.Duration
	Size    int
}

// Load reads, decodes and validates the configuration file at path. Its
// error, if any, is an Errors value listing every problem.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		if pe := (*os.PathError)(nil); errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, Errors{{File: path, Msg: "read config: " + msg}}
	}
	return Parse(path, data)
}

// Parse decodes and validates data as the configuration file named name.
// Relative paths in it are resolved against name's directory.
func Parse(name string, data []byte) (*Config, error) {
	d := newDecoder(name)
	f := builtinDefaults()
	d.decodeFile(data, &f)
	if d.overBudget {
		return nil, d.errs.sorted() // what was decoded is not worth validating
	}
	if f.DevicesFile != "" && !d.decodeDevicesFile(relTo(filepath.Dir(name), f.DevicesFile), &f) {
		return nil, d.errs.sorted()
	}
	cfg := f.resolve(filepath.Dir(name), d.given)
	v := validator{d: d, f: &f, cfg: cfg}
	v.validate()
	if len(d.errs) > 0 {
		return nil, d.errs.sorted()
	}
	return cfg, nil
}

// Sites returns the sites of all devices, sorted, each once.
func (c *Config) Sites() []string {
	var sites []string
	for _, d := range c.Devices {
		sites = append(sites, d.Site)
	}
	slices.Sort(sites)
	return slices.Compact(sites)
}

// CheckSite reports whether some device is at site: a worker for a site
// without devices would wait forever, and it has no key on the bus.
func (c *Config) CheckSite(site string) error {
	if slices.Contains(c.Sites(), site) {
		return nil
	}
	return fmt.Errorf("%q: no device of the configuration is at that site (sites: %s)%s", site, listed(c.Sites()),
		suggest.Hint(site, c.Sites()))
}

// CheckDevice reports whether the configuration has a device called name.
// Its error lists the devices (the first maxListed of them) and the
// closest name.
func (c *Config) CheckDevice(name string) error {
	names := make([]string, len(c.Devices))
	for i, d := range c.Devices {
		if d.Name == name {
			return nil
		}
		names[i] = d.Name
	}
	slices.Sort(names)
	return fmt.Errorf("%q: no device of the configuration has that name (devices: %s)%s", name, listed(names), suggest.Hint(name, names))
}

// maxListed is how many names an error lists before it says how many more.
const maxListed = 20

// listed joins names for a message, the first maxListed of them.
func listed(names []string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
}

// DevicesAt returns the devices of one site, in file order.
func (c *Config) DevicesAt(site string) []Device {
	var out []Device
	for _, d := range c.Devices {
		if d.Site == site {
			out = append(out, d)
		}
	}
	return out
}

// Links returns the number of targets over all devices.
func (c *Config) Links() int {
	n := 0
	for _, d := range c.Devices {
		n += len(d.Targets)
	}
	return n
}
