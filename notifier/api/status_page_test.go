package api_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
)

// pagedFleet stores devices r00..r39 but every fifth (r00, r05, …: in
// the inventory, not probed yet) and r99 (stored, not in the inventory),
// each of site dc0..dc2 by its number, with links 10.0.0.1 UP and
// 10.0.0.2 DOWN (FLAPPING on r07), and serves them with pages of at most
// pageBytes; it returns a client connection.
func pagedFleet(t *testing.T, pageBytes int) *nats.Conn {
	t.Helper()
	st := openStore(t)
	fleet := api.Fleet{Sites: map[string]string{}, StaleAfter: time.Hour, Started: t0, Now: t0.Add(time.Minute)}
	for i := range 41 {
		name, site := fmt.Sprintf("r%02d", i), fmt.Sprintf("dc%d", i%3)
		if i == 40 {
			name = "r99"
		} else {
			fleet.Sites[name] = site
		}
		if i%5 == 0 && i < 40 {
			continue
		}
		links := map[string]state.Link{
			"10.0.0.1": {Device: name, Site: site, Target: "10.0.0.1", State: state.Up},
			"10.0.0.2": {Device: name, Site: site, Target: "10.0.0.2", State: state.Down, FlapState: state.FlapState{Flapping: i == 7}},
		}
		d := state.Device{Name: name, Site: site, Received: t0, Links: links}
		if err := st.Commit(t.Context(), name, func(state.Device) (state.Update, error) { return state.Update{Device: d}, nil }); err != nil {
			t.Fatal(err)
		}
	}
	return serveStore(t, st, api.WithFleet(func() api.Fleet { return fleet }), api.WithPageBytes(pageBytes))
}

// openStore opens an embedded store, closed when the test ends.
func openStore(t *testing.T) *store.Embedded {
	t.Helper()
	st, err := store.OpenEmbedded(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// serveStore serves the API over st with opts on a NATS server of its
// own, stopped when the test ends, and returns a client connection.
func serveStore(t *testing.T, st api.Reader, opts ...api.Option) *nats.Conn {
	t.Helper()
	nc, _ := localnatstest.Connect(t, localnatstest.Start(t))
	stop, err := api.Serve(nc, st, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return nc
}

// rowsText words the rows of rep: "device target state", target "-" for
// a device without links.
func rowsText(rep api.StatusReply) string {
	var rows []string
	for _, d := range rep.Devices {
		if len(d.Links) == 0 {
			rows = append(rows, d.Name+" - "+api.RowState(d, nil))
		}
		for _, l := range d.Links {
			rows = append(rows, d.Name+" "+l.Target+" "+api.RowState(d, &l))
		}
	}
	slices.Sort(rows)
	return strings.Join(rows, "\n")
}

// TestStatusPages checks that small pages give what one page gives, in
// several pages each within the bound, and that the filters apply on the
// notifier's side, across pages.
func TestStatusPages(t *testing.T) {
	one, paged := pagedFleet(t, 1<<20), pagedFleet(t, 1000)
	for _, req := range []api.StatusRequest{
		{},
		{Site: "dc1"},
		{State: state.Unknown},
		{State: state.Flapping},
		{State: state.Down, Site: "dc2"},
		{Device: "r07"},
		{Device: "r05"},
		{Device: "r99"},
		{Device: "r1"},
		{After: "r33"},
	} {
		t.Run(fmt.Sprintf("%+v", req), func(t *testing.T) {
			want, err := api.QueryStatus(t.Context(), one, req)
			if err != nil {
				t.Fatal(err)
			}
			pages := 0
			err = api.StatusPages(t.Context(), paged, req, func(p api.StatusReply) error {
				pages++
				if pages > 1 && len(p.Sites) > 0 {
					t.Errorf("page %d has the sites", pages)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := api.QueryStatus(t.Context(), paged, req)
			if err != nil {
				t.Fatal(err)
			}
			if rowsText(got) != rowsText(want) {
				t.Errorf("paged (%d pages):\n%s\nwant\n%s", pages, rowsText(got), rowsText(want))
			}
			if req == (api.StatusRequest{}) && pages < 5 {
				t.Errorf("%d pages of at most 1000 bytes for 41 devices", pages)
			}
		})
	}
	all, err := api.QueryStatus(t.Context(), paged, api.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range all.Devices {
		names = append(names, d.Name)
	}
	if len(names) != 41 || !slices.IsSorted(names) || names[0] != "r00" || !all.Devices[0].NotProbed || names[40] != "r99" {
		t.Errorf("devices %v: want r00 (not probed) … r39, r99 in order", names)
	}
	for req, want := range map[api.StatusRequest]string{
		{State: "up"}:         `state: "up" is not one of DOWN, DROP, ERROR, FLAPPING, STALE, UNKNOWN, UP`,
		{Device: "r1;reload"}: "device: ",
	} {
		_, err := api.QueryStatus(t.Context(), paged, req)
		if err == nil || !strings.Contains(err.Error(), "refused by the notifier: "+want) {
			t.Errorf("%+v: error %v, want it refused: %s", req, err, want)
		}
	}
}
