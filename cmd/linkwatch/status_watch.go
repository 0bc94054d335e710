package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// watchStatus draws the table every opts.watch until ctx ends (Ctrl-C),
// then returns nil. A question the notifier does not answer (it is
// restarting) is drawn as its error, and asked again at the next tick.
func watchStatus(ctx context.Context, opts *statusOptions, nc *nats.Conn, want string) error {
	tick := time.NewTicker(opts.watch)
	defer tick.Stop()
	for {
		var frame bytes.Buffer
		rows, err := opts.query(ctx, nc, want)
		if ctx.Err() != nil {
			return nil
		}
		v := opts.view()
		if v.style.Width > 0 { // a terminal: redraw in place
			frame.WriteString("\x1b[H\x1b[2J")
			fmt.Fprintf(&frame, "every %s · %s\n\n", opts.watch, v.now.Format("15:04:05 MST"))
		} else {
			fmt.Fprintf(&frame, "--- %s\n", v.now.UTC().Format(time.RFC3339))
		}
		if err != nil {
			fmt.Fprintf(&frame, "status: %v\n", err)
		} else if err := writeStatusTable(&frame, opts.order(rows), v); err != nil {
			return err
		}
		if _, err := opts.out.Write(frame.Bytes()); err != nil {
			return fmt.Errorf("write status: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
