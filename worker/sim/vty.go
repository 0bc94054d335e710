package sim

import "sync"

// vty counts the SSH connections logged in at once, on one device or on
// the whole fleet: a router has few VTY lines (often 5), and a client
// that opens several sessions to one device at a time, or to many devices
// of a site, can be caught at it.
type vty struct {
	mu         sync.Mutex
	open, most int
}

// login counts one more connection logged in; the returned logout counts
// it gone.
func (v *vty) login() (logout func()) {
	v.mu.Lock()
	v.open++
	v.most = max(v.most, v.open)
	v.mu.Unlock()
	return func() {
		v.mu.Lock()
		v.open--
		v.mu.Unlock()
	}
}

func (v *vty) count() (open, most int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.open, v.most
}

// Sessions returns how many SSH connections are logged in to the device
// called name now, and the most that ever were at once (0, 0 for a device
// the server does not serve). Like AuthAttempts, they outlive reloads that
// keep the device.
func (s *Server) Sessions(name string) (open, most int) {
	s.mu.Lock()
	l := s.devs[name]
	s.mu.Unlock()
	if l == nil {
		return 0, 0
	}
	return l.vty.count()
}

// FleetSessions returns how many SSH connections are logged in to any
// device of the server now, and the most that ever were at once.
func (s *Server) FleetSessions() (open, most int) {
	return s.vty.count()
}

// Disconnect drops every connection open to the device called name, as a
// router's `clear line` or a reload does, and returns how many it dropped;
// the device goes on accepting new ones.
func (s *Server) Disconnect(name string) int {
	s.mu.Lock()
	l := s.devs[name]
	s.mu.Unlock()
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		_ = c.Close()
	}
	return len(l.conns)
}
