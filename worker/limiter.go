package worker

import (
	"context"
	"sync"
)

// Limiter bounds how many devices are probed at once: Global in all, and
// PerSite within any one site (0: no per-site cap). A device waits for its
// site's slot before it takes a global one, so a busy site never holds
// global slots idle.
type Limiter struct {
	global  chan struct{}
	perSite int

	mu    sync.Mutex
	sites map[string]chan struct{}
}

// NewLimiter returns a limiter for global devices at once (at least 1) and
// perSite per site (0 or less: no per-site cap).
func NewLimiter(global, perSite int) *Limiter {
	if global < 1 {
		global = 1
	}
	return &Limiter{global: make(chan struct{}, global), perSite: perSite, sites: map[string]chan struct{}{}}
}

// Acquire blocks until site has a free slot and a global one is free, or
// ctx ends. The returned release must be called exactly once.
func (l *Limiter) Acquire(ctx context.Context, site string) (release func(), err error) {
	siteSem := l.site(site)
	if siteSem != nil {
		select {
		case siteSem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	select {
	case l.global <- struct{}{}:
	case <-ctx.Done():
		if siteSem != nil {
			<-siteSem
		}
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-l.global
			if siteSem != nil {
				<-siteSem
			}
		})
	}, nil
}

func (l *Limiter) site(name string) chan struct{} {
	if l.perSite <= 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.sites[name]
	if !ok {
		s = make(chan struct{}, l.perSite)
		l.sites[name] = s
	}
	return s
}

// ProbeAll probes every device with p, at most as many at once as lim
// allows, and calls emit with each result as it completes (emit is called
// from one goroutine at a time). It returns when all are done or ctx ends;
// devices not started by then are reported with FailureTimeout.
func ProbeAll(ctx context.Context, p *Prober, devices []Device, lim *Limiter, emit func(DeviceResult)) {
	var (
		wg     sync.WaitGroup
		emitMu sync.Mutex
	)
	report := func(r DeviceResult) {
		emitMu.Lock()
		defer emitMu.Unlock()
		emit(r)
	}
	for _, d := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := lim.Acquire(ctx, d.Site)
			if err != nil {
				now := p.now()
				report(DeviceResult{Device: d.Name, Site: d.Site, StartedAt: now, CheckedAt: now,
					Failure: FailureTimeout, FailureText: "not started: " + err.Error()})
				return
			}
			defer release()
			report(p.Probe(ctx, d))
		}()
	}
	wg.Wait()
}
