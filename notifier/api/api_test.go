package api_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/proto"
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
	st, err := api.QueryStatus(ctx, nc, api.StatusRequest{})
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
}

// TestHistoryRefusals: a request for what is not served, or that cannot
// be decoded strictly, is refused with 400 and says why; the whole
// history of every device is never read for one target.
func TestHistoryRefusals(t *testing.T) {
	nc := serve(t)
	for _, tc := range []struct{ name, data, want string }{
		{"a target without a device", `{"device":"","target":"10.0.0.1"}`,
			"target: is only served with a device (the history of one link)"},
		{"a bad device name", `{"device":"bad.name"}`, `device: "bad.name" is not a valid name`},
		{"a negative limit", `{"device":"r1","limit":-1}`, "limit: -1 is negative"},
		{"every problem at once", `{"device":"","target":"10.0.0.1","limit":-2}`,
			"target: is only served with a device (the history of one link); limit: -2 is negative"},
		{"an unknown field", `{"device":"r1","targets":["10.0.0.1"]}`, `decode request: json: unknown field "targets"`},
		{"not JSON", `r1`, "decode request: invalid character"},
		{"nothing", ``, "decode request: EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := nc.Request(proto.APIPrefix+".history", []byte(tc.data), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			code, text := msg.Header.Get(micro.ErrorCodeHeader), msg.Header.Get(micro.ErrorHeader)
			if code != "400" || !strings.HasPrefix(text, tc.want) {
				t.Errorf("answered %q %q, want 400 %q", code, text, tc.want)
			}
		})
	}
	_, err := api.QueryHistory(t.Context(), nc, api.HistoryRequest{Target: "10.0.0.1"})
	if want := "history refused by the notifier: target: is only served with a device (the history of one link)"; err == nil || err.Error() != want {
		t.Errorf("QueryHistory of a target of every device: %v, want %q", err, want)
	}
}

func TestQueryWithoutNotifierSaysSo(t *testing.T) {
	nc, _ := localnatstest.Connect(t, localnatstest.Start(t))
	_, err := api.QueryStatus(context.Background(), nc, api.StatusRequest{})
	if err == nil || !strings.Contains(err.Error(), "no linkwatch notifier is answering") {
		t.Errorf("status with no notifier: %v, want an error saying none answers", err)
	}
}

// TestStatusJudgesStaleness serves the API with a fleet: a device whose
// result is older than stale_after is stale, one whose site is blind with
// no result since is stale, a fresh one is not, and a device of the
// inventory with no record is listed as not probed.
func TestStatusJudgesStaleness(t *testing.T) {
	st, err := store.OpenEmbedded(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := t0.Add(time.Hour)
	for name, rec := range map[string]state.Device{
		"old":   {Site: "dc1", Received: now.Add(-11 * time.Minute)},
		"fresh": {Site: "dc1", Received: now.Add(-time.Minute)},
		"blind": {Site: "dc2", Received: now.Add(-5 * time.Minute)},
	} {
		err := st.Commit(t.Context(), name, func(state.Device) (state.Update, error) { return state.Update{Device: rec}, nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	err = st.CommitSite(t.Context(), "dc2", func(state.Site) (state.SiteUpdate, error) {
		return state.SiteUpdate{Site: state.Site{Blind: true, LastReceived: now.Add(-5 * time.Minute)}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	nc, _ := localnatstest.Connect(t, localnatstest.Start(t))
	fleet := api.Fleet{Sites: map[string]string{"old": "dc1", "fresh": "dc1", "blind": "dc2", "new": "dc1"},
		StaleAfter: 10 * time.Minute, Started: t0, Now: now}
	stop, err := api.Serve(nc, st, nil, api.WithFleet(func() api.Fleet { return fleet }))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	rep, err := api.QueryStatus(t.Context(), nc, api.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range rep.Devices {
		got = append(got, fmt.Sprintf("%s stale=%t not_probed=%t", d.Name, d.Stale, d.NotProbed))
	}
	want := "blind stale=true not_probed=false|fresh stale=false not_probed=false|new stale=true not_probed=true|old stale=true not_probed=false"
	if strings.Join(got, "|") != want {
		t.Errorf("status:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.ReplaceAll(want, "|", "\n"))
	}
	if len(rep.Sites) != 1 || !rep.Sites[0].Blind || rep.StaleAfter != 10*time.Minute || !rep.At.Equal(now) {
		t.Errorf("reply sites %+v, stale_after %v, at %v", rep.Sites, rep.StaleAfter, rep.At)
	}
}
