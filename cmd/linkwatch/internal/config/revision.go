package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
)

// Revision is the digest of one site's inventory: every device of the site
// with what a worker uses to probe it (host, port, platform, credential
// name, targets and their ping settings), in name order. The scheduler puts
// it in each job, and a worker compares it with its own, so a site whose
// workers run another configuration than the scheduler is seen. Passwords
// are not part of it: rotating a secret is not a new inventory.
func (c *Config) Revision(site string) string {
	devs := c.DevicesAt(site)
	slices.SortFunc(devs, func(a, b Device) int { return strings.Compare(a.Name, b.Name) })
	// JSON of plain structs is a stable encoding: fields in declaration
	// order, no maps.
	data, err := json.Marshal(devs)
	if err != nil {
		panic("config: encode inventory: " + err.Error()) // plain structs always encode
	}
	sum := sha256.Sum256(append([]byte(site+"\n"), data...))
	return hex.EncodeToString(sum[:8])
}
