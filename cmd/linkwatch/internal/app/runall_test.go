package app

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRunAll checks RunAll's contract: every service runs until ctx ends
// or one returns; then the others are stopped and the first error that is
// not context.Canceled is returned.
func TestRunAll(t *testing.T) {
	boom := errors.New("boom")
	untilDone := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	cleanUntilDone := func(ctx context.Context) error { <-ctx.Done(); return nil }
	fails := func(context.Context) error { return boom }
	returns := func(context.Context) error { return nil }
	tests := []struct {
		name     string
		cancel   bool // cancel the parent context
		services []func(context.Context) error
		want     error
	}{
		{"one fails, the others stop", false, []func(context.Context) error{untilDone, fails, cleanUntilDone}, boom},
		{"one returns, the others stop", false, []func(context.Context) error{untilDone, returns, cleanUntilDone}, nil},
		{"ctx ends: a clean stop", true, []func(context.Context) error{untilDone, cleanUntilDone}, nil},
		{"no services", false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			done := make(chan error, 1)
			go func() { done <- RunAll(ctx, tt.services...) }()
			select {
			case err := <-done:
				if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
					t.Errorf("RunAll = %v, want %v", err, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("RunAll did not stop the other services")
			}
		})
	}
}
