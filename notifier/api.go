package notifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto"
)

// The status/history API is a NATS request/reply service (nats.go/micro)
// served by the notifier, so the CLI can read state from any store —
// including the embedded one, which admits only the process that opened it.

// StatusRequest asks for the stored devices and links.
type StatusRequest struct{}

// StatusReply carries every stored device with its links.
type StatusReply struct {
	Devices []state.Device `json:"devices"`
}

// HistoryRequest asks for the changes of one device (one target when
// Target is set) at or after Since, newest first, at most Limit.
type HistoryRequest struct {
	Device string    `json:"device"`
	Target string    `json:"target,omitempty"`
	Since  time.Time `json:"since,omitzero"`
	Limit  int       `json:"limit,omitempty"`
}

// HistoryReply carries the changes, newest first.
type HistoryReply struct {
	Changes []state.Change `json:"changes"`
}

// serveAPI registers the service on nc and returns a func that stops it.
func serveAPI(nc *nats.Conn, store state.Store, log *slog.Logger) (func(), error) {
	svc, err := micro.AddService(nc, micro.Config{
		Name:        "linkwatch",
		Version:     "1.0.0",
		Description: "link state and history",
	})
	if err != nil {
		return nil, fmt.Errorf("start api service: %w", err)
	}
	g := svc.AddGroup(proto.APIPrefix)
	handlers := map[string]micro.HandlerFunc{
		"status": func(r micro.Request) {
			answer(r, log, func(ctx context.Context) (any, error) { return status(ctx, store) })
		},
		"history": func(r micro.Request) {
			answer(r, log, func(ctx context.Context) (any, error) { return history(ctx, store, r.Data()) })
		},
	}
	for name, h := range handlers {
		if err := g.AddEndpoint(name, h); err != nil {
			_ = svc.Stop()
			return nil, fmt.Errorf("add api endpoint %s: %w", name, err)
		}
	}
	return func() { _ = svc.Stop() }, nil
}

// answer answers a request with f's result. A request whose reply subject
// is a system subject ($JS.API..., $KV...) is dropped: an answer published
// there would be an operation on the server in the notifier's name (the
// bus lets the notifier answer only to the CLI's inbox anyway).
func answer(r micro.Request, log *slog.Logger, f func(context.Context) (any, error)) {
	if strings.HasPrefix(r.Reply(), "$") {
		log.Warn("api request with a system subject as its reply; dropped", "subject", r.Subject(), "reply", r.Reply())
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := f(ctx)
	if err != nil {
		log.Warn("api request failed", "subject", r.Subject(), "err", err)
		_ = r.Error("500", err.Error(), nil)
		return
	}
	if err := r.RespondJSON(v); err != nil {
		log.Warn("api respond", "subject", r.Subject(), "err", err)
	}
}

func status(ctx context.Context, store state.Store) (StatusReply, error) {
	devs, err := store.Devices(ctx)
	return StatusReply{Devices: devs}, err
}

func history(ctx context.Context, store state.Store, data []byte) (HistoryReply, error) {
	var req HistoryRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return HistoryReply{}, fmt.Errorf("decode history request: %w", err)
	}
	if err := proto.ValidName(req.Device); err != nil {
		return HistoryReply{}, fmt.Errorf("device: %w", err)
	}
	cs, err := store.History(ctx, req.Device, req.Target, req.Since, req.Limit)
	return HistoryReply{Changes: cs}, err
}

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
	if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
		return fmt.Errorf("%s request: notifier answered %s: %s", endpoint, code, msg.Header.Get(micro.ErrorHeader))
	}
	if err := json.Unmarshal(msg.Data, rep); err != nil {
		return fmt.Errorf("decode %s reply: %w", endpoint, err)
	}
	return nil
}
