package mailer

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// Metrics are the mailer's Prometheus metrics, named as the notifier's.
type Metrics struct {
	emails *prometheus.CounterVec // delivery attempts by outcome
	outbox prometheus.Gauge
	leader prometheus.Gauge
	oldest oldestAlert
}

// oldestAlert is when the oldest alert of the outbox was created, as the
// mailer last saw it (zero: none), and the clock its age is read by.
type oldestAlert struct {
	mu      sync.Mutex
	created time.Time
	now     func() time.Time
}

// age is how long the oldest alert has waited, by the clock, at scrape time.
func (o *oldestAlert) age() float64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.created.IsZero() || o.now == nil {
		return 0
	}
	return max(0, o.now().Sub(o.created).Seconds())
}

// NewMetrics registers the mailer's metrics with reg; a nil reg keeps
// them unregistered.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	m := &Metrics{
		emails: f.NewCounterVec(prometheus.CounterOpts{
			Name: "linkwatch_notifier_emails_total",
			Help: "Alert email attempts by outcome: sent, temporary (retried) or permanent (alerts parked).",
		}, []string{"outcome"}),
		outbox: f.NewGauge(prometheus.GaugeOpts{
			Name: "linkwatch_notifier_outbox_alerts",
			Help: "Alerts waiting in the outbox, as the mailer last saw it (0 on a notifier not holding the mailer lease).",
		}),
		leader: f.NewGauge(prometheus.GaugeOpts{
			Name: "linkwatch_notifier_mailer_leader",
			Help: "1 when this notifier holds the mailer lease and sends email.",
		}),
	}
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "linkwatch_notifier_outbox_oldest_alert_age_seconds",
		Help: "How long the oldest alert in the outbox, as the mailer last saw it, has waited, at scrape time (0 when the outbox is empty or on a notifier not holding the mailer lease).",
	}, m.oldest.age)
	return m
}

// sawOutbox records the alerts the mailer found in the outbox (none: it
// is not the leader), and the clock they age by.
func (m *Metrics) sawOutbox(alerts []state.Alert, now func() time.Time) {
	m.outbox.Set(float64(len(alerts)))
	var oldest time.Time
	for _, a := range alerts {
		if oldest.IsZero() || a.Created.Before(oldest) {
			oldest = a.Created
		}
	}
	m.oldest.mu.Lock()
	defer m.oldest.mu.Unlock()
	m.oldest.created, m.oldest.now = oldest, now
}
