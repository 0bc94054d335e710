package config

import (
	"path/filepath"
	"slices"
	"time"

	"github.com/linkwatch/linkwatch/notifier/mail"
	"github.com/linkwatch/linkwatch/worker"
)

// file is the shape of linkwatch.yaml. Devices are decoded in a raw form
// that remembers which fields were given, then resolved against the
// defaults section into Config.Devices.
type file struct {
	Config   `yaml:",inline"`
	Defaults defaultsSection `yaml:"defaults"`
	Devices  []rawDevice     `yaml:"devices"`
}

// defaultsSection holds what a device or target does not say itself.
type defaultsSection struct {
	Platform    string    `yaml:"platform"`
	Credentials string    `yaml:"credentials"`
	Site        string    `yaml:"site"`
	Port        int       `yaml:"port"`
	SSH         SSH       `yaml:"ssh"`
	JumpHost    string    `yaml:"jump_host"`
	Session     string    `yaml:"session"`
	Ping        overrides `yaml:"ping"`
}

// overrides are ping settings; nil means "not given here".
type overrides struct {
	Count   *int           `yaml:"count"`
	Timeout *time.Duration `yaml:"timeout"`
	Size    *int           `yaml:"size"`
	VRF     *string        `yaml:"vrf"`
	Source  *string        `yaml:"source"`
}

type rawDevice struct {
	Name        string      `yaml:"name"`
	Host        string      `yaml:"host"`
	Port        *int        `yaml:"port"`
	Platform    string      `yaml:"platform"`
	Site        string      `yaml:"site"`
	Credentials string      `yaml:"credentials"`
	SSH         *SSH        `yaml:"ssh"`       // nil: the defaults'
	JumpHost    string      `yaml:"jump_host"` // "": the site's or the defaults'; none: none
	Session     string      `yaml:"session"`   // "": persistent at worker.persistent_sites, else the defaults'
	Ping        overrides   `yaml:"ping"`
	Targets     []rawTarget `yaml:"targets"`
}

// rawTarget is a target as written: a bare address or a mapping.
type rawTarget struct {
	Address string    `yaml:"address"`
	Ping    overrides `yaml:",inline"`
}

// builtinDefaults is the configuration of an empty file; the file is
// decoded over it.
func builtinDefaults() file {
	return file{
		Config: Config{
			Interval: 5 * time.Minute,
			DataDir:  "./data",
			NATS:     NATS{Listen: "127.0.0.1:4222"},
			State:    State{Prefix: "linkwatch:"},
			Notify:   Notify{GroupWait: 30 * time.Second, Confirm: 1, Flap: Flap{Changes: 4}, Timezone: "UTC"},
			Worker: Worker{Concurrency: 50, AckWait: 30 * time.Second, MaxOutputKiB: 4096,
				Logins:                    Logins(worker.DefaultLoginPolicy),
				PersistentSessionsPerSite: worker.DefaultPersistentPerSite, SessionKeepAlive: worker.DefaultKeepAlive},
		},
		Defaults: defaultsSection{
			Site:    "default",
			Port:    22,
			Session: SessionPerProbe,
			Ping:    overrides{Count: ptr(5), Timeout: ptr(2 * time.Second), Size: ptr(0), VRF: ptr(""), Source: ptr("")},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// over returns o with every field that p gives replaced by p's.
func (o overrides) over(p overrides) overrides {
	pick(&o.Count, p.Count)
	pick(&o.Timeout, p.Timeout)
	pick(&o.Size, p.Size)
	pick(&o.VRF, p.VRF)
	pick(&o.Source, p.Source)
	return o
}

func pick[T any](dst **T, src *T) {
	if src != nil {
		*dst = src
	}
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// resolve builds the Config the file describes: devices with every default
// applied, the defaults that depend on other values (an SMTP relay's TLS
// mode and port, the time zone's location) filled in, and relative paths
// made relative to dir, the file's directory. given reports whether the
// file gives a value at a YAML path. resolve expects validation to follow
// and tolerates values it will reject.
func (f *file) resolve(dir string, given func(path string) bool) *Config {
	cfg := f.Config
	cfg.DataDir = relTo(dir, cfg.DataDir)
	cfg.Worker.KnownHosts = relTo(dir, cfg.Worker.KnownHosts)
	cfg.DevicesFile = relTo(dir, cfg.DevicesFile)
	if cfg.Notify.Flap.Window == 0 {
		cfg.Notify.Flap.Window = 12 * cfg.Interval
	}
	if cfg.Notify.Flap.Quiet == 0 {
		cfg.Notify.Flap.Quiet = cfg.Notify.Flap.Window
	}
	if cfg.Worker.HostKeys == "" {
		cfg.Worker.HostKeys = HostKeysTOFU
		if cfg.Worker.KnownHosts != "" {
			cfg.Worker.HostKeys = HostKeysKnownHosts
		}
	}
	for _, p := range []*string{&cfg.NATS.PasswordFile, &cfg.NATS.NkeySeedFile, &cfg.NATS.CredsFile,
		&cfg.NATS.CAFile, &cfg.NATS.CertFile, &cfg.NATS.KeyFile, &cfg.State.PasswordFile, &cfg.State.CAFile} {
		*p = relTo(dir, *p)
	}
	if !given("notify.stale_after") {
		cfg.Notify.StaleAfter = 2 * cfg.Interval
	}
	if !given("worker.session_idle") {
		cfg.Worker.SessionIdle = 3 * cfg.Interval
	}
	// LoadLocation fails (nil) for a name validation rejects.
	cfg.Notify.Location, _ = time.LoadLocation(cfg.Notify.Timezone)
	if f.Notify.SMTP != nil {
		cfg.Notify.SMTP = f.smtp(dir, given)
	}
	creds := make(map[string]Credential, len(cfg.Credentials))
	for name, c := range cfg.Credentials {
		c.PasswordFile = relTo(dir, c.PasswordFile)
		c.EnablePasswordFile = relTo(dir, c.EnablePasswordFile)
		creds[name] = c
	}
	cfg.Credentials = creds
	cfg.JumpHosts = f.jumpHosts(given)
	cfg.Devices = make([]Device, len(f.Devices))
	for i, rd := range f.Devices {
		d := f.Defaults.device(rd)
		d.Jump = jumpOf(cfg.JumpHosts, f.jumpHostName(rd, d.Site))
		d.Session = f.session(rd, d.Site)
		cfg.Devices[i] = d
	}
	return &cfg
}

// session is the session mode of a device, as written (rd) at site: its
// own, else persistent at a site of worker.persistent_sites, else the
// defaults'.
func (f *file) session(rd rawDevice, site string) string {
	switch {
	case rd.Session != "":
		return rd.Session
	case slices.Contains(f.Worker.PersistentSites, site):
		return SessionPersistent
	}
	return f.Defaults.Session
}

// smtp is the SMTP relay with its defaults: starttls, and the TLS mode's
// port (mail.DefaultPort), when the file does not say.
func (f *file) smtp(dir string, given func(path string) bool) *SMTP {
	s := *f.Notify.SMTP
	if !given("notify.smtp.tls") {
		s.TLS = mail.TLSStartTLS
	}
	if !given("notify.smtp.port") {
		s.Port, _ = mail.DefaultPort(s.TLS) // 0 for a mode validation rejects
	}
	s.PasswordFile = relTo(dir, s.PasswordFile)
	s.CAFile = relTo(dir, s.CAFile)
	return &s
}

// device applies the defaults to one device and its targets.
func (def defaultsSection) device(rd rawDevice) Device {
	d := Device{
		Name:        rd.Name,
		Host:        rd.Host,
		Port:        def.Port,
		Platform:    or(rd.Platform, def.Platform),
		Site:        or(rd.Site, def.Site),
		Credentials: or(rd.Credentials, def.Credentials),
		SSH:         def.SSH,
		Targets:     make([]Target, len(rd.Targets)),
	}
	if rd.SSH != nil {
		d.SSH = *rd.SSH
	}
	if rd.Port != nil {
		d.Port = *rd.Port
	}
	base := def.Ping.over(rd.Ping)
	for i, rt := range rd.Targets {
		p := base.over(rt.Ping)
		d.Targets[i] = Target{Address: rt.Address, VRF: *p.VRF, Source: *p.Source, Count: *p.Count, Timeout: *p.Timeout, Size: *p.Size}
	}
	return d
}

// relTo makes a relative path relative to dir; "" stays "".
func relTo(dir, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
