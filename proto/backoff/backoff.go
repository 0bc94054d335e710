// Package backoff is linkwatch's one retry wait: exponential, capped, with
// jitter, and a sleep that ends with its context. The worker (publishing a
// result, binding its consumer), the notifier's mailer and the Redis
// store's contended transactions use it, each with its own first wait and
// cap. Waiter builds on it the services' one way of waiting for a server
// (NATS, Redis, SMTP): retry while the error is transient, say so once,
// say when it is over, and answer a readiness check meanwhile. It lives
// in proto, beside the other code every service shares.
package backoff

import (
	"context"
	"math"
	"math/rand/v2"
	"time"
)

// Backoff gives the waits between the attempts of one retry loop. Each
// wait has a bound: Initial for the first, twice the last one's for each
// after, never more than Max. A wait of bound d is drawn uniformly from
// [d/2, d]: half of it grows, so retries slow down, and half is random, so
// that clients that failed together do not retry together.
//
// Set Initial and Max (Max 0: no cap); the zero value waits for nothing.
// A Backoff is not safe for concurrent use.
type Backoff struct {
	Initial, Max time.Duration

	bound time.Duration                     // of the next wait; 0: not started
	rand  func(time.Duration) time.Duration // uniform in [0, n); nil: math/rand/v2
}

// Next returns the next wait and doubles the bound of the one after.
func (b *Backoff) Next() time.Duration {
	d := b.bound
	if d == 0 {
		d = b.capped(b.Initial)
	}
	b.bound = b.capped(double(d))
	if d <= 0 {
		return 0
	}
	return d/2 + b.jitter(d/2+1)
}

// double is 2d, or the longest duration when that would overflow.
func double(d time.Duration) time.Duration {
	if d > math.MaxInt64/2 {
		return math.MaxInt64
	}
	return 2 * d
}

func (b *Backoff) capped(d time.Duration) time.Duration {
	if b.Max > 0 {
		return min(d, b.Max)
	}
	return d
}

func (b *Backoff) jitter(n time.Duration) time.Duration {
	if b.rand != nil {
		return b.rand(n)
	}
	return rand.N(n)
}

// Reset starts the waits over from Initial, after a success.
func (b *Backoff) Reset() { b.bound = 0 }

// Wait sleeps for the next wait, or until ctx ends; then it returns
// ctx.Err().
func (b *Backoff) Wait(ctx context.Context) error {
	return Sleep(ctx, b.Next())
}

// Sleep pauses for d, or until ctx ends; then it returns ctx.Err().
func Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
