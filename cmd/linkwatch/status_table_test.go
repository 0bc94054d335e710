package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/termstyle"
	"github.com/linkwatch/linkwatch/notifier/state"
)

// tableRows are rows in the inventory's order, one of each state, times
// relative to tableNow.
var tableNow = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func tableRows() []statusRow {
	at := func(d time.Duration) string { return tableNow.Add(-d).Format(time.RFC3339) }
	rtt := 1.5
	return []statusRow{
		{Device: "r1", Site: "dc1", Target: "10.0.0.1", State: "UP", Since: at(3 * time.Hour), LastChecked: at(20 * time.Second),
			Sent: 5, Received: 5, RTTAvgMs: &rtt},
		{Device: "r1", Site: "dc1", Target: "10.0.0.2", State: "DOWN", Since: at(3 * time.Minute), LastChecked: at(20 * time.Second),
			Sent: 5, LossPercent: 100},
		{Device: "r2", Site: "dc2", Target: "10.0.0.1", State: "ERROR", Since: at(2 * 24 * time.Hour), LastChecked: at(time.Minute),
			Error: "% Invalid input detected at '^' marker. The command was rejected by the device"},
		{Device: "r0", Site: "dc2", Target: "10.0.0.1", State: "DROP", Since: at(10 * time.Minute), LastChecked: at(20 * time.Second),
			Sent: 5, Received: 4, LossPercent: 20, RTTAvgMs: &rtt},
		{Device: "r3", Site: "dc1", State: "UNKNOWN", Note: "not probed yet"},
		{Device: "r4", Site: "dc1", Target: "10.0.0.9", VRF: "mgmt", State: "STALE", Since: at(time.Hour),
			LastChecked: at(40 * time.Minute), Sent: 5, Received: 5, RTTAvgMs: &rtt, LastState: "UP", Note: "no recent result"},
		{Device: "r5", Site: "dc1", Target: "10.0.0.1", State: "FLAPPING", Since: at(90 * time.Second), LastChecked: at(10 * time.Second),
			Sent: 5, Received: 5, RTTAvgMs: &rtt},
	}
}

// TestStatusTable checks the table as a NOC reads it: worst first, times
// relative to a fixed clock, "-" where a value does not apply, the NOTE
// cut to the terminal's width, the summary line, and colour only when the
// style says so.
func TestStatusTable(t *testing.T) {
	plain := `DEVICE  SITE  TARGET               STATE     SINCE    LAST CHECKED  LOSS  RTT AVG  NOTE
r1      dc1   10.0.0.2             DOWN      3m ago   20s ago       100%  -
r2      dc2   10.0.0.1             ERROR     2d ago   1m ago        -     -        % Invalid input detected at '^' marker. The command was rejected by the device
r5      dc1   10.0.0.1             FLAPPING  1m ago   10s ago       0%    1.5ms
r0      dc2   10.0.0.1             DROP      10m ago  20s ago       20%   1.5ms
r4      dc1   10.0.0.9 (vrf mgmt)  STALE     1h ago   40m ago       -     -        last UP; no recent result
r3      dc1   -                    UNKNOWN   -        -             -     -        not probed yet
r1      dc1   10.0.0.1             UP        3h ago   20s ago       0%    1.5ms
1 UP · 1 DOWN · 1 ERROR · 1 FLAPPING · 1 DROP · 1 STALE · 1 UNKNOWN
`
	// 83 columns before NOTE: 37 left for it at 120.
	cut := strings.Replace(plain, "% Invalid input detected at '^' marker. The command was rejected by the device",
		"% Invalid input detected at '^' mark…", 1)
	for _, tc := range []struct {
		name  string
		style termstyle.Style
		sort  string
		want  string
	}{
		{"plain", termstyle.Style{}, "state", plain},
		{"cut at 120 columns", termstyle.Style{Width: 120}, "state", cut},
		{"coloured", termstyle.Style{Color: true}, "state", colourStates(plain)},
		{"device order", termstyle.Style{}, "device", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			opts := &statusOptions{sort: tc.sort}
			if err := writeStatusTable(&out, opts.order(tableRows()), tableView{style: tc.style, now: tableNow}); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			if tc.want == "" { // device order: the rows as given
				var devices []string
				for _, line := range strings.Split(got, "\n")[1:8] {
					devices = append(devices, strings.Fields(line)[0])
				}
				if d := strings.Join(devices, " "); d != "r1 r1 r2 r0 r3 r4 r5" {
					t.Errorf("--sort device: rows %s, want the rows' own order", d)
				}
				return
			}
			if got != tc.want {
				t.Errorf("table:\n%s\nwant:\n%s", got, tc.want)
			}
			if tc.style.Width > 0 {
				for _, line := range strings.Split(got, "\n") {
					if n := utf8.RuneCountInString(line); n > tc.style.Width {
						t.Errorf("line of %d columns, wider than %d: %q", n, tc.style.Width, line)
					}
				}
			}
		})
	}
}

// colourStates paints, in the table rows and the summary of plain, each
// state as termstyle paints it.
func colourStates(plain string) string {
	lines := strings.Split(plain, "\n")
	on := termstyle.Style{Color: true}
	at := strings.Index(lines[0], "STATE")
	for i, line := range lines[1:8] {
		st := strings.Fields(line[at:])[0]
		lines[i+1] = line[:at] + on.Paint(st, st) + line[at+len(st):]
	}
	for _, st := range state.ShownStates {
		lines[8] = strings.Replace(lines[8], " "+st, " "+on.Paint(st, st), 1)
	}
	return strings.Join(lines, "\n")
}

func TestStatusSummary(t *testing.T) {
	rows := func(states ...string) []statusRow {
		var rs []statusRow
		for _, s := range states {
			rs = append(rs, statusRow{State: s})
		}
		return rs
	}
	for _, tc := range []struct {
		rows []statusRow
		want string
	}{
		{nil, "no links"},
		{rows("UP", "UP", "DOWN", "UNKNOWN", "DROP", "UP"), "3 UP · 1 DOWN · 1 DROP · 1 UNKNOWN"},
		{rows("STALE"), "1 STALE"},
	} {
		if got := summary(tc.rows, termstyle.Style{}); got != tc.want {
			t.Errorf("summary = %q, want %q", got, tc.want)
		}
	}
}

// TestSeverity ties the worst-first ranks to the states status shows.
func TestSeverity(t *testing.T) {
	for _, st := range state.ShownStates {
		if _, ok := severity[st]; !ok {
			t.Errorf("state %s has no severity", st)
		}
	}
	if len(severity) != len(state.ShownStates) {
		t.Errorf("%d severities for %d states", len(severity), len(state.ShownStates))
	}
}

// BenchmarkStatusTable measures the table of 100,000 rows (sorting worst
// first, relative times, alignment, cutting), the presentation status
// adds on the rows after the query.
//
//	go test -run '^$' -bench StatusTable ./cmd/linkwatch/
func BenchmarkStatusTable(b *testing.B) {
	base := tableRows()
	rows := make([]statusRow, 100_000)
	for i := range rows {
		rows[i] = base[i%len(base)]
		rows[i].Device = fmt.Sprintf("r%06d", i/4)
		rows[i].Target = fmt.Sprintf("10.0.%d.%d", i%4, i%len(base))
	}
	slices.SortFunc(rows, rowOrder) // as the notifier's rows come
	opts := &statusOptions{sort: "state"}
	v := tableView{style: termstyle.Style{Color: true, Width: 160}, now: tableNow}
	b.ResetTimer()
	for range b.N {
		work := slices.Clone(rows)
		if err := writeStatusTable(io.Discard, opts.order(work), v); err != nil {
			b.Fatal(err)
		}
	}
}
