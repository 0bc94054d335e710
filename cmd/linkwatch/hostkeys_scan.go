package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/worker"
)

// scanTarget is one host whose keys `hostkeys scan` reads: a device, or
// a jump host in front of some.
type scanTarget struct {
	title  string // the known_hosts comment: "SITE DEVICE", or "jump host NAME (sites …)"
	dev    worker.Device
	prober *worker.Prober
	err    error // why it cannot be scanned
}

// scanTargets are the jump hosts of devices, each once and read directly
// (no login), then the devices, those behind a jump host read through it.
// The jump host is logged in to with its own credential, its key checked
// as check checks it (worker.known_hosts, or check's pins on first use);
// no device is ever logged in to, and no device password is read.
func scanTargets(cfg *config.Config, devices []config.Device) []scanTarget {
	direct := &worker.Prober{ConnectTimeout: scanTimeout}
	jumps := map[string][]string{} // jump host → sites it serves here
	for _, d := range devices {
		if d.Jump != nil && !slices.Contains(jumps[d.Jump.Name], d.Site) {
			jumps[d.Jump.Name] = append(jumps[d.Jump.Name], d.Site)
		}
	}
	var out []scanTarget
	for _, name := range slices.Sorted(maps.Keys(jumps)) {
		j := app.JumpHost(cfg.JumpHosts[name])
		out = append(out, scanTarget{title: fmt.Sprintf("jump host %s (sites %s)", name, strings.Join(jumps[name], ", ")),
			dev: j.Device(""), prober: direct})
	}
	through, policyErr := jumpProber(cfg, jumps)
	for _, d := range devices {
		t := scanTarget{title: d.Site + " " + d.Name, dev: app.Device(d), prober: direct}
		if d.Jump != nil {
			t.prober, t.err = through, policyErr
			if t.err == nil {
				t.dev.Jump, t.err = jumpLogin(cfg, t.dev.Jump)
			}
		}
		out = append(out, t)
	}
	return out
}

// jumpProber is the prober that scans through jump hosts: the configured
// host key policy checks their keys, with check's pins for tofu.
func jumpProber(cfg *config.Config, jumps map[string][]string) (*worker.Prober, error) {
	var sites []string
	for _, s := range jumps {
		sites = append(sites, s...)
	}
	if len(sites) == 0 {
		return nil, nil
	}
	slices.Sort(sites)
	p, err := app.Prober(cfg, slices.Compact(sites), &worker.FilePins{Path: app.CheckPinsFile(cfg)}, "hostkeys scan "+app.WorkerID(), slog.Default())
	if err != nil {
		return nil, fmt.Errorf("the keys of jump hosts cannot be checked: %w", err)
	}
	p.ConnectTimeout = scanTimeout
	return p, nil
}

// jumpLogin is j with its login resolved.
func jumpLogin(cfg *config.Config, j worker.JumpHost) (worker.JumpHost, error) {
	login, err := app.Login(cfg, j.Credential)
	if err != nil {
		return j, fmt.Errorf("jump host %s: %w", j.Name, err)
	}
	j.Username, j.Password = login.Username, login.Password
	return j, nil
}

// scan reads the target's host keys.
func (s scanTarget) scan(ctx context.Context) ([]ssh.PublicKey, error) {
	if s.err != nil {
		return nil, s.err
	}
	return s.prober.ScanHostKeys(ctx, s.dev)
}

// pinnedHosts are the names with a host key pin at a site, as list rows
// without their pins: the devices, then each jump host once per site
// whose devices it is in front of.
func pinnedHosts(devices []config.Device) []hostkeyRow {
	var rows, jumps []hostkeyRow
	for _, d := range devices {
		rows = append(rows, hostkeyRow{Site: d.Site, Device: d.Name})
		if d.Jump == nil {
			continue
		}
		if j := (hostkeyRow{Site: d.Site, Device: d.Jump.Name, JumpHost: true}); !slices.Contains(jumps, j) {
			jumps = append(jumps, j)
		}
	}
	return append(rows, jumps...)
}

// name says what the row is, for errors.
func (r hostkeyRow) name() string {
	if r.JumpHost {
		return "jump host " + r.Device
	}
	return "device " + r.Device
}
