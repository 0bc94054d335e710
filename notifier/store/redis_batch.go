package store

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// scriptBatch sends the calls of one script made by commits running at
// once in one pipeline, one round trip for all of them instead of one
// each: the first caller sends, and the calls that come while its
// pipeline is out wait and go together in the next, sent by the first of
// them. A lone call is sent at once, and no caller sends more than its
// own batch. Each call's reply is its own; nothing makes them one
// transaction.
type scriptBatch struct {
	client  *redis.Client
	script  *redis.Script
	mu      sync.Mutex
	sending bool
	queue   []*scriptCall
}

// scriptCall is one call of the script and, once done is closed, its
// reply. lead is closed instead when the call is to send the queue.
type scriptCall struct {
	keys  []string
	args  []any
	reply int64
	err   error
	done  chan struct{}
	lead  chan struct{}
}

// run calls the script with keys and args and returns its reply, an
// integer. It returns when the call is answered, also after ctx ended:
// a call sent may have been carried out.
func (b *scriptBatch) run(ctx context.Context, keys []string, args ...any) (int64, error) {
	c := &scriptCall{keys: keys, args: args, done: make(chan struct{}), lead: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, c)
	if b.sending {
		b.mu.Unlock()
		select {
		case <-c.done:
			return c.reply, c.err
		case <-c.lead: // c is first in the queue, and sends it
		}
		b.mu.Lock()
	}
	b.sending = true
	calls := b.queue
	b.queue = nil
	b.mu.Unlock()
	b.send(context.WithoutCancel(ctx), calls)
	b.mu.Lock()
	if len(b.queue) > 0 {
		close(b.queue[0].lead)
	} else {
		b.sending = false
	}
	b.mu.Unlock()
	return c.reply, c.err
}

// send makes calls in one pipeline, and again one by one (loading the
// script) those the server did not know the script for, as after a
// restart.
func (b *scriptBatch) send(ctx context.Context, calls []*scriptCall) {
	cmds := make([]*redis.Cmd, len(calls))
	_, _ = b.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range calls {
			cmds[i] = b.script.EvalSha(ctx, p, c.keys, c.args...)
		}
		return nil
	})
	for i, c := range calls {
		c.reply, c.err = cmds[i].Int64()
		if redis.HasErrorPrefix(c.err, "NOSCRIPT") {
			c.reply, c.err = b.script.Run(ctx, b.client, c.keys, c.args...).Int64()
		}
		close(c.done)
	}
}
