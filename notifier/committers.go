package notifier

import (
	"context"
	"hash/fnv"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultCommitters is how many results a notifier commits at once when
// Config.Committers is not set.
const DefaultCommitters = 64

// committers commit results of different devices at once, so that the
// store can group them (the embedded store syncs one batch to disk, Redis
// serves several connections) instead of being waited on one result at a
// time: the consumer delivers every message on one goroutine. A device's
// results always go to the same committer, so they are committed in the
// order they arrived; each is acked after its own commit.
type committers struct {
	queues []chan jetstream.Msg
	wg     sync.WaitGroup
}

// startCommitters starts n committers that handle results with handle
// until ctx ends. Results still queued then are not acked: NATS delivers
// them again after the ack wait.
func startCommitters(ctx context.Context, n int, handle func(context.Context, jetstream.Msg)) *committers {
	c := &committers{queues: make([]chan jetstream.Msg, n)}
	for i := range c.queues {
		q := make(chan jetstream.Msg, 8)
		c.queues[i] = q
		c.wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case msg := <-q:
					handle(ctx, msg)
				}
			}
		})
	}
	return c
}

// add queues msg for the committer of its subject, which names the device
// (proto.ResultSubject); it blocks while that committer's queue is full,
// or until ctx ends.
func (c *committers) add(ctx context.Context, msg jetstream.Msg) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(msg.Subject()))
	select {
	case c.queues[h.Sum32()%uint32(len(c.queues))] <- msg:
	case <-ctx.Done():
	}
}

// wait waits until every committer has stopped, after ctx ended.
func (c *committers) wait() { c.wg.Wait() }
