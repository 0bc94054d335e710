package main

import (
	"fmt"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
)

// checkNames refuses a --site or --device (when not "") the configuration
// does not know: a typo is an error that lists the known names and the
// closest one (config.CheckSite, config.CheckDevice), not an empty table.
func checkNames(cfg *config.Config, site, device string) error {
	if site != "" {
		if err := cfg.CheckSite(site); err != nil {
			return fmt.Errorf("--site %w", err)
		}
	}
	if device != "" {
		if err := cfg.CheckDevice(device); err != nil {
			return fmt.Errorf("--device %w", err)
		}
	}
	return nil
}
