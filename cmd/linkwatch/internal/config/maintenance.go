package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto"
)

// Maintenance is a recurring maintenance window: every week, on each of
// Weekly.Days at Weekly.Start (a wall-clock time in notify.timezone) for
// Weekly.Duration, the alerts of Sites (everything at them) and of Devices
// are held back as by a silence, and reported when it ends.
type Maintenance struct {
	Name    string   `yaml:"name"`
	Sites   []string `yaml:"sites"`
	Devices []string `yaml:"devices"`
	Weekly  Weekly   `yaml:"weekly"`
}

// Weekly is when a maintenance window recurs: days are mon, tue, … sun
// (or the full English names); start is HH:MM.
type Weekly struct {
	Days     []string      `yaml:"days"`
	Start    string        `yaml:"start"`
	Duration time.Duration `yaml:"duration"`
}

// weekdays maps the names a day may be written as to its weekday.
var weekdays = func() map[string]time.Weekday {
	m := map[string]time.Weekday{}
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		m[name], m[name[:3]] = d, d
	}
	return m
}()

// parseStart reads HH:MM as the time since midnight.
func parseStart(s string) (time.Duration, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, false
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, true
}

// Windows returns the maintenance windows as the notifier applies them.
// The configuration must have been validated.
func (n Notify) Windows() []state.Window {
	ws := make([]state.Window, 0, len(n.Maintenance))
	for _, m := range n.Maintenance {
		w := state.Window{Name: m.Name, Sites: m.Sites, Devices: m.Devices, Duration: m.Weekly.Duration, Location: n.Location}
		w.Start, _ = parseStart(m.Weekly.Start)
		for _, d := range m.Weekly.Days {
			w.Days = append(w.Days, weekdays[strings.ToLower(d)])
		}
		ws = append(ws, w)
	}
	return ws
}

// maintenance checks notify.maintenance against the inventory: a window
// of a misspelt site or device would silence nothing, silently.
func (v *validator) maintenance() {
	sites, devices := map[string]bool{}, map[string]bool{}
	for _, d := range v.cfg.Devices {
		sites[d.Site], devices[d.Name] = true, true
	}
	names := map[string]bool{}
	for i, m := range v.cfg.Notify.Maintenance {
		path := fmt.Sprintf("notify.maintenance[%d]", i)
		if err := proto.ValidName(m.Name); err != nil {
			v.errorf(join(path, "name"), "%s", err)
		} else if names[m.Name] {
			v.errorf(join(path, "name"), "%q names another window already", m.Name)
		}
		names[m.Name] = true
		if len(m.Sites) == 0 && len(m.Devices) == 0 {
			v.errorf(path, "give sites or devices (or both)")
		}
		v.members(join(path, "sites"), m.Sites, sites, "site", "has no device in the inventory")
		v.members(join(path, "devices"), m.Devices, devices, "device", "is not in the inventory")
		v.weekly(join(path, "weekly"), m.Weekly)
	}
}

func (v *validator) members(path string, names []string, known map[string]bool, what, unknown string) {
	for j, name := range names {
		p := fmt.Sprintf("%s[%d]", path, j)
		switch err := proto.ValidName(name); {
		case err != nil:
			v.errorf(p, "%s", err)
		case !known[name]:
			v.errorf(p, "%s %q %s", what, name, unknown)
		case slices.Index(names, name) < j:
			v.errorf(p, "%s %q is listed twice", what, name)
		}
	}
}

func (v *validator) weekly(path string, w Weekly) {
	if !v.given(path) {
		v.errorf(path, "is required: { days: [sun], start: \"02:00\", duration: 2h }")
		return
	}
	if len(w.Days) == 0 {
		v.errorf(join(path, "days"), "is required (mon, tue, wed, thu, fri, sat, sun)")
	}
	seen := map[time.Weekday]bool{}
	for j, d := range w.Days {
		p := fmt.Sprintf("%s[%d]", join(path, "days"), j)
		day, ok := weekdays[strings.ToLower(d)]
		switch {
		case !ok:
			v.errorf(p, "%q is not a day (%s)", d, strings.Join(dayNames(), ", "))
		case seen[day]:
			v.errorf(p, "%q is listed twice", d)
		}
		seen[day] = true
	}
	if _, ok := parseStart(w.Start); !ok {
		v.errorf(join(path, "start"), "%q is not a time of day HH:MM (00:00 to 23:59) in notify.timezone", w.Start)
	}
	v.durRange(join(path, "duration"), w.Duration, time.Minute, state.MaxWindowDuration)
}

// dayNames are the short day names, Monday first.
func dayNames() []string {
	names := slices.Collect(maps.Keys(weekdays))
	names = slices.DeleteFunc(names, func(n string) bool { return len(n) != 3 })
	slices.SortFunc(names, func(a, b string) int { return (int(weekdays[a])+6)%7 - (int(weekdays[b])+6)%7 })
	return names
}
