package worker

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// A jump host's credential is rationed like a device's (loginGuard): a
// device is not logged into while its own credential or its jump host's
// is paused, and a jump host refusing its credential counts against that
// credential, never against the device's, which the device never saw.

// jumpRefuser names, in a credential's record, one failed login on d's
// jump host: one per device behind it, as each probe is one login.
func jumpRefuser(d Device) string {
	return fmt.Sprintf("jump host %s (for %s)", d.Jump.Name, d.Name)
}

// pausedLogin returns the credential of d's that is paused, its own or
// its jump host's, and its record; a nil record when neither is. The
// credential named with an error is the one that could not be read.
func (g *loginGuard) pausedLogin(ctx context.Context, kv jetstream.KeyValue, d Device) (string, *credentialRecord, error) {
	creds := []string{d.Credential}
	if d.Jump.Set() {
		creds = append(creds, d.Jump.Credential)
	}
	for _, cred := range creds {
		if rec, err := g.pausedCredential(ctx, kv, cred); err != nil || rec != nil {
			return cred, rec, err
		}
	}
	return d.Credential, nil, nil
}
