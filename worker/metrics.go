package worker

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the worker's Prometheus metrics.
type Metrics struct {
	jobs     *prometheus.CounterVec   // by outcome
	devices  *prometheus.CounterVec   // probe outcomes by failure kind ("" = reached)
	links    *prometheus.CounterVec   // link verdicts by status
	duration *prometheus.HistogramVec // by site and platform
	inFlight prometheus.Gauge
	// revisionMismatch is 1 for a site while the inventory revision of its
	// last job differs from this worker's (several sites share the metrics
	// in linkwatch run).
	revisionMismatch *prometheus.GaugeVec
	// persistent counts the persistent sessions this worker holds open;
	// capReached the probes of persistent devices made per-probe because
	// every slot of the site was taken.
	persistent prometheus.Gauge
	capReached prometheus.Counter
	// paused says which credentials are paused, per site.
	paused *pausedCredentials
}

// NewMetrics registers the worker's metrics with reg; a nil reg keeps them
// unregistered (counted, not exported).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	paused := newPausedCredentials()
	if reg != nil {
		reg.MustRegister(paused)
	}
	return &Metrics{
		paused: paused,
		jobs: f.NewCounterVec(prometheus.CounterOpts{
			Name: "linkwatch_worker_jobs_total",
			Help: "Probe jobs taken, by outcome: probed, paused (answered AUTH_FAILED without a login: the device's credential is paused), stale (dropped past their deadline), refused (another site, or a device not in this worker's inventory), invalid, or requeued.",
		}, []string{"outcome"}),
		devices: f.NewCounterVec(prometheus.CounterOpts{
			Name: "linkwatch_worker_device_probes_total",
			Help: "Device probes by failure kind (ok when the device was reached).",
		}, []string{"failure"}),
		links: f.NewCounterVec(prometheus.CounterOpts{
			Name: "linkwatch_worker_link_results_total",
			Help: "Link verdicts by status.",
		}, []string{"status"}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "linkwatch_probe_duration_seconds",
			Help:    "Time to probe one device: connect, every ping, close; by the device's site and platform, as the worker's inventory has them.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}, []string{"site", "platform"}),
		inFlight: f.NewGauge(prometheus.GaugeOpts{
			Name: "linkwatch_worker_probes_in_flight",
			Help: "Devices being probed now.",
		}),
		persistent: f.NewGauge(prometheus.GaugeOpts{
			Name: "linkwatch_worker_persistent_sessions",
			Help: "Persistent SSH sessions this worker holds open (session: persistent).",
		}),
		capReached: f.NewCounter(prometheus.CounterOpts{
			Name: "linkwatch_worker_persistent_cap_reached_total",
			Help: "Probes of persistent devices made per-probe because every slot of the site's cap (worker.persistent_sessions_per_site) was taken.",
		}),
		revisionMismatch: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "linkwatch_worker_inventory_revision_mismatch",
			Help: "1 while the inventory revision of the last job differs from this worker's own: one of the two runs a stale configuration.",
		}, []string{"site"}),
	}
}

// observe counts the result r of probing d, a device of the worker's
// inventory (its site and platform label the duration).
func (m *Metrics) observe(d Device, r DeviceResult) {
	failure := r.Failure.Short()
	if failure == "" {
		failure = "ok"
	}
	m.devices.WithLabelValues(failure).Inc()
	for _, l := range r.Links {
		m.links.WithLabelValues(l.Status.Short()).Inc()
	}
	m.duration.WithLabelValues(d.Site, d.Platform).Observe(r.CheckedAt.Sub(r.StartedAt).Seconds())
}
