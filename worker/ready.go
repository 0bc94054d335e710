package worker

import "fmt"

// Ready is nil once the worker has bound its site's job consumer (Run
// binds it, waiting for the jobs stream), and otherwise says why not: not
// started, or the last error binding it.
func (s *Service) Ready() error {
	if err := s.unbound.Load(); err != nil {
		return *err
	}
	return nil
}

func (s *Service) setUnbound(err error) {
	if err != nil {
		err = fmt.Errorf("not bound yet: %w", err)
		s.unbound.Store(&err)
		return
	}
	s.unbound.Store(nil)
}
