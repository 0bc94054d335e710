package store

import (
	"fmt"
	"testing"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// TestRecordCacheBounded puts more records than the cache holds: it keeps
// its bound and the newest record, and a record taken is gone.
func TestRecordCacheBounded(t *testing.T) {
	for _, max := range []int{0, 1, 3} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			c := newRecordCache(max)
			for i := range 10 {
				name := fmt.Sprintf("r%d", i)
				c.put(name, []byte(name), state.Device{Name: name})
				if c.size() > max {
					t.Fatalf("after %d puts the cache holds %d records, more than %d", i+1, c.size(), max)
				}
			}
			rec, ok := c.take("r9")
			if ok != (max > 0) || ok && (string(rec.data) != "r9" || rec.device.Name != "r9") {
				t.Fatalf("take(r9) = %+v, %v; want the newest record when the cache holds any", rec, ok)
			}
			if _, ok := c.take("r9"); ok {
				t.Error("a record taken is still cached")
			}
		})
	}
}
