package api

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// SilenceAddRequest asks for a new silence of a site, a device or a link
// (Target, a LinkKey, with Device) from now for For, or until Until
// (exactly one of them). CreatedBy says who asks (user@host of the CLI).
type SilenceAddRequest struct {
	Site      string        `json:"site,omitempty"`
	Device    string        `json:"device,omitempty"`
	Target    string        `json:"target,omitempty"`
	For       time.Duration `json:"for,omitempty"`
	Until     time.Time     `json:"until,omitzero"`
	Comment   string        `json:"comment"`
	CreatedBy string        `json:"created_by"`
}

// SilenceReply carries the silence added or expired.
type SilenceReply struct {
	Silence state.Silence `json:"silence"`
}

// SilenceListRequest asks for the silences in force, to come and recently
// ended, with the occurrences of maintenance windows in force.
type SilenceListRequest struct{}

// SilenceListReply carries the silences by start, and the notifier's
// clock when it answered.
type SilenceListReply struct {
	Silences []state.Silence `json:"silences"`
	Now      time.Time       `json:"now"`
}

// SilenceExpireRequest asks to end silence ID now; By says who asks.
type SilenceExpireRequest struct {
	ID string `json:"id"`
	By string `json:"by"`
}

// Silencer is what serves the silence endpoints: the notifier, which
// checks requests against its inventory and keeps its cache of silences
// up to date.
type Silencer interface {
	AddSilence(ctx context.Context, req SilenceAddRequest) (state.Silence, error)
	ListSilences(ctx context.Context) (SilenceListReply, error)
	ExpireSilence(ctx context.Context, req SilenceExpireRequest) (state.Silence, error)
}

// WithSilences serves silence.add, silence.list and silence.expire from s.
func WithSilences(s Silencer) Option { return func(o *options) { o.silencer = s } }

func silenceHandlers(s Silencer) map[string]func(context.Context, []byte) (any, error) {
	return map[string]func(context.Context, []byte) (any, error){
		"silence.add": func(ctx context.Context, data []byte) (any, error) {
			var req SilenceAddRequest
			if err := decodeStrict(data, &req); err != nil {
				return nil, err
			}
			sil, err := s.AddSilence(ctx, req)
			return SilenceReply{Silence: sil}, err
		},
		"silence.list": func(ctx context.Context, _ []byte) (any, error) {
			return s.ListSilences(ctx)
		},
		"silence.expire": func(ctx context.Context, data []byte) (any, error) {
			var req SilenceExpireRequest
			if err := decodeStrict(data, &req); err != nil {
				return nil, err
			}
			sil, err := s.ExpireSilence(ctx, req)
			return SilenceReply{Silence: sil}, err
		},
	}
}

// AddSilence asks a running notifier for a new silence.
func AddSilence(ctx context.Context, nc *nats.Conn, req SilenceAddRequest) (SilenceReply, error) {
	var rep SilenceReply
	err := request(ctx, nc, "silence.add", req, &rep)
	return rep, err
}

// ListSilences asks a running notifier for the silences.
func ListSilences(ctx context.Context, nc *nats.Conn) (SilenceListReply, error) {
	var rep SilenceListReply
	err := request(ctx, nc, "silence.list", SilenceListRequest{}, &rep)
	return rep, err
}

// ExpireSilence asks a running notifier to end a silence now.
func ExpireSilence(ctx context.Context, nc *nats.Conn, req SilenceExpireRequest) (SilenceReply, error) {
	var rep SilenceReply
	err := request(ctx, nc, "silence.expire", req, &rep)
	return rep, err
}
