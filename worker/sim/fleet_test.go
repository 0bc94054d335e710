package sim

import (
	"reflect"
	"testing"
	"time"
)

func TestLoadFleet(t *testing.T) {
	f, err := LoadFleet("testdata/fleet.yaml")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	want := []Device{
		{Name: "r1", Platform: "cisco_iosxr", Username: "admin", Password: "admin", Delay: 50 * time.Millisecond,
			Targets: map[string]Behaviour{
				"10.0.0.1": {Outcome: Up}, "10.0.0.2": {Outcome: Down},
				"10.0.0.3": {Outcome: Drop, Percent: 60}, "10.0.0.4": {Outcome: UnknownHost},
			}},
		{Name: "r2", Platform: "cisco_iosxe", Username: "admin", Password: "admin",
			Targets:        map[string]Behaviour{"core.example.net": {Outcome: Up}, "10.0.0.5": {Outcome: Flood}},
			EnablePassword: "s3cret",
			Session:        SessionBehaviour{SlowBanner: 2 * time.Second},
			Login: LoginBehaviour{LandsIn: UserExec,
				Lockout: Lockout{After: 3, Within: time.Minute, For: time.Minute}}},
		{Name: "r3", Platform: "cisco_iosxe", Username: "admin", Password: "admin",
			Targets: map[string]Behaviour{"10.0.0.6": {Outcome: Hang}, "10.0.0.7": {Outcome: Garbage}},
			Session: SessionBehaviour{NoPrompt: true},
			SSH:     SSHBehaviour{Algorithms: Legacy, HostKeySeed: "r3-replaced"}},
		{Name: "r4", Platform: "cisco_iosxe", Username: "admin", Password: "admin",
			SSH:   SSHBehaviour{HostKeys: []KeyType{KeyRSA, KeyECDSA, KeyED25519}},
			Login: LoginBehaviour{Methods: []string{MethodKeyboardInteractive}, Instruction: "Authorized access only"}},
		{Name: "sw1", Platform: "cisco_nxos", Username: "admin", Password: "admin"},
		{Name: "sw2", Platform: "arista_eos", Username: "admin", Password: "admin"},
		{Name: "edge1", Platform: "juniper_junos", Username: "lab", Password: "lab",
			Targets: map[string]Behaviour{"2001:db8::1": {Outcome: Drop, Percent: 1}}},
	}
	if !reflect.DeepEqual(f.Devices, want) {
		t.Errorf("devices:\n got %+v\nwant %+v", f.Devices, want)
	}
}

func TestLoadFleetErrors(t *testing.T) {
	_, err := LoadFleet("testdata/bad.yaml")
	want := `testdata/bad.yaml:3: devices[0] (r1): platform: "cisco_asa" is not a platform (arista_eos, cisco_iosxe, cisco_iosxr, cisco_nxos, juniper_junos)
testdata/bad.yaml:6: devices[0] (r1): colour: unknown field
testdata/bad.yaml:7: devices[1] (r1): password: missing
testdata/bad.yaml:7: devices[1] (r1): name: "r1" is already used by devices[0]
testdata/bad.yaml:10: devices[1] (r1): delay: "fast" is not a duration (like 50ms)
testdata/bad.yaml:12: devices[1] (r1): targets["10.0.0.1"]: "drop 100": drop needs a success percent between 1 and 99`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
	if _, err := LoadFleet("testdata/missing.yaml"); err == nil {
		t.Error("missing file loaded")
	}
}

func TestParseFleetErrors(t *testing.T) {
	const dev = "devices:\n  - name: r1\n    platform: cisco_nxos\n    username: u\n    password: p\n"
	cases := []struct {
		name, yaml, want string
	}{
		{"empty", "", "devices: no device"},
		{"not yaml", "devices: [", "yaml: line 1: did not find expected node content"},
		{"top level unknown", dev + "extra: 1\n", `line 6: unknown field "extra"`},
		{"no devices", "devices: []\n", "line 1: devices: no device"},
		{"devices not a list", "devices: r1\n", "line 1: devices: must be a list"},
		{"device not a mapping", "devices:\n  - r1\n", "line 2: devices[0]: must be a mapping"},
		{"missing fields", "devices:\n  - port: 2201\n", "line 2: devices[0]: name: missing\n" +
			"line 2: devices[0]: platform: missing\nline 2: devices[0]: username: missing\nline 2: devices[0]: password: missing"},
		{"bad name", "devices:\n  - name: r 1\n    platform: cisco_nxos\n    username: u\n    password: p\n",
			`line 2: devices[0] (r 1): name: "r 1" is not a valid name (letters, digits, '-' and '_', at most 63, starting with a letter or digit)`},
		{"bad port", dev + "    port: 70000\n", `line 6: devices[0] (r1): port: "70000" is not a port number (0 to 65535)`},
		{"port twice", dev + "  - name: r2\n    port: 2201\n    platform: cisco_nxos\n    username: u\n    password: p\n" +
			"  - name: r3\n    port: 2201\n    platform: cisco_nxos\n    username: u\n    password: p\n",
			"line 11: devices[2] (r3): port: 2201 is already used by devices[1]"},
		{"field twice", dev + "    username: v\n", "line 6: devices[0] (r1): username: given twice"},
		{"empty password", "devices:\n  - name: r1\n    platform: cisco_nxos\n    username: u\n    password: \"\"\n",
			"line 5: devices[0] (r1): password: is empty"},
		{"negative delay", dev + "    delay: -1s\n", `line 6: devices[0] (r1): delay: "-1s" is not a duration (like 50ms)`},
		{"targets not a mapping", dev + "    targets: [10.0.0.1]\n", "line 6: devices[0] (r1): targets: must be a mapping of target to behaviour"},
		{"bad target", dev + "    targets:\n      10.0.0.1;reload: up\n",
			`line 7: devices[0] (r1): targets["10.0.0.1;reload"]: "10.0.0.1;reload" is not an IP address or host name`},
		{"bad behaviour", dev + "    targets:\n      10.0.0.1: flaky\n",
			`line 7: devices[0] (r1): targets["10.0.0.1"]: "flaky" is not a behaviour (up, down, drop N, unknown-host, flood, hang, garbage)`},
		{"drop zero", dev + "    targets:\n      10.0.0.1: drop 0\n",
			`line 7: devices[0] (r1): targets["10.0.0.1"]: "drop 0": drop needs a success percent between 1 and 99`},
		{"target twice", dev + "    targets:\n      10.0.0.1: up\n      10.0.0.1: down\n",
			`line 8: devices[0] (r1): targets["10.0.0.1"]: given twice`},
		{"mapping where a value belongs", dev + "    delay: {a: 1}\n", "line 6: devices[0] (r1): delay: must be a single value"},
		{"empty enable password", dev + "    enable_password: \"\"\n", "line 6: devices[0] (r1): enable_password: is empty"},
		{"section not a mapping", dev + "    session: slow\n", "line 6: devices[0] (r1): session: must be a mapping with no_prompt, slow_banner"},
		{"section unknown key", dev + "    session: {no_banner: true}\n", "line 6: devices[0] (r1): session.no_banner: unknown field"},
		{"section key twice", dev + "    session:\n      no_prompt: true\n      no_prompt: false\n",
			"line 8: devices[0] (r1): session.no_prompt: given twice"},
		{"section twice", dev + "    session: {no_prompt: true}\n    session: {no_prompt: true}\n", "line 7: devices[0] (r1): session: given twice"},
		{"not a bool", dev + "    session: {no_prompt: yes}\n", `line 6: devices[0] (r1): session.no_prompt: "yes" is not true or false`},
		{"bad slow banner", dev + "    session: {slow_banner: 5}\n", `line 6: devices[0] (r1): session.slow_banner: "5" is not a duration (like 50ms)`},
		{"list where a value belongs", dev + "    session: {slow_banner: [1s]}\n", "line 6: devices[0] (r1): session.slow_banner: must be a single value"},
		{"bad level", dev + "    login: {lands_in: root}\n", `line 6: devices[0] (r1): login.lands_in: "root" is not a level (privileged, user-exec)`},
		{"lockout not a mapping", dev + "    login: {lockout: 3}\n", "line 6: devices[0] (r1): login.lockout: must be a mapping with after, within, for"},
		{"lockout incomplete", dev + "    login:\n      lockout: {within: 1m}\n",
			"line 7: devices[0] (r1): login.lockout.after: missing\nline 7: devices[0] (r1): login.lockout.for: missing"},
		{"lockout bad values", dev + "    login:\n      lockout: {after: 0, within: 0s, for: soon, hold: 1}\n",
			`line 7: devices[0] (r1): login.lockout.after: "0" is not a count (1 or more)` + "\n" +
				`line 7: devices[0] (r1): login.lockout.within: "0s" is not a duration above zero (like 1m)` + "\n" +
				`line 7: devices[0] (r1): login.lockout.for: "soon" is not a duration above zero (like 1m)` + "\n" +
				"line 7: devices[0] (r1): login.lockout.hold: unknown field"},
		{"no methods", dev + "    login: {methods: []}\n",
			"line 6: devices[0] (r1): login.methods: must be a list of one or more of password, keyboard-interactive"},
		{"bad methods", dev + "    login:\n      methods: [password, publickey, password]\n",
			`line 7: devices[0] (r1): login.methods[1]: "publickey" is not an authentication method (password, keyboard-interactive)` + "\n" +
				"line 7: devices[0] (r1): login.methods[2]: password: given twice"},
		{"empty instruction", dev + "    login: {instruction: \"\"}\n", "line 6: devices[0] (r1): login.instruction: is empty"},
		{"bad algorithm set", dev + "    ssh: {algorithms: ancient}\n",
			`line 6: devices[0] (r1): ssh.algorithms: "ancient" is not an algorithm set (legacy, legacy-group1, modern)`},
		{"host keys not a list", dev + "    ssh: {host_keys: rsa}\n",
			"line 6: devices[0] (r1): ssh.host_keys: must be a list of one or more of ed25519, rsa, ecdsa"},
		{"no host keys", dev + "    ssh: {host_keys: []}\n",
			"line 6: devices[0] (r1): ssh.host_keys: must be a list of one or more of ed25519, rsa, ecdsa"},
		{"bad host keys", dev + "    ssh:\n      host_keys: [rsa, dsa, rsa]\n",
			`line 7: devices[0] (r1): ssh.host_keys[1]: "dsa" is not a host key type (ed25519, rsa, ecdsa)` + "\n" +
				"line 7: devices[0] (r1): ssh.host_keys[2]: rsa: given twice"},
		{"legacy with an ed25519 key", dev + "    ssh:\n      algorithms: legacy\n      host_keys: [rsa, ed25519]\n",
			"line 8: devices[0] (r1): ssh.host_keys: legacy algorithms offer rsa host keys only"},
		{"empty seed", dev + "    ssh: {host_key_seed: \"\"}\n", "line 6: devices[0] (r1): ssh.host_key_seed: is empty"},
		{"user exec without one", dev + "    login: {lands_in: user-exec}\n",
			"line 6: devices[0] (r1): login.lands_in: cisco_nxos has no user EXEC login (arista_eos, cisco_iosxe have)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFleet([]byte(tc.yaml))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, tc.want)
			}
		})
	}
}

func TestBehaviourReceived(t *testing.T) {
	cases := []struct {
		b                   string
		count, wantReceived int
	}{
		{"up", 5, 5}, {"down", 5, 0}, {"unknown-host", 5, 0},
		{"drop 60", 5, 3}, {"drop 60", 2, 1}, {"drop 60", 1, 1}, {"drop 40", 1, 0},
		{"drop 1", 5, 1}, {"drop 99", 5, 4}, {"drop 99", 1000, 990}, {"drop 50", 3, 2},
		{"flood", 5, 5}, {"hang", 5, 0}, {"garbage", 5, 0},
	}
	for _, tc := range cases {
		b, err := ParseBehaviour(tc.b)
		if err != nil {
			t.Fatalf("parse %q: %v", tc.b, err)
		}
		if got := b.Received(tc.count); got != tc.wantReceived {
			t.Errorf("%s of %d received %d, want %d", tc.b, tc.count, got, tc.wantReceived)
		}
		if b.String() != tc.b {
			t.Errorf("%q renders as %q", tc.b, b.String())
		}
	}
}

func TestUnlistedTargets(t *testing.T) {
	d := Device{Targets: map[string]Behaviour{"10.0.0.1": {Outcome: Up}}}
	for target, want := range map[string]Outcome{
		"10.0.0.1": Up, "10.0.0.9": Down, "2001:db8::9": Down, "core.example.net": UnknownHost,
	} {
		if got := d.Behaviour(target).Outcome; got != want {
			t.Errorf("%s: %v, want %v", target, got, want)
		}
	}
}
