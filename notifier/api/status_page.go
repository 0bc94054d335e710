package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto"
)

// StatusRequest asks for one page of the devices and links, those whose
// names sort after After ("": the first page), of Site, of Device, with
// only the links whose row is in State (RowState), when these are set.
// The reply's Next is the After of the next page; QueryStatus follows
// them.
//
// A page is one request and one reply: the notifier answers each request
// once, to the requester's inbox (all the bus lets it do), and the client
// asks for the next page only when it has the previous one, so a slow or
// lost client costs the notifier nothing, and a lost message is a
// request that times out, never a silent gap.
type StatusRequest struct {
	After  string `json:"after,omitempty"`
	Site   string `json:"site,omitempty"`
	Device string `json:"device,omitempty"`
	State  string `json:"state,omitempty"`
}

// storePage is how many device records status reads from the store at a
// time while it fills a page.
const storePage = 512

// pageLimits bound the JSON of one page: it stops at soft bytes, and a
// single device may take it up to hard.
type pageLimits struct{ soft, hard int }

func (o options) pageLimits(nc *nats.Conn) pageLimits {
	hard := int(nc.MaxPayload()) - 4096 // headers and the reply's other fields
	soft := hard / 2
	if o.pageBytes > 0 {
		soft = o.pageBytes
	}
	return pageLimits{soft: soft, hard: hard}
}

// NextHeader carries a status reply's Next, so that the client can ask
// for the next page while it decodes this one.
const NextHeader = "Linkwatch-Next"

// rawReply is an answer already encoded, with its headers.
type rawReply struct {
	data    []byte
	headers micro.Headers
}

// statusTail is a StatusReply but its devices.
type statusTail struct {
	Sites      []state.Site  `json:"sites,omitempty"`
	At         time.Time     `json:"at,omitzero"`
	StaleAfter time.Duration `json:"stale_after,omitempty"`
	Next       string        `json:"next,omitempty"`
}

// status answers a StatusRequest with one page, encoded: each device is
// encoded once, into the reply. A request that could not be decoded or
// names a state that is not shown, or a device or site that is not a
// name, is refused.
func status(ctx context.Context, store Reader, fleet func() Fleet, lim pageLimits, data []byte) (rawReply, error) {
	req, err := decodeStatus(data)
	if err != nil {
		return rawReply{}, err
	}
	j := judge{}
	if fleet != nil {
		j.Fleet = fleet()
	}
	tail := statusTail{At: j.Now, StaleAfter: j.StaleAfter}
	if j.sites, err = store.Sites(ctx); err != nil {
		return rawReply{}, err
	}
	if req.After == "" {
		tail.Sites = j.sites
	}
	sites, _ := json.Marshal(tail.Sites)
	buf := append(make([]byte, 0, lim.soft+len(sites)+1024), `{"devices":[`...)
	size, n := len(sites), 0
	err = j.scan(ctx, store, req, func(d DeviceStatus) (bool, error) {
		enc, err := json.Marshal(d)
		if err != nil {
			return false, fmt.Errorf("encode device %s: %w", d.Name, err)
		}
		if n > 0 && size+len(enc) > lim.soft {
			tail.Next = req.After
			return false, nil
		}
		if size+len(enc) > lim.hard {
			return false, fmt.Errorf("device %s: its record (%d bytes) passes the bus's payload limit", d.Name, len(enc))
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, enc...)
		size, n = size+len(enc)+1, n+1
		req.After = d.Name
		return true, nil
	})
	if err != nil {
		return rawReply{}, err
	}
	rest, err := json.Marshal(tail)
	if err != nil {
		return rawReply{}, fmt.Errorf("encode status: %w", err)
	}
	buf = append(buf, ']')
	if len(rest) > 2 { // not {}
		buf = append(append(buf, ','), rest[1:len(rest)-1]...)
	}
	rep := rawReply{data: append(buf, '}')}
	if tail.Next != "" {
		rep.headers = micro.Headers{NextHeader: {tail.Next}}
	}
	return rep, nil
}

func decodeStatus(data []byte) (StatusRequest, error) {
	var req StatusRequest
	if len(data) == 0 {
		return req, nil
	}
	if err := decodeStrict(data, &req); err != nil {
		return req, err
	}
	var problems []error
	if req.State != "" && !slices.Contains(state.ShownStates, req.State) {
		problems = append(problems, fmt.Errorf("state: %q is not one of %s", req.State, strings.Join(state.ShownStates, ", ")))
	}
	for _, f := range []struct{ name, value string }{{"device", req.Device}, {"site", req.Site}} {
		if f.value == "" {
			continue
		}
		if err := proto.ValidName(f.value); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", f.name, err))
		}
	}
	if len(problems) > 0 {
		return req, Refused(errors.Join(problems...))
	}
	return req, nil
}

// judge is what status knows to judge a device: the fleet and the site
// records.
type judge struct {
	Fleet
	sites []state.Site
	blind map[string]state.Site
}

func (j *judge) stale(d state.Device) bool {
	if j.blind == nil {
		j.blind = map[string]state.Site{}
		for _, s := range j.sites {
			if s.Blind {
				j.blind[s.Name] = s
			}
		}
	}
	s, ok := j.blind[d.Site]
	since := state.Later(j.Started, j.Watched[d.Name])
	return ok && !d.Received.After(s.LastReceived) || state.IsStale(d.Received, since, j.Now, j.StaleAfter)
}

// scan calls emit with the devices req asks for, by name, after req.After:
// the stored ones merged with those of the inventory not stored yet, until
// emit returns false or the devices end.
func (j *judge) scan(ctx context.Context, store Reader, req StatusRequest, emit func(DeviceStatus) (bool, error)) error {
	after := req.After
	if req.Device != "" {
		// The names between the device's name less its last byte and the
		// device's are few: start there, end at the device.
		after = max(after, req.Device[:len(req.Device)-1])
	}
	inventory := slices.Sorted(maps.Keys(j.Sites))
	for {
		devs, err := store.DevicesAfter(ctx, after, storePage)
		if err != nil {
			return err
		}
		last := len(devs) < storePage // the store has no more after these
		for _, d := range j.merge(devs, inventory, after, last) {
			if req.Device != "" && d.Name > req.Device {
				return nil
			}
			d, ok := j.keep(d, req)
			if !ok {
				continue
			}
			if more, err := emit(d); !more || err != nil {
				return err
			}
		}
		if last {
			return nil
		}
		after = devs[len(devs)-1].Name
	}
}

// merge returns the stored devs (a page after after) and the devices of
// inventory not stored that sort among them (after after, up to the last
// of devs, or all after after when last), by name.
func (j *judge) merge(devs []state.Device, inventory []string, after string, last bool) []DeviceStatus {
	lo, _ := slices.BinarySearch(inventory, after)
	hi := len(inventory)
	if !last && len(devs) > 0 {
		hi, _ = slices.BinarySearch(inventory, devs[len(devs)-1].Name)
	}
	out := make([]DeviceStatus, 0, len(devs))
	i := 0
	for _, name := range inventory[lo:max(lo, hi)] {
		if name == after {
			continue
		}
		for ; i < len(devs) && devs[i].Name < name; i++ {
			out = append(out, DeviceStatus{Device: devs[i], Stale: j.stale(devs[i])})
		}
		if i < len(devs) && devs[i].Name == name {
			continue
		}
		d := state.Device{Name: name, Site: j.Sites[name]}
		out = append(out, DeviceStatus{Device: d, NotProbed: true, Stale: j.stale(d)})
	}
	for ; i < len(devs); i++ {
		out = append(out, DeviceStatus{Device: devs[i], Stale: j.stale(devs[i])})
	}
	return out
}

// keep applies req's filters to d: false when no row of d is asked for;
// with a state, d keeps only the links in it.
func (j *judge) keep(d DeviceStatus, req StatusRequest) (DeviceStatus, bool) {
	if req.Site != "" && d.Site != req.Site || req.Device != "" && d.Name != req.Device {
		return d, false
	}
	if req.State == "" {
		return d, true
	}
	if len(d.Links) == 0 {
		return d, RowState(d, nil) == req.State
	}
	links := map[string]state.Link{}
	for k, l := range d.Links {
		if RowState(d, &l) == req.State {
			links[k] = l
		}
	}
	d.Links = links
	return d, len(links) > 0
}
