package backoff

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// Jitter sources for the tests: the least, the most and the middle of
// [0, n).
var (
	least  = func(time.Duration) time.Duration { return 0 }
	most   = func(n time.Duration) time.Duration { return n - 1 }
	middle = func(n time.Duration) time.Duration { return n / 2 }
)

func TestNext(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name         string
		initial, max time.Duration
		rand         func(time.Duration) time.Duration
		want         []time.Duration
	}{
		{"bounds double up to the cap", 250 * ms, 10 * time.Second, most,
			[]time.Duration{250 * ms, 500 * ms, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}},
		{"half of each bound is fixed", 250 * ms, 10 * time.Second, least,
			[]time.Duration{125 * ms, 250 * ms, 500 * ms, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}},
		{"the redis store's", ms, 64 * ms, most,
			[]time.Duration{ms, 2 * ms, 4 * ms, 8 * ms, 16 * ms, 32 * ms, 64 * ms, 64 * ms}},
		{"jitter in between", time.Second, 4 * time.Second, middle,
			[]time.Duration{750 * ms, 1500 * ms, 3 * time.Second, 3 * time.Second}},
		{"a cap below the first bound caps it", time.Second, 200 * ms, most,
			[]time.Duration{200 * ms, 200 * ms}},
		{"no cap", time.Hour, 0, most,
			[]time.Duration{time.Hour, 2 * time.Hour, 4 * time.Hour}},
		{"no cap does not overflow", 1 << 61, 0, most,
			[]time.Duration{1 << 61, 1 << 62, 1<<63 - 2, 1<<63 - 2}},
		{"zero waits for nothing", 0, 0, most,
			[]time.Duration{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Backoff{Initial: tt.initial, Max: tt.max, rand: tt.rand}
			var got []time.Duration
			for range tt.want {
				got = append(got, b.Next())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("waits %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReset(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: time.Minute, rand: most}
	b.Next()
	b.Next()
	b.Reset()
	if got := b.Next(); got != time.Second {
		t.Errorf("first wait after Reset: %v, want 1s", got)
	}
}

// TestJitterStaysInRange draws waits from the real random source.
func TestJitterStaysInRange(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: time.Second}
	seen := map[time.Duration]bool{}
	for range 1000 {
		d := b.Next()
		if d < 500*time.Millisecond || d > time.Second {
			t.Fatalf("wait %v outside [500ms, 1s]", d)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Errorf("%d distinct waits in 1000: not jittered", len(seen))
	}
}

func TestSleep(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"the pause passes", context.Background(), time.Millisecond, nil},
		{"no pause", context.Background(), 0, nil},
		{"ctx ended first", cancelled, time.Hour, context.Canceled},
		{"ctx ended, no pause", cancelled, 0, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Sleep(tt.ctx, tt.d); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("Sleep = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWaitEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b := Backoff{Initial: time.Hour, Max: time.Hour}
	done := make(chan error, 1)
	go func() { done <- b.Wait(ctx) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Wait = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return when its context ended")
	}
	b = Backoff{Initial: time.Millisecond, Max: time.Millisecond}
	if err := b.Wait(context.Background()); err != nil {
		t.Errorf("Wait = %v, want nil after 1ms", err)
	}
}
