package notifier

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
)

// LinkScrapeTimeout bounds the read of the store behind one scrape of the
// link metrics.
const LinkScrapeTimeout = 10 * time.Second

var (
	linkLabels     = []string{"site", "device", "target"}
	linkStateDesc  = prometheus.NewDesc("linkwatch_link_state", "1 for the state linkwatch status shows for the link now, 0 for each other state it can show: a link of the inventory with no result yet is UNKNOWN, one of a device without a recent result (or of a blind site) STALE. target is the address, with %vrf for a link in a VRF.", append(linkLabels, "state"), nil)
	linkLossDesc   = prometheus.NewDesc("linkwatch_link_loss_ratio", "Share of the pings of the link's last result that were lost (0 to 1); absent while the link has no fresh measurement (no result, ERROR, device unreachable or stale).", linkLabels, nil)
	linkRTTDesc    = prometheus.NewDesc("linkwatch_link_rtt_seconds", "Round-trip time of the link's last result: stat is min, avg or max; absent while the link has no fresh measurement or no reply.", append(linkLabels, "stat"), nil)
	deviceUpDesc   = prometheus.NewDesc("linkwatch_device_up", "1 when the device's newest result reached it and is fresh, 0 when it could not be reached (confirmed), has no recent result or was never probed.", []string{"site", "device"}, nil)
	linkScanDesc   = prometheus.NewDesc("linkwatch_notifier_link_scrape_duration_seconds", "Time the last scrape took to read the state of every link from the store.", nil, nil)
	linkScanOKDesc = prometheus.NewDesc("linkwatch_notifier_link_scrape_success", "1 when the last scrape read the state of every link, 0 when reading the store failed (its link series are then those read before the failure).", nil, nil)
)

// LinkMetrics exports, at scrape time, the state of every link of the
// inventory as linkwatch status shows it: it reads the devices through
// api.Scan, the code path of status, so the two cannot disagree. Its
// label values come from the inventory only: a stored record of a device
// or target the inventory does not have (one removed by a reload, or
// written by anything else) makes no series, and those of a device removed
// from the inventory end with it.
//
// Cost: one scrape reads every device record once, a page at a time, under
// LinkScrapeTimeout, one scrape at a time; it makes 1 series per device
// and 8 to 11 per link (one per shown state, loss, up to three RTTs).
func (n *Notifier) LinkMetrics() prometheus.Collector {
	return &linkMetrics{n: n, log: n.log}
}

type linkMetrics struct {
	n   *Notifier
	log *slog.Logger
	mu  sync.Mutex // one read of the store at a time
}

func (c *linkMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{linkStateDesc, linkLossDesc, linkRTTDesc, deviceUpDesc, linkScanDesc, linkScanOKDesc} {
		ch <- d
	}
}

func (c *linkMetrics) Collect(ch chan<- prometheus.Metric) {
	if c.n.cfg.Inventory == nil {
		return // no inventory, no link to export (Run refuses to start)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), LinkScrapeTimeout)
	defer cancel()
	start := time.Now()
	inv := c.n.cfg.Inventory()
	err := api.Scan(ctx, c.n.store, c.n.fleet(), func(d api.DeviceStatus) error {
		deviceSeries(ch, inv, d)
		return nil
	})
	ok := 1.0
	if err != nil {
		c.log.Warn("read the links' states for metrics", "err", err)
		ok = 0
	}
	ch <- prometheus.MustNewConstMetric(linkScanDesc, prometheus.GaugeValue, time.Since(start).Seconds())
	ch <- prometheus.MustNewConstMetric(linkScanOKDesc, prometheus.GaugeValue, ok)
}

// deviceSeries sends the series of d and its links, those of inv only.
func deviceSeries(ch chan<- prometheus.Metric, inv *Inventory, d api.DeviceStatus) {
	site, ok := inv.Sites[d.Name]
	if !ok {
		return
	}
	fresh := !d.Stale && !d.NotProbed && !d.LastResult.IsZero() && d.Failure == ""
	ch <- prometheus.MustNewConstMetric(deviceUpDesc, prometheus.GaugeValue, oneIf(fresh), site, d.Name)
	// In any order: the registry sorts what a scrape gathers.
	for key := range inv.Links[d.Name] {
		l, measured := d.Links[key]
		var shown string
		if measured {
			shown = api.RowState(d, &l)
		} else {
			shown = api.RowState(d, nil)
		}
		for _, s := range state.ShownStates {
			ch <- prometheus.MustNewConstMetric(linkStateDesc, prometheus.GaugeValue, oneIf(s == shown), site, d.Name, key, s)
		}
		if !fresh || !measured || l.State == state.Error || l.Sent == 0 {
			continue
		}
		ch <- prometheus.MustNewConstMetric(linkLossDesc, prometheus.GaugeValue, l.LossPercent/100, site, d.Name, key)
		for _, rtt := range []struct {
			stat string
			ms   *float64
		}{{"min", l.RTTMinMs}, {"avg", l.RTTAvgMs}, {"max", l.RTTMaxMs}} {
			if rtt.ms != nil {
				ch <- prometheus.MustNewConstMetric(linkRTTDesc, prometheus.GaugeValue, *rtt.ms/1000, site, d.Name, key, rtt.stat)
			}
		}
	}
}

func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
