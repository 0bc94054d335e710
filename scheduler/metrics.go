package scheduler

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the scheduler's Prometheus metrics.
type Metrics struct {
	published *prometheus.CounterVec // by site
	failed    *prometheus.CounterVec // by site
	devices   prometheus.Gauge
}

// NewMetrics registers the scheduler's metrics with reg; a nil reg keeps
// them unregistered.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		published: f.NewCounterVec(prometheus.CounterOpts{
			Name: "linkwatch_scheduler_jobs_published_total",
			Help: "Probe jobs published, by the device's site in the inventory (a duplicate of another scheduler's counts too).",
		}, []string{"site"}),
		failed: f.NewCounterVec(prometheus.CounterOpts{
			Name: "linkwatch_scheduler_publish_failures_total",
			Help: "Probe jobs that could not be published and were skipped, by the device's site in the inventory.",
		}, []string{"site"}),
		devices: f.NewGauge(prometheus.GaugeOpts{
			Name: "linkwatch_scheduler_devices",
			Help: "Devices in the inventory.",
		}),
	}
}
