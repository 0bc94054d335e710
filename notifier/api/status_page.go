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
// encoded once, into the reply, or spliced into it as stored
// (peekRecord). A request that could not be decoded or names a state
// that is not shown, or a device or site that is not a name, is refused.
func status(ctx context.Context, store Reader, o options, lim pageLimits, data []byte) (rawReply, error) {
	req, err := decodeStatus(data)
	if err != nil {
		return rawReply{}, err
	}
	j := judge{decodeAll: o.decodeAll}
	if o.fleet != nil {
		j.Fleet = o.fleet()
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
	err = j.scan(ctx, store, req, func(d pageDevice) (bool, error) {
		enc, err := d.encode()
		if err != nil {
			return false, err
		}
		if n > 0 && size+len(enc) > lim.soft {
			tail.Next = req.After
			return false, nil
		}
		if size+len(enc) > lim.hard && d.stored != nil {
			// Keys status does not know may make a record too large as
			// stored; decoded, they are left out, as they always were.
			if d, err = d.decode(); err != nil {
				return false, err
			}
			if enc, err = d.encode(); err != nil {
				return false, err
			}
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

// pageDevice is a device of a page: its DeviceStatus, whole, or, when
// stored is set, only the name, site and receive time read from its
// stored record, which is passed on as it is.
type pageDevice struct {
	DeviceStatus
	stored []byte
}

// staleField is what a spliced record gains when its device is stale:
// DeviceStatus's own field, after the record's.
const staleField = `,"stale":true}`

// encode returns d's JSON, which is DeviceStatus's.
func (d pageDevice) encode() ([]byte, error) {
	if d.stored == nil {
		enc, err := json.Marshal(d.DeviceStatus)
		if err != nil {
			return nil, fmt.Errorf("encode device %s: %w", d.Name, err)
		}
		return enc, nil
	}
	if !d.Stale {
		return d.stored, nil
	}
	enc := make([]byte, 0, len(d.stored)+len(staleField))
	return append(append(enc, d.stored[:len(d.stored)-1]...), staleField...), nil
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
	sites     []state.Site
	blind     map[string]state.Site
	decodeAll bool // options.decodeAll
}

// inventory is the names of the inventory's devices, sorted.
func (j *judge) inventory() []string {
	if j.Names != nil || len(j.Sites) == 0 {
		return j.Names
	}
	return slices.Sorted(maps.Keys(j.Sites))
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
// emit returns false or the devices end. Stored records are decoded only
// when req's state needs their links, or when they cannot be spliced.
func (j *judge) scan(ctx context.Context, store Reader, req StatusRequest, emit func(pageDevice) (bool, error)) error {
	after := req.After
	if req.Device != "" {
		// The names between the device's name less its last byte and the
		// device's are few: start there, end at the device.
		after = max(after, req.Device[:len(req.Device)-1])
	}
	inventory := j.inventory()
	for {
		raw, err := store.RawDevicesAfter(ctx, after, storePage)
		if err != nil {
			return err
		}
		devs, err := j.read(raw, req.State == "" && !j.decodeAll)
		if err != nil {
			return fmt.Errorf("list devices after %q: %w", after, err)
		}
		last := len(raw) < storePage // the store has no more after these
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
		if last || len(devs) == 0 {
			return nil
		}
		after = devs[len(devs)-1].Name
	}
}

// decode returns d decoded from its stored record.
func (d pageDevice) decode() (pageDevice, error) {
	out := pageDevice{DeviceStatus: DeviceStatus{Stale: d.Stale, NotProbed: d.NotProbed}}
	if err := json.Unmarshal(d.stored, &out.Device); err != nil {
		return d, fmt.Errorf("decode device %s: %w", d.Name, err)
	}
	return out, nil
}

// read makes the page devices of stored records: spliced when splice
// says so and the record can be, else decoded.
func (j *judge) read(raw []state.RawDevice, splice bool) ([]pageDevice, error) {
	devs := make([]pageDevice, len(raw))
	for i, r := range raw {
		var err error
		if h, ok := peekRecord(r); splice && ok {
			devs[i] = pageDevice{DeviceStatus: DeviceStatus{Device: state.Device{Name: h.name, Site: h.site, Received: h.received}},
				stored: r.JSON}
		} else if devs[i], err = (pageDevice{DeviceStatus: DeviceStatus{Device: state.Device{Name: r.Name}}, stored: r.JSON}).decode(); err != nil {
			return nil, err
		}
		devs[i].Stale = j.stale(devs[i].Device)
	}
	return devs, nil
}

// merge returns the stored devs (a page after after) and the devices of
// inventory not stored that sort among them (after after, up to the last
// of devs, or all after after when last), by name.
func (j *judge) merge(devs []pageDevice, inventory []string, after string, last bool) []pageDevice {
	lo, _ := slices.BinarySearch(inventory, after)
	hi := len(inventory)
	if !last && len(devs) > 0 {
		hi, _ = slices.BinarySearch(inventory, devs[len(devs)-1].Name)
	}
	out := make([]pageDevice, 0, len(devs))
	i := 0
	for _, name := range inventory[lo:max(lo, hi)] {
		if name == after {
			continue
		}
		for ; i < len(devs) && devs[i].Name < name; i++ {
			out = append(out, devs[i])
		}
		if i < len(devs) && devs[i].Name == name {
			continue
		}
		d := state.Device{Name: name, Site: j.Sites[name]}
		out = append(out, pageDevice{DeviceStatus: DeviceStatus{Device: d, NotProbed: true, Stale: j.stale(d)}})
	}
	return append(out, devs[i:]...)
}

// keep applies req's filters to d: false when no row of d is asked for;
// with a state, d keeps only the links in it.
func (j *judge) keep(d pageDevice, req StatusRequest) (pageDevice, bool) {
	if req.Site != "" && d.Site != req.Site || req.Device != "" && d.Name != req.Device {
		return d, false
	}
	if req.State == "" {
		return d, true
	}
	if len(d.Links) == 0 {
		return d, RowState(d.DeviceStatus, nil) == req.State
	}
	links := map[string]state.Link{}
	for k, l := range d.Links {
		if RowState(d.DeviceStatus, &l) == req.State {
			links[k] = l
		}
	}
	d.Links = links
	return d, len(links) > 0
}
