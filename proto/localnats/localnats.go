// Package localnats runs an embedded NATS server with JetStream, for
// `linkwatch run`; its test helpers are in localnatstest.
package localnats

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

const (
	// readyTimeout bounds how long Start waits for the server to accept
	// clients.
	readyTimeout = 10 * time.Second
	// readyStep is how often Start looks for a fatal error while it waits.
	readyStep = 100 * time.Millisecond
)

// Options configures an embedded server.
type Options struct {
	// Host is the address to listen on; empty means 127.0.0.1.
	Host string
	// Port is the client port: -1 picks a free one, 0 means 4222.
	Port int
	// StoreDir is the directory JetStream keeps its streams in. Required.
	StoreDir string
	// Name is the server name; empty lets the server make one up.
	Name string
	// Log receives the server's log lines; nil discards them.
	Log *slog.Logger
	// Users, when set, are the only clients admitted, each with its own
	// permissions (natsauth.NkeyUsers); with none, any client may
	// connect.
	Users []*server.NkeyUser
}

// Server is a running embedded NATS server.
type Server struct {
	ns *server.Server
}

// Start starts a server with JetStream enabled and returns once it accepts
// clients.
func Start(opts Options) (*Server, error) {
	if opts.StoreDir == "" {
		return nil, errors.New("start nats server: store dir is empty")
	}
	host := opts.Host
	if host == "" {
		host = "127.0.0.1"
	}
	sopts := &server.Options{
		Host:       host,
		Port:       opts.Port,
		ServerName: opts.Name,
		JetStream:  true,
		StoreDir:   opts.StoreDir,
		NoSigs:     true,
	}
	if len(opts.Users) > 0 {
		sopts.Nkeys = opts.Users
	}
	ns, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("start nats server: %w", err)
	}
	log := newLogger(opts.Log)
	ns.SetLogger(log, log.debug, false)
	ns.Start()
	if err := waitReady(ns, log); err != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("start nats server on %s:%d: %w", host, opts.Port, err)
	}
	return &Server{ns: ns}, nil
}

// waitReady waits until ns accepts clients with JetStream on. It polls in
// short steps so that a fatal error the server logged instead (a port in
// use) is reported at once, not after the whole timeout.
func waitReady(ns *server.Server, log *logger) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		if err := log.fatal(); err != nil {
			return err
		}
		if ns.ReadyForConnections(readyStep) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready for connections after %s", readyTimeout)
		}
	}
	if !ns.JetStreamEnabled() {
		return errors.New("jetstream is not enabled")
	}
	return nil
}

// ClientURL returns the URL clients connect to, nats://host:port.
func (s *Server) ClientURL() string {
	return s.ns.ClientURL()
}

// Shutdown stops the server and waits until it has stopped.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
