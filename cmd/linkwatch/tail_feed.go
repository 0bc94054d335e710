package main

import (
	"context"
	"slices"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// changeFeed turns repeated questions to the notifier's history into a
// feed of the changes not given before, each once. The history is asked
// from the newest change seen less lookback: a change is stamped with the
// check time of the result that confirmed it, and a late result may
// commit one older than the newest seen. Changes are told apart by
// device, target, time and new state.
type changeFeed struct {
	lookback time.Duration
	primed   bool
	newest   time.Time
	seen     map[changeKey]bool
}

type changeKey struct {
	device, target, vrf, to string
	at                      int64
}

// askFunc asks for at most limit (0: all) changes since since (all when
// zero), newest first.
type askFunc func(since time.Time, limit int) ([]state.Change, error)

// next returns the changes not returned before, oldest first. The first
// successful call returns none: it marks as seen the newest change and
// those of the look-back window before it, so the feed starts now.
func (f *changeFeed) next(ctx context.Context, ask askFunc) ([]state.Change, error) {
	if !f.primed {
		newest, err := ask(time.Time{}, 1)
		if err != nil {
			return nil, err
		}
		if len(newest) > 0 {
			f.newest = newest[0].At
		}
		if !f.newest.IsZero() {
			recent, err := ask(f.newest.Add(-f.lookback), 0)
			if err != nil {
				return nil, err
			}
			f.add(recent)
		}
		f.primed = true
		return nil, ctx.Err()
	}
	var since time.Time
	if !f.newest.IsZero() {
		since = f.newest.Add(-f.lookback)
	}
	changes, err := ask(since, 0)
	if err != nil {
		return nil, err
	}
	return f.add(changes), nil
}

// add marks changes (newest first) seen and returns those not seen
// before, oldest first; it forgets what is older than twice the look-back
// window before the newest.
func (f *changeFeed) add(changes []state.Change) []state.Change {
	var fresh []state.Change
	for _, c := range slices.Backward(changes) {
		k := changeKey{c.Device, c.Target, c.VRF, c.To, c.At.UnixNano()}
		if f.seen[k] {
			continue
		}
		f.seen[k] = true
		fresh = append(fresh, c)
		if c.At.After(f.newest) {
			f.newest = c.At
		}
	}
	horizon := f.newest.Add(-2 * f.lookback).UnixNano()
	for k := range f.seen {
		if k.at < horizon {
			delete(f.seen, k)
		}
	}
	return fresh
}
