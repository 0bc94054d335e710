package worker

import (
	"errors"
	"fmt"

	"github.com/linkwatch/linkwatch/proto"
)

// Inventory is what a worker may probe: the devices of its own site, from
// its own configuration. A job only names a device; the host dialled, the
// platform, the credential and every target typed into the CLI come from
// here, so whoever can publish a job cannot point the worker, and the
// password it holds, anywhere else.
type Inventory struct {
	Site string
	// Revision is the digest of the site's inventory (config.Revision),
	// compared with the one each job carries.
	Revision string
	// Devices are keyed by name; each names its credential in Credential
	// and has no password yet.
	Devices map[string]Device
}

// ErrRefused marks a job the worker will not run: it names a device outside
// the worker's inventory, or another site.
var ErrRefused = errors.New("job refused")

// lookup returns the device a job names, after checking that the job is for
// this site and the device is in the inventory. Every target is validated
// again here, before anything is typed: the inventory came from a checked
// configuration, but the worker does not take that on trust.
func (inv *Inventory) lookup(job *proto.ProbeJob) (Device, error) {
	if inv == nil {
		return Device{}, fmt.Errorf("%w: no inventory", ErrRefused)
	}
	if job.GetSite() != inv.Site {
		return Device{}, fmt.Errorf("%w: job for site %q reached a worker of site %q", ErrRefused, job.GetSite(), inv.Site)
	}
	d, ok := inv.Devices[job.GetDevice()]
	if !ok {
		return Device{}, fmt.Errorf("%w: device %q is not in the inventory of site %q", ErrRefused, job.GetDevice(), inv.Site)
	}
	if err := d.Validate(); err != nil {
		return Device{}, fmt.Errorf("%w: device %q: %w", ErrRefused, d.Name, err)
	}
	return d, nil
}

// Validate checks what of d reaches the network or a CLI: its name, host,
// jump host and every target's ping parameters.
func (d Device) Validate() error {
	if err := proto.ValidName(d.Name); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	if err := proto.ValidTarget(d.Host); err != nil {
		return fmt.Errorf("host: %w", err)
	}
	if d.Jump.Set() {
		if err := d.Jump.validate(); err != nil {
			return fmt.Errorf("jump host: %w", err)
		}
	}
	for i, t := range d.Targets {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("targets[%d]: %w", i, err)
		}
	}
	return nil
}

// WithCredentials returns d with its credential, and its jump host's,
// resolved by creds.
func (d Device) WithCredentials(creds Credentials) (Device, error) {
	if creds == nil {
		return Device{}, errors.New("no credentials configured")
	}
	login, err := creds(d.Credential)
	if err != nil {
		return Device{}, fmt.Errorf("resolve credential %q: %w", d.Credential, err)
	}
	d.Username, d.Password, d.Enable, d.EnablePassword = login.Username, login.Password, login.Enable, login.EnablePassword
	if d.Jump.Set() {
		if err := d.Jump.withCredentials(creds); err != nil {
			return Device{}, err
		}
	}
	return d, nil
}
