package main

import (
	"fmt"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/worker"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// probeDevices turns the configured devices into probe inputs, resolving
// each credential once. A credential that cannot be resolved stops the run
// before any device is touched.
func probeDevices(cfg *config.Config) ([]worker.Device, error) {
	type cred struct{ user, pass string }
	creds := map[string]cred{}
	out := make([]worker.Device, 0, len(cfg.Devices))
	for _, d := range cfg.Devices {
		c, ok := creds[d.Credentials]
		if !ok {
			user, pass, err := cfg.Credential(d.Credentials)
			if err != nil {
				return nil, fmt.Errorf("device %s: %w", d.Name, err)
			}
			c = cred{user, pass}
			creds[d.Credentials] = c
		}
		wd := worker.Device{
			Name: d.Name, Site: d.Site, Host: d.Host, Port: d.Port, Platform: d.Platform,
			Username: c.user, Password: c.pass,
		}
		for _, t := range d.Targets {
			wd.Targets = append(wd.Targets, pingParams(t))
		}
		out = append(out, wd)
	}
	return out, nil
}

func pingParams(t config.Target) ping.Params {
	return ping.Params{Target: t.Address, VRF: t.VRF, Source: t.Source, Count: t.Count, Timeout: t.Timeout, Size: t.Size}
}

// hostKeyCallback returns the known_hosts check the config asks for, or nil
// (accept any key) when it names no file.
func hostKeyCallback(cfg *config.Config) (ssh.HostKeyCallback, error) {
	if cfg.Worker.KnownHosts == "" {
		return nil, nil
	}
	cb, err := knownhosts.New(cfg.Worker.KnownHosts)
	if err != nil {
		return nil, fmt.Errorf("worker.known_hosts: %w", err)
	}
	return cb, nil
}
