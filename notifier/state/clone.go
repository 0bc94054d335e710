package state

import (
	"maps"
	"slices"
)

// Clone returns a copy of d that shares no map, slice or pointer with it,
// so that either can be changed without the other seeing it: a store that
// keeps decoded records hands each decide a clone of its own.
func (d Device) Clone() Device {
	d.Flaps = slices.Clone(d.Flaps)
	if d.Links != nil {
		links := make(map[string]Link, len(d.Links))
		for k, l := range d.Links {
			links[k] = l.clone()
		}
		d.Links = links
	}
	if d.Recent != nil {
		recent := make([]Observation, len(d.Recent))
		for i, o := range d.Recent {
			o.Links = maps.Clone(o.Links)
			recent[i] = o
		}
		d.Recent = recent
	}
	return d
}

func (l Link) clone() Link {
	l.Flaps = slices.Clone(l.Flaps)
	l.RTTMinMs, l.RTTAvgMs, l.RTTMaxMs = optional(l.RTTMinMs), optional(l.RTTAvgMs), optional(l.RTTMaxMs)
	return l
}
