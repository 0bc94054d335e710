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
// last one written. A line that does not come again has its count written
// too (its last occurrence with repeated=N) before the first line logged
// a second or more after its window ends. Records below MinLevel pass
// untouched. At most maxKeys distinct lines are remembered within a
// window; past that the oldest is forgotten, its count written first.
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
	swept time.Time
}

type seen struct {
	written time.Time // when the line was last written
	dropped int       // identical lines dropped since
	// last is the last line dropped, to be written through inner with its
	// count when the window passes and it did not come again.
	last  slog.Record
	inner slog.Handler
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
// window. Before r it writes, once the window of a counted line has
// passed, that line again with its count (sweep).
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.s.minLevel {
		return h.inner.Handle(ctx, r)
	}
	key := h.key(r)
	due, dropped, write := h.s.note(key, h.inner, r)
	for _, d := range due {
		_ = d.inner.Handle(ctx, d.record)
	}
	if !write {
		return nil
	}
	if dropped > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", dropped))
	}
	return h.inner.Handle(ctx, r)
}

// pending is a counted line whose window passed: its last occurrence,
// with repeated=N, to write through inner.
type pending struct {
	inner  slog.Handler
	record slog.Record
}

// note records one occurrence of key (the record r, for inner) and says
// whether to write it, with how many identical lines were dropped before
// it, and which counted lines are due (sweep).
func (s *shared) note(key string, inner slog.Handler, r slog.Record) (due []pending, dropped int, write bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.swept) >= sweepEvery {
		due = s.sweep(now, key)
	}
	if l, ok := s.lines[key]; ok {
		if now.Sub(l.written) < s.window {
			l.dropped++
			l.last, l.inner = r.Clone(), inner
			return due, 0, false
		}
		dropped = l.dropped
		l.written, l.dropped, l.last, l.inner = now, 0, slog.Record{}, nil
		return due, dropped, true
	}
	if len(s.lines) >= maxKeys {
		due = append(due, s.forgetOldest()...)
	}
	s.lines[key] = &seen{written: now}
	return due, 0, true
}

// sweepEvery is how often note looks for counted lines whose window
// passed.
const sweepEvery = time.Second

// sweep forgets the lines whose window passed and returns, to be written,
// those of them that were counted, each its last occurrence with
// repeated=N; except skip, the line being noted, which carries its own
// count. So a count is written within a second of its window's end, as
// long as anything is logged, and the lines kept are those of the last
// window.
func (s *shared) sweep(now time.Time, skip string) []pending {
	s.swept = now
	var due []pending
	for k, l := range s.lines {
		if k == skip || now.Sub(l.written) < s.window {
			continue
		}
		if l.dropped > 0 {
			due = append(due, l.flush())
		}
		delete(s.lines, k)
	}
	return due
}

// flush is l's last occurrence with its count.
func (l *seen) flush() pending {
	r := l.last.Clone()
	r.AddAttrs(slog.Int("repeated", l.dropped))
	return pending{inner: l.inner, record: r}
}

// forgetOldest drops the line written longest ago, returning its count
// to be written if it had one.
func (s *shared) forgetOldest() []pending {
	var oldest string
	var at time.Time
	for k, l := range s.lines {
		if oldest == "" || l.written.Before(at) {
			oldest, at = k, l.written
		}
	}
	l := s.lines[oldest]
	delete(s.lines, oldest)
	if l != nil && l.dropped > 0 {
		return []pending{l.flush()}
	}
	return nil
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
