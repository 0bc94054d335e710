package app

import (
	"sync"
	"sync/atomic"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/worker"
)

// Live is the configuration in force, replaced on reload.
type Live struct{ p atomic.Pointer[config.Config] }

// NewLive returns a Live holding cfg.
func NewLive(cfg *config.Config) *Live {
	l := &Live{}
	l.p.Store(cfg)
	return l
}

// Config returns the configuration in force.
func (l *Live) Config() *config.Config { return l.p.Load() }

// Swap puts cfg in force and returns the previous configuration.
func (l *Live) Swap(cfg *config.Config) *config.Config { return l.p.Swap(cfg) }

// Credential resolves a credential of the configuration in force.
func (l *Live) Credential(name string) (worker.Login, error) {
	return Login(l.Config(), name)
}

// Login resolves the named credential of cfg for a worker: its login, and
// whether and how it enters privileged mode. Secrets are read now.
func Login(cfg *config.Config, name string) (worker.Login, error) {
	user, pass, err := cfg.Credential(name)
	if err != nil {
		return worker.Login{}, err
	}
	enable, secret, err := cfg.EnableSecret(name)
	if err != nil {
		return worker.Login{}, err
	}
	return worker.Login{Username: user, Password: pass, Enable: enable, EnablePassword: secret}, nil
}

// Derived returns a func giving f of the configuration in force, computed
// again only after a reload put another configuration in force.
func Derived[T any](l *Live, f func(*config.Config) T) func() T {
	var (
		mu   sync.Mutex
		from *config.Config
		v    T
	)
	return func() T {
		mu.Lock()
		defer mu.Unlock()
		if cfg := l.Config(); cfg != from {
			from, v = cfg, f(cfg)
		}
		return v
	}
}
