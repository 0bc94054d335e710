package api_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
)

// refuser refuses every silence with two problems, and fails to list.
type refuser struct{}

func (refuser) AddSilence(context.Context, api.SilenceAddRequest) (state.Silence, error) {
	return state.Silence{}, api.Refused(errors.Join(errors.New("comment: is required"), errors.New("device: is empty")))
}

func (refuser) ListSilences(context.Context) (api.SilenceListReply, error) {
	return api.SilenceListReply{}, errors.New("read silences: connection refused")
}

func (refuser) ExpireSilence(context.Context, api.SilenceExpireRequest) (state.Silence, error) {
	return state.Silence{ID: "x", End: time.Unix(0, 0)}, nil
}

// TestSilenceEndpoints checks the answers' shapes: a refusal is code 400
// with every problem on one line; any other failure is a 500.
func TestSilenceEndpoints(t *testing.T) {
	nc, _ := localnatstest.Connect(t, localnatstest.Start(t))
	stop, err := api.Serve(nc, nil, nil, api.WithSilences(refuser{}))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx := context.Background()
	_, err = api.AddSilence(ctx, nc, api.SilenceAddRequest{})
	want := "silence.add refused by the notifier: comment: is required; device: is empty"
	if err == nil || err.Error() != want {
		t.Errorf("add: %v, want %q", err, want)
	}
	_, err = api.ListSilences(ctx, nc)
	if err == nil || !strings.Contains(err.Error(), "notifier answered 500: read silences: connection refused") {
		t.Errorf("list: %v, want a 500 with the reason", err)
	}
	rep, err := api.ExpireSilence(ctx, nc, api.SilenceExpireRequest{ID: "x"})
	if err != nil || rep.Silence.ID != "x" {
		t.Errorf("expire: %+v, %v", rep, err)
	}
}
