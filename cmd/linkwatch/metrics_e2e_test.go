package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// TestMetricsAgreeWithStatus runs `linkwatch run` against the simulator,
// with a device of the inventory that cannot be reached (UNKNOWN), and
// checks that the linkwatch_link_state series of /metrics say for every
// link what `linkwatch status --output json` says, before and after a
// link flips; that the probe durations are labelled by site and platform;
// and that the whole exposition passes client_golang's lint.
func TestMetricsAgreeWithStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run test skipped in -short mode")
	}
	dir := t.TempDir()
	targets := []string{"10.0.0.1", "10.0.0.2"}
	fleet := startTestFleet(t, dir, []simDevice{
		{name: "r1", platform: "cisco_iosxe", site: "dc1"},
		{name: "r2", platform: "juniper_junos", site: "dc2"},
	}, targets...)
	// r9 is in the inventory, but nothing answers on its port.
	dead := freePorts(t, 1)[0]
	devices := fleet.configDevices() + fmt.Sprintf("  - { name: r9, host: 127.0.0.1, port: %d, platform: arista_eos, site: dc1, targets: [%s] }\n",
		dead, strings.Join(targets, ", "))
	inventory := map[string][]string{"r1": targets, "r2": targets, "r9": targets}
	var cfg string
	var metricsPort int
	startBound(t, "run", []string{"LW_LAB_PASSWORD=lab-secret"}, 2, func(ports []int) []string {
		metricsPort = ports[1]
		cfg = writeFile(t, dir, "linkwatch.yaml", testConfig(dir+"/data", fmt.Sprintf(`listen: "127.0.0.1:%d"`, ports[0]), devices))
		return []string{"run", "--config", cfg, "--metrics-listen", fmt.Sprintf("127.0.0.1:%d", metricsPort)}
	}, runBound)

	agree := func(want map[string]string) {
		t.Helper()
		waittest.For(t, 60*time.Second, func() error {
			before := statusOf(t, cfg)
			families := scrapeFamilies(t, metricsPort)
			after := statusOf(t, cfg)
			shown := statusStates(before, inventory)
			for link, s := range want {
				if shown[link] != s {
					return fmt.Errorf("status shows %s %s, want %s", link, shown[link], s)
				}
			}
			if !maps.Equal(shown, statusStates(after, inventory)) {
				return fmt.Errorf("status changed during the scrape: %v, then %v", shown, statusStates(after, inventory))
			}
			// status held still around the scrape: the two must agree now.
			if got := linkStates(t, families); !maps.Equal(got, shown) {
				t.Fatalf("linkwatch_link_state says %v\nstatus says           %v", got, shown)
			}
			return nil
		})
	}
	agree(map[string]string{"r1 10.0.0.1": "UP", "r1 10.0.0.2": "UP", "r2 10.0.0.1": "UP", "r2 10.0.0.2": "UP",
		"r9 10.0.0.1": "UNKNOWN", "r9 10.0.0.2": "UNKNOWN"})
	fleet.flip(map[string]string{"r2 10.0.0.2": "down", "r1 10.0.0.1": "unknown-host"})
	agree(map[string]string{"r1 10.0.0.1": "ERROR", "r2 10.0.0.2": "DOWN", "r2 10.0.0.1": "UP", "r9 10.0.0.1": "UNKNOWN"})

	families := scrapeFamilies(t, metricsPort)
	var lint []*dto.MetricFamily
	for _, f := range families {
		lint = append(lint, f)
	}
	problems, err := promlint.NewWithMetricFamilies(lint).Lint()
	if err != nil || len(problems) > 0 {
		t.Errorf("lint of /metrics: %v %+v", err, problems)
	}
	durations := map[string]bool{}
	for _, m := range families["linkwatch_probe_duration_seconds"].GetMetric() {
		durations[labelsOf(m)["site"]+" "+labelsOf(m)["platform"]] = m.GetHistogram().GetSampleCount() > 0
	}
	for _, want := range []string{"dc1 cisco_iosxe", "dc2 juniper_junos", "dc1 arista_eos"} {
		if !durations[want] {
			t.Errorf("no probe duration observed for site and platform %s: %v", want, durations)
		}
	}
	up := map[string]float64{}
	for _, m := range families["linkwatch_device_up"].GetMetric() {
		up[labelsOf(m)["device"]] = m.GetGauge().GetValue()
	}
	if want := map[string]float64{"r1": 1, "r2": 1, "r9": 0}; !maps.Equal(up, want) {
		t.Errorf("linkwatch_device_up = %v, want %v", up, want)
	}
	loss := map[string]float64{}
	for _, m := range families["linkwatch_link_loss_ratio"].GetMetric() {
		loss[labelsOf(m)["device"]+" "+labelsOf(m)["target"]] = m.GetGauge().GetValue()
	}
	if want := map[string]float64{"r1 10.0.0.2": 0, "r2 10.0.0.1": 0, "r2 10.0.0.2": 1}; !maps.Equal(loss, want) {
		t.Errorf("linkwatch_link_loss_ratio = %v, want %v (none for an ERROR link or an unreached device)", loss, want)
	}
}

// statusStates is the state status rows show for each link of inventory
// ("device target"): a device's row (target "", no link state yet) stands
// for each of its links.
func statusStates(rows map[string]statusRow, inventory map[string][]string) map[string]string {
	out := map[string]string{}
	for _, r := range rows {
		if r.Target != "" {
			out[r.Device+" "+r.Target] = r.State
			continue
		}
		for _, target := range inventory[r.Device] {
			out[r.Device+" "+target] = r.State
		}
	}
	return out
}

// linkStates is the state whose linkwatch_link_state series is 1 for each
// link, "device target"; a link with other than one series at 1 of each
// shown state fails the test.
func linkStates(t *testing.T, families map[string]*dto.MetricFamily) map[string]string {
	t.Helper()
	out, seen := map[string]string{}, map[string][]string{}
	for _, m := range families["linkwatch_link_state"].GetMetric() {
		l := labelsOf(m)
		link := l["device"] + " " + l["target"]
		seen[link] = append(seen[link], l["state"])
		if m.GetGauge().GetValue() == 1 {
			if prev, ok := out[link]; ok {
				t.Fatalf("link %s has two states at 1: %s and %s", link, prev, l["state"])
			}
			out[link] = l["state"]
		}
	}
	for link, states := range seen {
		if slices.Sort(states); !slices.Equal(states, slices.Sorted(slices.Values(state.ShownStates))) {
			t.Fatalf("link %s has series for states %v, want one for each of %v", link, states, state.ShownStates)
		}
	}
	return out
}

func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// scrapeFamilies scrapes the metrics served on port and parses them.
func scrapeFamilies(t *testing.T, port int) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(scrape(t, port)))
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	return families
}
