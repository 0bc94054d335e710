package app

import (
	"sync"
	"sync/atomic"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
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
func (l *Live) Credential(name string) (username, password string, err error) {
	return l.Config().Credential(name)
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
