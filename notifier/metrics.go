package notifier

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/linkwatch/linkwatch/notifier/mailer"
)

// Metrics are the notifier's Prometheus metrics: its own and its mailer's.
type Metrics struct {
	results *prometheus.CounterVec // by outcome
	changes *prometheus.CounterVec // confirmed link changes by new state
	sites   *prometheus.CounterVec // sites gone blind or seeing results again
	mailer  *mailer.Metrics
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
		sites: f.NewCounterVec(prometheus.CounterOpts{
			Name: "linkwatch_notifier_site_changes_total",
			Help: "Sites found without results for notify.stale_after (blind), or with results again (seeing), by this notifier.",
		}, []string{"to"}),
		mailer: mailer.NewMetrics(reg),
	}
}
