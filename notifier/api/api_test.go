package api_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// serve runs the API on an embedded NATS server over an embedded store in
// which r1's link 10.0.0.1 came up, then went down, and returns a client
// connection.
func serve(t *testing.T) *nats.Conn {
	t.Helper()
	st, err := store.OpenEmbedded(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i, c := range []struct{ from, to string }{{"", "UP"}, {"UP", "DOWN"}} {
		from, to, at := c.from, c.to, t0.Add(time.Duration(i)*time.Minute)
		err := st.Commit(t.Context(), "r1", func(state.Device) (state.Update, error) {
			link := state.Link{Device: "r1", Site: "dc1", Target: "10.0.0.1", State: to, Since: at, LastChecked: at}
			return state.Update{
				Device:  state.Device{Name: "r1", Site: "dc1", LastResult: at, Links: map[string]state.Link{"10.0.0.1": link}},
				Changes: []state.Change{{Device: "r1", Site: "dc1", Target: "10.0.0.1", From: from, To: to, At: at}},
			}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	nc, _ := localnatstest.Connect(t, localnatstest.Start(t))
	stop, err := api.Serve(nc, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return nc
}

func TestStatusAndHistory(t *testing.T) {
	nc := serve(t)
	ctx := context.Background()
	st, err := api.QueryStatus(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Devices) != 1 || st.Devices[0].Links["10.0.0.1"].State != "DOWN" {
		t.Fatalf("status = %+v", st)
	}
	h, err := api.QueryHistory(ctx, nc, api.HistoryRequest{Device: "r1", Target: "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Changes) != 2 || h.Changes[0].To != "DOWN" || h.Changes[1].To != "UP" {
		t.Errorf("history = %+v, want DOWN then the first UP", h.Changes)
	}
	h, err = api.QueryHistory(ctx, nc, api.HistoryRequest{Device: "r1", Since: t0.Add(time.Minute)})
	if err != nil || len(h.Changes) != 1 || h.Changes[0].To != "DOWN" {
		t.Errorf("history since the second change = %+v, %v; want DOWN only", h.Changes, err)
	}
	if _, err := api.QueryHistory(ctx, nc, api.HistoryRequest{Device: "bad.name"}); err == nil {
		t.Error("history of an invalid device name answered without error")
	}
}

func TestQueryWithoutNotifierSaysSo(t *testing.T) {
	nc, _ := localnatstest.Connect(t, localnatstest.Start(t))
	_, err := api.QueryStatus(context.Background(), nc)
	if err == nil || !strings.Contains(err.Error(), "no linkwatch notifier is answering") {
		t.Errorf("status with no notifier: %v, want an error saying none answers", err)
	}
}
