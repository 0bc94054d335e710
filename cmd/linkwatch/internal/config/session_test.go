package config

import (
	"testing"
	"time"
)

func TestSessionErrors(t *testing.T) {
	testProblems(t, []problemsCase{
		{"device session", head + "  - { name: r1, host: 127.0.0.1, targets: [10.0.0.1], session: keep }\n", []string{
			`linkwatch.yaml:4:64: devices[0].session: "keep" is not a session mode (per-probe or persistent)`,
		}},
		{"defaults session", "defaults: { session: always }\n", []string{
			`linkwatch.yaml:1:22: defaults.session: "always" is not a session mode (per-probe or persistent)`,
		}},
		{"worker sessions", device + "worker: { persistent_sessions_per_site: 0, session_keepalive: 0s, session_idle: 2m, persistent_sites: [dc9] }\n", []string{
			`linkwatch.yaml:5:41: worker.persistent_sessions_per_site: 0 is out of range (1..10000)`,
			`linkwatch.yaml:5:63: worker.session_keepalive: 0s is out of range (1s..10m)`,
			`linkwatch.yaml:5:81: worker.session_idle: 2m is out of range (5m1s..24h)`,
			`linkwatch.yaml:5:104: worker.persistent_sites[0]: "dc9" is not the site of any device (sites: default)`,
		}},
	})
}

// TestSessionModes: a device's own session mode, else persistent at a
// site of worker.persistent_sites, else the defaults'; a persistent
// device changes its site's revision, a per-probe one does not.
func TestSessionModes(t *testing.T) {
	cfg, err := Parse("linkwatch.yaml", []byte(head+`  - { name: r1, host: 127.0.0.1, targets: [10.0.0.1] }
  - { name: r2, host: 127.0.0.1, targets: [10.0.0.1], session: persistent }
  - { name: r3, host: 127.0.0.1, targets: [10.0.0.1], site: dc1 }
  - { name: r4, host: 127.0.0.1, targets: [10.0.0.1], site: dc1, session: per-probe }
worker: { persistent_sites: [dc1] }
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"r1": SessionPerProbe, "r2": SessionPersistent, "r3": SessionPersistent, "r4": SessionPerProbe}
	for _, d := range cfg.Devices {
		if d.Session != want[d.Name] {
			t.Errorf("%s: session %q, want %q", d.Name, d.Session, want[d.Name])
		}
	}
	if w := cfg.Worker; w.PersistentSessionsPerSite != 16 || w.SessionKeepAlive != 30*time.Second || w.SessionIdle != 15*time.Minute {
		t.Errorf("worker defaults: %d per site, keepalive %s, idle %s; want 16, 30s, 15m (3 intervals)",
			w.PersistentSessionsPerSite, w.SessionKeepAlive, w.SessionIdle)
	}
	before := cfg.Revision("default")
	cfg.Devices[1].Session = SessionPerProbe
	if cfg.Revision("default") == before {
		t.Error("the revision is the same with r2 per-probe as with r2 persistent")
	}
}
