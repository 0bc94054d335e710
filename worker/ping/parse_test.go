package ping

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden .json files in testdata")

// goldenFiles lists testdata/<platform>/*.txt for every platform.
func goldenFiles(t testing.TB) map[string][]string {
	t.Helper()
	files := map[string][]string{}
	for _, p := range Platforms() {
		m, err := filepath.Glob(filepath.Join("testdata", p, "*.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 0 {
			t.Fatalf("no samples in testdata/%s", p)
		}
		files[p] = m
	}
	return files
}

func TestParseGolden(t *testing.T) {
	for platform, files := range goldenFiles(t) {
		for _, file := range files {
			t.Run(strings.TrimPrefix(file, "testdata/"), func(t *testing.T) {
				in, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				r, err := Parse(platform, string(in))
				if err != nil {
					t.Fatal(err)
				}
				checkInvariants(t, r)
				got, err := json.MarshalIndent(r, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, '\n')
				golden := strings.TrimSuffix(file, ".txt") + ".json"
				if *update {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -run TestParseGolden -update ./worker/ping/ to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("Parse(%s) =\n%s\nwant\n%s", file, got, want)
				}
			})
		}
	}
}

// fixtureDir holds the shared ping samples collected from public parser test
// suites (ntc-templates, genieparser, napalm, unicon, anta).
const fixtureDir = "../../../shared/fixtures/ping"

// fixturePlatforms maps INDEX.tsv's short platform names to ours; "linux"
// rows are hosts, not routers, and are skipped.
var fixturePlatforms = map[string]string{
	"ios": "cisco_ios", "iosxe": "cisco_iosxe", "iosxr": "cisco_iosxr",
	"nxos": "cisco_nxos", "eos": "arista_eos", "junos": "juniper_junos",
}

func TestParseFixtures(t *testing.T) {
	index := filepath.Join(fixtureDir, "INDEX.tsv")
	f, err := os.Open(index)
	if os.IsNotExist(err) {
		t.Skipf("shared fixtures absent: %s not found (they live beside the checkout in shared/fixtures/ping)", index)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := readTSV(t, f)
	ran := 0
	for _, row := range rows {
		if row["platform"] == "linux" {
			continue
		}
		platform, ok := fixturePlatforms[row["platform"]]
		if !ok {
			t.Errorf("%s: unknown platform %q in INDEX.tsv", row["file"], row["platform"])
			continue
		}
		ran++
		t.Run(row["file"], func(t *testing.T) { checkFixture(t, platform, row) })
	}
	if ran == 0 {
		t.Fatalf("%s lists no router samples", index)
	}
}

func checkFixture(t *testing.T, platform string, row map[string]string) {
	in, err := os.ReadFile(filepath.Join(fixtureDir, row["file"]))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse(platform, string(in))
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, r)
	note := "\nnote: " + row["note"]
	if r.Status.Short() != row["expected_status"] {
		t.Fatalf("status = %s (error %q), want %s%s", r.Status, r.Error, row["expected_status"], note)
	}
	checkInt(t, "sent", r.Sent, row["sent"], note)
	checkInt(t, "received", r.Received, row["received"], note)
	if p := row["success_percent"]; p != "" && r.Status != StatusError {
		want, _ := strconv.ParseFloat(p, 64)
		if math.Abs(r.SuccessPercent-want) > 0.5 {
			t.Errorf("success_percent = %v, want %s%s", r.SuccessPercent, p, note)
		}
	}
	if rtt := row["rtt_min_avg_max_ms"]; rtt != "" {
		checkRTT(t, r, rtt, note)
	}
}

func checkInt(t *testing.T, name string, got int, want, note string) {
	t.Helper()
	if want == "" {
		return
	}
	if w, err := strconv.Atoi(want); err != nil || got != w {
		t.Errorf("%s = %d, want %s%s", name, got, want, note)
	}
}

func checkRTT(t *testing.T, r Result, want, note string) {
	t.Helper()
	if r.RTTMinMs == nil || r.RTTAvgMs == nil || r.RTTMaxMs == nil {
		t.Errorf("rtt missing, want %s%s", want, note)
		return
	}
	got := []float64{*r.RTTMinMs, *r.RTTAvgMs, *r.RTTMaxMs}
	for i, s := range strings.Split(want, "/") {
		w, err := strconv.ParseFloat(s, 64)
		if err != nil || i >= len(got) || got[i] != w {
			t.Errorf("rtt = %v, want %s%s", got, want, note)
			return
		}
	}
}

// readTSV reads a tab-separated file with a header line into one map per
// row, keyed by column name.
func readTSV(t *testing.T, r io.Reader) []map[string]string {
	t.Helper()
	cr := csv.NewReader(r)
	cr.Comma = '\t'
	cr.LazyQuotes = true
	recs, err := cr.ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("read INDEX.tsv: %d records, %v", len(recs), err)
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, name := range recs[0] {
			if i < len(rec) {
				row[name] = rec[i]
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// checkInvariants holds for every Result Parse returns, on any input.
func checkInvariants(t testing.TB, r Result) {
	t.Helper()
	switch r.Status {
	case StatusError:
		if r.Error == "" {
			t.Errorf("ERROR result without a message: %+v", r)
		}
		return
	case StatusUp:
		if r.Sent <= 0 || r.Received != r.Sent {
			t.Errorf("UP with %d/%d", r.Received, r.Sent)
		}
	case StatusDown:
		if r.Sent <= 0 || r.Received != 0 {
			t.Errorf("DOWN with %d/%d", r.Received, r.Sent)
		}
	case StatusDrop:
		if r.Received <= 0 || r.Received >= r.Sent {
			t.Errorf("DROP with %d/%d", r.Received, r.Sent)
		}
	default:
		t.Errorf("unknown status %q", r.Status)
	}
	if r.Error != "" {
		t.Errorf("%s result carries an error %q", r.Status, r.Error)
	}
	if want := 100 * float64(r.Received) / float64(r.Sent); r.SuccessPercent != want {
		t.Errorf("success_percent = %v, want %v", r.SuccessPercent, want)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("result does not encode: %v", err)
	}
}

func TestParseUnknownPlatform(t *testing.T) {
	_, err := Parse("cisco_asa", "Success rate is 100 percent (5/5)")
	want := `unknown platform "cisco_asa" (known: arista_eos, cisco_iosxe (alias cisco_ios), cisco_iosxr, cisco_nxos, juniper_junos)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

// TestPlatformTable checks the table's shape: sorted, every name and alias
// used once, every entry complete, and Lookup finding each entry under each
// of its names.
func TestPlatformTable(t *testing.T) {
	if !slices.IsSorted(Platforms()) {
		t.Errorf("table not sorted by name: %v", Platforms())
	}
	seen := map[string]string{}
	for _, p := range platforms {
		if p.command == nil || p.parse == nil || p.Definition == "" || len(p.LoginLevels) == 0 {
			t.Errorf("%s: incomplete entry %+v", p.Name, p)
		}
		for _, name := range append([]string{p.Name}, p.Aliases...) {
			if other, dup := seen[name]; dup {
				t.Errorf("name %s used by %s and %s", name, other, p.Name)
			}
			seen[name] = p.Name
			got, err := Lookup(name)
			if err != nil || got.Name != p.Name || !Known(name) {
				t.Errorf("Lookup(%s) = %s, %v; want %s", name, got.Name, err, p.Name)
			}
		}
	}
	if names := Names(); len(names) != len(seen) || !slices.IsSorted(names) {
		t.Errorf("Names() = %v, want the %d names of the table, sorted", names, len(seen))
	}
	for _, name := range []string{"", "cisco_asa", "CISCO_IOSXE", "cisco_ios "} {
		if Known(name) {
			t.Errorf("Known(%q) = true", name)
		}
	}
}
