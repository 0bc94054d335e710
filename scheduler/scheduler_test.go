package scheduler

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	pb "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

func inventory(n int, interval time.Duration) Inventory {
	inv := Inventory{Interval: interval}
	for i := range n {
		site := "a"
		if i%2 == 1 {
			site = "b"
		}
		inv.Devices = append(inv.Devices, &proto.ProbeJob{Device: fmt.Sprintf("r%d", i), Site: site, InventoryRevision: "rev-" + site})
	}
	return inv
}

func TestPhaseIsStableAndWithinInterval(t *testing.T) {
	for _, name := range []string{"r1", "core-sw-01", "x"} {
		p := Phase(name, 5*time.Minute)
		if p != Phase(name, 5*time.Minute) {
			t.Errorf("%s: phase not stable", name)
		}
		if p < 0 || p >= 5*time.Minute {
			t.Errorf("%s: phase %v outside the interval", name, p)
		}
	}
	if Phase("r1", 5*time.Minute) == Phase("r2", 5*time.Minute) {
		t.Error("r1 and r2 share a phase; the hash does not spread")
	}
}

func TestPlanOneJobPerDevicePerSlotSpread(t *testing.T) {
	inv := inventory(100, time.Minute)
	from := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	plan := Plan(inv, from, from.Add(3*time.Minute))
	if len(plan) != 300 {
		t.Fatalf("plan has %d jobs over 3 intervals, want 300", len(plan))
	}
	perSlot := map[int64]map[int]bool{}
	var firstHalf int
	for i, d := range plan {
		if i > 0 && d.At.Before(plan[i-1].At) {
			t.Fatal("plan not in time order")
		}
		if perSlot[d.Slot] == nil {
			perSlot[d.Slot] = map[int]bool{}
		}
		if perSlot[d.Slot][d.Device] {
			t.Fatalf("device %d twice in slot %d", d.Device, d.Slot)
		}
		perSlot[d.Slot][d.Device] = true
		if d.Slot == plan[0].Slot && d.At.Sub(from) < 30*time.Second {
			firstHalf++
		}
	}
	// 100 devices hashed over the minute: both halves get a fair share.
	if firstHalf < 25 || firstHalf > 75 {
		t.Errorf("%d of 100 jobs in the first half of the interval; phases do not spread", firstHalf)
	}
}

// jetStream starts an embedded NATS server with linkwatch's streams.
func jetStream(t *testing.T, interval time.Duration) jetstream.JetStream {
	t.Helper()
	js := localnatstest.JetStream(t)
	if err := proto.EnsureStreams(context.Background(), js, interval, 1); err != nil {
		t.Fatal(err)
	}
	return js
}

// fakeClock is the schedulers' time in a test: it stands still until the
// test moves it on, and then fires the timers whose time has come.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After is time.After on the fake clock.
func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), c: ch})
	return ch
}

// Advance moves the clock on by d and fires the timers due by then.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	pending := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(c.now) {
			pending = append(pending, tm)
			continue
		}
		tm.c <- c.now
	}
	c.timers = pending
}

// newOnClock is New with the scheduler's time on clk.
func newOnClock(js jetstream.JetStream, inv Inventory, clk *fakeClock) *Scheduler {
	s := New(js, inv, nil, clk.Now)
	s.after = clk.After
	return s
}

// advanceUntil moves clk on by step each time it finds cond not yet true,
// until it is: the schedulers see time pass as fast as they keep up with
// it, and no test waits for a real tick.
func advanceUntil(t *testing.T, clk *fakeClock, step time.Duration, cond func() error) {
	t.Helper()
	waittest.For(t, 15*time.Second, func() error {
		err := cond()
		if err != nil {
			clk.Advance(step)
		}
		return err
	})
}

func TestTwoSchedulersDoNotDoubleProbe(t *testing.T) {
	const interval = 2 * time.Second
	js := jetStream(t, interval)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inv := inventory(6, interval)
	clk := newFakeClock()
	s1, s2 := newOnClock(js, inv, clk), newOnClock(js, inv, clk)
	done := make(chan error, 2)
	go func() { done <- s1.Run(ctx) }()
	go func() { done <- s2.Run(ctx) }()

	advanceUntil(t, clk, interval/4, func() error {
		if s1.Published() < 6 || s2.Published() < 6 {
			return fmt.Errorf("published %d and %d jobs, want at least 6 each", s1.Published(), s2.Published())
		}
		return nil
	})
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
	}

	stream, err := js.Stream(context.Background(), proto.StreamJobs)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := stream.GetMsg(context.Background(), seq)
		if err != nil {
			t.Fatalf("get job %d: %v", seq, err)
		}
		var job proto.ProbeJob
		if err := pb.Unmarshal(m.Data, &job); err != nil {
			t.Fatal(err)
		}
		if ids[job.GetId()] {
			t.Errorf("job %s stored twice", job.GetId())
		}
		ids[job.GetId()] = true
		want, _ := proto.JobSubject(job.GetSite())
		if m.Subject != want {
			t.Errorf("job %s on %s, want %s", job.GetId(), m.Subject, want)
		}
		if !job.GetDeadline().AsTime().After(job.GetScheduledAt().AsTime()) {
			t.Errorf("job %s has no deadline after its schedule", job.GetId())
		}
	}
	if len(ids) < 6 {
		t.Errorf("%d distinct jobs stored, want at least 6", len(ids))
	}
	if int(info.State.Msgs) != len(ids) {
		t.Errorf("%d jobs stored for %d distinct ids", info.State.Msgs, len(ids))
	}
}

func TestReloadPublishesTheNewInventory(t *testing.T) {
	const interval = time.Second
	js := jetStream(t, interval)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := newFakeClock()
	s := newOnClock(js, inventory(1, interval), clk)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	grown := inventory(3, interval)
	s.Reload(grown)

	stream, err := js.Stream(ctx, proto.StreamJobs)
	if err != nil {
		t.Fatal(err)
	}
	// r1 (site b) exists only in the reloaded inventory.
	advanceUntil(t, clk, interval/4, func() error {
		if _, err := stream.GetLastMsgForSubject(ctx, "linkwatch.jobs.a"); err != nil {
			return fmt.Errorf("no job for site a: %w", err)
		}
		if _, err := stream.GetLastMsgForSubject(ctx, "linkwatch.jobs.b"); err != nil {
			return fmt.Errorf("no job for the reloaded inventory's site b device: %w", err)
		}
		return nil
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// planByScan is the plan as the scheduler made it before its queue: every
// device in every slot the window touches, sorted. Plan must agree.
func planByScan(inv Inventory, from, to time.Time) []Due {
	iv := int64(inv.Interval)
	var out []Due
	for slot := from.UnixNano()/iv - 1; slot*iv < to.UnixNano(); slot++ {
		for i, d := range inv.Devices {
			at := time.Unix(0, slot*iv).Add(Phase(d.GetDevice(), inv.Interval))
			if !at.Before(from) && at.Before(to) {
				out = append(out, Due{At: at, Slot: slot, Device: i})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

func TestPlanAgreesWithScan(t *testing.T) {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		devices  int
		interval time.Duration
		from, to time.Duration // after start
	}{
		{50, time.Minute, 0, 3 * time.Minute},
		{50, time.Minute, 17 * time.Second, 17*time.Second + time.Nanosecond},
		{50, 7 * time.Second, 3*time.Second + 1, 40 * time.Second},
		{200, 5 * time.Minute, 4 * time.Minute, 11 * time.Minute},
		{1, time.Second, 0, 10 * time.Second},
	} {
		inv := inventory(tc.devices, tc.interval)
		from, to := start.Add(tc.from), start.Add(tc.to)
		got, want := Plan(inv, from, to), planByScan(inv, from, to)
		if len(got) != len(want) {
			t.Errorf("%+v: %d jobs, want %d", tc, len(got), len(want))
			continue
		}
		for i := range got {
			if !got[i].At.Equal(want[i].At) || got[i].Slot != want[i].Slot || got[i].Device != want[i].Device {
				t.Errorf("%+v: job %d is %+v, want %+v", tc, i, got[i], want[i])
				break
			}
		}
	}
}

func TestPublishedJobIsTheTemplateWithItsSlot(t *testing.T) {
	const interval = time.Second
	js := jetStream(t, interval)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inv := inventory(2, interval)
	clk := newFakeClock()
	s := newOnClock(js, inv, clk)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	advanceUntilPublished(t, clk, interval/4, s, 2)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(context.Background(), proto.StreamJobs)
	if err != nil {
		t.Fatal(err)
	}
	m, err := stream.GetMsg(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var got proto.ProbeJob
	if err := pb.Unmarshal(m.Data, &got); err != nil {
		t.Fatal(err)
	}
	d := 0
	if got.GetDevice() != "r0" {
		d = 1
	}
	want := pb.Clone(inv.Devices[d]).(*proto.ProbeJob)
	at := got.GetScheduledAt().AsTime()
	want.Slot = at.UnixNano() / int64(interval)
	want.Id = proto.JobID(want.GetDevice(), want.Slot)
	want.ScheduledAt = got.GetScheduledAt()
	want.Deadline = timestamppb.New(at.Add(interval))
	if !pb.Equal(&got, want) {
		t.Errorf("job published:\n%v\nwant:\n%v", &got, want)
	}
	if at.Sub(time.Unix(0, want.Slot*int64(interval))) != Phase(want.GetDevice(), interval) {
		t.Errorf("job %s scheduled at %v, not at its slot's start plus its phase", got.GetId(), at)
	}
}

func TestReloadWithANewIntervalUsesItsSlots(t *testing.T) {
	const before, after = time.Second, 3 * time.Second
	js := jetStream(t, after)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := newFakeClock()
	s := newOnClock(js, inventory(2, before), clk)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	advanceUntilPublished(t, clk, before/4, s, 2)
	s.Reload(inventory(2, after))
	stream, err := js.Stream(ctx, proto.StreamJobs)
	if err != nil {
		t.Fatal(err)
	}
	// A job of the new interval: its slot counts intervals of 3 s, it is
	// due at its slot's start plus its phase in 3 s, and its deadline is
	// one new interval later.
	advanceUntil(t, clk, before/4, func() error {
		m, err := stream.GetLastMsgForSubject(ctx, "linkwatch.jobs.a")
		if err != nil {
			return err
		}
		var job proto.ProbeJob
		if err := pb.Unmarshal(m.Data, &job); err != nil {
			return err
		}
		at := job.GetScheduledAt().AsTime()
		if at.Sub(time.Unix(0, job.GetSlot()*int64(after))) != Phase(job.GetDevice(), after) {
			return fmt.Errorf("last job %s is of the old interval", job.GetId())
		}
		if d := job.GetDeadline().AsTime().Sub(at); d != after {
			return fmt.Errorf("job %s has %v to its deadline, want %v", job.GetId(), d, after)
		}
		return nil
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// advanceUntilPublished is advanceUntil s has published at least n jobs.
func advanceUntilPublished(t *testing.T, clk *fakeClock, step time.Duration, s *Scheduler, n int64) {
	t.Helper()
	advanceUntil(t, clk, step, func() error {
		if s.Published() < n {
			return fmt.Errorf("published %d jobs, want %d", s.Published(), n)
		}
		return nil
	})
}
