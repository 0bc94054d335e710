package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
)

// serveHistory serves a store in which r1 and r2 each changed 60 times,
// three changes at each time, with pages of at most pageBytes.
func serveHistory(t *testing.T, pageBytes int) *nats.Conn {
	t.Helper()
	st := openStore(t)
	for _, dev := range []string{"r1", "r2"} {
		var changes []state.Change
		for i := range 60 {
			changes = append(changes, state.Change{Device: dev, Site: "dc1", Target: fmt.Sprintf("10.0.0.%d", i%3+1),
				From: "UP", To: "DOWN", At: t0.Add(time.Duration(i/3) * time.Minute)})
		}
		err := st.Commit(t.Context(), dev, func(state.Device) (state.Update, error) {
			return state.Update{Device: state.Device{Name: dev, Site: "dc1"}, Changes: changes}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return serveStore(t, st, api.WithPageBytes(pageBytes))
}

// TestHistoryPages checks that small pages give every change one page
// gives, in the same order, changes of equal times included.
func TestHistoryPages(t *testing.T) {
	one, paged := serveHistory(t, 1<<20), serveHistory(t, 700)
	for _, req := range []api.HistoryRequest{{Device: "r1"}, {Device: "r2", Limit: 25}, {}, {Since: t0.Add(10 * time.Minute)}} {
		want, err := api.QueryHistory(t.Context(), one, req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := api.QueryHistory(t.Context(), paged, req)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.Changes) != fmt.Sprint(want.Changes) || len(got.Changes) < 20 {
			t.Errorf("%+v: %d changes paged, %d in one page:\n%v\nwant\n%v", req, len(got.Changes), len(want.Changes), got.Changes, want.Changes)
		}
		if got.Capped || want.Capped {
			t.Errorf("%+v: capped at %d changes", req, len(got.Changes))
		}
	}
	page, err := api.QueryHistory(t.Context(), paged, api.HistoryRequest{Device: "r1", After: &api.HistoryCursor{At: t0.Add(19 * time.Minute), Seen: 1}})
	if err != nil || len(page.Changes) != 59 {
		t.Errorf("after the first of the newest three: %d changes, %v; want 59", len(page.Changes), err)
	}
}
