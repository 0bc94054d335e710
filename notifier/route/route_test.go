package route_test

import (
	"slices"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/route"
	"github.com/linkwatch/linkwatch/notifier/state"
)

var table = &route.Table{
	To: []string{"noc@example.net"},
	Routes: []route.Route{
		{Name: "dc1-core", Sites: []string{"dc1"}, Devices: []string{"core-*"}, To: []string{"core@example.net"}, Continue: true},
		{Name: "dc1", Sites: []string{"dc1"}, To: []string{"dc1@example.net"}},
		{Name: "edge", Devices: []string{"edge-?", "fw[0-9]"}, To: []string{"edge@example.net"}},
		{Name: "audit", To: []string{"audit@example.net"}, Continue: true},
	},
}

func linkAlert(site, device string) state.Alert {
	c := state.Change{Device: device, Site: site, Target: "10.0.0.1", From: "UP", To: "DOWN", At: time.Unix(0, 0)}
	return state.Alert{ID: device + "|10.0.0.1|UP>DOWN|0", Kind: state.AlertLink, Change: &c}
}

func deviceAlert(site, device string) state.Alert {
	return state.Alert{ID: device + "|device|ok>TIMEOUT|0", Kind: state.AlertDevice, Site: site, Device: device, Failure: "TIMEOUT"}
}

func TestTake(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alert state.Alert
		want  []string
	}{
		{"a site's route takes its links", linkAlert("dc1", "r1"), []string{"dc1"}},
		{"a device group continues to its site's route", linkAlert("dc1", "core-1"), []string{"dc1-core", "dc1"}},
		{"device alerts route like link alerts", deviceAlert("dc1", "core-1"), []string{"dc1-core", "dc1"}},
		{"a pattern of any site", linkAlert("dc2", "edge-7"), []string{"edge"}},
		{"a character class", deviceAlert("dc3", "fw3"), []string{"edge"}},
		{"a pattern matches the whole name", linkAlert("dc2", "edge-77"), []string{"audit", ""}},
		{"a continuing catch-all ends at the default", linkAlert("dc2", "r1"), []string{"audit", ""}},
		// A site-level alert (a blind site) has no device: a device
		// group's route, listed first, must not take it from the site's
		// own team.
		{"a site-level alert skips device groups", state.Alert{ID: "site|dc1", Site: "dc1"}, []string{"dc1"}},
		{"a site-level alert of another site", state.Alert{ID: "site|dc2", Site: "dc2"}, []string{"audit", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := table.Take(tc.alert); !slices.Equal(got, tc.want) {
				t.Errorf("Take = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFan(t *testing.T) {
	in := []state.Alert{linkAlert("dc1", "core-1"), linkAlert("dc9", "r1")}
	got := table.Fan(in)
	var ids, routes []string
	for _, a := range got {
		ids, routes = append(ids, a.ID), append(routes, a.Route)
	}
	wantIDs := []string{"core-1|10.0.0.1|UP>DOWN|0|route=dc1-core", "core-1|10.0.0.1|UP>DOWN|0|route=dc1",
		"r1|10.0.0.1|UP>DOWN|0|route=audit", "r1|10.0.0.1|UP>DOWN|0"}
	if !slices.Equal(ids, wantIDs) || !slices.Equal(routes, []string{"dc1-core", "dc1", "audit", ""}) {
		t.Errorf("Fan gave ids %q routes %q, want %q", ids, routes, wantIDs)
	}
	if in[0].Route != "" || in[0].ID != "core-1|10.0.0.1|UP>DOWN|0" {
		t.Errorf("Fan changed its input: %+v", in[0])
	}
	var none *route.Table
	if d := none.Fan(in); len(d) != 2 || d[0].Route != "" || d[0].ID != in[0].ID {
		t.Errorf("a nil table did not route everything to the default: %+v", d)
	}
}

func TestRecipients(t *testing.T) {
	for _, tc := range []struct {
		route string
		want  []string
		ok    bool
	}{
		{"", []string{"noc@example.net"}, true},
		{"dc1", []string{"dc1@example.net"}, true},
		{"gone", []string{"noc@example.net"}, false}, // removed by a reload
	} {
		got, ok := table.Recipients(tc.route)
		if !slices.Equal(got, tc.want) || ok != tc.ok {
			t.Errorf("Recipients(%q) = %q, %v; want %q, %v", tc.route, got, ok, tc.want, tc.ok)
		}
	}
}

// TestRecipientsWithoutDefault: a table whose last route takes every
// alert needs no default recipients; the alerts of the default route
// (queued before a reload) and of removed routes go to that route.
func TestRecipientsWithoutDefault(t *testing.T) {
	caught := &route.Table{Routes: []route.Route{
		{Name: "dc1", Sites: []string{"dc1"}, To: []string{"dc1@example.net"}},
		{Name: "noc", To: []string{"noc@example.net"}},
	}}
	uncaught := &route.Table{Routes: caught.Routes[:1]}
	for _, tc := range []struct {
		table *route.Table
		route string
		want  []string
		ok    bool
	}{
		{caught, "dc1", []string{"dc1@example.net"}, true},
		{caught, "gone", []string{"noc@example.net"}, false},
		{caught, "", []string{"noc@example.net"}, false},
		{uncaught, "gone", nil, false},
		{uncaught, "", nil, false},
	} {
		got, ok := tc.table.Recipients(tc.route)
		if !slices.Equal(got, tc.want) || ok != tc.ok {
			t.Errorf("Recipients(%q) = %q, %v; want %q, %v", tc.route, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCatchAll(t *testing.T) {
	for _, tc := range []struct {
		r    route.Route
		want bool
	}{
		{route.Route{Name: "all"}, true},
		{route.Route{Name: "all", Continue: true}, false},
		{route.Route{Name: "dc1", Sites: []string{"dc1"}}, false},
		{route.Route{Name: "core", Devices: []string{"core-*"}}, false},
	} {
		if got := tc.r.CatchAll(); got != tc.want {
			t.Errorf("%+v.CatchAll() = %v, want %v", tc.r, got, tc.want)
		}
	}
}

func TestValidPattern(t *testing.T) {
	for p, ok := range map[string]bool{"core-*": true, "r[0-9]": true, "r[": false, `r\`: false} {
		if err := route.ValidPattern(p); (err == nil) != ok {
			t.Errorf("ValidPattern(%q) = %v, want ok %v", p, err, ok)
		}
	}
}
