package notifier_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	pb "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/linkwatch/linkwatch/notifier"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/notifier/store/redistest"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
)

// The burst benchmarks commit results of benchDevices devices with
// benchLinks links each, every link UP, as a fleet-wide probe round does.
const (
	benchDevices = 1000
	benchLinks   = 4
)

// benchStores open each store the benchmarks run on.
var benchStores = []struct {
	name string
	open func(b *testing.B) state.Store
}{
	{"embedded", func(b *testing.B) state.Store {
		st, err := store.OpenEmbedded(filepath.Join(b.TempDir(), "state.db"))
		if err != nil {
			b.Fatal(err)
		}
		return st
	}},
	{"redis", func(b *testing.B) state.Store {
		st, err := store.OpenRedis(b.Context(), redistest.Start(b), redistest.Prefix(b))
		if err != nil {
			b.Fatal(err)
		}
		return st
	}},
}

// benchBase is the check time of every device's first result; result i of
// a device is checked i minutes later, all of them in the past.
var benchBase = time.Now().UTC().Add(-30 * 24 * time.Hour).Truncate(time.Minute)

// benchInventory returns the inventory of the benchmarks' devices.
func benchInventory() *notifier.Inventory { return benchInv }

// benchInv holds the benchmarks' devices, d0000 to d0999 at site dc1.
var benchInv = func() *notifier.Inventory {
	inv := &notifier.Inventory{Interval: time.Minute, Sites: map[string]string{}, Links: map[string]map[string]bool{}}
	for d := range benchDevices {
		name := benchDevice(d)
		inv.Sites[name] = "dc1"
		inv.Links[name] = map[string]bool{}
		for l := range benchLinks {
			inv.Links[name][benchTarget(l)] = true
		}
	}
	return inv
}()

func benchDevice(d int) string { return fmt.Sprintf("d%04d", d) }
func benchTarget(l int) string { return fmt.Sprintf("10.0.%d.1", l) }

// benchResult is result i of device d: every link UP.
func benchResult(d, i int) *proto.ProbeResult {
	at := benchBase.Add(time.Duration(i) * time.Minute)
	name := benchDevice(d)
	res := &proto.ProbeResult{JobId: proto.JobID(name, at.Unix()/60), Device: name, Site: "dc1",
		CheckedAt: timestamppb.New(at), ScheduledAt: timestamppb.New(at)}
	for l := range benchLinks {
		res.Links = append(res.Links, &proto.LinkResult{Target: &proto.Target{Address: benchTarget(l)},
			Status: proto.LinkStatus_LINK_STATUS_UP, Sent: 5, Received: 5, SuccessPercent: 100, CheckedAt: timestamppb.New(at)})
	}
	return res
}

// reportRate reports results/s and link results/s for n results committed
// in the benchmark's time.
func reportRate(b *testing.B, n int) {
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(n)/secs, "results/s")
	b.ReportMetric(float64(n*benchLinks)/secs, "links/s")
}

// BenchmarkApply commits b.N results through Notifier.Apply from a number
// of goroutines at once, each with devices of its own whose results it
// commits in order, as the notifier's consumer does.
//
//	go test ./notifier -run '^$' -bench Apply -benchtime 20000x
func BenchmarkApply(b *testing.B) {
	for _, s := range benchStores {
		for _, workers := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/workers=%d", s.name, workers), func(b *testing.B) {
				st := s.open(b)
				defer st.Close()
				n := notifier.New(nil, nil, st, nil, notifier.Config{Inventory: benchInventory, To: []string{"noc@example.net"}})
				b.ResetTimer()
				var wg sync.WaitGroup
				for w := range workers {
					wg.Go(func() {
						for k := w; k < b.N; k += workers {
							d := k % benchDevices
							if err := n.Apply(context.Background(), benchResult(d, k/benchDevices)); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				reportRate(b, b.N)
			})
		}
	}
}

// BenchmarkNotifier publishes b.N results to an embedded NATS server, then
// times a notifier consuming and committing all of them.
//
//	go test ./notifier -run '^$' -bench Notifier -benchtime 20000x
func BenchmarkNotifier(b *testing.B) {
	for _, s := range benchStores {
		b.Run(s.name, func(b *testing.B) {
			st := s.open(b)
			defer st.Close()
			srv := localnatstest.Start(b)
			nc, js := localnatstest.Connect(b, srv)
			if err := proto.EnsureStreams(b.Context(), js, time.Hour, 1); err != nil {
				b.Fatal(err)
			}
			for k := range b.N {
				publishResult(b, js, benchResult(k%benchDevices, k/benchDevices))
				if k%1000 == 999 || k == b.N-1 {
					select {
					case <-js.PublishAsyncComplete():
					case <-time.After(time.Minute):
						b.Fatal("results not published within a minute")
					}
				}
			}
			reg := prometheus.NewRegistry()
			n := notifier.New(js, nc, st, nil, notifier.Config{Inventory: benchInventory, To: []string{"noc@example.net"},
				Metrics: notifier.NewMetrics(reg), IdlePoll: time.Hour})
			b.ResetTimer()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- n.Run(ctx) }()
			poll := time.NewTicker(5 * time.Millisecond)
			for applied(b, reg) < b.N {
				<-poll.C
			}
			poll.Stop()
			b.StopTimer()
			reportRate(b, b.N)
			cancel()
			if err := <-done; err != nil {
				b.Error(err)
			}
		})
	}
}

// publishResult publishes res as a worker does, without waiting for the ack.
func publishResult(b *testing.B, js jetstream.JetStream, res *proto.ProbeResult) {
	b.Helper()
	data, err := pb.Marshal(res)
	if err != nil {
		b.Fatal(err)
	}
	subject, _ := proto.ResultSubject(res.GetSite(), res.GetDevice())
	msg := nats.NewMsg(subject)
	msg.Data = data
	msg.Header.Set(nats.MsgIdHdr, res.GetJobId())
	if _, err := js.PublishMsgAsync(msg); err != nil {
		b.Fatal(err)
	}
}

// applied counts the results the notifier applied, from its metrics.
func applied(b *testing.B, reg *prometheus.Registry) int {
	families, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "linkwatch_notifier_results_total" {
			continue
		}
		total := 0
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() != "error" {
					total += int(m.GetCounter().GetValue())
				}
			}
		}
		return total
	}
	return 0
}
