package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/secretfile"
)

// pinRecord is a Pin as stored: the key in authorized_keys form.
type pinRecord struct {
	Key      string    `json:"key"`
	Address  string    `json:"address"`
	PinnedAt time.Time `json:"pinned_at"`
	Worker   string    `json:"worker"`
}

// maxPinSize bounds a stored pin: an RSA-16384 key in base64 is ~3 KiB.
const maxPinSize = 16 << 10

// MarshalPin encodes a pin for storage.
func MarshalPin(p Pin) ([]byte, error) {
	if p.Key == nil {
		return nil, errors.New("pin without a key")
	}
	return json.Marshal(pinRecord{Key: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(p.Key))),
		Address: p.Address, PinnedAt: p.PinnedAt, Worker: p.Worker})
}

// ParsePin decodes a stored pin. Anything else than one well-formed key is
// an error: a pin that cannot be read is never taken for "no pin".
func ParsePin(data []byte) (*Pin, error) {
	if len(data) > maxPinSize {
		return nil, fmt.Errorf("pin of %d bytes (at most %d)", len(data), maxPinSize)
	}
	var r pinRecord
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode pin: %w", err)
	}
	key, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(r.Key))
	if err != nil {
		return nil, fmt.Errorf("pin's key: %w", err)
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return nil, errors.New("pin's key: more than one key")
	}
	return &Pin{Key: key, Address: CleanText(r.Address, 256), PinnedAt: r.PinnedAt, Worker: CleanText(r.Worker, 256)}, nil
}

// KVPins keeps pins in the JetStream key-value bucket proto.HostKeyBucket
// under proto.HostKeyKey(site, device), shared by all workers of a site
// (each may touch only its own site's keys). The scheduler creates the
// bucket; KVPins binds to it on first use.
type KVPins struct {
	js jetstream.JetStream

	mu sync.Mutex
	kv jetstream.KeyValue
}

// NewKVPins returns the pins of the bucket in js.
func NewKVPins(js jetstream.JetStream) *KVPins { return &KVPins{js: js} }

func (k *KVPins) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.kv != nil {
		return k.kv, nil
	}
	kv, err := k.js.KeyValue(ctx, proto.HostKeyBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("bucket %s does not exist yet: the scheduler creates it when it starts", proto.HostKeyBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", proto.HostKeyBucket, err)
	}
	k.kv = kv
	return kv, nil
}

// Pinned returns the device's pin, nil when it has none.
func (k *KVPins) Pinned(ctx context.Context, site, device string) (*Pin, error) {
	key, err := proto.HostKeyKey(site, device)
	if err != nil {
		return nil, err
	}
	kv, err := k.bucket(ctx)
	if err != nil {
		return nil, err
	}
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	p, err := ParsePin(e.Value())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return p, nil
}

// Pin pins p unless the device has a pin, and returns the pin in force.
func (k *KVPins) Pin(ctx context.Context, site, device string, p Pin) (*Pin, error) {
	key, err := proto.HostKeyKey(site, device)
	if err != nil {
		return nil, err
	}
	data, err := MarshalPin(p)
	if err != nil {
		return nil, err
	}
	kv, err := k.bucket(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := kv.Create(ctx, key, data); errors.Is(err, jetstream.ErrKeyExists) {
		// Another worker pinned first; or a pin was forgotten meanwhile,
		// and the next contact pins again.
		won, err := k.Pinned(ctx, site, device)
		if err == nil && won == nil {
			err = fmt.Errorf("%s was pinned and forgotten meanwhile: try again", key)
		}
		return won, err
	} else if err != nil {
		return nil, fmt.Errorf("create %s: %w", key, err)
	}
	return &p, nil
}

// ForgetHint is the command that forgets a pin of the bus.
func (k *KVPins) ForgetHint(site, device string) string {
	return "run: linkwatch hostkeys forget " + site + " " + device
}

// Forget removes the device's pin, so that the next contact pins the key
// the device then presents. It reports whether there was one.
func (k *KVPins) Forget(ctx context.Context, site, device string) (bool, error) {
	p, err := k.Pinned(ctx, site, device)
	if err != nil || p == nil {
		return false, err
	}
	// A purge of the key's subject, not a KV delete (a put of a marker):
	// the CLI may remove pins but not write them.
	key, _ := proto.HostKeyKey(site, device)
	stream, err := k.js.Stream(ctx, "KV_"+proto.HostKeyBucket)
	if err != nil {
		return false, fmt.Errorf("forget %s: %w", key, err)
	}
	if err := stream.Purge(ctx, jetstream.WithPurgeSubject("$KV."+proto.HostKeyBucket+"."+key)); err != nil {
		return false, fmt.Errorf("forget %s: %w", key, err)
	}
	return true, nil
}

// FilePins keeps pins in a JSON file private to its owner: `linkwatch
// check`'s, which runs without the bus. Concurrent probes of one process
// share it; it is rewritten whole (write and rename) on each new pin.
type FilePins struct {
	Path string

	mu sync.Mutex
}

func (f *FilePins) load() (map[string]json.RawMessage, error) {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]json.RawMessage{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read host key pins: %w", err)
	}
	if err := secretfile.Check(f.Path); err != nil {
		return nil, fmt.Errorf("host key pins: %w", err)
	}
	pins := map[string]json.RawMessage{}
	if err := json.Unmarshal(data, &pins); err != nil {
		return nil, fmt.Errorf("read host key pins %s: %w", f.Path, err)
	}
	return pins, nil
}

// ForgetHint says which entry of the file to remove.
func (f *FilePins) ForgetHint(site, device string) string {
	key, _ := proto.HostKeyKey(site, device)
	return fmt.Sprintf("remove %q from %s", key, f.Path)
}

// Pinned returns the device's pin, nil when it has none.
func (f *FilePins) Pinned(_ context.Context, site, device string) (*Pin, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pinned(site, device)
}

func (f *FilePins) pinned(site, device string) (*Pin, error) {
	key, err := proto.HostKeyKey(site, device)
	if err != nil {
		return nil, err
	}
	pins, err := f.load()
	if err != nil {
		return nil, err
	}
	raw, ok := pins[key]
	if !ok {
		return nil, nil
	}
	p, err := ParsePin(raw)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", key, f.Path, err)
	}
	return p, nil
}

// Pin pins p unless the device has a pin, and returns the pin in force.
func (f *FilePins) Pin(_ context.Context, site, device string, p Pin) (*Pin, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, err := f.pinned(site, device); err != nil || old != nil {
		return old, err
	}
	key, _ := proto.HostKeyKey(site, device)
	pins, err := f.load()
	if err != nil {
		return nil, err
	}
	data, err := MarshalPin(p)
	if err != nil {
		return nil, err
	}
	pins[key] = data
	out, err := json.MarshalIndent(pins, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return nil, fmt.Errorf("write host key pins: %w", err)
	}
	tmp := f.Path + ".tmp"
	if err := os.WriteFile(tmp, append(out, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("write host key pins: %w", err)
	}
	if err := os.Rename(tmp, f.Path); err != nil {
		return nil, fmt.Errorf("write host key pins: %w", err)
	}
	return &p, nil
}
