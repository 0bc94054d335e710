package logdedup

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newLogger(buf *bytes.Buffer, c *clock) *slog.Logger {
	inner := slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}})
	return slog.New(New(inner, Options{Window: time.Minute, Now: c.now}))
}

func lines(buf *bytes.Buffer) []string {
	return strings.Split(strings.TrimSpace(buf.String()), "\n")
}

func TestRepeatsCollapse(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{t: time.Unix(0, 0)}
	log := newLogger(&buf, c)
	w := log.With("role", "worker-dc1")
	for range 50 {
		w.Warn("result consumer", "err", "nats: no heartbeat received")
	}
	w.Warn("result consumer", "err", "nats: connection closed")       // another line
	log.Warn("result consumer", "err", "nats: no heartbeat received") // other With: another line
	w.Debug("debug lines", "n", 1)
	w.Debug("debug lines", "n", 1) // below MinLevel: every one written
	c.add(61 * time.Second)
	w.Warn("result consumer", "err", "nats: no heartbeat received")
	w.Warn("result consumer", "err", "nats: no heartbeat received") // dropped again
	c.add(61 * time.Second)
	w.Warn("result consumer", "err", "nats: no heartbeat received")

	want := []string{
		`level=WARN msg="result consumer" role=worker-dc1 err="nats: no heartbeat received"`,
		`level=WARN msg="result consumer" role=worker-dc1 err="nats: connection closed"`,
		`level=WARN msg="result consumer" err="nats: no heartbeat received"`,
		`level=DEBUG msg="debug lines" role=worker-dc1 n=1`,
		`level=DEBUG msg="debug lines" role=worker-dc1 n=1`,
		`level=WARN msg="result consumer" role=worker-dc1 err="nats: no heartbeat received" repeated=49`,
		`level=WARN msg="result consumer" role=worker-dc1 err="nats: no heartbeat received" repeated=1`,
	}
	got := lines(&buf)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDistinctLinesAreBounded(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{t: time.Unix(0, 0)}
	log := newLogger(&buf, c)
	for i := range maxKeys + 10 {
		c.add(time.Millisecond)
		log.Warn("line", "i", i)
	}
	h := log.Handler().(*Handler)
	if n := len(h.s.lines); n > maxKeys {
		t.Fatalf("%d lines remembered, want at most %d", n, maxKeys)
	}
	// The oldest were forgotten: line 0 is written again at once.
	buf.Reset()
	log.Warn("line", "i", 0)
	if got := lines(&buf); len(got) != 1 || !strings.Contains(got[0], "i=0") {
		t.Fatalf("forgotten line not written: %q", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	var buf waittest.Buffer
	c := &clock{t: time.Unix(0, 0)}
	inner := slog.NewTextHandler(&buf, nil)
	log := slog.New(New(inner, Options{Window: time.Hour, Now: c.now}))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				log.With("g", g%2).Warn("same")
			}
		}()
	}
	wg.Wait()
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Fatalf("%d lines written by 800 identical warnings of 2 kinds, want 2:\n%s", n, buf.String())
	}
}

// A burst that stops has its count written with the next line logged
// after its window, whatever that line is.
func TestCountOfABurstThatStops(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{t: time.Unix(0, 0)}
	log := newLogger(&buf, c)
	w := log.With("role", "worker-dc1")
	for range 5 {
		w.Warn("no heartbeat")
	}
	c.add(30 * time.Second)
	log.Info("something else") // within the window: nothing due yet
	c.add(31 * time.Second)
	log.Info("later")
	want := []string{
		`level=WARN msg="no heartbeat" role=worker-dc1`,
		`level=INFO msg="something else"`,
		`level=WARN msg="no heartbeat" role=worker-dc1 repeated=4`,
		`level=INFO msg=later`,
	}
	if got := lines(&buf); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
