package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// head makes the devices below it valid apart from their own mistakes; the
// first device line of a case is line 4.
const head = `credentials: { lab: { username: admin, password_env: LAB_PASSWORD } }
defaults: { platform: cisco_iosxe, credentials: lab }
devices:
`

// device is a valid device at line 4, for cases about other sections.
const device = head + `  - { name: r1, host: 127.0.0.1, targets: [10.0.0.1] }
`

// problemsCase is a file and every problem Parse must report in it, in
// order.
type problemsCase struct {
	name string
	yaml string
	want []string
}

// testProblems parses each case's file and checks that it fails with
// exactly the problems wanted, and no config.
func testProblems(t *testing.T, tests []problemsCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("linkwatch.yaml", []byte(tt.yaml))
			if cfg != nil {
				t.Errorf("Parse returned a config along with errors")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse error = %v (%T), want Errors", err, err)
			}
			if got := strings.Split(errs.Error(), "\n"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	testProblems(t, []problemsCase{
		{"ssh algorithms", head + "  - { name: r1, host: 127.0.0.1, targets: [10.0.0.1], ssh: { legacy: maybe, ciphers: [aes128-cbc, rot13], kex: [x] } }\n", []string{
			`linkwatch.yaml:4:70: devices[0].ssh.legacy: "maybe" is not true or false`,
			`linkwatch.yaml:4:99: devices[0].ssh.ciphers[1]: "rot13" is not an SSH algorithm linkwatch can use here (known: aes128-gcm@openssh.com, aes256-gcm@openssh.com, chacha20-poly1305@openssh.com, aes128-ctr, aes192-ctr, aes256-ctr, aes128-cbc, 3des-cbc, arcfour256, arcfour128, arcfour)`,
			`linkwatch.yaml:4:107: devices[0].ssh: unknown field "kex"`,
		}},
		{"single-word target", head + "  - name: r1\n    host: 127.0.0.1\n    targets:\n      - vrf\n", []string{
			`linkwatch.yaml:7:9: devices[0].targets[0].address: "vrf" is a single-word host name: give an IP address or a fully qualified name (a single word may be read as a ping keyword)`,
		}},
		{"newline injection", head + "  - name: r1\n    host: 127.0.0.1\n    targets:\n      - \"10.0.0.1\\nreload\"\n", []string{
			`linkwatch.yaml:7:9: devices[0].targets[0].address: "10.0.0.1\nreload" is not an IP address or host name`,
		}},
		{"semicolon injection", head + "  - name: r1\n    host: 127.0.0.1\n    targets:\n      - 10.0.0.1; reload\n", []string{
			`linkwatch.yaml:7:9: devices[0].targets[0].address: "10.0.0.1; reload" is not an IP address or host name`,
		}},
		{"option injection", head + "  - name: r1\n    host: 127.0.0.1\n    targets:\n      - { address: 10.0.0.1 repeat 100000 }\n", []string{
			`linkwatch.yaml:7:20: devices[0].targets[0].address: "10.0.0.1 repeat 100000" is not an IP address or host name`,
		}},
		{"vrf and source injection", head + "  - name: r1\n    host: 127.0.0.1\n    targets:\n      - { address: 10.0.0.1, vrf: \"MGMT\\nreload\", source: Lo0 repeat 5 }\n", []string{
			`linkwatch.yaml:7:35: devices[0].targets[0].vrf: "MGMT\nreload" is not a valid VRF name (letters, digits, '_', '-', '.', ':', at most 32)`,
			`linkwatch.yaml:7:59: devices[0].targets[0].source: "Lo0 repeat 5" is not an interface name or IP address`,
		}},
		{"zone injection in target", head + "  - name: r1\n    host: 127.0.0.1\n    targets: [ \"fe80::1%x\\nconfigure terminal\\nhostname PWNED\\nend\" ]\n", []string{
			`linkwatch.yaml:6:16: devices[0].targets[0].address: "fe80::1%x\nconfigure terminal\nhostname PWNED\nend" is not an IP address or host name (IPv6 zones are not allowed: give the interface as the ping source)`,
		}},
		{"zone injection in source", head + "  - name: r1\n    host: 127.0.0.1\n    targets:\n      - { address: 10.0.0.1, source: \"fe80::1%x\\nconfigure terminal\\nhostname PWNED\\nend\" }\n", []string{
			`linkwatch.yaml:7:38: devices[0].targets[0].source: "fe80::1%x\nconfigure terminal\nhostname PWNED\nend" is not an interface name or IP address (IPv6 zones are not allowed: give the interface itself as the source)`,
		}},
		{"zone option injection", head + "  - name: r1\n    host: 127.0.0.1\n    ping: { source: \"fe80::1%eth0 repeat 100000\" }\n    targets:\n      - \"fe80::1%eth0 repeat 100000\"\n      - { address: 10.0.0.1, source: \"fe80::1%Gi0/0\" }\n", []string{
			`linkwatch.yaml:6:21: devices[0].ping.source: "fe80::1%eth0 repeat 100000" is not an interface name or IP address (IPv6 zones are not allowed: give the interface itself as the source)`,
			`linkwatch.yaml:8:9: devices[0].targets[0].address: "fe80::1%eth0 repeat 100000" is not an IP address or host name (IPv6 zones are not allowed: give the interface as the ping source)`,
			`linkwatch.yaml:9:38: devices[0].targets[1].source: "fe80::1%Gi0/0" is not an interface name or IP address (IPv6 zones are not allowed: give the interface itself as the source)`,
		}},
		{"host injection", head + "  - { name: r1, host: \"r1 -o ProxyCommand=x\", targets: [10.0.0.1] }\n", []string{
			`linkwatch.yaml:4:23: devices[0].host: "r1 -o ProxyCommand=x" is not an IP address or host name`,
		}},
		{"unknown key", "intervall: 5m\n", []string{
			`linkwatch.yaml:1:1: unknown field "intervall"; did you mean "interval"?`,
		}},
		{"unknown key in target", head + "  - name: r1\n    host: 127.0.0.1\n    targets:\n      - { address: 10.0.0.1, vfr: MGMT }\n", []string{
			`linkwatch.yaml:7:30: devices[0].targets[0]: unknown field "vfr"; did you mean "vrf"?`,
		}},
		{"inline password", "credentials:\n  lab: { username: admin, password: hunter2 }\n", []string{
			`linkwatch.yaml:2:8: credentials.lab: one of password_env or password_file is required`,
			`linkwatch.yaml:2:27: credentials.lab.password: inline passwords are not allowed: use password_env or password_file`,
		}},
		{"inline smtp password", "notify:\n  smtp: { host: smtp.example.net, username: lw, password_env: P, password: x }\n", []string{
			`linkwatch.yaml:2:66: notify.smtp.password: inline passwords are not allowed: use password_env or password_file`,
		}},
		{"bad duration", "interval: 5 minutes\n", []string{
			`linkwatch.yaml:1:11: interval: "5 minutes" is not a duration (like 30s, 5m, 1h)`,
		}},
		{"duration without unit", "notify: { group_wait: 30 }\n", []string{
			`linkwatch.yaml:1:23: notify.group_wait: "30" is not a duration (like 30s, 5m, 1h)`,
		}},
		{"string for a number", head + "  - { name: r1, host: 127.0.0.1, port: ssh, targets: [10.0.0.1] }\n", []string{
			`linkwatch.yaml:4:40: devices[0].port: "ssh" is not a whole number`,
		}},
		{"string for a list", head + "  - { name: r1, host: 127.0.0.1, targets: 10.0.0.1 }\n", []string{
			`linkwatch.yaml:4:43: devices[0].targets: expected a list, got a single value`,
		}},
		{"out-of-range count", head + "  - { name: r1, host: 127.0.0.1, targets: [{ address: 10.0.0.1, count: 1001 }] }\n", []string{
			`linkwatch.yaml:4:72: devices[0].targets[0].count: 1001 is out of range (1..1000)`,
		}},
		{"out-of-range ping defaults", "defaults: { ping: { count: 0, timeout: 61s, size: 20 } }\n", []string{
			`linkwatch.yaml:1:28: defaults.ping.count: 0 is out of range (1..1000)`,
			`linkwatch.yaml:1:40: defaults.ping.timeout: 1m1s is out of range (1s..1m)`,
			`linkwatch.yaml:1:51: defaults.ping.size: 20 is out of range (0, or 36..18024)`,
		}},
		{"fractional timeout", head + "  - { name: r1, host: 127.0.0.1, ping: { timeout: 1500ms }, targets: [10.0.0.1] }\n", []string{
			`linkwatch.yaml:4:51: devices[0].ping.timeout: 1.5s is not a whole number of seconds`,
		}},
		{"out-of-range interval and port", "interval: 500ms\n" + head + "  - { name: r1, host: 127.0.0.1, port: 70000, targets: [10.0.0.1] }\n", []string{
			`linkwatch.yaml:1:11: interval: 500ms is out of range (1s..24h)`,
			`linkwatch.yaml:5:40: devices[0].port: 70000 is out of range (1..65535)`,
		}},
		{"pings longer than interval", "interval: 1m\n" + head + "  - name: r1\n    host: 127.0.0.1\n    ping: { count: 10, timeout: 5s }\n    targets: [10.0.0.1, 10.0.0.2]\n", []string{
			`linkwatch.yaml:5:5: devices[0]: pings may take 1m40s (count × timeout summed over 2 targets), longer than interval 1m`,
		}},
		{"duplicate device", device + "  - { name: r1, host: 127.0.0.2, targets: [10.0.0.1] }\n", []string{
			`linkwatch.yaml:5:13: devices[1].name: duplicate device name "r1" (also devices[0])`,
		}},
		{"duplicate target", head + "  - name: r1\n    host: 127.0.0.1\n    targets:\n      - { address: 10.0.0.1, vrf: A }\n      - 10.0.0.1\n      - { address: 10.0.0.1, vrf: A }\n", []string{
			`linkwatch.yaml:9:20: devices[0].targets[2].address: duplicate target "10.0.0.1" in VRF "A" (also targets[0])`,
		}},
		{"duplicate target spellings", head + "  - name: r1\n    host: 127.0.0.1\n    targets: [\"2001:db8::1\", \"2001:DB8:0::1\", Core.example.net, core.example.net.]\n", []string{
			`linkwatch.yaml:6:30: devices[0].targets[1].address: duplicate target "2001:DB8:0::1" (also targets[0])`,
			`linkwatch.yaml:6:65: devices[0].targets[3].address: duplicate target "core.example.net." (also targets[2])`,
		}},
		{"empty target", head + "  - name: r1\n    host: 127.0.0.1\n    targets: [\"\", ~]\n", []string{
			`linkwatch.yaml:6:15: devices[0].targets[0].address: is required`,
			`linkwatch.yaml:6:19: devices[0].targets[1].address: is required`,
		}},
		{"unknown credential", head + "  - { name: r1, host: 127.0.0.1, credentials: core, targets: [10.0.0.1] }\n", []string{
			`linkwatch.yaml:4:47: devices[0].credentials: "core" is not defined in credentials`,
		}},
		{"mistyped key and platforms", head + "  - { name: r1, host: 127.0.0.1, platfrom: cisco_iosxe, targets: [10.0.0.1] }\n" +
			"  - { name: r2, host: 127.0.0.1, platform: cisco-iosxr, targets: [10.0.0.1] }\n" +
			"  - { name: r3, host: 127.0.0.1, platform: junos, targets: [10.0.0.1], colour: red }\n", []string{
			`linkwatch.yaml:4:34: devices[0]: unknown field "platfrom"; did you mean "platform"?`,
			`linkwatch.yaml:5:44: devices[1].platform: "cisco-iosxr" is not a known platform (arista_eos, cisco_iosxe (alias cisco_ios), cisco_iosxr, cisco_nxos, juniper_junos); did you mean "cisco_iosxr"?`,
			`linkwatch.yaml:6:44: devices[2].platform: "junos" is not a known platform (arista_eos, cisco_iosxe (alias cisco_ios), cisco_iosxr, cisco_nxos, juniper_junos); did you mean "juniper_junos"?`,
			`linkwatch.yaml:6:72: devices[2]: unknown field "colour"`,
		}},
		{"unknown platform", head + "  - { name: r1, host: 127.0.0.1, platform: cisco_asa, targets: [10.0.0.1] }\n", []string{
			`linkwatch.yaml:4:44: devices[0].platform: "cisco_asa" is not a known platform (arista_eos, cisco_iosxe (alias cisco_ios), cisco_iosxr, cisco_nxos, juniper_junos)`,
		}},
		{"bad site name", head + "  - { name: r1, host: 127.0.0.1, site: dc.1, targets: [10.0.0.1] }\n", []string{
			`linkwatch.yaml:4:40: devices[0].site: "dc.1" is not a valid name (letters, digits, '-' and '_', at most 63, starting with a letter or digit)`,
		}},
		{"missing device fields", "devices:\n  - { name: r1 }\n", []string{
			`linkwatch.yaml:2:5: devices[0].host: is required`,
			`linkwatch.yaml:2:5: devices[0].platform: is required (here or in defaults.platform)`,
			`linkwatch.yaml:2:5: devices[0].credentials: is required (here or in defaults.credentials)`,
			`linkwatch.yaml:2:5: devices[0].targets: at least one target is required`,
		}},
		{"credential password sources", "credentials:\n  a: { username: x, password_env: A, password_file: a.pass }\n  b: { username: x }\n  c: { password_env: \"not a name\" }\n", []string{
			`linkwatch.yaml:2:6: credentials.a: give only one of password_env and password_file`,
			`linkwatch.yaml:3:6: credentials.b: one of password_env or password_file is required`,
			`linkwatch.yaml:4:6: credentials.c.username: is required`,
			`linkwatch.yaml:4:22: credentials.c.password_env: is not an environment variable name (letters, digits and '_')`,
		}},
		{"notify", "notify:\n  to: [noc@example.net, not an address]\n  confirm: 0\n  timezone: Mars/Olympus\n  smtp: { tls: ssl, username: lw }\n", []string{
			`linkwatch.yaml:2:3: notify.from: is required when notify.to or notify.routes is set`,
			`linkwatch.yaml:2:25: notify.to[1]: "not an address" is not an email address`,
			`linkwatch.yaml:3:12: notify.confirm: 0 is out of range (1..100)`,
			`linkwatch.yaml:4:13: notify.timezone: "Mars/Olympus" is not a time zone name (like UTC or Europe/Paris)`,
			`linkwatch.yaml:5:9: notify.smtp.host: is required`,
			`linkwatch.yaml:5:9: notify.smtp: one of password_env or password_file is required`,
			`linkwatch.yaml:5:16: notify.smtp.tls: "ssl" is not one of starttls, tls, none`,
		}},
		{"stale_after below the interval", "interval: 5m\nnotify: { stale_after: 4m }\n", []string{
			`linkwatch.yaml:2:24: notify.stale_after: 4m is out of range (5m..168h)`,
		}},
		{"servers", "nats: { url: \"http://a b\", listen: localhost }\nstate: { redis_url: \"http://127.0.0.1:6379\" }\nworker: { concurrency: 0, ack_wait: 0s }\n", []string{
			`linkwatch.yaml:1:14: nats.url: is not a NATS URL (nats://host:port, several separated by commas)`,
			`linkwatch.yaml:1:36: nats.listen: "localhost" is not host:port`,
			`linkwatch.yaml:2:21: state.redis_url: is not a redis:// or rediss:// URL`,
			`linkwatch.yaml:3:24: worker.concurrency: 0 is out of range (1..10000)`,
			`linkwatch.yaml:3:37: worker.ack_wait: 0s is out of range (1s..1h)`,
		}},
		{"host keys", "worker: { host_keys: trusting }\n", []string{
			`linkwatch.yaml:1:22: worker.host_keys: "trusting" is not a host key mode (tofu, known_hosts or insecure)`,
		}},
		{"known_hosts without its mode", "worker: { host_keys: insecure, known_hosts: kh }\n", []string{
			`linkwatch.yaml:1:45: worker.known_hosts: is only read with host_keys: known_hosts (host_keys is insecure)`,
		}},
		{"known_hosts mode without a file", "worker: { host_keys: known_hosts }\n", []string{
			`linkwatch.yaml:1:9: worker.known_hosts: is required with host_keys: known_hosts`,
		}},
		{"logins", "worker:\n  logins: { pause_after: -1, within: 0s, pause_for: 48h }\n", []string{
			`linkwatch.yaml:2:26: worker.logins.pause_after: -1 is out of range (0..1000)`,
		}},
		{"logins times", "worker:\n  logins: { pause_after: 3, within: 0s, pause_for: 48h, pause: 1h }\n", []string{
			`linkwatch.yaml:2:37: worker.logins.within: 0s is out of range (1s..24h)`,
			`linkwatch.yaml:2:52: worker.logins.pause_for: 48h is out of range (1s..24h)`,
			`linkwatch.yaml:2:57: worker.logins: unknown field "pause"; did you mean "pause_for"?`,
		}},
		{"nats login", "nats: { url: \"nats://127.0.0.1:4222\", user: lw, nkey_seed_file: lw.nk, creds_file: lw.creds, cert_file: c.pem }\n", []string{
			`linkwatch.yaml:1:7: nats: one of password_env or password_file is required`,
			`linkwatch.yaml:1:7: nats: give only one way to log in (user with password_env or password_file, nkey_seed_file, or creds_file), not user and nkey_seed_file and creds_file`,
			`linkwatch.yaml:1:7: nats.key_file: is required with cert_file`,
		}},
		{"nats password without user", "nats: { url: \"nats://lw@127.0.0.1:4222\", password_env: \"NATS PASSWORD\", key_file: c.key }\n", []string{
			`linkwatch.yaml:1:7: nats.user: is required`,
			`linkwatch.yaml:1:7: nats.cert_file: is required with key_file`,
			`linkwatch.yaml:1:14: nats.url: has a user, password or token too: give them either in the URL or in the nats section`,
			`linkwatch.yaml:1:56: nats.password_env: is not an environment variable name (letters, digits and '_')`,
		}},
		{"nats tls without url", "nats: { user: lw, password_env: NATS_PASSWORD, cert_file: c.pem, key_file: c.key }\n", []string{
			`linkwatch.yaml:1:15: nats.user: needs nats.url: the embedded server of linkwatch run admits only its own nkeys (give nats.nkey_seed_file a key from linkwatch creds export)`,
			`linkwatch.yaml:1:59: nats.cert_file: needs nats.url: the embedded server does not serve TLS`,
		}},
		{"jetstream domain", "nats: { url: \"nats://127.0.0.1:4222\", jetstream_domain: \"hub.>\" }\n", []string{
			`linkwatch.yaml:1:57: nats.jetstream_domain: "hub.>" is not a valid name (letters, digits, '-' and '_', at most 63, starting with a letter or digit)`,
		}},
		{"jetstream domain without url", "nats: { jetstream_domain: hub }\n", []string{
			`linkwatch.yaml:1:27: nats.jetstream_domain: needs nats.url: the embedded server of linkwatch run has no JetStream domain (a domain is the hub's, reached through a leaf node)`,
		}},
		{"nats creds without url", "nats: { creds_file: lw.creds }\n", []string{
			`linkwatch.yaml:1:21: nats.creds_file: needs nats.url: the embedded server of linkwatch run admits only its own nkeys (give nats.nkey_seed_file a key from linkwatch creds export)`,
		}},
		{"nats password in clear", "nats: { url: \"nats://127.0.0.1:4222,nats://hub.example.net:4222\", user: lw, password_env: NATS_PASSWORD }\n", []string{
			`linkwatch.yaml:1:14: nats.url: a NATS password would cross the network in clear to a host that is not loopback: use tls:// (or give nats.ca_file), or log in with nats.nkey_seed_file`,
		}},
		{"nats password in the url in clear", "nats: { url: \"nats://lw:s3cret@hub.example.net:4222\" }\n", []string{
			`linkwatch.yaml:1:14: nats.url: a NATS password would cross the network in clear to a host that is not loopback: use tls:// (or give nats.ca_file), or log in with nats.nkey_seed_file`,
		}},
		{"redis password in clear", "state: { redis_url: \"redis://redis.example.net:6379/0\", password_env: R }\n", []string{
			`linkwatch.yaml:1:21: state.redis_url: the Redis password would cross the network in clear to a host that is not loopback: use rediss://`,
		}},
		{"redis login", "state: { redis_url: \"rediss://lw:pw@127.0.0.1:6380/0?skip_verify=true\", username: lw, password_env: R, password_file: r.pass }\n", []string{
			`linkwatch.yaml:1:8: state: give only one of password_env and password_file`,
			`linkwatch.yaml:1:21: state.redis_url: has a user or password too: give them either in the URL or in state.username and password_env or password_file`,
			`linkwatch.yaml:1:21: state.redis_url: skip_verify would turn TLS certificate verification off, which is not allowed: give state.ca_file to trust a private CA`,
		}},
		{"redis username and ca without tls", "state: { redis_url: \"redis://127.0.0.1:6379/0\", username: lw, ca_file: ca.pem }\n", []string{
			`linkwatch.yaml:1:8: state: one of password_env or password_file is required`,
			`linkwatch.yaml:1:72: state.ca_file: needs a rediss:// redis_url (Redis over TLS)`,
		}},
		{"redis login without url", "state: { prefix: lw, password_env: REDIS_PASSWORD }\n", []string{
			`linkwatch.yaml:1:36: state.password_env: needs state.redis_url: the embedded store has no login or TLS`,
		}},
		{"smtp auth in clear", "notify: { smtp: { host: mail.example.net, tls: none, username: lw, password_env: P } }\n", []string{
			`linkwatch.yaml:1:48: notify.smtp.tls: "none" with a username would send the SMTP password in clear across the network: use starttls or tls (none is only for a relay on localhost or a loopback address)`,
		}},
		{"verification off", "notify: { smtp: { host: mail.example.net, insecure_skip_verify: true } }\nnats: { url: \"tls://127.0.0.1:4222\", verify: false }\n", []string{
			`linkwatch.yaml:1:43: notify.smtp.insecure_skip_verify: TLS certificate verification cannot be turned off: give ca_file to trust a private CA`,
			`linkwatch.yaml:2:38: nats.verify: TLS certificate verification cannot be turned off: give ca_file to trust a private CA`,
		}},
		{"duplicate key", "interval: 5m\ninterval: 10m\n", []string{
			`linkwatch.yaml:2:1: interval: duplicate key "interval" (first at line 1)`,
		}},
		{"invalid yaml", "interval: 5m\nnats: url: x\n", []string{
			`linkwatch.yaml:2: invalid YAML: mapping values are not allowed in this context`,
		}},
		{"tab indentation", "notify:\n\tconfirm: 2\n", []string{
			`linkwatch.yaml:2: invalid YAML: found character that cannot start any token`,
		}},
		{"several problems", "interval: soon\nnats: { listen: \"127.0.0.1:4222\", tls: true }\n" + head +
			"  - { name: r1, host: 127.0.0.1, targets: [10.0.0.1] }\n  - { name: r1, host: \"\", platform: ios, targets: [\"10.0.0.1;reload\"] }\n", []string{
			`linkwatch.yaml:1:11: interval: "soon" is not a duration (like 30s, 5m, 1h)`,
			`linkwatch.yaml:2:35: nats: unknown field "tls"`,
			`linkwatch.yaml:7:13: devices[1].name: duplicate device name "r1" (also devices[0])`,
			`linkwatch.yaml:7:23: devices[1].host: is required`,
			`linkwatch.yaml:7:37: devices[1].platform: "ios" is not a known platform (arista_eos, cisco_iosxe (alias cisco_ios), cisco_iosxr, cisco_nxos, juniper_junos); did you mean "cisco_ios" (an alias of "cisco_iosxe")?`,
			`linkwatch.yaml:7:52: devices[1].targets[0].address: "10.0.0.1;reload" is not an IP address or host name`,
		}},
	})
}

func TestLoadGood(t *testing.T) {
	cfg, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Notify.Location == nil || cfg.Notify.Location.String() != "Europe/Paris" {
		t.Errorf("Location = %v, want Europe/Paris", cfg.Notify.Location)
	}
	cfg.Notify.Location = nil
	want := &Config{
		Interval: 10 * time.Minute,
		DataDir:  "testdata/data",
		NATS:     NATS{Listen: "127.0.0.1:14222"},
		State:    State{RedisURL: "redis://127.0.0.1:6379/0", Prefix: "linkwatch:"},
		Notify: Notify{
			From:      "LinkWatch <linkwatch@example.net>",
			To:        []string{"noc@example.net", "oncall@example.net"},
			GroupWait: 30 * time.Second,
			Confirm:   1, StaleAfter: 20 * time.Minute,
			Flap:     Flap{Changes: 4, Window: 2 * time.Hour, Quiet: 2 * time.Hour},
			Timezone: "Europe/Paris",
			SMTP:     &SMTP{Host: "smtp.example.net", Port: 465, TLS: "tls", Username: "lw", PasswordEnv: "SMTP_PASSWORD"},
		},
		Credentials: map[string]Credential{
			"lab":  {Username: "admin", PasswordEnv: "LAB_PASSWORD"},
			"core": {Username: "netops", PasswordFile: "testdata/core.pass"},
		},
		Worker: Worker{Concurrency: 50, SiteConcurrency: 10, HostKeys: HostKeysKnownHosts, KnownHosts: "testdata/known_hosts", AckWait: time.Minute, MaxOutputKiB: 4096,
			Logins:                    Logins{PauseAfter: 2, Within: 10 * time.Minute, PauseFor: time.Hour},
			PersistentSessionsPerSite: 16, SessionKeepAlive: 30 * time.Second, SessionIdle: 30 * time.Minute},
		Devices: []Device{
			{Name: "r1", Host: "127.0.0.1", Port: 2201, Platform: "cisco_iosxr", Site: "dc1", Credentials: "core", Session: SessionPerProbe, Targets: []Target{
				{Address: "10.0.0.1", VRF: "MGMT", Count: 3, Timeout: time.Second},
				{Address: "10.0.0.2", VRF: "INET", Source: "Loopback0", Count: 10, Timeout: 5 * time.Second, Size: 1500},
			}},
			{Name: "r2", Host: "r2.lab.example.net", Port: 22, Platform: "cisco_iosxe", Site: "default", Credentials: "lab", Session: SessionPerProbe, Targets: []Target{
				{Address: "2001:db8::1", VRF: "MGMT", Count: 4, Timeout: 2 * time.Second},
				{Address: "10.0.0.1", Count: 4, Timeout: 2 * time.Second},
			}},
			{Name: "sw-3", Host: "192.0.2.3", Port: 22, Platform: "arista_eos", Site: "dc2", Credentials: "lab", Session: SessionPerProbe, Targets: []Target{
				{Address: "10.1.0.1", VRF: "MGMT", Count: 4, Timeout: 2 * time.Second},
			}},
		},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Load:\n got %+v\nwant %+v", cfg, want)
	}
	if got := cfg.Sites(); !reflect.DeepEqual(got, []string{"dc1", "dc2", "default"}) {
		t.Errorf("Sites() = %q", got)
	}
	if got := cfg.DevicesAt("dc2"); len(got) != 1 || got[0].Name != "sw-3" {
		t.Errorf("DevicesAt(dc2) = %+v, want sw-3", got)
	}
	if got := cfg.Links(); got != 5 {
		t.Errorf("Links() = %d, want 5", got)
	}
}

func TestParseEmptyGivesDefaults(t *testing.T) {
	cfg, err := Parse("conf/linkwatch.yaml", nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &Config{
		Interval: 5 * time.Minute,
		DataDir:  "conf/data",
		NATS:     NATS{Listen: "127.0.0.1:4222"},
		State:    State{Prefix: "linkwatch:"},
		Notify: Notify{GroupWait: 30 * time.Second, Confirm: 1, StaleAfter: 10 * time.Minute, Flap: Flap{Changes: 4, Window: time.Hour, Quiet: time.Hour},
			Timezone: "UTC", Location: time.UTC},
		Credentials: map[string]Credential{},
		Worker: Worker{Concurrency: 50, HostKeys: HostKeysTOFU, AckWait: 30 * time.Second, MaxOutputKiB: 4096,
			Logins:                    Logins{PauseAfter: 3, Within: 10 * time.Minute, PauseFor: 30 * time.Minute},
			PersistentSessionsPerSite: 16, SessionKeepAlive: 30 * time.Second, SessionIdle: 15 * time.Minute},
		Devices: []Device{},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Parse(empty):\n got %+v\nwant %+v", cfg, want)
	}
}

// TestLoginsOff turns pausing off: the window and the pause are then not
// checked, and the other defaults stay.
func TestLoginsOff(t *testing.T) {
	cfg, err := Parse("linkwatch.yaml", []byte("worker:\n  logins: { pause_after: 0, within: 0s }\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if want := (Logins{PauseFor: 30 * time.Minute}); cfg.Worker.Logins != want {
		t.Errorf("worker.logins = %+v, want %+v", cfg.Worker.Logins, want)
	}
}

func TestSMTPPortByTLS(t *testing.T) {
	for tls, port := range map[string]int{"starttls": 587, "tls": 465, "none": 25} {
		cfg, err := Parse("linkwatch.yaml", []byte("notify: { smtp: { host: mail.example.net, tls: "+tls+" } }\n"))
		if err != nil {
			t.Fatalf("tls %s: %v", tls, err)
		}
		if cfg.Notify.SMTP.Port != port {
			t.Errorf("tls %s: port %d, want %d", tls, cfg.Notify.SMTP.Port, port)
		}
	}
	cfg, err := Parse("linkwatch.yaml", []byte("notify: { smtp: { host: mail.example.net, port: 2525 } }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Notify.SMTP; s.TLS != "starttls" || s.Port != 2525 {
		t.Errorf("smtp = %+v, want starttls on 2525", s)
	}
}

// TestValidateDoesNotChangeTheConfig checks that every default is applied
// before validation (by resolve), which only reads: the Config validated
// is the Config resolved.
func TestValidateDoesNotChangeTheConfig(t *testing.T) {
	for _, text := range []string{
		"",
		"notify: { timezone: Europe/Paris, smtp: { host: mail.example.net } }\n",
		"notify: { smtp: { host: mail.example.net, tls: none, port: 2525 } }\n",
		"notify: { timezone: Mars/Olympus, smtp: { host: mail.example.net, tls: ssl, port: 0 } }\n",
	} {
		d := newDecoder("linkwatch.yaml")
		f := builtinDefaults()
		d.decodeFile([]byte(text), &f)
		cfg, want := f.resolve(".", d.given), f.resolve(".", d.given)
		v := validator{d: d, f: &f, cfg: cfg}
		v.validate()
		if !reflect.DeepEqual(cfg, want) {
			t.Errorf("%q: validation changed the config:\n got %+v\nwant %+v", text, cfg, want)
		}
	}
}

func TestExampleIsValid(t *testing.T) {
	cfg, err := Load("../../../../linkwatch.example.yaml")
	if err != nil {
		t.Fatalf("linkwatch.example.yaml: %v", err)
	}
	if len(cfg.Devices) == 0 || cfg.Links() == 0 {
		t.Errorf("the example has %d devices and %d links; it should show some", len(cfg.Devices), cfg.Links())
	}
}

func TestParseAliases(t *testing.T) {
	cfg, err := Parse("linkwatch.yaml", []byte(head+`  - { name: r1, host: 127.0.0.1, ping: &slow { count: 10, timeout: 5s }, targets: [10.0.0.1] }
  - { name: r2, host: 127.0.0.2, ping: *slow, targets: [10.0.0.2] }
`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := Target{Address: "10.0.0.2", Count: 10, Timeout: 5 * time.Second}
	if got := cfg.Devices[1].Targets[0]; got != want {
		t.Errorf("target through an alias = %+v, want %+v", got, want)
	}
}

// TestParseAliasBomb checks that a "billion laughs" file, a thousand
// aliases to a device of a thousand targets, fails fast with one problem
// instead of decoding a million targets.
func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString(head + "  - &r { name: r0, host: 127.0.0.1, targets: &t [")
	for i := range 1000 {
		fmt.Fprintf(&b, "\"10.0.%d.%d\", ", i/250, i%250+1)
	}
	b.WriteString("] }\n")
	for range 1000 {
		b.WriteString("  - *r\n")
	}
	start := time.Now()
	_, err := Parse("linkwatch.yaml", []byte(b.String()))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse error = %v, want Errors", err)
	}
	want := `linkwatch.yaml:4:11075: devices[49].targets[816].address: too many alias expansions: aliases may not expand the file beyond 100000 values (10 times its size, at least 100000)`
	if len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("problems:\n%.2000v\nwant:\n%s", err, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Parse took %v", d)
	}
}

// TestParseSharedTargets checks that the common use of anchors, one target
// list shared by many devices, stays within the alias budget.
func TestParseSharedTargets(t *testing.T) {
	var b strings.Builder
	b.WriteString(head)
	b.WriteString("  - name: r0\n    host: 127.0.0.1\n    targets: &common\n")
	for i := range 30 {
		fmt.Fprintf(&b, "      - { address: 10.0.%d.1, vrf: MGMT, count: 2, timeout: 1s }\n", i)
	}
	for i := 1; i < 250; i++ {
		fmt.Fprintf(&b, "  - { name: r%d, host: 127.0.0.1, targets: *common }\n", i)
	}
	cfg, err := Parse("linkwatch.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if cfg.Links() != 250*30 {
		t.Errorf("Links() = %d, want %d", cfg.Links(), 250*30)
	}
}
