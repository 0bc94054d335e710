package notifier_test

import (
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/linkwatch/linkwatch/notifier"
	"github.com/linkwatch/linkwatch/notifier/state"
)

// scrapeDevices is the fleet of the scrape benchmark: 10,000 devices of
// benchLinks links each, at 20 sites.
const scrapeDevices = 10000

// BenchmarkLinkMetricsScrape measures one scrape of the link metrics of
// a 10,000-device fleet, every device stored with its links measured: the
// read of the store through api.Scan and the text exposition Prometheus
// receives. It reports the series and bytes of one scrape.
func BenchmarkLinkMetricsScrape(b *testing.B) {
	for _, s := range benchStores {
		b.Run(s.name, func(b *testing.B) {
			st := s.open(b)
			defer st.Close()
			inv := &notifier.Inventory{Interval: time.Minute, StaleAfter: time.Hour, Sites: map[string]string{}, Links: map[string]map[string]bool{}}
			now := time.Now().UTC()
			seedScrapeFleet(b, st, inv, now)
			n := notifier.New(nil, nil, st, nil, notifier.Config{Inventory: func() *notifier.Inventory { return inv }})
			reg := prometheus.NewRegistry()
			reg.MustRegister(n.LinkMetrics())
			var series, size int
			b.ResetTimer()
			for b.Loop() {
				families, err := reg.Gather()
				if err != nil {
					b.Fatal(err)
				}
				w := &countingWriter{}
				enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
				series = 0
				for _, f := range families {
					series += len(f.GetMetric())
					if err := enc.Encode(f); err != nil {
						b.Fatal(err)
					}
				}
				size = w.n
			}
			b.ReportMetric(float64(series), "series/scrape")
			b.ReportMetric(float64(size), "bytes/scrape")
		})
	}
}

// seedScrapeFleet stores scrapeDevices devices, each with benchLinks UP
// links received at now, and adds them to inv.
func seedScrapeFleet(b *testing.B, st state.Store, inv *notifier.Inventory, now time.Time) {
	b.Helper()
	rtt := 1.5
	var wg sync.WaitGroup
	errs := make(chan error, scrapeDevices)
	names := make(chan int)
	for range 32 {
		wg.Go(func() {
			for d := range names {
				dev := state.Device{Name: fmt.Sprintf("d%05d", d), Site: fmt.Sprintf("site%02d", d%20), LastResult: now, Received: now,
					Links: map[string]state.Link{}}
				for l := range benchLinks {
					dev.Links[benchTarget(l)] = state.Link{Device: dev.Name, Site: dev.Site, Target: benchTarget(l), State: state.Up,
						Since: now, LastChecked: now, Sent: 5, Received: 5, RTTMinMs: &rtt, RTTAvgMs: &rtt, RTTMaxMs: &rtt}
				}
				errs <- st.Commit(b.Context(), dev.Name, func(state.Device) (state.Update, error) { return state.Update{Device: dev}, nil })
			}
		})
	}
	for d := range scrapeDevices {
		name := fmt.Sprintf("d%05d", d)
		inv.Sites[name] = fmt.Sprintf("site%02d", d%20)
		inv.Links[name] = map[string]bool{}
		for l := range benchLinks {
			inv.Links[name][benchTarget(l)] = true
		}
		names <- d
	}
	close(names)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)
