package notifier

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto"
)

// silences is the notifier's cache of the store's silences, which
// Rules.Silenced reads on every commit: refreshed every
// Config.SilenceRefresh (another notifier may have added or expired one)
// and at once when this notifier adds or expires one.
type silences struct {
	mu     sync.Mutex
	stored []state.Silence // ending at or after the refresh's time
	loaded bool            // stored has been read at least once
	wake   chan struct{}
}

func newSilences() *silences { return &silences{wake: make(chan struct{}, 1)} }

func (s *silences) set(ss []state.Silence) {
	s.mu.Lock()
	s.stored, s.loaded = ss, true
	s.mu.Unlock()
}

func (s *silences) isLoaded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loaded
}

// ensureSilences reads the silences unless they have been read once: no
// result is committed, nor device reconciled, without knowing what is
// silenced (an empty cache would email a silenced device).
func (n *Notifier) ensureSilences(ctx context.Context) error {
	if n.silences.isLoaded() {
		return nil
	}
	if err := n.loadSilences(ctx); err != nil {
		return fmt.Errorf("read silences: %w", err)
	}
	return nil
}

func (s *silences) get() []state.Silence {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stored
}

// poke makes the watch loop refresh now.
func (s *silences) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// active returns the silences in force at now: stored ones and the
// occurrences of maintenance windows.
func (n *Notifier) active(now time.Time) state.Silences {
	var ss state.Silences
	for _, s := range n.silences.get() {
		if s.Active(now) {
			ss = append(ss, s)
		}
	}
	for _, w := range n.windows() {
		ss = append(ss, w.At(now)...)
	}
	return ss
}

// silenced returns Rules.Silenced at now: the silences and maintenance
// windows in force, and Config.Silenced. nil: nothing is silenced.
func (n *Notifier) silenced(now time.Time) func(site, device, target string) bool {
	active, extra := n.active(now).Silenced(now), n.cfg.Silenced
	switch {
	case active == nil:
		return extra
	case extra == nil:
		return active
	}
	return func(site, device, target string) bool {
		return active(site, device, target) || extra(site, device, target)
	}
}

// windows returns the maintenance windows in force.
func (n *Notifier) windows() []state.Window {
	if n.cfg.Maintenance == nil {
		return nil
	}
	return n.cfg.Maintenance()
}

// rules are the rules a commit at now applies.
func (n *Notifier) rules(now time.Time) state.Rules {
	return state.Rules{Confirm: n.cfg.Confirm, Flap: n.cfg.Flap, Silenced: n.silenced(now)}
}

// AddSilence implements api.Silencer: it checks the request against the
// inventory and the bounds of a silence, stores it and refreshes the cache.
func (n *Notifier) AddSilence(ctx context.Context, req api.SilenceAddRequest) (state.Silence, error) {
	now := n.cfg.Now().UTC()
	s := state.Silence{Site: req.Site, Device: req.Device, Target: req.Target, Start: now, Comment: req.Comment,
		CreatedBy: req.CreatedBy, Created: now}
	switch {
	case req.For != 0 && !req.Until.IsZero():
		return s, api.Refused(errors.New("give a duration or an end time, not both"))
	case req.For < 0:
		return s, api.Refused(fmt.Errorf("duration %s is negative", req.For))
	case req.For > 0:
		s.End = now.Add(min(req.For, state.MaxSilenceFor+time.Second)) // no overflow; Validate says it is too long
	case !req.Until.IsZero():
		s.End = req.Until.UTC()
	default:
		return s, api.Refused(errors.New("give a duration or an end time"))
	}
	if err := s.Validate(now); err != nil {
		return s, api.Refused(err)
	}
	if err := n.inInventory(s); err != nil {
		return s, api.Refused(err)
	}
	id := make([]byte, 6)
	_, _ = rand.Read(id)
	s.ID = hex.EncodeToString(id)
	err := n.store.AddSilence(ctx, s, state.MaxSilences)
	if errors.Is(err, state.ErrTooManySilences) {
		// Room is made by forgetting ended silences early, never one in
		// force or to come.
		if err = n.store.PruneSilences(ctx, now.Add(time.Nanosecond)); err == nil {
			err = n.store.AddSilence(ctx, s, state.MaxSilences)
		}
	}
	if errors.Is(err, state.ErrTooManySilences) {
		return s, api.Refused(fmt.Errorf("%d silences are in force or to come, the most there may be: expire some first", state.MaxSilences))
	}
	if err != nil {
		return s, err
	}
	n.log.Info("silence added", "id", s.ID, "site", s.Site, "device", s.Device, "target", s.Target,
		"end", s.End, "by", s.CreatedBy)
	n.refreshSilences(ctx)
	return s, nil
}

// inInventory checks that what s names is configured: a silence of a
// misspelt device would silence nothing, silently.
func (n *Notifier) inInventory(s state.Silence) error {
	inv := n.cfg.Inventory()
	if s.Device != "" {
		site, ok := inv.Sites[s.Device]
		switch {
		case !ok:
			return fmt.Errorf("device %q is not in the inventory", s.Device)
		case s.Site != "" && s.Site != site:
			return fmt.Errorf("device %q is at site %q, not %q", s.Device, site, s.Site)
		case s.Target != "" && !inv.Links[s.Device][s.Target]:
			return fmt.Errorf("device %q has no target %q (a target in a VRF is ADDRESS%%VRF)", s.Device, s.Target)
		}
		return nil
	}
	if !slices.Contains(slices.Collect(maps.Values(inv.Sites)), s.Site) {
		return fmt.Errorf("site %q has no device in the inventory", s.Site)
	}
	return nil
}

// ListSilences implements api.Silencer: the stored silences that are in
// force, to come or ended within state.SilenceRetention, and the
// maintenance windows in force.
func (n *Notifier) ListSilences(ctx context.Context) (api.SilenceListReply, error) {
	now := n.cfg.Now().UTC()
	ss, err := n.store.Silences(ctx, now.Add(-state.SilenceRetention))
	if err != nil {
		return api.SilenceListReply{}, err
	}
	for _, w := range n.windows() {
		ss = append(ss, w.At(now)...)
	}
	return api.SilenceListReply{Silences: ss, Now: now}, nil
}

// ExpireSilence implements api.Silencer: it ends the silence now; the
// watch loop reconciles what it covered.
func (n *Notifier) ExpireSilence(ctx context.Context, req api.SilenceExpireRequest) (state.Silence, error) {
	if name, ok := strings.CutPrefix(req.ID, "window:"); ok {
		return state.Silence{}, api.Refused(fmt.Errorf("%q is maintenance window %s of the configuration: change notify.maintenance to end it", req.ID, name))
	}
	if err := proto.ValidName(req.ID); err != nil {
		return state.Silence{}, api.Refused(fmt.Errorf("silence id: %w", err))
	}
	if err := state.ValidAuthor(req.By); err != nil {
		return state.Silence{}, api.Refused(fmt.Errorf("by: %w", err))
	}
	s, err := n.store.ExpireSilence(ctx, req.ID, n.cfg.Now(), req.By)
	if errors.Is(err, state.ErrNoSilence) {
		return s, api.Refused(fmt.Errorf("no silence %s (silence list shows them)", req.ID))
	}
	if err != nil {
		return s, err
	}
	n.log.Info("silence expired", "id", s.ID, "by", req.By)
	n.refreshSilences(ctx)
	return s, nil
}

// refreshSilences reads the silences into the cache and wakes the watch
// loop, which reconciles the ones that ended.
func (n *Notifier) refreshSilences(ctx context.Context) {
	if err := n.loadSilences(ctx); err != nil {
		n.log.Warn("read silences", "err", err)
	}
	n.silences.poke()
}

func (n *Notifier) loadSilences(ctx context.Context) error {
	ss, err := n.store.Silences(ctx, n.cfg.Now().Add(-state.SilenceRetention))
	if err != nil {
		return err
	}
	n.silences.set(ss)
	return nil
}
