package config

import (
	"reflect"
	"strings"
	"testing"
)

// jumpHead defines two jump hosts and the credentials they use; the first
// device line of a case after it is line 9.
const jumpHead = `credentials: { lab: { username: admin, password_env: LAB_PASSWORD }, bastion: { username: jumper, password_env: JUMP_PASSWORD } }
jump_hosts:
  bastion-a: { host: bastion-a.example.net, credentials: bastion, sites: [dc1] }
  bastion-b: { host: 192.0.2.20, port: 2222, credentials: bastion, ssh: { legacy: true } }
defaults: { platform: cisco_iosxe, credentials: lab, jump_host: bastion-b }
devices:
  - { name: r0, host: 10.1.0.1, site: dc1, targets: [10.0.0.1] }
  - { name: r1, host: 10.2.0.1, site: dc2, targets: [10.0.0.1] }
`

// TestJumpHostOfDevices: a device's own jump_host wins, then the jump host
// of its site, then the defaults'; none is none; the port defaults to 22.
func TestJumpHostOfDevices(t *testing.T) {
	cfg, err := Parse("linkwatch.yaml", []byte(jumpHead+`  - { name: r2, host: 10.1.0.2, site: dc1, jump_host: bastion-b, targets: [10.0.0.1] }
  - { name: r3, host: 10.1.0.3, site: dc1, jump_host: none, targets: [10.0.0.1] }
  - { name: r4, host: 10.2.0.4, site: dc2, jump_host: none, targets: [10.0.0.1] }
`))
	if err != nil {
		t.Fatal(err)
	}
	a := &JumpHost{Name: "bastion-a", Host: "bastion-a.example.net", Port: 22, Credentials: "bastion", Sites: []string{"dc1"}}
	b := &JumpHost{Name: "bastion-b", Host: "192.0.2.20", Port: 2222, Credentials: "bastion", SSH: SSH{Legacy: true}}
	want := map[string]*JumpHost{"r0": a, "r1": b, "r2": b, "r3": nil, "r4": nil}
	for _, d := range cfg.Devices {
		if !reflect.DeepEqual(d.Jump, want[d.Name]) {
			t.Errorf("%s: jump host %+v, want %+v", d.Name, d.Jump, want[d.Name])
		}
	}
	if got := cfg.JumpHosts["bastion-a"]; !reflect.DeepEqual(&got, a) {
		t.Errorf("jump_hosts.bastion-a = %+v, want %+v", got, a)
	}
}

func TestJumpHostErrors(t *testing.T) {
	const creds = "credentials: { lab: { username: admin, password_env: LAB_PASSWORD }, bastion: { username: jumper, password_env: JUMP_PASSWORD } }\n"
	const dev = "defaults: { platform: cisco_iosxe, credentials: lab }\ndevices:\n  - { name: r1, host: 10.0.0.1, site: dc1, targets: [10.0.0.1] }\n"
	testProblems(t, []problemsCase{
		{"unknown jump host", jumpHead + "  - { name: r2, host: 10.1.0.2, jump_host: bastion-c, targets: [10.0.0.1] }\n", []string{
			`linkwatch.yaml:9:44: devices[2].jump_host: "bastion-c" is not defined in jump_hosts (or say none to reach the device directly)`,
		}},
		{"unknown default jump host", creds + "defaults: { platform: cisco_iosxe, credentials: lab, jump_host: nope }\ndevices:\n  - { name: r1, host: 10.0.0.1, targets: [10.0.0.1] }\n", []string{
			`linkwatch.yaml:2:65: defaults.jump_host: "nope" is not defined in jump_hosts (or say none to reach the device directly)`,
		}},
		{"unknown or missing credential", creds + "jump_hosts:\n  j1: { host: 10.9.0.1, credentials: jumper }\n  j2: { host: 10.9.0.2 }\n" + dev, []string{
			`linkwatch.yaml:3:38: jump_hosts.j1.credentials: "jumper" is not defined in credentials`,
			`linkwatch.yaml:4:7: jump_hosts.j2.credentials: is required: the jump host's own login, a key of credentials`,
		}},
		{"bad names", creds + "jump_hosts:\n  j.1: { host: 10.9.0.1, credentials: bastion }\n  none: { host: 10.9.0.2, credentials: bastion }\n" + dev, []string{
			`linkwatch.yaml:3:8: jump_hosts.j.1: "j.1" is not a valid name (letters, digits, '-' and '_', at most 63, starting with a letter or digit)`,
			`linkwatch.yaml:4:9: jump_hosts.none: "none" cannot name a jump host: jump_host: none means none`,
		}},
		{"bad host and port", creds + "jump_hosts:\n  j1: { host: \"j1 -oProxyCommand=x\", port: 0, credentials: bastion }\n  j2: { credentials: bastion }\n" + dev, []string{
			`linkwatch.yaml:3:15: jump_hosts.j1.host: "j1 -oProxyCommand=x" is not an IP address or host name`,
			`linkwatch.yaml:3:44: jump_hosts.j1.port: 0 is out of range (1..65535)`,
			`linkwatch.yaml:4:7: jump_hosts.j2.host: is required`,
		}},
		{"device named as a jump host", creds + "jump_hosts:\n  r1: { host: 10.9.0.1, credentials: bastion }\n" + dev, []string{
			`linkwatch.yaml:6:13: devices[0].name: "r1" is also the name of a jump host: a site's devices and jump hosts share its host key pins, so their names must differ`,
		}},
		{"site of two jump hosts", creds + "jump_hosts:\n  j1: { host: 10.9.0.1, credentials: bastion, sites: [dc1] }\n  j2: { host: 10.9.0.2, credentials: bastion, sites: [dc2, dc1] }\n" + dev, []string{
			`linkwatch.yaml:4:55: jump_hosts.j2.sites[0]: no device is at site "dc2"`,
			`linkwatch.yaml:4:60: jump_hosts.j2.sites[1]: site "dc1" is already given a jump host by jump_hosts.j1.sites[0]`,
		}},
		{"bad site name", creds + "jump_hosts:\n  j1: { host: 10.9.0.1, credentials: bastion, sites: [dc.1] }\n" + dev, []string{
			`linkwatch.yaml:3:55: jump_hosts.j1.sites[0]: "dc.1" is not a valid name (letters, digits, '-' and '_', at most 63, starting with a letter or digit)`,
		}},
		{"jump host settings", creds + "jump_hosts:\n  j1: { host: 10.9.0.1, credentials: bastion, password: x, jump_host: j2, ssh: { ciphers: [rot13] } }\n" + dev, []string{
			`linkwatch.yaml:3:47: jump_hosts.j1.password: inline passwords are not allowed: use password_env or password_file`,
			`linkwatch.yaml:3:60: jump_hosts.j1: unknown field "jump_host"`,
			`linkwatch.yaml:3:92: jump_hosts.j1.ssh.ciphers[0]: "rot13" is not an SSH algorithm linkwatch can use here (known: aes128-gcm@openssh.com, aes256-gcm@openssh.com, chacha20-poly1305@openssh.com, aes128-ctr, aes192-ctr, aes256-ctr, aes128-cbc, 3des-cbc, arcfour256, arcfour128, arcfour)`,
		}},
	})
}

// TestRevisionJumpHosts: an inventory without jump hosts keeps the
// revision it had before they existed; a jump host, and each setting of
// it, is part of the revision of the sites whose devices it serves, and
// of no other.
func TestRevisionJumpHosts(t *testing.T) {
	const base = `defaults: { platform: cisco_iosxe, credentials: lab, ssh: { legacy: true } }
credentials: { lab: { username: a, password_env: P } }
devices:
  - { name: r1, host: 127.0.0.1, site: a, targets: [10.0.0.1] }
  - { name: r2, host: 127.0.0.2, site: a, port: 2202, targets: [10.0.0.1, { address: 10.0.0.2, vrf: MGMT }], ssh: { ciphers: [aes128-cbc] } }
  - { name: r3, host: 127.0.0.3, site: b, targets: [10.0.0.3] }
`
	// Computed by the version before jump hosts (format v1).
	if a, b := revisionOf(t, base, "a"), revisionOf(t, base, "b"); a != "1d9ad3a95ed08c97" || b != "501f982e440bd8c9" {
		t.Errorf("revisions of an inventory without jump hosts changed: a %s, b %s", a, b)
	}
	const j1 = "j1: { host: 10.9.0.1, credentials: lab, sites: [b] }"
	jumpB := strings.Replace(base, "credentials: { lab:", "credentials: { lab2: { username: b, password_env: P }, lab:", 1)
	jumpB = strings.Replace(jumpB, "devices:", "jump_hosts:\n  "+j1+"\ndevices:", 1)
	testRevisionChanges(t, base, []revisionCase{
		{"jump host of another site", jumpB, "a", false},
		{"jump host of the site", jumpB, "b", true},
		{"jump host of one device", strings.Replace(jumpB, "site: a, targets", "site: a, jump_host: j1, targets", 1), "a", true},
		{"jump host not used", strings.Replace(jumpB, "sites: [b]", "sites: []", 1), "b", false},
	})
	jumpSetting := func(name, j string) revisionCase {
		return revisionCase{name, strings.Replace(jumpB, j1, j, 1), "b", true}
	}
	testRevisionChanges(t, jumpB, []revisionCase{
		jumpSetting("host", "j1: { host: 10.9.0.2, credentials: lab, sites: [b] }"),
		jumpSetting("port", "j1: { host: 10.9.0.1, port: 2222, credentials: lab, sites: [b] }"),
		jumpSetting("credentials", "j1: { host: 10.9.0.1, credentials: lab2, sites: [b] }"),
		jumpSetting("ssh", "j1: { host: 10.9.0.1, credentials: lab, sites: [b], ssh: { legacy: true } }"),
	})
}
