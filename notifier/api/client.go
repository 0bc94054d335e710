package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

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
// selects and calls f with each page, in order, until the last.
func StatusPages(ctx context.Context, nc *nats.Conn, req StatusRequest, f func(StatusReply) error) error {
	for {
		var page StatusReply
		if err := request(ctx, nc, "status", req, &page); err != nil {
			return err
		}
		if err := f(page); err != nil {
			return err
		}
		if page.Next == "" {
			return nil
		}
		if page.Next <= req.After {
			return fmt.Errorf("status request: the notifier's next page (after %q) does not follow %q", page.Next, req.After)
		}
		req.After = page.Next
	}
}

// QueryHistory asks a running notifier for a device's changes.
func QueryHistory(ctx context.Context, nc *nats.Conn, req HistoryRequest) (HistoryReply, error) {
	var rep HistoryReply
	err := request(ctx, nc, "history", req, &rep)
	return rep, err
}

func request(ctx context.Context, nc *nats.Conn, endpoint string, req, rep any) error {
	data, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode %s request: %w", endpoint, err)
	}
	msg, err := nc.RequestWithContext(ctx, proto.APIPrefix+"."+endpoint, data)
	if errors.Is(err, nats.ErrNoResponders) {
		return fmt.Errorf("no linkwatch notifier is answering on %s (is `linkwatch run` or `linkwatch notifier` running?)", nc.ConnectedAddr())
	}
	if err != nil {
		return fmt.Errorf("%s request: %w", endpoint, err)
	}
	switch code := msg.Header.Get(micro.ErrorCodeHeader); code {
	case "":
	case "400":
		return fmt.Errorf("%s refused by the notifier: %s", endpoint, msg.Header.Get(micro.ErrorHeader))
	default:
		return fmt.Errorf("%s request: notifier answered %s: %s", endpoint, code, msg.Header.Get(micro.ErrorHeader))
	}
	if err := json.Unmarshal(msg.Data, rep); err != nil {
		return fmt.Errorf("decode %s reply: %w", endpoint, err)
	}
	return nil
}
