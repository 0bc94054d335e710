package api

import (
	"bytes"
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

// HistoryRequest asks for the changes of one device (one target when
// Target is set), or of every device when Device is "" (then without a
// Target), at or after Since, newest first, at most Limit (at most
// MaxFleetHistory for every device). The answer comes in pages of a
// bounded size: After, when set, asks for the changes older than the page
// that ended there; QueryHistory follows them.
type HistoryRequest struct {
	Device string         `json:"device"`
	Target string         `json:"target,omitempty"`
	Since  time.Time      `json:"since,omitzero"`
	Limit  int            `json:"limit,omitempty"`
	After  *HistoryCursor `json:"after,omitempty"`
}

// HistoryCursor is where a page of history ended: the time of its oldest
// change and how many changes of that time were given so far.
type HistoryCursor struct {
	At   time.Time `json:"at"`
	Seen int       `json:"seen"`
}

// HistoryReply carries the changes, newest first. Next, when set, is the
// After of the request for the next page. Capped says that the changes of
// every device were cut at MaxFleetHistory.
type HistoryReply struct {
	Changes []state.Change `json:"changes"`
	Next    *HistoryCursor `json:"next,omitempty"`
	Capped  bool           `json:"capped,omitempty"`
}

// Reader is the part of the store the API reads.
type Reader interface {
	RawDevicesAfter(ctx context.Context, after string, n int) ([]state.RawDevice, error)
	Sites(ctx context.Context) ([]state.Site, error)
	History(ctx context.Context, device, target string, since time.Time, limit int) ([]state.Change, error)
}

var _ Reader = state.Store(nil)

// Serve registers the service on nc, answering from store, and returns a
// func that stops it. Failed requests are logged to log (nil: nowhere).
func Serve(nc *nats.Conn, store Reader, log *slog.Logger, opts ...Option) (stop func(), err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
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
			answer(r, log, func(ctx context.Context) (any, error) {
				return status(ctx, store, o, o.pageLimits(nc), r.Data())
			})
		},
		"history": func(r micro.Request) {
			answer(r, log, func(ctx context.Context) (any, error) {
				return history(ctx, store, o.pageLimits(nc).soft, r.Data())
			})
		},
	}
	if o.silencer != nil {
		for name, f := range silenceHandlers(o.silencer) {
			handlers[name] = func(r micro.Request) {
				answer(r, log, func(ctx context.Context) (any, error) { return f(ctx, r.Data()) })
			}
		}
	}
	for name, h := range handlers {
		// An endpoint's name may not have a dot; its subject may.
		if err := g.AddEndpoint(strings.ReplaceAll(name, ".", "_"), h, micro.WithEndpointSubject(name)); err != nil {
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
	if errors.Is(err, ErrBadRequest) {
		log.Info("api request refused", "subject", r.Subject(), "err", err)
		// A header value is one line: the problems joined with "; ".
		msg := strings.TrimPrefix(err.Error(), ErrBadRequest.Error()+": ")
		_ = r.Error("400", strings.ReplaceAll(msg, "\n", "; "), nil)
		return
	}
	if err != nil {
		log.Warn("api request failed", "subject", r.Subject(), "err", err)
		_ = r.Error("500", err.Error(), nil)
		return
	}
	if raw, ok := v.(rawReply); ok {
		err = r.Respond(raw.data, micro.WithHeaders(raw.headers))
	} else {
		err = r.RespondJSON(v)
	}
	if err != nil {
		log.Warn("api respond", "subject", r.Subject(), "err", err)
	}
}

// ErrBadRequest marks a request refused for what it asks: it is answered
// with code 400 and its text, which the client shows as it is.
var ErrBadRequest = errors.New("bad request")

// Refused returns err marked as ErrBadRequest.
func Refused(err error) error { return fmt.Errorf("%w: %w", ErrBadRequest, err) }

// decodeStrict decodes one JSON request, refusing unknown fields.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Refused(fmt.Errorf("decode request: %w", err))
	}
	return nil
}

// history answers a HistoryRequest. A request that could not be decoded
// (unknown fields included) or asks for what is not served is refused
// (ErrBadRequest, answered 400): a target without a device, which would
// read the whole history of every device; a device that is not a name; a
// negative limit.
func history(ctx context.Context, store Reader, pageBytes int, data []byte) (HistoryReply, error) {
	var req HistoryRequest
	if err := decodeStrict(data, &req); err != nil {
		return HistoryReply{}, err
	}
	var problems []error
	if req.Device != "" {
		if err := proto.ValidName(req.Device); err != nil {
			problems = append(problems, fmt.Errorf("device: %w", err))
		}
	} else if req.Target != "" {
		problems = append(problems, errors.New("target: is only served with a device (the history of one link)"))
	}
	if req.Limit < 0 {
		problems = append(problems, fmt.Errorf("limit: %d is negative", req.Limit))
	}
	if len(problems) > 0 {
		return HistoryReply{}, Refused(errors.Join(problems...))
	}
	capped := req.Device == "" && (req.Limit == 0 || req.Limit > MaxFleetHistory)
	if capped {
		req.Limit = MaxFleetHistory
	}
	cs, err := store.History(ctx, req.Device, req.Target, req.Since, req.Limit)
	if err != nil {
		return HistoryReply{}, err
	}
	rep := historyPage(cs, req.After, pageBytes)
	rep.Capped = capped && len(cs) == MaxFleetHistory
	return rep, nil
}

// historyPage is the page of cs (newest first) after the cursor (nil:
// from the newest), at most pageBytes of JSON (one change at least).
// Changes newer than the cursor's time came after the first page and are
// left out: the pages are of the history as the first one saw it.
func historyPage(cs []state.Change, after *HistoryCursor, pageBytes int) HistoryReply {
	i := 0
	if after != nil {
		seen := 0
		for ; i < len(cs); i++ {
			if at := cs[i].At; at.Equal(after.At) && seen < after.Seen {
				seen++
			} else if !at.After(after.At) {
				break
			}
		}
	}
	rep := HistoryReply{Changes: []state.Change{}}
	size := 0
	for ; i < len(cs); i++ {
		enc, _ := json.Marshal(cs[i])
		if len(rep.Changes) > 0 && size+len(enc) > pageBytes {
			last := rep.Changes[len(rep.Changes)-1].At
			next := &HistoryCursor{At: last}
			for _, c := range cs[:i] {
				if c.At.Equal(last) {
					next.Seen++
				}
			}
			rep.Next = next
			break
		}
		rep.Changes = append(rep.Changes, cs[i])
		size += len(enc) + 1
	}
	return rep
}
