package localnats

import (
	"bytes"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStartLogsThroughSlog(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Start(Options{Port: -1, StoreDir: t.TempDir(), Name: "logged", Log: log})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	s.Shutdown()
	for _, want := range []string{"Starting nats-server", "Server is ready", "level=DEBUG"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, buf.String())
		}
	}
}

// The server's banner is debug: a clean start and stop says nothing at
// info.
func TestStartIsQuietAtInfo(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := Start(Options{Port: -1, StoreDir: t.TempDir(), Name: "quiet", Log: log})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	s.Shutdown()
	if buf.Len() != 0 {
		t.Errorf("a clean start logged at info:\n%s", buf.String())
	}
}

func TestStartErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port

	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no store dir", Options{Port: -1}, "store dir is empty"},
		{"port in use", Options{Port: busy, StoreDir: t.TempDir()}, "listening on port: 127.0.0.1:" + strconv.Itoa(busy)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			s, err := Start(tt.opts)
			if err == nil {
				s.Shutdown()
				t.Fatalf("Start succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if d := time.Since(start); d >= readyTimeout {
				t.Errorf("Start took %s to fail, want less than %s", d, readyTimeout)
			}
		})
	}
}
