package bench

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/worker"
)

// countingMode records how many probes of each device run at once and
// refuses the login of device "bad".
type countingMode struct {
	mu      sync.Mutex
	now     map[string]int
	peak    map[string]int
	contact map[string]int
}

func (c *countingMode) Probe(_ context.Context, d worker.Device) error {
	c.mu.Lock()
	c.now[d.Name]++
	c.contact[d.Name]++
	c.peak[d.Name] = max(c.peak[d.Name], c.now[d.Name])
	c.mu.Unlock()
	time.Sleep(time.Millisecond)
	c.mu.Lock()
	c.now[d.Name]--
	c.mu.Unlock()
	if d.Name == "bad" {
		return errors.Join(errRefused, errors.New("AUTH_FAILED: wrong password"))
	}
	return nil
}

func (*countingMode) Close() {}

// A device is in one probe at a time whatever the concurrency, and one
// that refused the login is never contacted again; its probes still count
// as failed.
func TestOneAtATime(t *testing.T) {
	devices := []worker.Device{{Name: "a"}, {Name: "b"}, {Name: "bad"}}
	c := &countingMode{now: map[string]int{}, peak: map[string]int{}, contact: map[string]int{}}
	mode := oneAtATime(c, devices)
	var failed atomic.Int64
	m := measure(t.Context(), 300, 3, func(ctx context.Context, i int) error {
		err := mode.Probe(ctx, devices[i%len(devices)])
		if err != nil {
			failed.Add(1)
		}
		return err
	})
	for name, n := range c.peak {
		if n != 1 {
			t.Errorf("device %s had %d probes at once, want 1", name, n)
		}
	}
	if c.contact["bad"] != 1 {
		t.Errorf("the device that refused the login was contacted %d times, want once", c.contact["bad"])
	}
	if m.done != 300 || m.failed != 100 || int(failed.Load()) != 100 {
		t.Errorf("%d probes, %d failed; want 300 and 100", m.done, m.failed)
	}
}

// Probes not started when the bench is interrupted are not counted.
func TestMeasureCountsOnlyProbesRun(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var ran atomic.Int64
	m := measure(ctx, 1000, 2, func(context.Context, int) error {
		if ran.Add(1) == 10 {
			cancel()
		}
		return nil
	})
	if m.done != int(ran.Load()) || len(m.times) != m.done || m.done >= 1000 {
		t.Errorf("%d probes counted, %d timed, %d ran", m.done, len(m.times), ran.Load())
	}
}
