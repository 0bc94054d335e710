package worker

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
)

// TestRefusalsRacing records refusals of one credential from many devices
// at once, as the workers of a site may, on a real bucket: every refusal
// is kept or counted in the pause, and exactly one writer pauses it.
func TestRefusalsRacing(t *testing.T) {
	js := localnatstest.JetStream(t)
	ctx := context.Background()
	if err := proto.EnsureBuckets(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, proto.LoginBucket)
	if err != nil {
		t.Fatal(err)
	}
	const devices = 30
	policy := LoginPolicy{PauseAfter: 5, Within: time.Minute, PauseFor: time.Hour}
	var flips atomic.Int64
	var wg sync.WaitGroup
	for i := range devices {
		wg.Go(func() {
			now := time.Now()
			var flipped bool
			_, err := updateJSON(ctx, kv, "dc1.credential.lab", func(c *credentialRecord) (bool, error) {
				flipped = c.refuse(fmt.Sprintf("r%d", i), now, policy)
				return true, nil
			})
			if err != nil {
				t.Errorf("r%d: %v", i, err)
			}
			if flipped {
				flips.Add(1)
			}
		})
	}
	wg.Wait()
	var rec credentialRecord
	if _, err := readJSON(ctx, kv, "dc1.credential.lab", &rec); err != nil {
		t.Fatal(err)
	}
	if flips.Load() != 1 || len(rec.PausedBy) != devices || len(rec.Refusals) != 0 {
		t.Errorf("%d writers paused it, record %+v; want 1, and all %d devices named", flips.Load(), rec, devices)
	}
}
