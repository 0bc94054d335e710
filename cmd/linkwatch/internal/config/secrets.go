package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/linkwatch/linkwatch/proto/secretfile"
)

// Credential returns the username and password of the named credential,
// reading the password from its environment variable or file now. Errors
// name the credential and where the password was looked for, never a
// password.
func (c *Config) Credential(name string) (username, password string, err error) {
	cred, ok := c.Credentials[name]
	if !ok {
		return "", "", fmt.Errorf("credential %q is not defined", name)
	}
	password, err = readSecret(cred.PasswordEnv, cred.PasswordFile)
	if err != nil {
		return "", "", fmt.Errorf("credential %q: %w", name, err)
	}
	return cred.Username, password, nil
}

// EnableSecret says whether the named credential enters privileged mode
// (enable) and with which secret, read now ("" for enable without one).
func (c *Config) EnableSecret(name string) (enable bool, secret string, err error) {
	cred, ok := c.Credentials[name]
	if !ok {
		return false, "", fmt.Errorf("credential %q is not defined", name)
	}
	if cred.EnablePasswordEnv == "" && cred.EnablePasswordFile == "" {
		return cred.Enable, "", nil
	}
	secret, err = readSecret(cred.EnablePasswordEnv, cred.EnablePasswordFile)
	if err != nil {
		return false, "", fmt.Errorf("credential %q: enable secret: %w", name, err)
	}
	// The secret is typed into the CLI: a control character (a second
	// newline in the file) would type more than the secret.
	if strings.ContainsFunc(secret, unicode.IsControl) {
		return false, "", fmt.Errorf("credential %q: enable secret holds a control character (a line break?)", name)
	}
	return true, secret, nil
}

// SMTPPassword returns the SMTP password, read now from its environment
// variable or file. It is "" with no error when no SMTP relay or no SMTP
// username is configured.
func (c *Config) SMTPPassword() (string, error) {
	s := c.Notify.SMTP
	if s == nil || s.Username == "" {
		return "", nil
	}
	password, err := readSecret(s.PasswordEnv, s.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("smtp password: %w", err)
	}
	return password, nil
}

// NATSPassword returns the NATS password, read now from its environment
// variable or file. It is "" with no error when nats.user is not set.
func (c *Config) NATSPassword() (string, error) {
	n := c.NATS
	if n.User == "" {
		return "", nil
	}
	password, err := readSecret(n.PasswordEnv, n.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("nats password: %w", err)
	}
	return password, nil
}

// RedisPassword returns the Redis password, read now from its environment
// variable or file. It is "" with no error when neither is configured.
func (c *Config) RedisPassword() (string, error) {
	s := c.State
	if s.PasswordEnv == "" && s.PasswordFile == "" {
		return "", nil
	}
	password, err := readSecret(s.PasswordEnv, s.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("redis password: %w", err)
	}
	return password, nil
}

// readSecret reads a password from the environment variable env or, when
// env is "", from file, less one trailing newline. The file must be
// private to its owner (see secretfile.Check).
func readSecret(env, file string) (string, error) {
	switch {
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", env)
		}
		return v, nil
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			// The path error names the file and the cause, not the content.
			return "", fmt.Errorf("read password file: %w", err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return "", fmt.Errorf("read password file: %w", err)
		}
		if err := secretfile.CheckInfo(file, fi); err != nil {
			return "", fmt.Errorf("password file %w", err)
		}
		data, err := io.ReadAll(f)
		if err != nil {
			return "", fmt.Errorf("read password file: %w", err)
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
		if v == "" {
			return "", fmt.Errorf("password file %s is empty", file)
		}
		return v, nil
	default:
		return "", errors.New("no password_env or password_file")
	}
}
