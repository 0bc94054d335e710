package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/scheduler"
)

// TestDueClock checks that the scheduler's clock of a pipeline run makes
// every device's job of the slot due at its first reading, without
// moving it more than an interval ahead (a worker would drop the jobs, a
// notifier refuse the results).
func TestDueClock(t *testing.T) {
	for _, n := range []int{1, 10, 10000} {
		cfg := &config.Config{Interval: cycleInterval}
		for i := range n {
			cfg.Devices = append(cfg.Devices, config.Device{Name: fmt.Sprintf("r%05d", i+1)})
		}
		c := newDueClock(cfg)
		before := time.Now()
		now := c.now()
		if ahead := now.Sub(before); ahead < 0 || ahead >= cfg.Interval {
			t.Errorf("%d devices: the clock is %s ahead, want [0, %s)", n, ahead, cfg.Interval)
		}
		slot := time.Unix(0, now.UnixNano()/int64(cfg.Interval)*int64(cfg.Interval))
		due := scheduler.Plan(app.Inventory(cfg), slot, now.Add(1))
		if len(due) != n {
			t.Errorf("%d devices: %d jobs due at the start", n, len(due))
		}
		if start, _ := c.began(); start.Before(before) || start.After(now) {
			t.Errorf("start %s: not the first reading", start)
		}
	}
}
