package store

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// The silence logic both stores share: they differ only in how they read
// and write the set of silences atomically.

func normSilence(s state.Silence) state.Silence {
	s.Start, s.End, s.Created = s.Start.UTC(), s.End.UTC(), s.Created.UTC()
	return s
}

func encodeSilence(s state.Silence) ([]byte, error) {
	data, err := json.Marshal(normSilence(s))
	if err != nil {
		return nil, fmt.Errorf("encode silence: %w", err)
	}
	return data, nil
}

func decodeSilence(id string, data []byte) (state.Silence, error) {
	var s state.Silence
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("decode silence %s: %w", id, err)
	}
	return s, nil
}

// newSilence checks s against the stored silences ss before it is added,
// and encodes it.
func newSilence(s state.Silence, ss []state.Silence, max int) ([]byte, error) {
	if err := checkNewSilence(s, ss, max); err != nil {
		return nil, err
	}
	return encodeSilence(s)
}

func checkNewSilence(s state.Silence, ss []state.Silence, max int) error {
	if s.ID == "" {
		return errors.New("no id")
	}
	for _, o := range ss {
		if o.ID == s.ID {
			return fmt.Errorf("id %s exists", s.ID)
		}
	}
	if len(ss) >= max {
		return state.ErrTooManySilences
	}
	return nil
}

// expireStored reads the stored JSON of silence id, ends it at at by by,
// and returns it with its new JSON, or nil data when it had ended already.
func expireStored(id string, stored []byte, at time.Time, by string) (state.Silence, []byte, error) {
	s, err := decodeSilence(id, stored)
	if err != nil {
		return s, nil, err
	}
	s, changed := expired(s, at, by)
	if !changed {
		return s, nil, nil
	}
	data, err := encodeSilence(s)
	return s, data, err
}

// expired returns s ended at at by by, and whether that changed it.
func expired(s state.Silence, at time.Time, by string) (state.Silence, bool) {
	if !s.End.After(at) {
		return s, false
	}
	s.End, s.ExpiredBy = at.UTC(), by
	if s.Start.After(s.End) {
		s.Start = s.End // one that had not begun never will
	}
	return s, true
}

// sinceSorted returns the silences ending at or after since, by Start then
// ID.
func sinceSorted(ss []state.Silence, since time.Time) []state.Silence {
	ss = slices.DeleteFunc(ss, func(s state.Silence) bool { return s.End.Before(since) })
	slices.SortFunc(ss, func(a, b state.Silence) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	return ss
}
