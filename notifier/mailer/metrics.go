package mailer

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the mailer's Prometheus metrics, named as the notifier's.
type Metrics struct {
	emails *prometheus.CounterVec // delivery attempts by outcome
	outbox prometheus.Gauge
	leader prometheus.Gauge
}

// NewMetrics registers the mailer's metrics with reg; a nil reg keeps
// them unregistered.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		emails: f.NewCounterVec(prometheus.CounterOpts{
			Name: "linkwatch_notifier_emails_total",
			Help: "Alert email attempts by outcome: sent, temporary (retried) or permanent (alerts parked).",
		}, []string{"outcome"}),
		outbox: f.NewGauge(prometheus.GaugeOpts{
			Name: "linkwatch_notifier_outbox_alerts",
			Help: "Alerts waiting in the outbox, as the mailer last saw it.",
		}),
		leader: f.NewGauge(prometheus.GaugeOpts{
			Name: "linkwatch_notifier_mailer_leader",
			Help: "1 when this notifier holds the mailer lease and sends email.",
		}),
	}
}
