package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linkwatch/linkwatch/notifier"
	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/mail"
	"github.com/linkwatch/linkwatch/notifier/mail/smtptest"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/notifier/store/redistest"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// scaleFleet is a running notifier (its API on a real NATS server) over a
// Redis store seeded with devices × targets links, every device in the
// inventory; nc is a client connection.
type scaleFleet struct {
	nc      *nats.Conn
	devices int
	targets int
}

// scaleDevice and scaleTarget name the i-th device and its j-th target:
// names as long as a NOC's (a role and a site in each).
func scaleDevice(i int) string        { return fmt.Sprintf("pe-rtr-%05d-pop-%03d-core", i, i%200) }
func scaleTarget(j int) string        { return fmt.Sprintf("10.%d.0.%d", j/250, j%250+1) }
func scaleSite(i int) string          { return fmt.Sprintf("pop-%03d", i%200) }
func scaleLinkKey(d, t string) string { return d + " " + t }

func startScaleFleet(tb testing.TB, devices, targets int) *scaleFleet {
	tb.Helper()
	st, err := store.OpenRedis(tb.Context(), redistest.Start(tb), redistest.Prefix(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	now := time.Now().UTC().Truncate(time.Second)
	inv := &notifier.Inventory{Interval: time.Minute, StaleAfter: time.Hour, Sites: map[string]string{},
		Links: map[string]map[string]bool{}}
	for i := range devices {
		inv.Sites[scaleDevice(i)] = scaleSite(i)
		inv.Links[scaleDevice(i)] = map[string]bool{}
		for j := range targets {
			inv.Links[scaleDevice(i)][scaleTarget(j)] = true
		}
	}
	seedScaleStore(tb, st, devices, targets, now)

	srv := localnatstest.Start(tb)
	nc, js := localnatstest.Connect(tb, srv)
	if err := proto.EnsureStreams(tb.Context(), js, time.Minute, 1); err != nil {
		tb.Fatal(err)
	}
	smtp := smtptest.Start(tb, smtptest.WithAuth("lw", "pw"))
	sender, err := mail.New(mail.Config{Host: "127.0.0.1", Port: smtp.Port(), Username: "lw", Password: "pw",
		TLSConfig: smtp.ClientTLS()}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	n := notifier.New(js, nc, st, sender, notifier.Config{From: "lw@example.net", To: []string{"noc@example.net"},
		Inventory: func() *notifier.Inventory { return inv }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("notifier Run: %v", err)
		}
	})
	client, _ := localnatstest.Connect(tb, srv)
	waittest.For(tb, 30*time.Second, func() error {
		_, err := api.QueryStatus(tb.Context(), client, api.StatusRequest{Device: scaleDevice(0)})
		return err
	})
	return &scaleFleet{nc: client, devices: devices, targets: targets}
}

// seedScaleStore commits the records of devices × targets links, from 8
// goroutines: the notifier's own commit path, without the probes.
func seedScaleStore(tb testing.TB, st state.Store, devices, targets int, now time.Time) {
	tb.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < devices; i += 8 {
				name, site := scaleDevice(i), scaleSite(i)
				links := map[string]state.Link{}
				for j := range targets {
					rtt := 1.25
					links[scaleTarget(j)] = state.Link{Device: name, Site: site, Target: scaleTarget(j), State: state.Up,
						Since: now.Add(-time.Hour), LastChecked: now, Sent: 5, Received: 5, RTTAvgMs: &rtt}
				}
				d := state.Device{Name: name, Site: site, LastResult: now, Received: now, Links: links}
				err := st.Commit(tb.Context(), name, func(state.Device) (state.Update, error) { return state.Update{Device: d}, nil })
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

// statusJSON runs what `status --output json` runs once the CLI is
// connected, within bound, and returns its output.
func (f *scaleFleet) statusJSON(tb testing.TB, bound time.Duration) []byte {
	tb.Helper()
	if raceBuild {
		bound *= 10 // the race detector's cost
	}
	ctx, cancel := context.WithTimeout(tb.Context(), bound)
	defer cancel()
	rows, err := queryStatusRows(ctx, f.nc, "", "", "")
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	if err := writeStatusJSON(&out, rows); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// TestStatusReturnsEveryRowOf20000Links is the done-when: 5,000
// devices × 4 targets behind a running notifier, each a row of `status
// --output json`, though the rows pass the bus's 1 MiB payload limit
// several times over.
func TestStatusReturnsEveryRowOf20000Links(t *testing.T) {
	f := startScaleFleet(t, 5000, 4)
	start := time.Now()
	out := f.statusJSON(t, 15*time.Second) // withNATS's bound
	t.Logf("status of %d links: %d bytes of JSON in %v", f.devices*f.targets, len(out), time.Since(start))
	seen := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		var r statusRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("row %q: %v", line, err)
		}
		if r.State != state.Up || r.Site == "" {
			t.Errorf("row %+v: want UP with its site", r)
		}
		seen[scaleLinkKey(r.Device, r.Target)] = true
	}
	for i := range f.devices {
		for j := range f.targets {
			if !seen[scaleLinkKey(scaleDevice(i), scaleTarget(j))] {
				t.Fatalf("no row for %s %s (%d rows)", scaleDevice(i), scaleTarget(j), len(seen))
			}
		}
	}
	if len(seen) != f.devices*f.targets {
		t.Errorf("%d rows, want %d", len(seen), f.devices*f.targets)
	}
	if len(out) <= 1<<20 {
		t.Errorf("the rows are %d bytes: not past the payload limit, so this proves no paging", len(out))
	}
}

// BenchmarkStatus measures `status --output json` (the CLI's query, all
// pages, rows and JSON) against a running notifier over Redis, at 20,000
// and 100,000 links (4 targets a device). Seeding 100,000 links takes a
// while; the figure per op is the status.
//
//	go test -run '^$' -bench Status -benchtime 3x ./cmd/linkwatch/
func BenchmarkStatus(b *testing.B) {
	for _, devices := range []int{5000, 25000} {
		b.Run(fmt.Sprintf("links=%d", devices*4), func(b *testing.B) {
			f := startScaleFleet(b, devices, 4)
			f.statusJSON(b, time.Minute) // the notifier's start (its reconciling of every device) is not measured
			b.ResetTimer()
			var size int
			for range b.N {
				size = len(f.statusJSON(b, time.Minute))
			}
			b.ReportMetric(float64(size), "json-bytes")
		})
	}
}
