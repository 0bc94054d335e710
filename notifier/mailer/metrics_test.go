package mailer

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// TestOutboxMetrics checks the outbox's depth and the age of its oldest
// alert as the mailer last saw it, read by the clock at scrape time, and
// both 0 once the outbox is empty or another replica leads.
func TestOutboxMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	now := t0
	clock := func() time.Time { return now }
	alerts := []state.Alert{{ID: "b", Created: t0.Add(-30 * time.Second)}, {ID: "a", Created: t0.Add(-90 * time.Second)}}
	tests := []struct {
		name          string
		alerts        []state.Alert
		later         time.Duration // the scrape comes this long after the look
		depth, oldest float64
	}{
		{"two alerts", alerts, 0, 2, 90},
		{"scraped later", alerts, time.Minute, 2, 150},
		{"empty", nil, 0, 0, 0},
	}
	for _, tt := range tests {
		now = t0
		m.sawOutbox(tt.alerts, clock)
		now = t0.Add(tt.later)
		if got := testutil.ToFloat64(m.outbox); got != tt.depth {
			t.Errorf("%s: outbox alerts = %v, want %v", tt.name, got, tt.depth)
		}
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var got float64 = -1
		for _, f := range families {
			if f.GetName() == "linkwatch_notifier_outbox_oldest_alert_age_seconds" {
				got = f.GetMetric()[0].GetGauge().GetValue()
			}
		}
		if got != tt.oldest {
			t.Errorf("%s: oldest alert age = %v, want %v", tt.name, got, tt.oldest)
		}
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}
}
