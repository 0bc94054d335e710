package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"golang.org/x/sync/errgroup"

	"github.com/linkwatch/linkwatch/proto"
)

// QueryStatus asks a running notifier for the stored state that req
// selects, page after page from req.After, and returns the pages joined:
// the devices of every page, the sites, clock and stale_after of the first.
func QueryStatus(ctx context.Context, nc *nats.Conn, req StatusRequest) (StatusReply, error) {
	var all StatusReply
	first := true
	err := StatusPages(ctx, nc, req, func(page StatusReply) error {
		if first {
			all, first = page, false
			return nil
		}
		all.Devices = append(all.Devices, page.Devices...)
		return nil
	})
	all.Next = ""
	return all, err
}

// StatusPages asks a running notifier for the stored state that req
// selects and calls f with each page, in order, until the last. It asks
// for the next page (named by the reply's NextHeader) while it decodes
// and hands over the previous one.
func StatusPages(ctx context.Context, nc *nats.Conn, req StatusRequest, f func(StatusReply) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan *nats.Msg, 2)
	var g errgroup.Group
	g.Go(func() error {
		defer cancel() // a failed page stops the requests
		for msg := range pages {
			var page StatusReply
			if err := decodeReply(msg.Data, &page); err != nil {
				return fmt.Errorf("decode status reply: %w", err)
			}
			if err := f(page); err != nil {
				return err
			}
		}
		return nil
	})
	err := func() error {
		defer close(pages)
		for {
			msg, err := requestMsg(ctx, nc, "status", req)
			if err != nil {
				return err
			}
			select {
			case pages <- msg:
			case <-ctx.Done():
				return nil // the decoder failed: its error is the one
			}
			next := msg.Header.Get(NextHeader)
			if next == "" {
				return nil
			}
			if next <= req.After {
				return fmt.Errorf("status request: the notifier's next page (after %q) does not follow %q", next, req.After)
			}
			req.After = next
		}
	}()
	if gerr := g.Wait(); gerr != nil {
		return gerr
	}
	return err
}

// QueryHistory asks a running notifier for a device's changes (every
// device's when req.Device is ""), page after page, and returns them
// joined.
func QueryHistory(ctx context.Context, nc *nats.Conn, req HistoryRequest) (HistoryReply, error) {
	var all HistoryReply
	for {
		var page HistoryReply
		if err := request(ctx, nc, "history", req, &page); err != nil {
			return all, err
		}
		all.Changes = append(all.Changes, page.Changes...)
		all.Capped = all.Capped || page.Capped
		if page.Next == nil {
			return all, nil
		}
		if req.After != nil && (page.Next.At.After(req.After.At) || page.Next.At.Equal(req.After.At) && page.Next.Seen <= req.After.Seen) {
			return all, fmt.Errorf("history request: the notifier's next page (%+v) does not follow %+v", *page.Next, *req.After)
		}
		req.After = page.Next
	}
}

func request(ctx context.Context, nc *nats.Conn, endpoint string, req, rep any) error {
	msg, err := requestMsg(ctx, nc, endpoint, req)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(msg.Data, rep); err != nil {
		return fmt.Errorf("decode %s reply: %w", endpoint, err)
	}
	return nil
}

// requestMsg sends req to endpoint and returns the reply, or the error it
// carries.
func requestMsg(ctx context.Context, nc *nats.Conn, endpoint string, req any) (*nats.Msg, error) {
	data, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode %s request: %w", endpoint, err)
	}
	msg, err := nc.RequestWithContext(ctx, proto.APIPrefix+"."+endpoint, data)
	if errors.Is(err, nats.ErrNoResponders) {
		return nil, fmt.Errorf("no linkwatch notifier is answering on %s (is `linkwatch run` or `linkwatch notifier` running?)", nc.ConnectedAddr())
	}
	if err != nil {
		return nil, fmt.Errorf("%s request: %w", endpoint, err)
	}
	switch code := msg.Header.Get(micro.ErrorCodeHeader); code {
	case "":
	case "400":
		return nil, fmt.Errorf("%s refused by the notifier: %s", endpoint, msg.Header.Get(micro.ErrorHeader))
	default:
		return nil, fmt.Errorf("%s request: notifier answered %s: %s", endpoint, code, msg.Header.Get(micro.ErrorHeader))
	}
	return msg, nil
}
