package notifier_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// commitFails is a store whose commits fail while down is set, as a Redis
// that restarts does; failed counts them.
type commitFails struct {
	state.Store
	down   atomic.Bool
	failed atomic.Int32
}

func (c *commitFails) Commit(ctx context.Context, device string, decide func(state.Device) (state.Update, error)) error {
	if c.down.Load() {
		c.failed.Add(1)
		return errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	}
	return c.Store.Commit(ctx, device, decide)
}

// TestNotifierSaysOnceThatCommitsFail: while the store cannot commit,
// results are retried, and that is logged once, not once a result; once
// commits work again, that is logged once too.
func TestNotifierSaysOnceThatCommitsFail(t *testing.T) {
	flaky, logs := &commitFails{}, &waittest.Buffer{}
	r := newRigOf(t, rigOptions{wrap: func(st state.Store) state.Store { flaky.Store = st; return flaky }})
	r.configure = func(cfg *notifier.Config) { cfg.Log = slog.New(slog.NewTextHandler(logs, nil)) }
	r.startNotifier(t)
	flaky.down.Store(true)
	devices := []string{"r1", "r2", "r3"}
	for _, d := range devices {
		r.publish(t, d, up)
	}
	waittest.For(t, 10*time.Second, func() error {
		if n := flaky.failed.Load(); n < 4 { // a result redelivered too
			return fmt.Errorf("%d commits failed, want 4", n)
		}
		return nil
	})
	flaky.down.Store(false)
	for _, d := range devices {
		r.waitApplied(t, d)
	}
	// The committer says it is done waiting after its commit is in the
	// store, a moment after the store shows it.
	waittest.For(t, 10*time.Second, func() error {
		if !strings.Contains(logs.String(), `msg="done waiting for the store to commit results"`) {
			return errors.New(`no "done waiting" line yet`)
		}
		return nil
	})
	for _, line := range []string{`msg="waiting for the store to commit results"`, `msg="done waiting for the store to commit results"`} {
		if n := strings.Count(logs.String(), line); n != 1 {
			t.Errorf("logged %s %d times, want once:\n%s", line, n, logs.String())
		}
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("an error logged for a failed commit that was retried:\n%s", logs.String())
	}
}
