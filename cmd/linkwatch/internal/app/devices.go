package app

import (
	"fmt"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/worker"
)

// ProbeDevices turns configured devices into probe inputs the way a
// worker does with its inventory, resolving each credential once. A
// credential that cannot be resolved, or a device that fails the worker's
// own checks, stops the run before any device is touched.
func ProbeDevices(cfg *config.Config, devices []config.Device) ([]worker.Device, error) {
	cache := map[string]worker.Login{}
	creds := func(name string) (worker.Login, error) {
		if l, ok := cache[name]; ok {
			return l, nil
		}
		l, err := Login(cfg, name)
		if err != nil {
			return worker.Login{}, err
		}
		cache[name] = l
		return l, nil
	}
	out := make([]worker.Device, 0, len(devices))
	for _, cd := range devices {
		d := Device(cd)
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("device %s: %w", d.Name, err)
		}
		d, err := d.WithCredentials(creds)
		if err != nil {
			return nil, fmt.Errorf("device %s: %w", cd.Name, err)
		}
		out = append(out, d)
	}
	return out, nil
}
