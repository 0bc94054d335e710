package state

import (
	"slices"
	"time"
)

// MaxWindowDuration is the longest a weekly maintenance window may last.
const MaxWindowDuration = 7 * 24 * time.Hour

// Window is a recurring maintenance window from the configuration: every
// week, on each of Days, from Start (a wall-clock time of day in Location)
// for Duration, the alerts of Sites and Devices are held back as by a
// silence. On a day when Start does not exist on the wall clock (it falls
// in the hour skipped at a change to summer time) the window starts when
// Go's time.Date puts that wall time: the same instant, counted in the
// offset before the change (02:30 becomes 03:30 summer time); where Start
// happens twice (the hour repeated in autumn) it starts at the first.
// Duration is elapsed time, so a window across a change lasts as long as
// any other.
type Window struct {
	Name     string
	Sites    []string
	Devices  []string
	Days     []time.Weekday
	Start    time.Duration // since midnight, wall clock
	Duration time.Duration
	Location *time.Location
}

// occurrences returns the starts of w's occurrences that may overlap
// [from, to]: those starting from a window's length before from until to.
func (w Window) occurrences(from, to time.Time) []time.Time {
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	first := from.Add(-w.Duration).In(loc)
	last := to.In(loc)
	var starts []time.Time
	day := time.Date(first.Year(), first.Month(), first.Day()-1, 0, 0, 0, 0, loc)
	for ; !day.After(last); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc) {
		if !slices.Contains(w.Days, day.Weekday()) {
			continue
		}
		starts = append(starts, wallTime(day, w.Start))
	}
	return starts
}

// wallTime returns the instant of the wall-clock time of day since
// midnight on day: when it happens twice (an hour repeated at a change of
// offset) the first, which time.Date does not promise.
func wallTime(day time.Time, since time.Duration) time.Time {
	hm := int(since / time.Minute)
	t := time.Date(day.Year(), day.Month(), day.Day(), hm/60, hm%60, 0, 0, day.Location())
	_, off := t.Zone()
	_, before := t.Add(-24 * time.Hour).Zone()
	if before > off {
		// The clock went back that day: the same wall time may have
		// happened earlier, in the offset before.
		earlier := t.Add(-time.Duration(before-off) * time.Second)
		if earlier.Hour() == t.Hour() && earlier.Minute() == t.Minute() {
			return earlier
		}
	}
	return t
}

// At returns the occurrence of w in force at t, as silences (one per site
// and device it names, with Window set), or nil when none is.
func (w Window) At(t time.Time) Silences {
	for _, start := range w.occurrences(t, t) {
		if end := start.Add(w.Duration); !t.Before(start) && t.Before(end) {
			return w.silences(start, end)
		}
	}
	return nil
}

// Ended returns the occurrences of w that ended in (from, to], as
// silences: the ends a notifier reconciles after.
func (w Window) Ended(from, to time.Time) Silences {
	var ss Silences
	for _, start := range w.occurrences(from, to) {
		if end := start.Add(w.Duration); end.After(from) && !end.After(to) {
			ss = append(ss, w.silences(start, end)...)
		}
	}
	return ss
}

// Next returns the first start or end of an occurrence of w after t (zero
// when w has no days): when what w silences next changes.
func (w Window) Next(t time.Time) time.Time {
	var next time.Time
	for _, start := range w.occurrences(t, t.Add(8*24*time.Hour)) {
		for _, e := range []time.Time{start, start.Add(w.Duration)} {
			if e.After(t) && (next.IsZero() || e.Before(next)) {
				next = e
			}
		}
	}
	return next
}

func (w Window) silences(start, end time.Time) Silences {
	var ss Silences
	add := func(site, device string) {
		ss = append(ss, Silence{ID: "window:" + w.Name, Site: site, Device: device, Start: start.UTC(), End: end.UTC(),
			Comment: "maintenance window " + w.Name, CreatedBy: "configuration", Window: w.Name})
	}
	for _, s := range w.Sites {
		add(s, "")
	}
	for _, d := range w.Devices {
		add("", d)
	}
	return ss
}
