package config

import (
	"reflect"
	"strings"
	"testing"
)

// routed is a valid file with devices at dc1 and dc2; notify starts at
// line 6, its routes at line 9.
const routed = head + `  - { name: core-1, host: 127.0.0.1, site: dc1, targets: [10.0.0.1] }
  - { name: r2, host: 127.0.0.2, site: dc2, targets: [10.0.0.1] }
notify:
  from: lw@example.net
  to: [noc@example.net]
  routes:
`

func TestRoutesErrors(t *testing.T) {
	testProblems(t, []problemsCase{
		{"unknown site", routed + "    - { name: dc9-team, sites: [dc1, dc9], to: [a@example.net] }\n", []string{
			`linkwatch.yaml:10:38: notify.routes[0].sites[1]: "dc9" is not the site of any device (sites: dc1, dc2)`,
		}},
		{"bad glob", routed + "    - { name: core, devices: [\"core-[\", \"\"], to: [a@example.net] }\n", []string{
			`linkwatch.yaml:10:31: notify.routes[0].devices[0]: "core-[" is not a device name pattern (like core-* or r[0-9])`,
			`linkwatch.yaml:10:41: notify.routes[0].devices[1]: "" is not a device name pattern (like core-* or r[0-9])`,
		}},
		{"empty to", routed + "    - { name: dc1-team, sites: [dc1] }\n    - { name: dc2-team, sites: [dc2], to: [] }\n", []string{
			`linkwatch.yaml:10:7: notify.routes[0].to: is required: a route needs at least one recipient`,
			`linkwatch.yaml:11:43: notify.routes[1].to: is required: a route needs at least one recipient`,
		}},
		{"bad recipient", routed + "    - { name: dc1-team, to: [dc1-noc] }\n", []string{
			`linkwatch.yaml:10:30: notify.routes[0].to[0]: "dc1-noc" is not an email address`,
		}},
		{"duplicate names", routed + "    - { name: team, sites: [dc1], to: [a@example.net] }\n    - { name: team, sites: [dc2], to: [b@example.net] }\n", []string{
			`linkwatch.yaml:11:15: notify.routes[1].name: duplicate route name "team" (also notify.routes[0])`,
		}},
		{"bad and missing names", routed + "    - { name: \"dc1 team\", to: [a@example.net] }\n    - { to: [b@example.net] }\n", []string{
			`linkwatch.yaml:10:15: notify.routes[0].name: "dc1 team" is not a valid name (letters, digits, '-' and '_', at most 63, starting with a letter or digit)`,
			`linkwatch.yaml:11:7: notify.routes[1].name: is empty`,
		}},
		{"unknown key", routed + "    - { name: team, to: [a@example.net], contine: true }\n", []string{
			`linkwatch.yaml:10:42: notify.routes[0]: unknown field "contine"; did you mean "continue"?`,
		}},
		{"no from", head + "  - { name: r1, host: 127.0.0.1, targets: [10.0.0.1] }\nnotify:\n  routes: [{ name: team, to: [a@example.net] }]\n", []string{
			`linkwatch.yaml:6:3: notify.from: is required when notify.to or notify.routes is set`,
		}},
		// Without notify.to, an alert no route stops would have no
		// recipient: only a last route that takes every alert makes
		// notify.to unneeded.
		{"no to, no catch-all", untold + "    - { name: dc1-team, sites: [dc1], to: [a@example.net] }\n", []string{
			`linkwatch.yaml:7:3: notify.to: is required when notify.routes is set, unless the last route takes every alert (no sites, no devices, no continue): the alerts no route stops go to notify.to`,
		}},
		{"no to, a continuing catch-all", untold + "    - { name: all, to: [a@example.net], continue: true }\n", []string{
			`linkwatch.yaml:7:3: notify.to: is required when notify.routes is set, unless the last route takes every alert (no sites, no devices, no continue): the alerts no route stops go to notify.to`,
		}},
		{"no to, a device group last", untold + "    - { name: all, devices: [\"r*\"], to: [a@example.net] }\n", []string{
			`linkwatch.yaml:7:3: notify.to: is required when notify.routes is set, unless the last route takes every alert (no sites, no devices, no continue): the alerts no route stops go to notify.to`,
		}},
		{"no to, the catch-all not last", untold + "    - { name: all, to: [a@example.net] }\n    - { name: dc1-team, sites: [dc1], to: [b@example.net] }\n", []string{
			`linkwatch.yaml:7:3: notify.to: is required when notify.routes is set, unless the last route takes every alert (no sites, no devices, no continue): the alerts no route stops go to notify.to`,
		}},
	})
}

// untold is routed without notify.to: notify starts at line 6, its
// routes at line 8.
var untold = strings.Replace(routed, "  to: [noc@example.net]\n", "", 1)

// TestRoutesCatchAll: a last route that takes every alert stands for
// notify.to.
func TestRoutesCatchAll(t *testing.T) {
	_, err := Parse("linkwatch.yaml", []byte(untold+
		"    - { name: dc1-team, sites: [dc1], to: [dc1@example.net], continue: true }\n"+
		"    - { name: noc, to: [noc@example.net] }\n"))
	if err != nil {
		t.Fatal(err)
	}
}

func TestRoutesParse(t *testing.T) {
	cfg, err := Parse("linkwatch.yaml", []byte(routed+
		"    - { name: dc1-core, sites: [dc1], devices: [\"core-*\"], to: [core@example.net], continue: true }\n"+
		"    - { name: dc1-team, sites: [dc1], to: [dc1@example.net, dc1-oncall@example.net] }\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Route{
		{Name: "dc1-core", Sites: []string{"dc1"}, Devices: []string{"core-*"}, To: []string{"core@example.net"}, Continue: true},
		{Name: "dc1-team", Sites: []string{"dc1"}, To: []string{"dc1@example.net", "dc1-oncall@example.net"}},
	}
	if !reflect.DeepEqual(cfg.Notify.Routes, want) {
		t.Errorf("routes = %+v, want %+v", cfg.Notify.Routes, want)
	}
}
