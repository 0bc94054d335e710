package notifier

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the notifier's Prometheus metrics.
type Metrics struct {
	results *prometheus.CounterVec // by outcome
	changes *prometheus.CounterVec // confirmed link changes by new state
	emails  *prometheus.CounterVec // delivery attempts by outcome
	outbox  prometheus.Gauge
	leader  prometheus.Gauge
}

// NewMetrics registers the notifier's metrics with reg; a nil reg keeps
// them unregistered.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		results: f.NewCounterVec(prometheus.CounterOpts{
			Name: "linkwatch_notifier_results_total",
			Help: "Probe results by outcome: applied, stale (no newer than the stored state), rejected (a device not in the inventory, another site's subject, or from the future), invalid, or error (retried).",
		}, []string{"outcome"}),
		changes: f.NewCounterVec(prometheus.CounterOpts{
			Name: "linkwatch_notifier_link_changes_total",
			Help: "Confirmed link state changes, by new state.",
		}, []string{"to"}),
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
