package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
)

// selectDevices returns the configured devices named in names and at the
// sites in sites (both: every one). A name or site the configuration does
// not have is an error listing those it has.
func selectDevices(cfg *config.Config, names, sites []string) ([]config.Device, error) {
	for _, name := range names {
		if err := cfg.CheckDevice(name); err != nil {
			return nil, fmt.Errorf("--device %w", err)
		}
	}
	for _, site := range sites {
		if err := cfg.CheckSite(site); err != nil {
			return nil, fmt.Errorf("--site %w", err)
		}
	}
	var out []config.Device
	for _, d := range cfg.Devices {
		if (len(names) == 0 || slices.Contains(names, d.Name)) && (len(sites) == 0 || slices.Contains(sites, d.Site)) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no device is both one of --device %s and at one of --site %s",
			strings.Join(names, ","), strings.Join(sites, ","))
	}
	return out, nil
}
