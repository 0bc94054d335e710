package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"

	"golang.org/x/crypto/ssh"
)

// hostKeyFamilies are the kinds of host key a device may have, each with
// the signature algorithms that make it present that kind.
var hostKeyFamilies = [][]string{
	{ssh.KeyAlgoED25519},
	{ssh.KeyAlgoECDSA256},
	{ssh.KeyAlgoECDSA384},
	{ssh.KeyAlgoECDSA521},
	{ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSA},
}

// errScanned ends a scan's handshake once the key is in hand: no
// authentication is ever attempted.
var errScanned = errors.New("host key read")

// ScanHostKeys collects the host keys d presents, one handshake per kind
// of key, each bounded by ConnectTimeout and ended as soon as the key is
// known: before authentication, so no password is sent to the device and
// no login is counted. The device's SSH algorithm settings apply, so old
// devices can be scanned. A device that has no key of a kind simply fails
// that handshake; the error is the connection's when no handshake got a
// key.
//
// A device behind a jump host is scanned through it: the jump host's key
// is checked by the HostKeys policy, as in a probe, and the jump host is
// logged in to once, with its own credential, for all the handshakes.
func (p *Prober) ScanHostKeys(ctx context.Context, d Device) ([]ssh.PublicKey, error) {
	hop, err := p.jumpHop(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("scan %s:%d: %w", d.Host, d.Port, err)
	}
	defer hop.close()
	var keys []ssh.PublicKey
	var firstErr error
	for _, family := range hostKeyFamilies {
		var got ssh.PublicKey
		record := func(_ string, _ net.Addr, key ssh.PublicKey) error {
			got = key
			return errScanned
		}
		t := newSSHTransport(ctx, d, record, nil, p.connectTimeout(), 0)
		t.jump = hop
		t.cfg.Auth = nil
		t.cfg.HostKeyAlgorithms = family
		_, err := t.connect()
		t.Close()
		if got != nil {
			if !slices.ContainsFunc(keys, func(k ssh.PublicKey) bool { return string(k.Marshal()) == string(got.Marshal()) }) {
				keys = append(keys, got)
			}
			continue
		}
		if ctx.Err() != nil {
			return keys, ctx.Err()
		}
		if _, jump := asJumpError(err); jump || errors.As(err, new(*dialError)) {
			return nil, fmt.Errorf("scan %s: %w", t.addr, err) // unreachable: no other kind will do better
		}
		if firstErr == nil && !errors.As(err, new(*ssh.AlgorithmNegotiationError)) {
			firstErr = err
		}
	}
	if len(keys) == 0 {
		if firstErr == nil {
			firstErr = errors.New("the device offered no host key of a kind linkwatch knows (set ssh.host_key_algorithms?)")
		}
		return nil, fmt.Errorf("scan %s:%d: %w", d.Host, d.Port, firstErr)
	}
	return keys, nil
}
