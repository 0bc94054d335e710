package localnats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// logger adapts nats-server's Logger to slog. It also keeps the first fatal
// message: the embedded server logs a fatal error (a port in use, an
// unusable store directory) instead of exiting, and Start reports it.
type logger struct {
	log   *slog.Logger
	debug bool

	mu       sync.Mutex
	fatalErr error
}

func newLogger(l *slog.Logger) *logger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &logger{
		log:   l,
		debug: l.Enabled(context.Background(), slog.LevelDebug),
	}
}

func (l *logger) fatal() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fatalErr
}

// Noticef is the server's banner and its routine news (version, ports,
// JetStream limits, "Server is ready": 24 to 42 lines at each start), at
// debug: the embedding service logs its own line when the server listens,
// and the server's warnings and errors keep their levels.
func (l *logger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *logger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *logger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *logger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *logger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }

func (l *logger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error(msg)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fatalErr == nil {
		l.fatalErr = errors.New(msg)
	}
}
