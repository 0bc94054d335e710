package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/micro"
	"github.com/redis/go-redis/v9"

	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/notifier/store/redistest"
)

var spliceNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// spliceFleet commits devices r00..r29 (every fifth only in the
// inventory, not stored) and r99 (stored, not in the inventory) into st,
// of sites dc0..dc2 (dc2 blind since 11:55), some stale, some never
// reached, with flapping links, links with errors that JSON escapes, RTTs
// and recent observations, and returns the fleet status judges them by.
func spliceFleet(t *testing.T, st state.Store) Fleet {
	t.Helper()
	fleet := Fleet{Sites: map[string]string{}, StaleAfter: 10 * time.Minute, Started: spliceNow.Add(-time.Hour), Now: spliceNow}
	for i := range 31 {
		name, site := fmt.Sprintf("r%02d", i), fmt.Sprintf("dc%d", i%3)
		if i == 30 {
			name = "r99"
		} else {
			fleet.Sites[name] = site
		}
		if i%5 == 0 && i < 30 {
			continue
		}
		received := spliceNow.Add(-time.Duration(i%4) * 4 * time.Minute) // 12 min: stale
		rtt := 1.5 + float64(i)/8
		links := map[string]state.Link{
			"10.0.0.1": {Device: name, Site: site, Target: "10.0.0.1", State: state.Up, Since: received.Add(-time.Hour),
				LastChecked: received, Sent: 5, Received: 5, RTTAvgMs: &rtt},
			"10.0.0.2": {Device: name, Site: site, Target: "10.0.0.2", VRF: "mgmt", State: state.Down, Since: received,
				LastChecked: received, Sent: 5, LossPercent: 100, Error: `<timeout> & "no reply" \ ` + name,
				FlapState: state.FlapState{Flapping: i%7 == 0, Flaps: []time.Time{received}}},
		}
		d := state.Device{Name: name, Site: site, LastResult: received, Received: received, Worker: "w-" + site,
			Links: links, Recent: []state.Observation{{Scheduled: received, Checked: received,
				Links: map[string]string{"10.0.0.1": state.Up}}}}
		if i%6 == 1 {
			d.Links, d.Failure, d.FailureText, d.FailureSince = nil, "AUTH_FAILED", "permission denied <again>", received
		}
		err := st.Commit(t.Context(), name, func(state.Device) (state.Update, error) { return state.Update{Device: d}, nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	err := st.CommitSite(t.Context(), "dc2", func(state.Site) (state.SiteUpdate, error) {
		return state.SiteUpdate{Site: state.Site{Blind: true, LastReceived: spliceNow.Add(-5 * time.Minute)}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fleet
}

// spliceRequests are the requests compared: every filter, on every page.
var spliceRequests = []StatusRequest{
	{}, {Site: "dc1"}, {Site: "dc2"}, {Device: "r07"}, {Device: "r05"}, {Device: "r99"}, {Device: "r1"},
	{After: "r13"}, {State: state.Stale}, {State: state.Unknown}, {State: state.Flapping}, {State: state.Down, Site: "dc1"},
}

// statusPages asks status for every page of req, with pages of at most
// soft bytes, and returns each page's JSON.
func statusPages(t *testing.T, st Reader, o options, soft int, req StatusRequest) [][]byte {
	t.Helper()
	var pages [][]byte
	for {
		data, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := status(t.Context(), st, o, pageLimits{soft: soft, hard: 1 << 20}, data)
		if err != nil {
			t.Fatalf("status %+v: %v", req, err)
		}
		pages = append(pages, rep.data)
		next := micro.Headers(rep.headers).Get(NextHeader)
		if next == "" {
			return pages
		}
		if next <= req.After || len(pages) > 100 {
			t.Fatalf("next page after %q, then %q", req.After, next)
		}
		req.After = next
	}
}

// joined decodes pages as the client does and joins their devices.
func joined(t *testing.T, pages [][]byte) StatusReply {
	t.Helper()
	var all StatusReply
	for i, p := range pages {
		decodesAsJSON(t, p)
		var rep StatusReply
		if err := json.Unmarshal(p, &rep); err != nil {
			t.Fatalf("page %d: %v\n%s", i, err, p)
		}
		if i == 0 {
			all = rep
			continue
		}
		all.Devices = append(all.Devices, rep.Devices...)
	}
	all.Next = ""
	return all
}

// compareSplicing checks that status answers the same whether it
// splices the stored records or decodes them all: the same devices, each
// decoded the same, and, when same is set (every record as the store
// writes it), the same bytes in the same pages.
func compareSplicing(t *testing.T, st Reader, fleet Fleet, same bool) {
	for _, soft := range []int{1 << 20, 1500} {
		for _, req := range spliceRequests {
			t.Run(fmt.Sprintf("pages of %d/%+v", soft, req), func(t *testing.T) {
				fleetOf := func() Fleet { return fleet }
				spliced := statusPages(t, st, options{fleet: fleetOf}, soft, req)
				decoded := statusPages(t, st, options{fleet: fleetOf, decodeAll: true}, soft, req)
				got, want := joined(t, spliced), joined(t, decoded)
				if len(got.Devices) != len(want.Devices) {
					t.Errorf("%d devices spliced, %d decoded", len(got.Devices), len(want.Devices))
				}
				// Compared encoded: a time's zone decoded twice is two
				// zones, equal but not deeply.
				for i := range min(len(got.Devices), len(want.Devices)) {
					g, _ := json.Marshal(got.Devices[i])
					w, _ := json.Marshal(want.Devices[i])
					if !bytes.Equal(g, w) {
						t.Errorf("device %d spliced:\n%s\ndecoded:\n%s", i, g, w)
					}
				}
				if len(want.Devices) == 0 && req.Device != "r1" {
					t.Errorf("no device: the request compares nothing")
				}
				got.Devices, want.Devices = nil, nil
				if !reflect.DeepEqual(got, want) {
					t.Errorf("spliced reply %+v, decoded %+v", got, want)
				}
				if same && !reflect.DeepEqual(spliced, decoded) {
					t.Errorf("spliced pages:\n%s\ndecoded pages:\n%s", bytes.Join(spliced, []byte("\n")), bytes.Join(decoded, []byte("\n")))
				}
			})
		}
	}
}

// TestStatusSplicedAsDecoded compares status splicing stored records
// with status decoding them, on both stores, with every filter, in pages
// of every size.
func TestStatusSplicedAsDecoded(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		st, err := store.OpenEmbedded(filepath.Join(t.TempDir(), "state.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		compareSplicing(t, st, spliceFleet(t, st), true)
	})
	t.Run("redis", func(t *testing.T) {
		st, _ := openRedis(t)
		compareSplicing(t, st, spliceFleet(t, st), true)
	})
	t.Run("redis, records not as the store writes them", func(t *testing.T) {
		st, raw := openRedis(t)
		fleet := spliceFleet(t, st)
		for name, record := range map[string]string{
			"r01": `{"name":"r01","Site":"dc1","received":"2026-11-23T11:59:00Z"}`, // decoded: Site
			"r02": `{ "name" : "r02" , "site" : "dc2" , "links" : { "10.0.0.1" : { "target" : "10.0.0.1" , "state" : "UP" } } }`,
			"r03": `{"name":"r03","site":"dc0","received":"2026-11-23T11:00:00+01:00","later":{"x":[1,2.5e3,null,true]}}`,
			"r04": `{"name":"r04","site":"dc1","stale":true,"received":"2026-11-23T11:59:00Z"}`, // decoded: stale
			"r06": `{"name":"r06","site":"dc0","received":"2026-11-23T11:40:00Z","links":{"10.0.0.9":{"target":"10.0.0.9","state":"DOWN","error":"\u003cx\u003e \u00e9"}}}`,
			"r08": `{"name":"r08","site":"dc2","s\u0069te":"dc1","received":"2026-11-23T11:59:00Z"}`, // decoded: escaped key
			"r11": `{"name":"r11","site":"dc2","later":"` + strings.Repeat("x", 1<<20) + `"}`,        // decoded: too large as stored
			"r09": `{"name":"r09","site":"dc0","flaps":[],"failure":"TIMEOUT","failure_text":"\ud83d\ude00"}`,
		} {
			raw(name, record)
		}
		compareSplicing(t, st, fleet, false)
	})
}

// TestStatusCorruptRecord: a stored record that is not JSON makes status
// fail with an error that names the device, spliced or not; it neither
// crashes the notifier nor reaches a page. A record too large for the
// bus fails the same way, named.
func TestStatusCorruptRecord(t *testing.T) {
	for _, tc := range []struct{ name, record, state, want string }{
		{"cut short", `{"name":"r02","site":"dc2","links":{"10.0.0.1":{"tar`, "",
			`list devices after "r0": decode device r02: unexpected end of JSON input`},
		{"cut short, filtered by state", `{"name":"r02","site":"dc2"`, state.Down,
			`list devices after "r0": decode device r02: unexpected end of JSON input`},
		{"two records in one", `{"name":"r02","site":"dc2"},{"name":"fake","site":"dc2"}`, "",
			`list devices after "r0": decode device r02: invalid character ',' after top-level value`},
		{"not an object", `"r02"`, "",
			`list devices after "r0": decode device r02: json: cannot unmarshal string into Go value of type state.Device`},
		{"larger than the bus takes", `{"name":"r02","site":"dc2","failure_text":"` + strings.Repeat("x", 1<<20) + `"}`, "",
			`device r02: its record (1048710 bytes) passes the bus's payload limit`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, raw := openRedis(t)
			fleet := spliceFleet(t, st)
			raw("r02", tc.record)
			data, _ := json.Marshal(StatusRequest{Device: "r02", State: tc.state})
			for _, decodeAll := range []bool{false, true} {
				_, err := status(t.Context(), st, options{fleet: func() Fleet { return fleet }, decodeAll: decodeAll},
					pageLimits{soft: 1 << 19, hard: 1<<20 - 4096}, data)
				if err == nil || err.Error() != tc.want {
					t.Errorf("decode all %t: error %v, want %s", decodeAll, err, tc.want)
				}
			}
		})
	}
}

// openRedis opens a Redis store on a server of the test's own, and a func
// that stores a device's record as it is, as something other than the
// store could (the key is the store's layout: prefix, "device:", name).
func openRedis(t *testing.T) (*store.Redis, func(name, record string)) {
	t.Helper()
	url, prefix := redistest.Start(t), redistest.Prefix(t)
	st, err := store.OpenRedis(t.Context(), url, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return st, func(name, record string) {
		t.Helper()
		if err := c.Set(t.Context(), prefix+"device:"+name, record, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
}
