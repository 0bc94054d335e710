package app

import (
	"fmt"
	"path/filepath"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/natsauth"
)

// BusKeys is where the nkey seed of every role lives: data_dir/auth,
// created by `linkwatch run` at its first start (directory 0700, seeds
// 0600). status, history and workers on the same machine log in with
// them; a remote site's workers get theirs with `linkwatch creds export`.
func BusKeys(cfg *config.Config) natsauth.Keys {
	return natsauth.Keys{Dir: filepath.Join(cfg.DataDir, "auth")}
}

// BusRoles are the roles of a deployment of cfg: one worker role per site.
func BusRoles(cfg *config.Config) ([]proto.Role, error) {
	return proto.Roles(cfg.Sites())
}

// BusUsers makes sure every role of cfg has a key and returns the users a
// server admits.
func BusUsers(cfg *config.Config) ([]natsauth.User, error) {
	roles, err := BusRoles(cfg)
	if err != nil {
		return nil, err
	}
	keys := BusKeys(cfg)
	if err := keys.Ensure(roles); err != nil {
		return nil, fmt.Errorf("nats keys: %w", err)
	}
	return keys.Users(roles)
}

// LeafRole is the role of the leaf node of site, one of cfg's sites.
func LeafRole(cfg *config.Config, site string) (proto.Role, error) {
	if err := cfg.CheckSite(site); err != nil {
		return "", fmt.Errorf("site %w", err)
	}
	return proto.LeafRole(site)
}

// LeafUsers makes sure the leaf node of each of sites (remote sites of
// cfg that join a hub through one) has a key and returns the users a hub
// admits for them.
func LeafUsers(cfg *config.Config, sites []string) ([]natsauth.User, error) {
	roles := make([]proto.Role, 0, len(sites))
	for _, site := range sites {
		r, err := LeafRole(cfg, site)
		if err != nil {
			return nil, err
		}
		roles = append(roles, r)
	}
	keys := BusKeys(cfg)
	if err := keys.Ensure(roles); err != nil {
		return nil, fmt.Errorf("nats keys: %w", err)
	}
	return keys.Users(roles)
}
