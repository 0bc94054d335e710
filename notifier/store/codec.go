package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// checkDevice rejects device names that would break the key layouts.
func checkDevice(name string) error {
	if name == "" || strings.ContainsRune(name, 0) {
		return fmt.Errorf("invalid device name %q", name)
	}
	return nil
}

// decideUpdate is the read-decide-encode step both stores run inside
// their transaction: it decodes the stored record (nil: none yet), calls
// decide on it, and returns the prepared update with the new record
// encoded.
func decideUpdate(device string, stored []byte, decide func(state.Device) (state.Update, error)) (state.Update, []byte, error) {
	prev, err := decodeDevice(stored)
	if err != nil {
		return state.Update{}, nil, err
	}
	return decideOn(device, prev, decide)
}

// decodeDevice decodes a stored device record; nil is the zero Device.
func decodeDevice(stored []byte) (state.Device, error) {
	var d state.Device
	if stored != nil {
		if err := json.Unmarshal(stored, &d); err != nil {
			return state.Device{}, fmt.Errorf("decode device: %w", err)
		}
	}
	return d, nil
}

// decideOn calls decide on prev, the decoded record of device, and
// returns the prepared update with the new record encoded.
func decideOn(device string, prev state.Device, decide func(state.Device) (state.Update, error)) (state.Update, []byte, error) {
	upd, err := decide(prev)
	if err != nil {
		return state.Update{}, nil, err
	}
	if upd, err = prepare(device, upd); err != nil {
		return state.Update{}, nil, err
	}
	data, err := json.Marshal(upd.Device)
	if err != nil {
		return state.Update{}, nil, fmt.Errorf("encode device: %w", err)
	}
	return upd, data, nil
}

// prepare checks the record decide returned for device and normalises it.
func prepare(device string, upd state.Update) (state.Update, error) {
	if upd.Device.Name == "" {
		upd.Device.Name = device
	}
	if upd.Device.Name != device {
		return upd, fmt.Errorf("decide returned a record for %q", upd.Device.Name)
	}
	upd.Device = normDevice(upd.Device)
	changes := make([]state.Change, len(upd.Changes))
	for i, c := range upd.Changes {
		changes[i] = normChange(c)
	}
	alerts := make([]state.Alert, len(upd.Alerts))
	for i, a := range upd.Alerts {
		if a.ID == "" {
			return upd, fmt.Errorf("alert %d has no id", i)
		}
		alerts[i] = normAlert(a)
	}
	upd.Changes, upd.Alerts = changes, alerts
	return upd, nil
}

// normDevice returns d with every time in UTC and without monotonic clock
// reading, so what is read back equals what was written. The Links map is
// copied, never modified.
func normDevice(d state.Device) state.Device {
	d.LastResult = d.LastResult.UTC()
	d.FailureSince = d.FailureSince.UTC()
	if d.Links == nil {
		return d
	}
	links := make(map[string]state.Link, len(d.Links))
	for target, l := range d.Links {
		l.Since = l.Since.UTC()
		l.LastChecked = l.LastChecked.UTC()
		links[target] = l
	}
	d.Links = links
	return d
}

func normChange(c state.Change) state.Change {
	c.At = c.At.UTC()
	c.PrevSince = c.PrevSince.UTC()
	return c
}

func normAlert(a state.Alert) state.Alert {
	a.Created = a.Created.UTC()
	a.At = a.At.UTC()
	a.FailureSince = a.FailureSince.UTC()
	if a.Change != nil {
		c := normChange(*a.Change)
		a.Change = &c
	}
	return a
}

// timeKey encodes t in 12 bytes that sort in time order for any t.
func timeKey(t time.Time) []byte {
	k := make([]byte, 12)
	binary.BigEndian.PutUint64(k, uint64(t.Unix())^(1<<63))
	binary.BigEndian.PutUint32(k[8:], uint32(t.Nanosecond()))
	return k
}

// keyTime decodes the first 12 bytes of k written by timeKey.
func keyTime(k []byte) time.Time {
	sec := int64(binary.BigEndian.Uint64(k) ^ (1 << 63))
	return time.Unix(sec, int64(binary.BigEndian.Uint32(k[8:]))).UTC()
}

// decideSite is decideUpdate for a site's record.
func decideSite(site string, stored []byte, decide func(state.Site) (state.SiteUpdate, error)) (state.SiteUpdate, []byte, error) {
	var prev state.Site
	if stored != nil {
		if err := json.Unmarshal(stored, &prev); err != nil {
			return state.SiteUpdate{}, nil, fmt.Errorf("decode site: %w", err)
		}
	}
	upd, err := decide(prev)
	if err != nil {
		return state.SiteUpdate{}, nil, err
	}
	if upd.Site.Name == "" {
		upd.Site.Name = site
	}
	if upd.Site.Name != site {
		return upd, nil, fmt.Errorf("decide returned a record for site %q", upd.Site.Name)
	}
	upd.Site.Since, upd.Site.LastReceived = upd.Site.Since.UTC(), upd.Site.LastReceived.UTC()
	alerts := make([]state.Alert, len(upd.Alerts))
	for i, a := range upd.Alerts {
		if a.ID == "" {
			return upd, nil, fmt.Errorf("alert %d has no id", i)
		}
		alerts[i] = normAlert(a)
	}
	upd.Alerts = alerts
	data, err := json.Marshal(upd.Site)
	if err != nil {
		return state.SiteUpdate{}, nil, fmt.Errorf("encode site: %w", err)
	}
	return upd, data, nil
}
