package main

import (
	"maps"
	"slices"
	"strings"
)

// deviceSecret is an environment variable that holds a device password
// (a credential's password_env or enable_password_env), and the sites
// whose devices use it.
type deviceSecret struct {
	credential string
	sites      []string
}

// deviceSecrets returns the device passwords the configurations name in
// the environment, by variable.
func (c *composeChecker) deviceSecrets() map[string]*deviceSecret {
	secrets := map[string]*deviceSecret{}
	for _, s := range c.linkwatch {
		if s.cfg == nil {
			continue
		}
		for _, d := range s.cfg.Devices {
			cred := s.cfg.Credentials[d.Credentials]
			for _, env := range []string{cred.PasswordEnv, cred.EnablePasswordEnv} {
				if env == "" {
					continue
				}
				if secrets[env] == nil {
					secrets[env] = &deviceSecret{credential: d.Credentials}
				}
				if !slices.Contains(secrets[env].sites, d.Site) {
					secrets[env].sites = append(secrets[env].sites, d.Site)
				}
			}
		}
	}
	return secrets
}

// secrets checks that the passwords stay on the workers (README, "How it
// works"): a device password is in the environment of the workers of the
// sites whose devices use it, and of no other service.
func (c *composeChecker) secrets() {
	secrets := c.deviceSecrets()
	for _, name := range c.project.ServiceNames() {
		spec := c.project.Services[name]
		site := ""
		if s := c.service(name); s != nil && s.cmd != nil && s.cmd.Name() == "worker" {
			site = flagValue(s.cmd, "site")
		}
		for _, env := range slices.Sorted(maps.Keys(secrets)) {
			sec := secrets[env]
			_, has := spec.Environment[env]
			needs := site != "" && slices.Contains(sec.sites, site)
			switch {
			case has && !needs:
				c.addf(name, "environment: %s, the password of credential %s, which only the workers of %s read", env, sec.credential, strings.Join(sec.sites, ", "))
			case needs && !has && len(spec.EnvFiles) == 0:
				c.addf(name, "environment: no %s, the password of credential %s of site %s's devices", env, sec.credential, site)
			}
		}
	}
}
