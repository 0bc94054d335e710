package scheduler

import "time"

// next is one device's next job: due at at (Unix nanoseconds), for slot.
type next struct {
	at     int64
	slot   int64
	device int // index in Inventory.Devices
}

// queue holds every device's next job in a binary min-heap ordered by due
// time, then device index (Plan's order). The next job is at the top, and
// moving a device on to its next slot costs O(log N): the scheduler's work
// per job does not grow with the fleet. A queue is built, in O(N), only at
// start and when the inventory is reloaded.
type queue struct {
	interval int64
	heap     []next
}

// newQueue returns the queue of inv's jobs due at or after from: each
// device's first slot whose start plus the device's phase is not before
// from.
func newQueue(inv Inventory, from time.Time) *queue {
	q := &queue{interval: int64(inv.Interval)}
	if q.interval <= 0 {
		return q
	}
	f := from.UnixNano()
	q.heap = make([]next, len(inv.Devices))
	for i, d := range inv.Devices {
		phase := int64(Phase(d.GetDevice(), inv.Interval))
		slot := (f - phase) / q.interval
		if slot*q.interval+phase < f {
			slot++
		}
		q.heap[i] = next{at: slot*q.interval + phase, slot: slot, device: i}
	}
	for i := len(q.heap)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
	return q
}

// peek returns the next job; false when there is none (no device, or no
// interval).
func (q *queue) peek() (next, bool) {
	if len(q.heap) == 0 {
		return next{}, false
	}
	return q.heap[0], true
}

// advance moves the device of the next job on to its next slot.
func (q *queue) advance() {
	q.heap[0].at += q.interval
	q.heap[0].slot++
	q.down(0)
}

func (q *queue) less(i, j int) bool {
	a, b := q.heap[i], q.heap[j]
	return a.at < b.at || a.at == b.at && a.device < b.device
}

// down moves the entry at i down to its place below.
func (q *queue) down(i int) {
	n := len(q.heap)
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if r := c + 1; r < n && q.less(r, c) {
			c = r
		}
		if !q.less(c, i) {
			return
		}
		q.heap[i], q.heap[c] = q.heap[c], q.heap[i]
		i = c
	}
}
