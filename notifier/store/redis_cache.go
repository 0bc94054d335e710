package store

import (
	"sync"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// maxCachedRecords bounds the device records a Redis store keeps decoded:
// a fleet of 10,000 devices fits, in about 85 MB (a device of 4 links
// takes about 8.4 KB, its JSON and decoded), and a larger one still
// commits, with some records read and decoded again.
const maxCachedRecords = 10_000

// recordCache keeps, per device, the record this store last wrote, in the
// bytes the server holds and decoded, so that the next commit need not
// read and decode it. An entry is only a guess: every use of it is
// checked against the server's bytes in the same round trip that commits
// (setCached), so a write by another notifier, a restart or a flush of the
// server is seen, and the record read again.
type recordCache struct {
	mu      sync.Mutex
	max     int
	records map[string]cachedRecord
}

// cachedRecord is a stored record: its bytes as the server holds them,
// and decoded, shared with nothing else.
type cachedRecord struct {
	data   []byte
	device state.Device
}

func newRecordCache(max int) *recordCache {
	return &recordCache{max: max, records: map[string]cachedRecord{}}
}

// take returns the record cached for device and forgets it: the commit
// that took it owns it, and puts the record it writes in its place.
func (c *recordCache) take(device string) (cachedRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rec, ok := c.records[device]
	delete(c.records, device)
	return rec, ok
}

// put caches data, the record of device as stored, and d, the same
// decoded (a clone, which the caller's copy cannot change), dropping some other device's record when the
// cache is full.
func (c *recordCache) put(device string, data []byte, d state.Device) {
	rec := cachedRecord{data: data, device: d.Clone()}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.records[device]; !ok && len(c.records) >= c.max {
		for other := range c.records { // any one: map order is random
			delete(c.records, other)
			break
		}
	}
	if c.max > 0 {
		c.records[device] = rec
	}
}

// size is how many records are cached.
func (c *recordCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.records)
}
