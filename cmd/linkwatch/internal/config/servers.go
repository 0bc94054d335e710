package config

import (
	"net/url"
	"strings"

	"github.com/linkwatch/linkwatch/notifier/mail"
	"github.com/linkwatch/linkwatch/proto"
)

// setting is one key of a section and its value, to report keys in file
// order.
type setting struct{ key, value string }

// firstGiven returns the first setting with a value, or "".
func firstGiven(settings ...setting) string {
	for _, s := range settings {
		if s.value != "" {
			return s.key
		}
	}
	return ""
}

// natsAuth checks how to log in to NATS and the TLS files of the nats
// section.
func (v *validator) natsAuth() {
	n := v.cfg.NATS
	var ways []string
	if n.User != "" || n.PasswordEnv != "" || n.PasswordFile != "" {
		ways = append(ways, "user")
		v.secretRef("nats", "user", n.User, n.PasswordEnv, n.PasswordFile, userWithPassword)
	}
	if n.NkeySeedFile != "" {
		ways = append(ways, "nkey_seed_file")
	}
	if n.CredsFile != "" {
		ways = append(ways, "creds_file")
	}
	if len(ways) > 0 && natsURLHasUser(n.URL) {
		// Not echoed: the URL holds a password or token.
		v.errorf("nats.url", "has a user, password or token too: give them either in the URL or in the nats section")
	}
	if len(ways) > 1 {
		v.errorf("nats", "give only one way to log in (user with password_env or password_file, nkey_seed_file, or creds_file), not %s",
			strings.Join(ways, " and "))
	}
	switch {
	case n.CertFile != "" && n.KeyFile == "":
		v.errorf("nats.key_file", "is required with cert_file")
	case n.KeyFile != "" && n.CertFile == "":
		v.errorf("nats.cert_file", "is required with key_file")
	}
	v.privateFile("nats.nkey_seed_file", n.NkeySeedFile)
	v.privateFile("nats.creds_file", n.CredsFile)
	v.privateFile("nats.key_file", n.KeyFile)
	if n.JetStreamDomain != "" {
		v.check("nats.jetstream_domain", proto.ValidName(n.JetStreamDomain))
	}
	if n.URL != "" {
		v.clearTextNATS()
		return
	}
	// The embedded server of `linkwatch run` admits only the nkeys it made
	// (a worker or the CLI joining it on nats.listen may give one, from
	// linkwatch creds export); it serves no TLS.
	if key := firstGiven(setting{"user", n.User}, setting{"creds_file", n.CredsFile}); key != "" {
		v.errorf(join("nats", key), "needs nats.url: the embedded server of linkwatch run admits only its own nkeys "+
			"(give nats.nkey_seed_file a key from linkwatch creds export)")
	}
	if key := firstGiven(setting{"ca_file", n.CAFile}, setting{"cert_file", n.CertFile}, setting{"key_file", n.KeyFile}); key != "" {
		v.errorf(join("nats", key), "needs nats.url: the embedded server does not serve TLS")
	}
	if n.JetStreamDomain != "" {
		v.errorf("nats.jetstream_domain", "needs nats.url: the embedded server of linkwatch run has no JetStream domain "+
			"(a domain is the hub's, reached through a leaf node)")
	}
}

// clearTextNATS refuses a NATS password that would cross the network in
// clear: a user and password (in the section or the URL) to a host that is
// not loopback, over a URL that does not say tls:// or wss:// and with no
// TLS file that would make the client insist on TLS. nkeys and creds files
// prove their key without sending it.
func (v *validator) clearTextNATS() {
	n := v.cfg.NATS
	password := n.User != "" || natsURLHasUser(n.URL)
	if !password || n.CAFile != "" || n.CertFile != "" {
		return
	}
	for _, part := range NATSURLs(n.URL) {
		u, err := url.Parse(part)
		if err != nil || u.Scheme == "tls" || u.Scheme == "wss" || mail.IsLoopback(u.Hostname()) {
			continue
		}
		// Not echoed: the URL may hold the password.
		v.errorf("nats.url", "a NATS password would cross the network in clear to a host that is not loopback: "+
			"use tls:// (or give nats.ca_file), or log in with nats.nkey_seed_file")
		return
	}
}

// state checks the login and TLS settings of the state section.
func (v *validator) state() {
	s := v.cfg.State
	login := s.Username != "" || s.PasswordEnv != "" || s.PasswordFile != ""
	if s.RedisURL == "" {
		key := firstGiven(setting{"username", s.Username}, setting{"password_env", s.PasswordEnv},
			setting{"password_file", s.PasswordFile}, setting{"ca_file", s.CAFile})
		if key != "" {
			v.errorf(join("state", key), "needs state.redis_url: the embedded store has no login or TLS")
		}
		return
	}
	u, err := url.Parse(s.RedisURL)
	if err != nil || !validRedisURL(s.RedisURL) {
		return // reported with the other servers
	}
	if login {
		v.secretRef("state", "username", s.Username, s.PasswordEnv, s.PasswordFile, userOptional)
		if u.User != nil {
			// Not echoed: the URL holds a password.
			v.errorf("state.redis_url", "has a user or password too: give them either in the URL or in state.username and password_env or password_file")
		}
	}
	if u.Query().Has("skip_verify") {
		v.errorf("state.redis_url", "skip_verify would turn TLS certificate verification off, which is not allowed: give state.ca_file to trust a private CA")
	}
	if s.CAFile != "" && u.Scheme != "rediss" {
		v.errorf("state.ca_file", "needs a rediss:// redis_url (Redis over TLS)")
	}
	if _, hasPassword := u.User.Password(); (hasPassword || s.PasswordEnv != "" || s.PasswordFile != "") &&
		u.Scheme != "rediss" && !mail.IsLoopback(u.Hostname()) {
		// Not echoed: the URL may hold the password.
		v.errorf("state.redis_url", "the Redis password would cross the network in clear to a host that is not loopback: use rediss://")
	}
}

// NATSURLs splits a NATS URL list as nats.go does (URLs separated by
// commas), each URL with the nats:// that nats.go gives one without a
// scheme.
func NATSURLs(list string) []string {
	parts := strings.Split(list, ",")
	for i, part := range parts {
		part = strings.TrimSpace(part)
		if !strings.Contains(part, "://") {
			part = "nats://" + part
		}
		parts[i] = part
	}
	return parts
}

// natsURLHasUser reports whether a URL of a NATS URL list has user
// information (a user and password, or a token).
func natsURLHasUser(list string) bool {
	for _, part := range NATSURLs(list) {
		if u, err := url.Parse(part); err == nil && u.User != nil {
			return true
		}
	}
	return false
}
