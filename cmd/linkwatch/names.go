package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
)

// checkNames refuses a --site or --device (when not "") the configuration
// does not know, listing the names it knows: a typo is an error, not an
// empty table.
func checkNames(cfg *config.Config, site, device string) error {
	if site != "" {
		if err := checkSite(cfg, site); err != nil {
			return fmt.Errorf("--site %w", err)
		}
	}
	if device != "" {
		if err := checkDevice(cfg, device); err != nil {
			return fmt.Errorf("--device %w", err)
		}
	}
	return nil
}

// checkSite reports whether some device of cfg is at site.
func checkSite(cfg *config.Config, site string) error {
	var sites []string
	for _, d := range cfg.Devices {
		if d.Site == site {
			return nil
		}
		if !slices.Contains(sites, d.Site) {
			sites = append(sites, d.Site)
		}
	}
	slices.Sort(sites)
	return fmt.Errorf("%q: no device of the configuration is at that site (sites: %s)", site, strings.Join(sites, ", "))
}

// checkDevice reports whether cfg has a device called name.
func checkDevice(cfg *config.Config, name string) error {
	names := make([]string, len(cfg.Devices))
	for i, d := range cfg.Devices {
		if d.Name == name {
			return nil
		}
		names[i] = d.Name
	}
	slices.Sort(names)
	return fmt.Errorf("%q: no device of the configuration has that name (devices: %s)", name, strings.Join(names, ", "))
}
