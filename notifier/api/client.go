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

// QueryStatus asks a running notifier for the stored state.
func QueryStatus(ctx context.Context, nc *nats.Conn) (StatusReply, error) {
	var rep StatusReply
	err := request(ctx, nc, "status", StatusRequest{}, &rep)
	return rep, err
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
