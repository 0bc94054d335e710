package waittest

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestPoll(t *testing.T) {
	tests := []struct {
		name    string
		okAfter int // the call from which cond holds; 0: never
		timeout time.Duration
	}{
		{"at once", 1, time.Second},
		{"after a few calls", 3, 10 * time.Second},
		{"never", 0, 3 * Interval},
		{"no time at all", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			var last error
			err := poll(tt.timeout, func() error {
				calls++
				if tt.okAfter > 0 && calls >= tt.okAfter {
					return nil
				}
				last = fmt.Errorf("call %d: not yet", calls)
				return last
			})
			if tt.okAfter > 0 {
				if err != nil || calls != tt.okAfter {
					t.Errorf("poll = %v after %d calls, want nil after %d", err, calls, tt.okAfter)
				}
				return
			}
			if err == nil || err != last {
				t.Errorf("poll = %v, want the last error, %v", err, last)
			}
		})
	}
}

// fatalRecorder is a testing.TB whose Fatalf only records the message.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) { f.msg = fmt.Sprintf(format, args...) }

func TestForFailsWithTheLastError(t *testing.T) {
	rec := &fatalRecorder{TB: t}
	For(rec, 2*Interval, func() error { return errors.New("r1 10.0.0.2 is still UP") })
	if want := "timed out after 20ms: r1 10.0.0.2 is still UP"; rec.msg != want {
		t.Errorf("For failed with %q, want %q", rec.msg, want)
	}
	rec = &fatalRecorder{TB: t}
	For(rec, time.Second, func() error { return nil })
	if rec.msg != "" {
		t.Errorf("For failed with %q although the condition held", rec.msg)
	}
}

func TestBuffer(t *testing.T) {
	var b Buffer
	done := make(chan struct{})
	for range 4 {
		go func() {
			for range 100 {
				_, _ = b.Write([]byte("x"))
			}
			done <- struct{}{}
		}()
	}
	For(t, 10*time.Second, func() error {
		if n := len(b.String()); n < 400 {
			return fmt.Errorf("%d bytes written, want 400", n)
		}
		return nil
	})
	for range 4 {
		<-done
	}
}
