package worker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto"
)

// LoginPolicy says when the workers of a site pause a credential: once
// PauseAfter distinct devices refused it within Within, no worker of the
// site logs in with it for PauseFor. With TACACS+ or RADIUS one account
// serves every device, and a few failed logins lock it out everywhere:
// a wrong password must cost a few attempts, not one per device per
// interval. PauseAfter 0 never pauses.
type LoginPolicy struct {
	PauseAfter int
	Within     time.Duration
	PauseFor   time.Duration
}

// DefaultLoginPolicy is worker.logins when the configuration says nothing.
var DefaultLoginPolicy = LoginPolicy{PauseAfter: 3, Within: 10 * time.Minute, PauseFor: 30 * time.Minute}

// credentialRecord is what the workers of a site know of one credential,
// at proto.CredentialKey(site, credential): the devices that refused it
// lately, one entry each, and while it is paused, until when and which
// devices' refusals paused it. It never holds a secret.
type credentialRecord struct {
	Refusals    []refusal `json:"refusals,omitempty"`
	PausedUntil time.Time `json:"paused_until,omitzero"`
	PausedBy    []string  `json:"paused_by,omitempty"`
}

// refusal is one device's latest refusal of a credential.
type refusal struct {
	Device string    `json:"device"`
	At     time.Time `json:"at"`
}

// paused reports whether the credential is paused at now.
func (c *credentialRecord) paused(now time.Time) bool { return now.Before(c.PausedUntil) }

// refuse records that device refused the credential at now, and reports
// whether that paused it: p.PauseAfter distinct devices within p.Within.
// Refusals older than the window and a pause that is over are forgotten;
// a refusal while paused (a login already under way when the pause began)
// only joins the devices named.
func (c *credentialRecord) refuse(device string, now time.Time, p LoginPolicy) bool {
	if c.paused(now) {
		if !slices.Contains(c.PausedBy, device) {
			c.PausedBy = append(c.PausedBy, device)
		}
		return false
	}
	c.PausedUntil, c.PausedBy = time.Time{}, nil
	c.Refusals = slices.DeleteFunc(c.Refusals, func(r refusal) bool {
		return r.Device == device || !r.At.After(now.Add(-p.Within))
	})
	c.Refusals = append(c.Refusals, refusal{Device: device, At: now})
	if p.PauseAfter <= 0 || len(c.Refusals) < p.PauseAfter {
		return false
	}
	c.PausedUntil = now.Add(p.PauseFor)
	for _, r := range c.Refusals {
		c.PausedBy = append(c.PausedBy, r.Device)
	}
	slices.Sort(c.PausedBy)
	c.Refusals = nil
	return true
}

// accept records a login the credential got in with: the refusals before
// it are forgotten (a pause still lasts until its time). It reports
// whether there were any.
func (c *credentialRecord) accept() bool {
	had := len(c.Refusals) > 0
	c.Refusals = nil
	return had
}

// pausedText is the failure of a job not logged into because its
// credential is paused: the credential, until when, the devices that
// refused it.
func (c *credentialRecord) pausedText(credential, device string) string {
	return fmt.Sprintf("credential %q is paused until %s: %s refused it; %s was not logged into, "+
		"so that the account is not locked out (worker.logins)",
		credential, c.PausedUntil.UTC().Format(time.RFC3339), strings.Join(c.PausedBy, ", "), device)
}

// pausedCredential returns the record of credential when it is paused,
// nil when it is not (or pausing is off).
func (g *loginGuard) pausedCredential(ctx context.Context, kv jetstream.KeyValue, credential string) (*credentialRecord, error) {
	if g.policy.PauseAfter <= 0 {
		return nil, nil
	}
	key, err := proto.CredentialKey(g.site, credential)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	var rec credentialRecord
	if _, err := readJSON(ctx, kv, key, &rec); err != nil {
		return nil, err
	}
	g.metrics.paused.set(g.site, credential, rec.PausedUntil)
	if !rec.paused(g.now()) {
		return nil, nil
	}
	return &rec, nil
}

// record notes what a probe of d learnt of its credential: a refusal
// (AUTH_FAILED from the device, the login or its enable secret), or a
// login let in, which clears the refusals; and likewise of its jump
// host's credential, whose refusal by the jump host is not the device's
// credential's (the device saw no login). The worker whose refusal pauses
// a credential, and only it, logs the pause.
func (g *loginGuard) record(ctx context.Context, kv jetstream.KeyValue, d Device, r DeviceResult) error {
	if r.JumpRefused || r.JumpLoggedIn {
		// Each device behind the jump host counts as one refusal, as
		// each is one failed login on the jump host.
		if err := g.recordLogin(ctx, kv, d.Jump.Credential, jumpRefuser(d), r.JumpRefused); err != nil {
			return err
		}
	}
	if r.JumpRefused {
		return nil
	}
	refused := r.Failure == FailureAuth
	if !refused && !r.LoggedIn {
		return nil
	}
	return g.recordLogin(ctx, kv, d.Credential, d.Name, refused)
}

// recordLogin notes that device refused credential, or let it in.
func (g *loginGuard) recordLogin(ctx context.Context, kv jetstream.KeyValue, credential, device string, refused bool) error {
	if g.policy.PauseAfter <= 0 {
		return nil
	}
	key, err := proto.CredentialKey(g.site, credential)
	if err != nil {
		return err
	}
	now := g.now()
	var flipped bool
	var rec credentialRecord
	_, err = updateJSON(ctx, kv, key, func(c *credentialRecord) (bool, error) {
		if refused {
			flipped = c.refuse(device, now, g.policy)
			rec = *c
			return true, nil
		}
		flipped, rec = false, *c
		return c.accept(), nil
	})
	if err != nil {
		return err
	}
	g.metrics.paused.set(g.site, credential, rec.PausedUntil)
	if flipped {
		g.log.Error("credential paused: several devices refused it; no worker of the site logs in with it until the pause ends",
			"credential", credential, "devices", rec.PausedBy, "until", rec.PausedUntil,
			"pause_after", g.policy.PauseAfter, "within", g.policy.Within)
	}
	return nil
}
