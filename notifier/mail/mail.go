// Package mail delivers the notifier's emails: Sender speaks SMTP through
// go-mail (STARTTLS, implicit TLS or a plain local relay, with AUTH) and
// tells permanent failures from temporary ones; Writer prints emails as
// text when no SMTP server is configured.
package mail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/notifier/mailer"
)

// TLS modes of Config.TLS, listed by TLSModes. This is their one
// definition: the configuration file takes the same names.
const (
	TLSStartTLS = "starttls" // upgrade with STARTTLS, refuse a server without it
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // cleartext, for a local relay
)

// DefaultTimeout bounds each SMTP command when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// defaultPorts is the port of each TLS mode when Config.Port is zero.
var defaultPorts = map[string]int{TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25}

// TLSModes lists the TLS modes: starttls (the default), tls and none.
func TLSModes() []string { return []string{TLSStartTLS, TLSImplicit, TLSNone} }

// DefaultPort is the SMTP port of a TLS mode: 587 for starttls, 465 for
// tls, 25 for none; ok is false for anything that is not one of TLSModes.
func DefaultPort(mode string) (port int, ok bool) {
	port, ok = defaultPorts[mode]
	return port, ok
}

// Config says how to reach the SMTP server.
type Config struct {
	Host string
	Port int    // 0: 587, 465 or 25 by TLS mode
	TLS  string // TLSStartTLS (default when ""), TLSImplicit or TLSNone
	// Username enables SMTP AUTH (PLAIN or LOGIN, whichever the server
	// offers). AUTH happens only over TLS, or in TLSNone mode to a
	// loopback relay.
	Username, Password string
	Timeout            time.Duration // per SMTP command; 0: DefaultTimeout
	// TLSConfig verifies the server; nil means the system roots. An empty
	// ServerName is set to Host.
	TLSConfig *tls.Config
	HELO      string // name sent in EHLO; "": this machine's host name
}

// String describes c without its password, so printing a Config with
// %v cannot leak it.
func (c Config) String() string {
	return fmt.Sprintf("smtp %s tls=%s user=%q", net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), c.TLS, c.Username)
}

// LogValue keeps the password out of structured logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", c.Host), slog.Int("port", c.Port), slog.String("tls", c.TLS),
		slog.String("username", c.Username))
}

// withDefaults fills the zero fields of c and checks the rest; every
// error names its field.
func (c Config) withDefaults() (Config, error) {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Port == 0 {
		c.Port = defaultPorts[c.TLS]
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("smtp %s: "+format, append([]any{field}, args...)...))
	}
	switch {
	case c.Host == "":
		bad("host", "is required")
	case strings.ContainsAny(c.Host, " \t\r\n/"):
		bad("host", "%q is not a host name or IP address", c.Host)
	}
	if _, ok := defaultPorts[c.TLS]; !ok {
		bad("tls", "%q is not one of %s", c.TLS, strings.Join(TLSModes(), ", "))
	}
	if c.Port < 0 || c.Port > 65535 { // 0 is left only by an unknown tls mode
		bad("port", "%d is out of range 1-65535", c.Port)
	}
	if c.Timeout < 0 {
		bad("timeout", "%v is negative", c.Timeout)
	}
	if strings.ContainsAny(c.HELO, " \t\r\n") {
		bad("helo", "%q contains white space", c.HELO)
	}
	if c.Password != "" && c.Username == "" {
		bad("password", "is set but username is empty")
	}
	if c.Username != "" && c.TLS == TLSNone && !IsLoopback(c.Host) {
		bad("username", "AUTH without TLS (tls: %s) is allowed only to a loopback relay, not %q", TLSNone, c.Host)
	}
	return c, errors.Join(errs...)
}

// IsLoopback reports whether host names this machine without a DNS lookup.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tlsConfig is the client TLS configuration for c.
func (c Config) tlsConfig() *tls.Config {
	t := &tls.Config{}
	if c.TLSConfig != nil {
		t = c.TLSConfig.Clone()
	}
	if t.ServerName == "" {
		t.ServerName = c.Host
	}
	if t.MinVersion == 0 {
		t.MinVersion = tls.VersionTLS12
	}
	return t
}

var (
	_ mailer.Sender = (*Sender)(nil)
	_ mailer.Sender = (*Writer)(nil)
)
