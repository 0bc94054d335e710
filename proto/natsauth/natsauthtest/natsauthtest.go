// Package natsauthtest runs linkwatch's shipped nats-server configurations
// (deploy/nats) for tests: each server starts from its file through
// nats-server's own parser, as `nats-server -c FILE` would, on loopback
// ports, with a fresh key for every role read from the environment as the
// files say; a site's leaf node dials the hub through a Link the test can
// cut and restore. Only tests import it.
package natsauthtest

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/natsauth"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// The deployment of deploy/nats/hub.conf and deploy/nats/leaf-site-b.conf:
// the hub serves JetStream in domain Domain; the workers of HubSite
// connect to the hub, those of LeafSite to the site's leaf node.
const (
	Domain   = "hub"
	HubSite  = "site-a"
	LeafSite = "site-b"
)

// Start starts a nats-server from the configuration file path, with its
// listeners moved to free loopback ports and its JetStream store (if any)
// to a temporary directory; adjust, when not nil, changes the parsed
// options before the server starts. The server is shut down when the test
// ends.
func Start(t testing.TB, path string, adjust func(*server.Options)) *server.Server {
	t.Helper()
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	opts.Host, opts.Port, opts.NoSigs, opts.NoLog = "127.0.0.1", -1, true, true
	if opts.LeafNode.Port != 0 {
		opts.LeafNode.Host, opts.LeafNode.Port = "127.0.0.1", -1
	}
	if opts.JetStream {
		opts.StoreDir = t.TempDir()
	}
	if adjust != nil {
		adjust(opts)
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatalf("%s: not ready for connections after 10s", path)
	}
	return ns
}

// SetKeys makes a key for each role in keys (a directory of the test's)
// and sets the environment variable of its public key (natsauth.EnvVar)
// for the test.
func SetKeys(t testing.TB, keys natsauth.Keys, roles []proto.Role) {
	t.Helper()
	if err := keys.Ensure(roles); err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		pub, err := keys.PublicKey(r)
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv(natsauth.EnvVar(r), pub)
	}
}

// Connect connects to url as role, with its seed from keys and replies on
// its own inbox prefix, as linkwatch's services do; opts come after. The
// connection is closed when the test ends.
func Connect(t testing.TB, url string, keys natsauth.Keys, role proto.Role, opts ...nats.Option) *nats.Conn {
	t.Helper()
	auth, err := nats.NkeyOptionFromSeed(keys.SeedFile(role))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url, append([]nats.Option{auth, nats.CustomInboxPrefix(role.InboxPrefix())}, opts...)...)
	if err != nil {
		t.Fatalf("connect to %s as %s: %v", url, role, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// Sites is the hub of deploy/nats/hub.conf running, with a key for every
// role: the clients' of both sites and LeafSite's leaf node.
type Sites struct {
	Keys natsauth.Keys
	Hub  *server.Server
	// LeafAddr is the hub's leafnode port, host:port.
	LeafAddr string
	// Link carries the leaf node's connection to LeafAddr.
	Link *Link
	dir  string
}

// StartHub starts the hub from dir/hub.conf (dir is deploy/nats) with a
// fresh key for every role.
func StartHub(t testing.TB, dir string) *Sites {
	t.Helper()
	roles, err := proto.Roles([]string{HubSite, LeafSite})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := proto.LeafRole(LeafSite)
	if err != nil {
		t.Fatal(err)
	}
	s := &Sites{Keys: natsauth.Keys{Dir: filepath.Join(t.TempDir(), "keys")}, dir: dir}
	SetKeys(t, s.Keys, append(roles, leaf))
	var opts *server.Options
	s.Hub = Start(t, filepath.Join(dir, "hub.conf"), func(o *server.Options) { opts = o })
	// The server wrote the port it listens on for leaf nodes back into
	// its options as it started.
	s.LeafAddr = fmt.Sprintf("127.0.0.1:%d", opts.LeafNode.Port)
	s.Link = NewLink(t, s.LeafAddr)
	return s
}

// StartLeaf starts LeafSite's leaf node from dir/leaf-site-b.conf, with its
// seed and the hub's URL (the Link's end) in the environment, and waits
// until the hub has it. adjust is as for Start.
func (s *Sites) StartLeaf(t testing.TB, adjust func(*server.Options)) *server.Server {
	t.Helper()
	role, err := proto.LeafRole(LeafSite)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := s.Keys.Seed(role)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(natsauth.SeedEnvVar(role), string(seed))
	t.Setenv(natsauth.HubURLEnv, "nats-leaf://"+s.Link.Addr())
	before := s.Hub.NumLeafNodes()
	ns := Start(t, filepath.Join(s.dir, "leaf-"+LeafSite+".conf"), adjust)
	s.WaitLeaves(t, before+1)
	return ns
}

// WaitLeaves waits until the hub has n leaf node connections.
func (s *Sites) WaitLeaves(t testing.TB, n int) {
	t.Helper()
	waittest.For(t, 10*time.Second, func() error {
		if got := s.Hub.NumLeafNodes(); got != n {
			return fmt.Errorf("the hub has %d leaf node connections, want %d", got, n)
		}
		return nil
	})
}
