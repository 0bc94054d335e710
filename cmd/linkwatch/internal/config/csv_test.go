package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDevicesFile(t *testing.T) {
	cfg, err := Load("testdata/csv/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join("testdata", "csv", "devices.csv"); cfg.DevicesFile != want {
		t.Errorf("DevicesFile = %q, want %q", cfg.DevicesFile, want)
	}
	want := []Device{
		{Name: "r1", Host: "127.0.0.1", Port: 22, Platform: "cisco_iosxe", Site: "dc1", Credentials: "lab",
			Targets: []Target{{Address: "10.0.0.1", Count: 5, Timeout: 2 * time.Second}}, Session: SessionPerProbe},
		{Name: "r2", Host: "10.1.0.2", Port: 2222, Platform: "juniper_junos", Site: "dc2", Credentials: "core",
			SSH: SSH{Legacy: true, Ciphers: []string{"aes128-cbc", "3des-cbc"}},
			Targets: []Target{
				{Address: "10.0.0.1", Count: 2, Timeout: 2 * time.Second},
				{Address: "10.0.0.2", VRF: "MGMT", Source: "Loopback0", Count: 3, Timeout: 2 * time.Second},
				{Address: "r3.example.net", Count: 2, Timeout: 2 * time.Second},
			}, Session: SessionPerProbe},
	}
	if !reflect.DeepEqual(cfg.Devices, want) {
		t.Errorf("devices:\n%+v\nwant:\n%+v", cfg.Devices, want)
	}
}

// TestDevicesFileFromSpreadsheet reads the file a spreadsheet exports: a
// byte order mark, CRLF line ends, every cell quoted.
func TestDevicesFileFromSpreadsheet(t *testing.T) {
	want, err := Load("testdata/csv/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load("testdata/csv/excel.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Devices, want.Devices) {
		t.Errorf("devices:\n%+v\nwant:\n%+v", got.Devices, want.Devices)
	}
}

// TestDevicesFileReload checks that loading the configuration again, as
// SIGHUP does, reads the devices file again.
func TestDevicesFileReload(t *testing.T) {
	dir := t.TempDir()
	csvPath, cfgPath := filepath.Join(dir, "devices.csv"), filepath.Join(dir, "linkwatch.yaml")
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(cfgPath, csvHead)
	write(csvPath, "name,host,targets\nr1,127.0.0.1,10.0.0.1\n")
	first, err := Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	write(csvPath, "name,host,site,targets\nr1,127.0.0.1,dc1,10.0.0.1\nr2,127.0.0.2,dc2,10.0.0.1;10.0.0.2\n")
	second, err := Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := [2][]string{first.Sites(), second.Sites()}, [2][]string{{"default"}, {"dc1", "dc2"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("sites before and after = %v, want %v", got, want)
	}
	if first.Links() != 1 || second.Links() != 3 {
		t.Errorf("links before and after = %d, %d, want 1, 3", first.Links(), second.Links())
	}
}

// TestDevicesFileTooLarge checks that a file over the limit is refused
// from its size, without decoding it.
func TestDevicesFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "devices.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file: it costs no disk, and reads as NUL bytes, which would
	// be refused too, with another message, if the size were not checked.
	if err := errors.Join(f.Truncate(maxDevicesFileBytes+1), f.Close()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "linkwatch.yaml")
	if err := os.WriteFile(path, []byte(csvHead), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	want := filepath.Join(dir, "devices.csv") + ": devices_file is larger than 32 MiB: split the inventory or check that this is the right file"
	if err == nil || err.Error() != want {
		t.Errorf("Load error = %v, want %s", err, want)
	}
}

// TestDevicesFileSameAsYAML checks that a devices file and the same
// devices written under devices: give the same configuration.
func TestDevicesFileSameAsYAML(t *testing.T) {
	fromCSV, err := Load("testdata/csv/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yamlDevices := `devices:
  - { name: r1, host: 127.0.0.1, targets: [10.0.0.1] }
  - name: r2
    host: 10.1.0.2
    port: 2222
    platform: juniper_junos
    site: dc2
    credentials: core
    ping: { count: 2 }
    ssh: { legacy: true, ciphers: [aes128-cbc, 3des-cbc] }
    targets: [10.0.0.1, { address: 10.0.0.2, vrf: MGMT, source: Loopback0, count: 3 }, r3.example.net]
`
	head, err := os.ReadFile("testdata/csv/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(head), "devices_file: devices.csv\n", yamlDevices, 1)
	fromYAML, err := Parse("testdata/csv/good.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	fromCSV.DevicesFile = ""
	if !reflect.DeepEqual(fromCSV, fromYAML) {
		t.Errorf("from CSV:\n%+v\nfrom YAML:\n%+v", fromCSV, fromYAML)
	}
}

// csvHead is a configuration whose devices are in devices.csv beside it.
const csvHead = `credentials: { lab: { username: admin, password_env: LAB_PASSWORD } }
defaults: { platform: cisco_iosxe, credentials: lab }
devices_file: devices.csv
`

// loadCSV writes csv as devices.csv beside a configuration of csvHead and
// loads it; problems are returned one a line, the directory cut.
func loadCSV(t *testing.T, config, csv string) (*Config, []string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "devices.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "linkwatch.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err == nil {
		return cfg, nil
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Load error = %v (%T), want Errors", err, err)
	}
	return cfg, strings.Split(strings.ReplaceAll(errs.Error(), dir+string(filepath.Separator), ""), "\n")
}

func TestDevicesFileErrors(t *testing.T) {
	const hdr = "name,host,targets\n"
	tests := []struct {
		name   string
		config string // csvHead when empty
		csv    string
		want   []string
	}{
		{"both devices and devices_file", csvHead + "devices: []\n", hdr, []string{
			`linkwatch.yaml:3:15: devices_file: give devices or devices_file, not both`}},
		{"missing file", strings.Replace(csvHead, "devices.csv", "nosuch.csv", 1), hdr, []string{
			`nosuch.csv: read devices_file: no such file or directory`}},
		{"empty file", "", "", []string{
			`devices.csv: no header row: the first line names the columns (credentials, host, jump_host, name, ping.count, ping.size, ping.source, ping.timeout, ping.vrf, platform, port, session, site, ssh.ciphers, ssh.host_key_algorithms, ssh.key_exchanges, ssh.legacy, ssh.macs, targets)`}},
		{"unknown column", "", "name,host,platfrom,targets,colour\n", []string{
			`devices.csv:1:11: unknown column "platfrom" (columns: credentials, host, jump_host, name, ping.count, ping.size, ping.source, ping.timeout, ping.vrf, platform, port, session, site, ssh.ciphers, ssh.host_key_algorithms, ssh.key_exchanges, ssh.legacy, ssh.macs, targets); did you mean "platform"?`,
			`devices.csv:1:28: unknown column "colour" (columns: credentials, host, jump_host, name, ping.count, ping.size, ping.source, ping.timeout, ping.vrf, platform, port, session, site, ssh.ciphers, ssh.host_key_algorithms, ssh.key_exchanges, ssh.legacy, ssh.macs, targets)`}},
		{"missing and repeated columns", "", "name,name,port\n", []string{
			`devices.csv:1:1: the header has no column "host", which every device needs`,
			`devices.csv:1:1: the header has no column "targets", which every device needs`,
			`devices.csv:1:6: column "name" is given twice (also column 1)`}},
		{"row problems", "", hdr +
			"r1,127.0.0.1,10.0.0.1\n" +
			"r1,10.0.0.300,10.0.0.1;vrf\n" +
			"r3,127.0.0.1,\"10.0.0.1; 10.0.0.2 vrf=MGMT\nreload\"\n" +
			"r4,127.0.0.1,10.0.0.1 repeat 100000\n" +
			"r5,127.0.0.1,10.0.0.1 vfr=MGMT count=x\n" +
			"r6,127.0.0.1,\n", []string{
			`devices.csv:3:1: name: duplicate device name "r1" (also line 2)`,
			`devices.csv:3:4: host: "10.0.0.300" is not an IP address or host name`,
			`devices.csv:3:24: targets[1].address: "vrf" is a single-word host name: give an IP address or a fully qualified name (a single word may be read as a ping keyword)`,
			`devices.csv:4:14: targets: "reload" is not an option (key=value after the address, key one of count, size, source, timeout, vrf)`,
			`devices.csv:6:23: targets: "repeat" is not an option (key=value after the address, key one of count, size, source, timeout, vrf)`,
			`devices.csv:6:30: targets: "100000" is not an option (key=value after the address, key one of count, size, source, timeout, vrf)`,
			`devices.csv:7:23: targets[0]: unknown field "vfr"; did you mean "vrf"?`,
			`devices.csv:7:38: targets[0].count: "x" is not a whole number`,
			`devices.csv:8:1: targets: at least one target is required`}},
		{"formula injection", "", hdr + "=cmd|' /C calc'!A0,127.0.0.1,10.0.0.1\nr2,@SUM(1+1),+10.0.0.1\nr3,127.0.0.1,-10.0.0.1\n", []string{
			`devices.csv:2:1: "=cmd|' /C calc'!A0" starts with "=": a spreadsheet would run it as a formula, and no value starts so`,
			`devices.csv:3:4: "@SUM(1+1)" starts with "@": a spreadsheet would run it as a formula, and no value starts so`,
			`devices.csv:3:14: "+10.0.0.1" starts with "+": a spreadsheet would run it as a formula, and no value starts so`,
			`devices.csv:4:14: "-10.0.0.1" starts with "-": a spreadsheet would run it as a formula, and no value starts so`}},
		{"NUL byte", "", hdr + "r1,127.0.0.1,10.0.\x000.1\n", []string{
			`devices.csv:2:19: NUL byte: a devices file is text (is this a spreadsheet's binary format? export it as CSV)`}},
		{"invalid UTF-8", "", hdr + "r1,127.0.0.1,10.0.0.1\nr\xff2,127.0.0.1,10.0.0.1\n", []string{
			`devices.csv:3:2: invalid UTF-8: save the devices file as UTF-8 CSV`}},
		{"huge cell", "", hdr + "r1,127.0.0.1," + strings.Repeat("10.0.0.1;", 8000) + "\n", []string{
			`devices.csv:2:14: cell of 72000 bytes: at most 64 KiB`}},
		{"CSV syntax", "", hdr + "r1,127.0.0.1,10.0.0.1\nr2,\"127.0.0.1,10.0.0.1\n", []string{
			`devices.csv:3:24: invalid CSV: extraneous or missing " in quoted-field`}},
		{"field count", "", hdr + "r1,127.0.0.1\nr2,127.0.0.1,10.0.0.1,extra\nr3,127.0.0.1,10.0.0.300\n", []string{
			`devices.csv:2:1: 2 fields, the header has 3: a row has one field per column (quote a cell with a comma in it)`,
			`devices.csv:3:1: 4 fields, the header has 3: a row has one field per column (quote a cell with a comma in it)`,
			`devices.csv:4:14: targets[0].address: "10.0.0.300" is not an IP address or host name`}},
		{"too many columns", "", strings.Repeat("name,", 20) + "name\n", []string{
			`devices.csv:1:1: 21 columns: a device has at most 19 (credentials, host, jump_host, name, ping.count, ping.size, ping.source, ping.timeout, ping.vrf, platform, port, session, site, ssh.ciphers, ssh.host_key_algorithms, ssh.key_exchanges, ssh.legacy, ssh.macs, targets)`}},
		{"too many rows, of any length", "", hdr + strings.Repeat("x\n", maxDevicesFileRows+1), []string{
			fmt.Sprintf("devices.csv:%d:1: more than %d devices", maxDevicesFileRows+2, maxDevicesFileRows)}},
		{"unknown platform and credential", "", "name,host,platform,credentials,targets\nr1,127.0.0.1,cisco_io,lba,10.0.0.1\n", []string{
			`devices.csv:2:14: platform: "cisco_io" is not a known platform (arista_eos, cisco_iosxe (alias cisco_ios), cisco_iosxr, cisco_nxos, juniper_junos); did you mean "cisco_ios" (an alias of "cisco_iosxe")?`,
			`devices.csv:2:23: credentials: "lba" is not defined in credentials`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config := tt.config
			if config == "" {
				config = csvHead
			}
			cfg, got := loadCSV(t, config, tt.csv)
			if cfg != nil {
				t.Error("Load returned a config along with errors")
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// BenchmarkDevicesFile loads a configuration whose devices file has
// 10,000 devices of 4 targets each.
func BenchmarkDevicesFile(b *testing.B) {
	dir := b.TempDir()
	var csv strings.Builder
	csv.WriteString("name,host,site,targets\n")
	for i := range 10000 {
		fmt.Fprintf(&csv, "r%d,10.%d.%d.1,dc%d,\"10.0.0.1; 10.0.0.2 vrf=MGMT; 10.0.0.3 count=3; r%d.example.net\"\n", i, i/250, i%250, i%20, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "devices.csv"), []byte(csv.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "linkwatch.yaml")
	if err := os.WriteFile(path, []byte(csvHead), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(csv.Len()))
	for b.Loop() {
		cfg, err := Load(path)
		if err != nil || len(cfg.Devices) != 10000 {
			b.Fatalf("Load: %v", err)
		}
	}
}
