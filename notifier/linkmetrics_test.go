package notifier_test

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/linkwatch/linkwatch/notifier"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// gatherSeries gathers reg into "name{label=value,...}" → value, labels
// in the order of their names, for the families named with prefix.
func gatherSeries(t testing.TB, reg prometheus.Gatherer, prefix string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), prefix) {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			out[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = m.GetGauge().GetValue()
		}
	}
	return out
}

// wantLinkState adds the linkwatch_link_state series of one link in
// state shown to want: 1 for it, 0 for every other state shown.
func wantLinkState(want map[string]float64, site, device, target, shown string) {
	for _, s := range state.ShownStates {
		v := 0.0
		if s == shown {
			v = 1
		}
		want[fmt.Sprintf("linkwatch_link_state{device=%s,site=%s,state=%s,target=%s}", device, site, s, target)] = v
	}
}

func ms(v float64) *float64 { return &v }

// TestLinkMetricsFollowTheInventory seeds the store with devices of every
// kind status shows — measured, never probed, stale, unreachable — and
// records the inventory does not have, and checks the series: one set per
// link of the inventory, in the state status shows, none for a device or
// target not in the inventory, and none left of a device a reload removed.
func TestLinkMetricsFollowTheInventory(t *testing.T) {
	st, err := store.OpenEmbedded(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var clock atomic.Pointer[time.Time]
	clock.Store(&t0)
	inv := &notifier.Inventory{Interval: time.Minute, StaleAfter: 10 * time.Minute,
		Sites: map[string]string{"r1": "dc1", "r2": "dc1", "r3": "dc2", "r4": "dc2"},
		Links: map[string]map[string]bool{
			"r1": {"10.0.0.1": true, "10.0.0.2": true, "10.0.0.3%mgmt": true},
			"r2": {"10.0.0.1": true}, "r3": {"10.0.0.1": true}, "r4": {"10.0.0.1": true},
		}}
	var current atomic.Pointer[notifier.Inventory]
	current.Store(inv)
	n := notifier.New(nil, nil, st, nil, notifier.Config{Inventory: current.Load, Now: func() time.Time { return *clock.Load() }})
	now := t0.Add(time.Hour)
	clock.Store(&now)

	up := state.Link{Target: "10.0.0.1", State: state.Up, Sent: 5, Received: 5, RTTMinMs: ms(1), RTTAvgMs: ms(2), RTTMaxMs: ms(4)}
	down := state.Link{Target: "10.0.0.2", State: state.Down, Sent: 5, LossPercent: 100}
	seed := []state.Device{
		// A target the inventory no longer has is kept by the record, not shown by the metrics.
		{Name: "r1", Site: "dc1", LastResult: now, Received: now, Links: map[string]state.Link{"10.0.0.1": up, "10.0.0.2": down, "10.9.9.9": up}},
		{Name: "r3", Site: "dc2", LastResult: t0, Received: t0, Links: map[string]state.Link{"10.0.0.1": up}},
		{Name: "r4", Site: "dc2", LastResult: now, Received: now, Failure: "TIMEOUT", Links: map[string]state.Link{"10.0.0.1": up}},
		// Not in the inventory at all: a hostile or leftover record.
		{Name: "evil", Site: "dc1", LastResult: now, Received: now, Links: map[string]state.Link{"10.0.0.1": up}},
	}
	for _, d := range seed {
		err := st.Commit(t.Context(), d.Name, func(state.Device) (state.Update, error) { return state.Update{Device: d}, nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	notifier.NewMetrics(reg)
	reg.MustRegister(n.LinkMetrics())

	want := map[string]float64{
		"linkwatch_device_up{device=r1,site=dc1}":                                 1,
		"linkwatch_device_up{device=r2,site=dc1}":                                 0,
		"linkwatch_device_up{device=r3,site=dc2}":                                 0,
		"linkwatch_device_up{device=r4,site=dc2}":                                 0,
		"linkwatch_link_loss_ratio{device=r1,site=dc1,target=10.0.0.1}":           0,
		"linkwatch_link_loss_ratio{device=r1,site=dc1,target=10.0.0.2}":           1,
		"linkwatch_link_rtt_seconds{device=r1,site=dc1,stat=min,target=10.0.0.1}": 0.001,
		"linkwatch_link_rtt_seconds{device=r1,site=dc1,stat=avg,target=10.0.0.1}": 0.002,
		"linkwatch_link_rtt_seconds{device=r1,site=dc1,stat=max,target=10.0.0.1}": 0.004,
	}
	wantLinkState(want, "dc1", "r1", "10.0.0.1", state.Up)
	wantLinkState(want, "dc1", "r1", "10.0.0.2", state.Down)
	wantLinkState(want, "dc1", "r1", "10.0.0.3%mgmt", state.Unknown) // in the inventory, no result yet
	wantLinkState(want, "dc1", "r2", "10.0.0.1", state.Stale)        // never probed in an hour
	wantLinkState(want, "dc2", "r3", "10.0.0.1", state.Stale)        // no result for an hour
	wantLinkState(want, "dc2", "r4", "10.0.0.1", state.Up)           // unreachable: held at its last state
	got := gatherSeries(t, reg, "linkwatch_link_")
	maps.Copy(got, gatherSeries(t, reg, "linkwatch_device_"))
	if !maps.Equal(got, want) {
		t.Errorf("series:\n%s\nwant:\n%s", seriesText(got), seriesText(want))
	}
	if ok := gatherSeries(t, reg, "linkwatch_notifier_link_scrape_success"); ok["linkwatch_notifier_link_scrape_success{}"] != 1 {
		t.Errorf("scrape success = %v, want 1", ok)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}

	// A reload removes r1 and r3, and adds r5: r1's and r3's series end,
	// r5's links are UNKNOWN (watched from now, not stale).
	next := *inv
	next.Sites = map[string]string{"r2": "dc1", "r4": "dc2", "r5": "dc2"}
	next.Links = maps.Clone(inv.Links)
	next.Links["r5"] = map[string]bool{"10.0.0.1": true}
	current.Store(&next)
	got = gatherSeries(t, reg, "linkwatch_link_state")
	want = map[string]float64{}
	wantLinkState(want, "dc1", "r2", "10.0.0.1", state.Stale)
	wantLinkState(want, "dc2", "r4", "10.0.0.1", state.Up)
	wantLinkState(want, "dc2", "r5", "10.0.0.1", state.Unknown)
	if !maps.Equal(got, want) {
		t.Errorf("series after the reload:\n%s\nwant:\n%s", seriesText(got), seriesText(want))
	}
	for s := range gatherSeries(t, reg, "linkwatch_") {
		if strings.Contains(s, "device=r1,") || strings.Contains(s, "device=r3,") || strings.Contains(s, "device=evil") {
			t.Errorf("series %s after the reload removed its device", s)
		}
	}
}

func seriesText(m map[string]float64) string {
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		lines = append(lines, fmt.Sprintf("  %s %g", k, m[k]))
	}
	return strings.Join(lines, "\n")
}

// TestHostileResultsMakeNoSeries publishes results for a device the
// inventory does not have and with a target it does not have: the
// notifier rejects them and no series names either.
func TestHostileResultsMakeNoSeries(t *testing.T) {
	r := newRigOf(t, rigOptions{})
	n, _ := r.startReplica(t, "")
	r.publish(t, "r9", up, up)     // not in the inventory
	r.publish(t, "r2", up, up, up) // 10.0.0.3 is not a target of r2
	r.publish(t, "r1", up, down)
	r.waitApplied(t, "r1")
	waittest.For(t, 10*time.Second, func() error {
		if got := r.rejected(t); got != 2 {
			return fmt.Errorf("%v results rejected, want 2", got)
		}
		return nil
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(n.LinkMetrics())
	got := gatherSeries(t, reg, "linkwatch_")
	for s := range got {
		if strings.Contains(s, "r9") || strings.Contains(s, "10.0.0.3") {
			t.Errorf("series %s from a hostile result", s)
		}
	}
	if got["linkwatch_link_state{device=r1,site=dc1,state=DOWN,target=10.0.0.2}"] != 1 ||
		got["linkwatch_link_state{device=r2,site=dc1,state=UNKNOWN,target=10.0.0.1}"] != 1 {
		t.Errorf("series:\n%s\nwant r1's 10.0.0.2 DOWN and r2's links UNKNOWN", seriesText(got))
	}
}
