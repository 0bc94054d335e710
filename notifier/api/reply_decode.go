package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// decodeReply is json.Unmarshal of a status page into a zero rep, with
// the same result, in one pass over the page for the devices: decoding a
// page of 100,000 links with encoding/json was most of the CLI's time.
// A device whose JSON is not read here the way encoding/json reads it (a
// key that is escaped, or that case-folds to a field without being its
// exact name) is decoded by encoding/json; a page that does not decode
// is decoded by encoding/json again, for its error.
func decodeReply(data []byte, rep *StatusReply) error {
	s := jsonScanner{b: data}
	ok := s.members(0, func(key []byte) bool {
		if string(key) == "devices" && rep.Devices == nil {
			rep.Devices = []DeviceStatus{}
			return s.elements(1, func() bool {
				var d DeviceStatus
				if !s.device(&d) {
					return false
				}
				rep.Devices = append(rep.Devices, d)
				return true
			})
		}
		value, ok := s.skip(0)
		if !ok || bytes.IndexByte(key, '\\') >= 0 {
			return false
		}
		if field, ok := rep.field(string(key)); ok {
			return json.Unmarshal(value, field) == nil
		}
		for _, name := range []string{"devices", "sites", "at", "stale_after", "next"} {
			if bytes.EqualFold(key, []byte(name)) {
				return false // "devices" twice, or a key spelt otherwise
			}
		}
		return true
	})
	if ok && s.i == len(data) {
		return nil
	}
	*rep = StatusReply{}
	return json.Unmarshal(data, rep)
}

// field is where the value of key goes, for StatusReply's keys but
// devices.
func (rep *StatusReply) field(key string) (any, bool) {
	switch key {
	case "sites":
		return &rep.Sites, true
	case "at":
		return &rep.At, true
	case "stale_after":
		return &rep.StaleAfter, true
	case "next":
		return &rep.Next, true
	}
	return nil, false
}

// device decodes the device at s.i into d, by decodeFields, or, when it
// cannot be read so, by encoding/json.
func (s *jsonScanner) device(d *DeviceStatus) bool {
	start := s.i
	if s.fields(1, deviceFields, func(f fieldReader) bool { return f(s, 1, d, nil) }) {
		return true
	}
	s.i, *d = start, DeviceStatus{}
	value, ok := s.skip(1)
	return ok && json.Unmarshal(value, d) == nil
}

// fieldReader reads the value at s.i into its field of d, or of l when
// it is a link's.
type fieldReader func(s *jsonScanner, depth int, d *DeviceStatus, l *state.Link) bool

// fields walks the object at s.i, calling read with the reader of each
// key in readers; it fails at a key that encoding/json would read into a
// field but that is not spelt as readers have it.
func (s *jsonScanner) fields(depth int, readers map[string]fieldReader, read func(fieldReader) bool) bool {
	return s.members(depth, func(key []byte) bool {
		if f, ok := readers[string(key)]; ok {
			return read(f)
		}
		if bytes.IndexByte(key, '\\') >= 0 {
			return false
		}
		for name := range readers {
			if bytes.EqualFold(key, []byte(name)) {
				return false
			}
		}
		_, ok := s.skip(depth)
		return ok
	})
}

// The readers of each field of a device and of a link: the value is read
// by strconv and time where encoding/json would read it the same way,
// else by encoding/json itself (escaped strings, null, anything odd).
var (
	deviceFields = map[string]fieldReader{
		"name":             str(func(d *DeviceStatus, _ *state.Link) *string { return &d.Name }),
		"site":             str(func(d *DeviceStatus, _ *state.Link) *string { return &d.Site }),
		"last_result":      tim(func(d *DeviceStatus, _ *state.Link) *time.Time { return &d.LastResult }),
		"last_scheduled":   tim(func(d *DeviceStatus, _ *state.Link) *time.Time { return &d.LastScheduled }),
		"failure":          str(func(d *DeviceStatus, _ *state.Link) *string { return &d.Failure }),
		"failure_text":     str(func(d *DeviceStatus, _ *state.Link) *string { return &d.FailureText }),
		"failure_since":    tim(func(d *DeviceStatus, _ *state.Link) *time.Time { return &d.FailureSince }),
		"failed_in_a_row":  num(func(d *DeviceStatus, _ *state.Link) *int { return &d.FailedInARow }),
		"reached_in_a_row": num(func(d *DeviceStatus, _ *state.Link) *int { return &d.ReachedInARow }),
		"worker":           str(func(d *DeviceStatus, _ *state.Link) *string { return &d.Worker }),
		"received":         tim(func(d *DeviceStatus, _ *state.Link) *time.Time { return &d.Received }),
		"notified":         str(func(d *DeviceStatus, _ *state.Link) *string { return &d.Notified }),
		"notified_at":      tim(func(d *DeviceStatus, _ *state.Link) *time.Time { return &d.NotifiedAt }),
		"flapping":         boolean(func(d *DeviceStatus, _ *state.Link) *bool { return &d.Flapping }),
		"flapping_since":   tim(func(d *DeviceStatus, _ *state.Link) *time.Time { return &d.FlappingSince }),
		"flaps":            times(func(d *DeviceStatus, _ *state.Link) *[]time.Time { return &d.Flaps }),
		"links":            readLinks,
		"recent":           other(func(d *DeviceStatus, _ *state.Link) any { return &d.Recent }),
		"stale":            boolean(func(d *DeviceStatus, _ *state.Link) *bool { return &d.Stale }),
		"not_probed":       boolean(func(d *DeviceStatus, _ *state.Link) *bool { return &d.NotProbed }),
	}
	linkFields = map[string]fieldReader{
		"device":         str(func(_ *DeviceStatus, l *state.Link) *string { return &l.Device }),
		"site":           str(func(_ *DeviceStatus, l *state.Link) *string { return &l.Site }),
		"target":         str(func(_ *DeviceStatus, l *state.Link) *string { return &l.Target }),
		"vrf":            str(func(_ *DeviceStatus, l *state.Link) *string { return &l.VRF }),
		"state":          str(func(_ *DeviceStatus, l *state.Link) *string { return &l.State }),
		"since":          tim(func(_ *DeviceStatus, l *state.Link) *time.Time { return &l.Since }),
		"last_checked":   tim(func(_ *DeviceStatus, l *state.Link) *time.Time { return &l.LastChecked }),
		"sent":           num(func(_ *DeviceStatus, l *state.Link) *int { return &l.Sent }),
		"received":       num(func(_ *DeviceStatus, l *state.Link) *int { return &l.Received }),
		"loss_percent":   float(func(_ *DeviceStatus, l *state.Link) *float64 { return &l.LossPercent }),
		"rtt_avg_ms":     floatPtr(func(_ *DeviceStatus, l *state.Link) **float64 { return &l.RTTAvgMs }),
		"rtt_min_ms":     floatPtr(func(_ *DeviceStatus, l *state.Link) **float64 { return &l.RTTMinMs }),
		"rtt_max_ms":     floatPtr(func(_ *DeviceStatus, l *state.Link) **float64 { return &l.RTTMaxMs }),
		"error":          str(func(_ *DeviceStatus, l *state.Link) *string { return &l.Error }),
		"pending":        str(func(_ *DeviceStatus, l *state.Link) *string { return &l.Pending }),
		"pending_count":  num(func(_ *DeviceStatus, l *state.Link) *int { return &l.PendingCount }),
		"notified":       str(func(_ *DeviceStatus, l *state.Link) *string { return &l.Notified }),
		"notified_at":    tim(func(_ *DeviceStatus, l *state.Link) *time.Time { return &l.NotifiedAt }),
		"flapping":       boolean(func(_ *DeviceStatus, l *state.Link) *bool { return &l.Flapping }),
		"flapping_since": tim(func(_ *DeviceStatus, l *state.Link) *time.Time { return &l.FlappingSince }),
		"flaps":          times(func(_ *DeviceStatus, l *state.Link) *[]time.Time { return &l.Flaps }),
	}
)

// readLinks reads a device's links as encoding/json reads a map: into
// the map there is (null makes it nil), each entry a zero Link decoded.
func readLinks(s *jsonScanner, depth int, d *DeviceStatus, _ *state.Link) bool {
	if s.peek() != '{' {
		return other(func(d *DeviceStatus, _ *state.Link) any { return &d.Links })(s, depth, d, nil)
	}
	if d.Links == nil {
		d.Links = map[string]state.Link{}
	}
	return s.members(depth+1, func(key []byte) bool {
		for _, c := range key {
			if c == '\\' || c >= utf8.RuneSelf {
				return false // as plainString
			}
		}
		target := string(key)
		var l state.Link
		if !s.fields(depth+2, linkFields, func(f fieldReader) bool { return f(s, depth+2, d, &l) }) {
			return false
		}
		d.Links[target] = l
		return true
	})
}

// str reads a string: plain ASCII as it is.
func str(field func(*DeviceStatus, *state.Link) *string) fieldReader {
	return func(s *jsonScanner, depth int, d *DeviceStatus, l *state.Link) bool {
		value, ok := s.skip(depth)
		return ok && (plainString(value, field(d, l)) || json.Unmarshal(value, field(d, l)) == nil)
	}
}

// tim reads a time from a string (time.Time's own UnmarshalJSON).
func tim(field func(*DeviceStatus, *state.Link) *time.Time) fieldReader {
	return func(s *jsonScanner, depth int, d *DeviceStatus, l *state.Link) bool {
		value, ok := s.skip(depth)
		return ok && (value[0] == '"' && field(d, l).UnmarshalJSON(value) == nil || json.Unmarshal(value, field(d, l)) == nil)
	}
}

// num reads an int as encoding/json does: strconv.ParseInt of the number.
func num(field func(*DeviceStatus, *state.Link) *int) fieldReader {
	return func(s *jsonScanner, depth int, d *DeviceStatus, l *state.Link) bool {
		value, ok := s.skip(depth)
		if !ok {
			return false
		}
		if n, err := strconv.ParseInt(string(value), 10, strconv.IntSize); err == nil {
			*field(d, l) = int(n)
			return true
		}
		return json.Unmarshal(value, field(d, l)) == nil
	}
}

// float reads a float64 as encoding/json does: strconv.ParseFloat.
func float(field func(*DeviceStatus, *state.Link) *float64) fieldReader {
	return func(s *jsonScanner, depth int, d *DeviceStatus, l *state.Link) bool {
		value, ok := s.skip(depth)
		if f, number, err := floatOf(value); ok && number {
			*field(d, l) = f
			return err == nil
		}
		return ok && json.Unmarshal(value, field(d, l)) == nil
	}
}

// floatPtr reads a *float64: a new one for a number, as encoding/json.
func floatPtr(field func(*DeviceStatus, *state.Link) **float64) fieldReader {
	return func(s *jsonScanner, depth int, d *DeviceStatus, l *state.Link) bool {
		value, ok := s.skip(depth)
		if f, number, err := floatOf(value); ok && number {
			*field(d, l) = &f
			return err == nil
		}
		return ok && json.Unmarshal(value, field(d, l)) == nil
	}
}

// floatOf parses value, when it is a number (a valid one, skipped).
func floatOf(value []byte) (f float64, number bool, err error) {
	if len(value) == 0 || value[0] != '-' && (value[0] < '0' || value[0] > '9') {
		return 0, false, nil
	}
	f, err = strconv.ParseFloat(string(value), 64)
	return f, true, err
}

func boolean(field func(*DeviceStatus, *state.Link) *bool) fieldReader {
	return func(s *jsonScanner, depth int, d *DeviceStatus, l *state.Link) bool {
		value, ok := s.skip(depth)
		switch {
		case !ok:
			return false
		case string(value) == "true" || string(value) == "false":
			*field(d, l) = value[0] == 't'
			return true
		}
		return json.Unmarshal(value, field(d, l)) == nil
	}
}

// times reads an array of times into a new slice (encoding/json's
// contents: [] is empty, not nil), anything else by encoding/json.
func times(field func(*DeviceStatus, *state.Link) *[]time.Time) fieldReader {
	return func(s *jsonScanner, depth int, d *DeviceStatus, l *state.Link) bool {
		if s.peek() != '[' {
			return other(func(d *DeviceStatus, l *state.Link) any { return field(d, l) })(s, depth, d, l)
		}
		ts := []time.Time{}
		ok := s.elements(depth+1, func() bool {
			var t time.Time
			value, ok := s.skip(depth + 1)
			ok = ok && (value[0] == '"' && t.UnmarshalJSON(value) == nil || json.Unmarshal(value, &t) == nil)
			ts = append(ts, t)
			return ok
		})
		*field(d, l) = ts
		return ok
	}
}

// other reads a value by encoding/json.
func other(field func(*DeviceStatus, *state.Link) any) fieldReader {
	return func(s *jsonScanner, depth int, d *DeviceStatus, l *state.Link) bool {
		value, ok := s.skip(depth)
		return ok && json.Unmarshal(value, field(d, l)) == nil
	}
}
