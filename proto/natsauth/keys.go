// Package natsauth holds what authenticates linkwatch's clients to NATS:
// one nkey per role (proto.Role), kept as seed files in a directory only
// its owner can read, and the nats-server configurations that admit each
// role's public key with only that role's permissions: one server, or a
// hub whose remote sites join through leaf nodes, and each site's leaf
// node. A server never holds a secret: it knows public keys; each client
// signs the server's challenge with its seed.
package natsauth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nats-io/nkeys"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/secretfile"
)

// Keys is a directory of role seeds, one file <role>.nk each, mode 0600 in
// a directory of mode 0700.
type Keys struct{ Dir string }

// SeedFile is the path of role's seed.
func (k Keys) SeedFile(role proto.Role) string {
	return filepath.Join(k.Dir, string(role)+".nk")
}

// Ensure creates a seed for every role that has none, and checks that the
// directory and the seeds already there are private.
func (k Keys) Ensure(roles []proto.Role) error {
	if err := os.MkdirAll(k.Dir, 0o700); err != nil {
		return fmt.Errorf("create nats key directory: %w", err)
	}
	if err := secretfile.Check(k.Dir); err != nil {
		return err
	}
	for _, r := range roles {
		if _, err := k.Seed(r); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := k.create(r); err != nil {
			return err
		}
	}
	return nil
}

// create writes a new seed for role; an existing file is never replaced.
func (k Keys) create(role proto.Role) error {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return fmt.Errorf("create nkey for %s: %w", role, err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return fmt.Errorf("create nkey for %s: %w", role, err)
	}
	if err := secretfile.Create(k.SeedFile(role), append(seed, '\n')); err != nil {
		return fmt.Errorf("write nkey for %s: %w", role, err)
	}
	return nil
}

// Seed reads role's seed, refusing a file that others may read. The error
// names the file, never its content.
func (k Keys) Seed(role proto.Role) ([]byte, error) {
	if _, err := proto.ParseRole(string(role)); err != nil {
		return nil, err
	}
	path := k.SeedFile(role)
	if err := secretfile.Check(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read nkey of %s: %w", role, err)
	}
	kp, err := nkeys.ParseDecoratedNKey(data)
	if err != nil {
		return nil, fmt.Errorf("nkey file %s does not hold a user seed", path)
	}
	seed, err := kp.Seed()
	if err != nil || !nkeys.IsValidPublicUserKey(mustPublic(kp)) {
		return nil, fmt.Errorf("nkey file %s does not hold a user seed", path)
	}
	return seed, nil
}

// PublicKey is role's public nkey (U…), what a server is told.
func (k Keys) PublicKey(role proto.Role) (string, error) {
	seed, err := k.Seed(role)
	if err != nil {
		return "", err
	}
	kp, err := nkeys.FromSeed(seed)
	if err != nil {
		return "", fmt.Errorf("nkey of %s: %w", role, err)
	}
	return kp.PublicKey()
}

func mustPublic(kp nkeys.KeyPair) string {
	pub, err := kp.PublicKey()
	if err != nil {
		return ""
	}
	return pub
}
