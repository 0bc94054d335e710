// Package waittest is the one way tests wait for something to happen:
// For polls a condition until it holds, and fails the test with the last
// error the condition gave when it does not in time; Buffer collects the
// output or log lines a condition may look for. Only tests import it.
package waittest

import (
	"testing"
	"time"
)

// Interval is how long For sleeps between two looks at the condition.
const Interval = 10 * time.Millisecond

// For calls cond until it returns nil and fails the test with cond's last
// error when timeout passes first. cond is called at once, then every
// Interval; it says what it is waiting for in its error:
//
//	waittest.For(t, 10*time.Second, func() error {
//		if n := s.Probed(); n < 1 {
//			return fmt.Errorf("%d jobs probed, want 1", n)
//		}
//		return nil
//	})
//
// For must be called from the test's goroutine.
func For(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	if err := poll(timeout, cond); err != nil {
		t.Fatalf("timed out after %v: %v", timeout, err)
	}
}

// poll calls cond until it returns nil, or returns its last error once
// timeout has passed.
func poll(timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil || !time.Now().Before(deadline) {
			return err
		}
		time.Sleep(Interval)
	}
}
