package worker

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// pausedCredentials is the gauge linkwatch_worker_credential_paused: for
// each credential of a site this worker has read or written the record of,
// 1 while its pause lasts, 0 otherwise. It is worked out when scraped, so
// it drops to 0 when the pause ends even if no job comes to look.
type pausedCredentials struct {
	desc *prometheus.Desc

	mu    sync.Mutex
	until map[[2]string]time.Time // by {site, credential}
}

var _ prometheus.Collector = (*pausedCredentials)(nil)

func newPausedCredentials() *pausedCredentials {
	return &pausedCredentials{
		desc: prometheus.NewDesc("linkwatch_worker_credential_paused",
			"1 while a credential is paused for the site's workers: several devices refused it lately, and no worker logs in with it until the pause ends (worker.logins).",
			[]string{"site", "credential"}, nil),
		until: map[[2]string]time.Time{},
	}
}

// set records when the pause of credential at site ends (zero: none).
func (p *pausedCredentials) set(site, credential string, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.until[[2]string{site, credential}] = until
}

// Describe sends the gauge's description.
func (p *pausedCredentials) Describe(ch chan<- *prometheus.Desc) { ch <- p.desc }

// Collect sends the gauge of each credential seen.
func (p *pausedCredentials) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for k, until := range p.until {
		v := 0.0
		if now.Before(until) {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(p.desc, prometheus.GaugeValue, v, k[0], k[1])
	}
}
