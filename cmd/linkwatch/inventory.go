package main

import (
	"fmt"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/worker"
)

// probeDevices turns the configured devices into probe inputs the way a
// worker does with the scheduler's jobs, resolving each credential once. A
// credential that cannot be resolved stops the run before any device is
// touched.
func probeDevices(cfg *config.Config) ([]worker.Device, []*proto.ProbeJob, error) {
	type cred struct{ user, pass string }
	cache := map[string]cred{}
	creds := func(name string) (string, string, error) {
		if c, ok := cache[name]; ok {
			return c.user, c.pass, nil
		}
		user, pass, err := cfg.Credential(name)
		if err != nil {
			return "", "", err
		}
		cache[name] = cred{user, pass}
		return user, pass, nil
	}
	inv := app.Inventory(cfg)
	out := make([]worker.Device, 0, len(inv.Devices))
	for _, job := range inv.Devices {
		d, err := worker.DeviceFromJob(job, creds)
		if err != nil {
			return nil, nil, fmt.Errorf("device %s: %w", job.GetDevice(), err)
		}
		out = append(out, d)
	}
	return out, inv.Devices, nil
}
