package render

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the timezone case must not depend on the host's zoneinfo

	"github.com/linkwatch/linkwatch/notifier/state"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// renderT0 is the check time most cases use.
var renderT0 = time.Date(2026, 11, 23, 22, 41, 7, 0, time.UTC)

func renderRTT(ms float64) *float64 { return &ms }

func renderLinkAlert(site, device, target, from, to string, sent, received int, at, prevSince time.Time) state.Alert {
	return state.Alert{
		ID: device + "/" + target + "@" + at.Format(time.RFC3339), Kind: state.AlertLink, Created: at,
		Change: &state.Change{
			Device: device, Site: site, Target: target, From: from, To: to,
			At: at, PrevSince: prevSince, Sent: sent, Received: received,
		},
	}
}

func renderDeviceAlert(site, device, failure, text string, at, since time.Time) state.Alert {
	return state.Alert{
		ID: device + "@" + at.Format(time.RFC3339), Kind: state.AlertDevice, Created: at,
		Device: device, Site: site, Failure: failure, FailureText: text, At: at, FailureSince: since,
	}
}

func renderSiteAlert(site, failure, worker string, at, since time.Time) state.Alert {
	return state.Alert{
		ID: site + "@" + at.Format(time.RFC3339), Kind: state.AlertSite, Created: at,
		Site: site, Failure: failure, Worker: worker, At: at, FailureSince: since,
	}
}

func TestGolden(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("load location: %v", err)
	}
	recovered := renderLinkAlert("dc1", "r1", "10.0.0.1", "DOWN", "UP", 5, 5, renderT0, renderT0.Add(-12*time.Minute-30*time.Second-400*time.Millisecond))
	recovered.Change.RTTAvgMs = renderRTT(1.2345)
	nasty := renderLinkAlert("dc1", "r2", "10.9.9.9", "UP", "ERROR", 0, 0, renderT0, renderT0.Add(-time.Hour))
	nasty.Change.Error = "<script>alert(\"pwn\")</script> & 'quoted'\r\n  % Invalid input detected at '^' marker."

	flapping := renderLinkAlert("dc1", "r1", "10.0.0.1", "DOWN", "FLAPPING", 5, 5, renderT0, renderT0.Add(-time.Hour))
	flapping.Flaps, flapping.FlapsFrom = 5, renderT0.Add(-25*time.Minute)
	calmed := renderLinkAlert("dc1", "r1", "10.0.0.2", "FLAPPING", "DOWN", 5, 0, renderT0, renderT0.Add(-2*time.Hour))
	deviceFlapping := renderDeviceAlert("dc1", "r2", "", "", renderT0, renderT0.Add(-time.Hour))
	deviceFlapping.State, deviceFlapping.From, deviceFlapping.Flaps, deviceFlapping.FlapsFrom = state.Flapping, state.Unreachable, 4, renderT0.Add(-10*time.Minute)
	deviceCalmed := renderDeviceAlert("dc1", "r3", "", "", renderT0, renderT0.Add(-90*time.Minute))
	deviceCalmed.State, deviceCalmed.From = state.Reachable, state.Flapping

	cases := []struct {
		name   string
		alerts []state.Alert
		loc    *time.Location
	}{
		{"single_down", []state.Alert{renderLinkAlert("dc1", "r1", "10.0.0.1", "UP", "DOWN", 5, 0, renderT0, renderT0.Add(-48*time.Hour))}, time.UTC},
		{"recovery", []state.Alert{recovered}, time.UTC},
		{"mixed_sites", []state.Alert{
			renderLinkAlert("dc2", "r7", "10.2.0.1", "UP", "DROP", 5, 3, renderT0, renderT0.Add(-time.Hour)),
			renderLinkAlert("dc1", "r1", "10.0.0.2", "UP", "DOWN", 5, 0, renderT0, renderT0.Add(-time.Hour)),
			renderLinkAlert("dc1", "r1", "10.0.0.1", "UP", "DOWN", 5, 0, renderT0, renderT0.Add(-time.Hour)),
			renderLinkAlert("dc3", "r9", "10.3.0.1", "", "UP", 5, 5, renderT0, time.Time{}),
			renderLinkAlert("dc2", "r7", "10.2.0.2", "DROP", "UP", 5, 5, renderT0, renderT0.Add(-3*time.Minute)),
			renderDeviceAlert("dc2", "r8", "AUTH_FAILED", "ssh: unable to authenticate", renderT0, renderT0),
		}, time.UTC},
		{"device_unreachable", []state.Alert{renderDeviceAlert("dc1", "r1", "TIMEOUT", "dial tcp 192.0.2.1:22: i/o timeout", renderT0, renderT0)}, time.UTC},
		{"device_back", []state.Alert{renderDeviceAlert("dc1", "r1", "", "", renderT0, renderT0.Add(-65*time.Minute))}, time.UTC},
		{"html_escaping", []state.Alert{nasty}, time.UTC},
		{"flapping", []state.Alert{flapping, calmed, deviceFlapping, deviceCalmed}, time.UTC},
		{"site_blind", []state.Alert{renderSiteAlert("dc1", state.Stale, "w1", renderT0, renderT0.Add(-10*time.Minute))}, time.UTC},
		{"site_back", []state.Alert{renderSiteAlert("dc1", "", "w2", renderT0, renderT0.Add(-72*time.Minute-5*time.Second))}, time.UTC},
		{"timezone", []state.Alert{
			renderLinkAlert("dc1", "r1", "10.0.0.1", "UP", "DOWN", 5, 0, renderT0, renderT0.Add(-time.Hour)),
			renderLinkAlert("dc1", "r1", "10.0.0.2", "UP", "DOWN", 5, 0, renderT0.Add(49*time.Minute), renderT0.Add(-time.Hour)),
		}, berlin},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := Alerts(tc.alerts, "linkwatch@example.net", []string{"noc@example.net", "oncall@example.net"}, tc.loc)
			got := "From: " + e.From + "\nTo: " + strings.Join(e.To, ", ") + "\nSubject: " + e.Subject +
				"\n\n--- text/plain ---\n" + e.Text + "--- text/html ---\n" + e.HTML
			checkRenderGolden(t, filepath.Join("testdata", tc.name+".golden"), got)
		})
	}
}

func checkRenderGolden(t *testing.T, path, got string) {
	t.Helper()
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("update golden: %v", err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./notifier/render -run TestGolden -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the rendered email:\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestSubject(t *testing.T) {
	down := func(site, device string) state.Alert {
		return renderLinkAlert(site, device, "10.0.0.1", "UP", "DOWN", 5, 0, renderT0, renderT0)
	}
	up := func(site string) state.Alert {
		return renderLinkAlert(site, "r1", "10.0.0.9", "DOWN", "UP", 5, 5, renderT0, renderT0)
	}
	unreachable := func(site, device string) state.Alert {
		return renderDeviceAlert(site, device, "TIMEOUT", "", renderT0, renderT0)
	}
	back := func(site, device string) state.Alert {
		return renderDeviceAlert(site, device, "", "", renderT0, renderT0)
	}

	cases := []struct {
		name   string
		alerts []state.Alert
		want   string
	}{
		{"one link", []state.Alert{down("dc1", "r1")}, "[linkwatch] 1 link DOWN at dc1"},
		{"plural and order", []state.Alert{up("dc1"), down("dc1", "r1"), down("dc1", "r2"), down("dc1", "r3")},
			"[linkwatch] 3 links DOWN, 1 UP at dc1"},
		{"two sites", []state.Alert{down("dc2", "r1"), down("dc1", "r2")}, "[linkwatch] 2 links DOWN at dc1, dc2"},
		{"three sites", []state.Alert{down("c", "r1"), down("b", "r2"), down("a", "r3")}, "[linkwatch] 3 links DOWN at a, b, c"},
		{"many sites", []state.Alert{down("a", "r1"), down("b", "r1"), down("c", "r1"), down("d", "r1"), down("e", "r1")},
			"[linkwatch] 5 links DOWN at 5 sites"},
		{"device unreachable", []state.Alert{unreachable("dc1", "r1")}, "[linkwatch] r1 unreachable (TIMEOUT) at dc1"},
		{"device back", []state.Alert{back("dc1", "r1")}, "[linkwatch] r1 reachable again at dc1"},
		{"failure kind this build does not know", []state.Alert{renderDeviceAlert("dc1", "r1", "UNKNOWN_99", "", renderT0, renderT0)},
			"[linkwatch] r1 unreachable (UNKNOWN_99) at dc1"},
		{"devices counted", []state.Alert{unreachable("dc1", "r1"), unreachable("dc1", "r2")},
			"[linkwatch] 2 devices unreachable at dc1"},
		{"device down and another back", []state.Alert{unreachable("dc1", "r1"), back("dc1", "r2")},
			"[linkwatch] r1 unreachable (TIMEOUT), r2 reachable again at dc1"},
		{"mixed", []state.Alert{down("dc1", "r1"), down("dc1", "r2"), unreachable("dc1", "r3")},
			"[linkwatch] 2 links DOWN, 1 device unreachable at dc1"},
		{"link alert without change skipped", []state.Alert{{Kind: state.AlertLink}, down("dc1", "r1")},
			"[linkwatch] 1 link DOWN at dc1"},
		{"site blind", []state.Alert{renderSiteAlert("dc1", state.Stale, "w1", renderT0, renderT0.Add(-10*time.Minute))},
			"[linkwatch] site dc1: no results for 10m (last from worker w1)"},
		{"site blind since the start", []state.Alert{renderSiteAlert("dc1", state.Stale, "", renderT0, renderT0.Add(-time.Hour))},
			"[linkwatch] site dc1: no results for 1h (none since the notifier started watching the site)"},
		{"site back", []state.Alert{renderSiteAlert("dc1", "", "w2", renderT0, renderT0.Add(-90*time.Second))},
			"[linkwatch] site dc1: results again (from worker w2) after 1m30s without"},
		{"sites counted", []state.Alert{renderSiteAlert("dc1", state.Stale, "w1", renderT0, renderT0),
			renderSiteAlert("dc2", state.Stale, "w1", renderT0, renderT0), renderSiteAlert("dc3", "", "w1", renderT0, renderT0)},
			"[linkwatch] 2 sites without results, 1 site reporting again at dc1, dc2, dc3"},
		{"site and link", []state.Alert{renderSiteAlert("dc2", state.Stale, "w1", renderT0, renderT0), down("dc1", "r1")},
			"[linkwatch] 1 link DOWN, 1 site without results at dc1, dc2"},
		{"nothing", nil, "[linkwatch] no changes"},
		{"link flapping", []state.Alert{renderLinkAlert("dc1", "r1", "10.0.0.1", "UP", "FLAPPING", 5, 5, renderT0, renderT0)},
			"[linkwatch] 1 link FLAPPING at dc1"},
		{"device flapping", []state.Alert{{Kind: state.AlertDevice, Device: "r1", Site: "dc1", State: state.Flapping}},
			"[linkwatch] r1 reachability flapping at dc1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Alerts(tc.alerts, "a@example.net", nil, nil).Subject; got != tc.want {
				t.Errorf("subject = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEscapesHTMLOnly(t *testing.T) {
	a := renderLinkAlert("dc1", "r1", "10.0.0.1", "UP", "ERROR", 0, 0, renderT0, renderT0)
	a.Change.Error = `<b onmouseover="x()">boom</b>`
	e := Alerts([]state.Alert{a}, "a@example.net", nil, time.UTC)
	if strings.Contains(e.HTML, "<b onmouseover") {
		t.Errorf("HTML body contains the device's markup unescaped:\n%s", e.HTML)
	}
	if !strings.Contains(e.HTML, "&lt;b onmouseover=&#34;x()&#34;&gt;boom&lt;/b&gt;") {
		t.Errorf("HTML body lacks the escaped error text:\n%s", e.HTML)
	}
	if !strings.Contains(e.Text, `error: <b onmouseover="x()">boom</b>`) {
		t.Errorf("text body should quote the error verbatim:\n%s", e.Text)
	}
}
