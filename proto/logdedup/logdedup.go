// Package logdedup collapses repeated identical log lines. An outage makes
// many goroutines report the same failure at once (every consumer of a
// worker its missed heartbeat, every committer the same store error);
// one line with a count says as much and keeps the next, different line
// in view.
//
// Two records are identical when their level, message and attributes
// (those of the logger's With calls and the record's own) are, whatever
// their times. The first is written; the identical ones that follow
// within the window are counted and dropped; the first after the window
// is written with the attribute repeated=N, the number dropped since the
// last one written. Records below MinLevel pass untouched. Counts are
// kept for at most maxKeys distinct lines, the oldest forgotten first.
package logdedup

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// maxKeys bounds the distinct lines remembered.
const maxKeys = 1024

// Handler wraps another slog.Handler.
type Handler struct {
	inner  slog.Handler
	prefix string // the With attributes and groups, rendered
	s      *shared
}

type shared struct {
	window   time.Duration
	minLevel slog.Level
	now      func() time.Time

	mu    sync.Mutex
	lines map[string]*seen
}

type seen struct {
	written time.Time // when the line was last written
	dropped int       // identical lines dropped since
}

// Options configure a Handler.
type Options struct {
	// Window is how long identical lines after a written one are counted
	// instead of written (default one minute).
	Window time.Duration
	// MinLevel is the lowest level collapsed (default slog.LevelInfo):
	// debug lines are for when every one is wanted.
	MinLevel slog.Level
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// New returns a Handler writing through inner.
func New(inner slog.Handler, opts Options) *Handler {
	if opts.Window <= 0 {
		opts.Window = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Handler{inner: inner, s: &shared{window: opts.Window, minLevel: opts.MinLevel, now: opts.Now,
		lines: map[string]*seen{}}}
}

// Enabled is the inner handler's.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

// Handle writes r, or counts it when it repeats a line written within the
// window.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.s.minLevel {
		return h.inner.Handle(ctx, r)
	}
	key := h.key(r)
	dropped, write := h.s.note(key)
	if !write {
		return nil
	}
	if dropped > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", dropped))
	}
	return h.inner.Handle(ctx, r)
}

// note records one occurrence of key and says whether to write it, with
// how many identical lines were dropped before it.
func (s *shared) note(key string) (dropped int, write bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.lines[key]; ok {
		if now.Sub(l.written) < s.window {
			l.dropped++
			return 0, false
		}
		dropped = l.dropped
		l.written, l.dropped = now, 0
		return dropped, true
	}
	if len(s.lines) >= maxKeys {
		s.forgetOldest()
	}
	s.lines[key] = &seen{written: now}
	return 0, true
}

// forgetOldest drops the line written longest ago.
func (s *shared) forgetOldest() {
	var oldest string
	var at time.Time
	for k, l := range s.lines {
		if oldest == "" || l.written.Before(at) {
			oldest, at = k, l.written
		}
	}
	delete(s.lines, oldest)
}

func (h *Handler) key(r slog.Record) string {
	var b strings.Builder
	b.WriteString(r.Level.String())
	b.WriteByte(0)
	b.WriteString(r.Message)
	b.WriteByte(0)
	b.WriteString(h.prefix)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, a)
		return true
	})
	return b.String()
}

func writeAttr(b *strings.Builder, a slog.Attr) {
	fmt.Fprintf(b, "%s=%v\x00", a.Key, a.Value.Resolve())
}

// WithAttrs returns a Handler whose lines carry attrs, sharing the counts.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range attrs {
		writeAttr(&b, a)
	}
	return &Handler{inner: h.inner.WithAttrs(attrs), prefix: b.String(), s: h.s}
}

// WithGroup returns a Handler whose attributes are in group name.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name), prefix: h.prefix + "[" + name + "]\x00", s: h.s}
}
