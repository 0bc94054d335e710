package natsauth

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/linkwatch/linkwatch/proto"
)

// A remote site behind a VPN or a firewall runs a leaf node: a small
// nats-server without JetStream that its workers connect to, and that
// dials out to the hub's leafnode port. The streams and buckets live on the
// hub, in its JetStream domain; the workers reach them through the leaf
// node by naming the domain ($JS.<domain>.API.…), which the hub maps to its
// own API. Three things guard the way:
//
//   - on the leaf node, the site's workers log in with their role's key and
//     its permissions in the domain (proto.Role.PermissionsIn);
//   - on the hub, the leaf node logs in with its own key (role leaf-SITE),
//     allowed leaf node connections only, with the same permissions;
//   - and in an account of its own, into which the hub's account exports
//     exactly the subjects the site's workers publish. nats-server lets
//     JetStream acknowledgements ($JS.ACK.…) cross a leaf node connection
//     whatever its permissions, and an acknowledgement with +NXT is a pull
//     request: in the hub's account, a leaf host that is taken over could
//     pull any consumer's messages, another site's jobs or the notifier's
//     results. In its own account, no other consumer is there to reach.

// HubAccount is the account of linkwatch's clients, streams and buckets
// on a hub. Each site's leaf node has an account of its own, named after
// its role.
const HubAccount = "LINKWATCH"

// HubURLEnv is the environment variable that holds the hub's leafnode URL
// in a leaf node configuration written without one.
const HubURLEnv = "LINKWATCH_HUB_URL"

// LeafPort is the port a hub listens on for leaf nodes.
const LeafPort = 7422

// SeedEnvVar names the environment variable that holds role's nkey seed
// where a configuration needs one (a leaf node logging in to the hub):
// LINKWATCH_SEED_LEAF_DC2 for leaf-dc2. A configuration never holds the
// seed itself.
func SeedEnvVar(role proto.Role) string {
	return envName("LINKWATCH_SEED_", role)
}

// hubHeader opens a hub's configuration: JetStream in a domain, and a
// leafnode port.
const hubHeader = `# NATS hub for linkwatch: JetStream in the domain %[1]q for the job and result
# streams and the workers' buckets, one nkey user per role with only the
# subjects that role needs (see proto/roles.go), and a leafnode port where
# the leaf nodes of remote sites dial in. A leaf node logs in as its site's
# leaf-SITE user, which may open leaf node connections only, in an account
# of its own that sees only what that site's workers do; every other user
# may open client connections only. Anything not allowed is denied; a key
# not listed cannot connect.
%[2]s
server_name: linkwatch-hub
listen: 0.0.0.0:4222
jetstream {
  store_dir: /data/jetstream
  domain: %[1]s
}
leafnodes {
  # Leaf nodes dial in here: the only port a remote site needs to reach.
  # They log in as the leaf-SITE users below (no authorization here).
  listen: 0.0.0.0:%[3]d
  # A leaf node reaches the hub at the address it is given (through NAT, a
  # VPN, a load balancer): the hub's own addresses are not handed out.
  no_advertise: true
  # Across networks you do not own, serve a certificate (and point the leaf
  # nodes' remotes at tls://):
  # tls {
  #   cert_file: /etc/nats/tls/server.crt
  #   key_file: /etc/nats/tls/server.key
  # }
}
` + clientTLS

// WriteHubConfig writes the configuration of a hub serving JetStream in
// domain and admitting users: clients of their roles in HubAccount and,
// for a leaf role among them, that site's leaf node in its own account.
// env and how are as for WriteServerConfig.
func WriteHubConfig(w io.Writer, users []User, domain string, env bool, how string) error {
	if err := proto.ValidName(domain); err != nil {
		return fmt.Errorf("hub configuration: jetstream domain %w", err)
	}
	entries, err := userEntries(users, env, domain)
	if err != nil {
		return fmt.Errorf("hub configuration: %w", err)
	}
	var clients, leaves []userEntry
	for _, e := range entries {
		if _, ok := e.role.Leaf(); ok {
			leaves = append(leaves, e)
		} else {
			clients = append(clients, e)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, hubHeader, domain, how, LeafPort)
	fmt.Fprintf(&b, "accounts {\n  %s: {\n    jetstream: enabled\n", HubAccount)
	writeUsers(&b, "    ", clients)
	b.WriteString("    exports = [\n")
	for _, e := range leaves {
		if err := writeLeafExports(&b, e.role); err != nil {
			return fmt.Errorf("hub configuration: %w", err)
		}
	}
	b.WriteString("    ]\n  }\n")
	for _, e := range leaves {
		if err := writeLeafAccount(&b, e); err != nil {
			return fmt.Errorf("hub configuration: %w", err)
		}
	}
	b.WriteString("}\n")
	_, err = io.WriteString(w, b.String())
	return err
}

// leafSubjects are the subjects a leaf role's account imports from
// HubAccount: what its site's workers publish, as the hub's account has
// them (the hub maps the domain's API onto its own).
func leafSubjects(leaf proto.Role) ([]string, error) {
	site, _ := leaf.Leaf()
	worker, err := proto.WorkerRole(site)
	if err != nil {
		return nil, err
	}
	p, err := worker.Permissions()
	return p.Publish, err
}

// pullPrefix starts the subject of a pull request, which is answered with
// a stream of messages (the jobs, status), not one reply.
const pullPrefix = "$JS.API.CONSUMER.MSG.NEXT."

// writeLeafExports writes HubAccount's exports to leaf's account.
func writeLeafExports(b *strings.Builder, leaf proto.Role) error {
	subjects, err := leafSubjects(leaf)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "      # to %s: what the site's workers publish\n", leaf)
	for _, s := range subjects {
		stream := ""
		if strings.HasPrefix(s, pullPrefix) {
			stream = ", response_type: stream"
		}
		fmt.Fprintf(b, "      { service: %q%s, accounts: [%q] }\n", s, stream, string(leaf))
	}
	return nil
}

// writeLeafAccount writes the account of a leaf node's user e: it, and
// the imports of its site's workers' subjects from HubAccount.
func writeLeafAccount(b *strings.Builder, e userEntry) error {
	subjects, err := leafSubjects(e.role)
	if err != nil {
		return err
	}
	site, _ := e.role.Leaf()
	fmt.Fprintf(b, "  # The leaf node of site %s: only what its workers publish, imported from %s.\n  %q: {\n",
		site, HubAccount, string(e.role))
	writeUsers(b, "    ", []userEntry{e})
	b.WriteString("    imports = [\n")
	for _, s := range subjects {
		fmt.Fprintf(b, "      { service: { account: %s, subject: %q } }\n", HubAccount, s)
	}
	b.WriteString("    ]\n  }\n")
	return nil
}

// Leaf is a site's leaf node.
type Leaf struct {
	// Worker is the site's workers' user, whose role names the site.
	Worker User
	// Domain is the hub's JetStream domain.
	Domain string
	// Hub is the hub's leafnode URL, nats-leaf://host:7422 (several
	// separated by commas); empty, the configuration reads HubURLEnv.
	Hub string
}

// leafHeader opens a leaf node's configuration.
const leafHeader = `# NATS leaf node of linkwatch's site %[1]s. The site's workers connect here
# (nats.url, with nats.jetstream_domain: %[2]s), and this server dials out to the
# hub's leafnode port: nothing at the site accepts connections from outside.
# It has no JetStream: the streams and buckets are the hub's, in its domain
# %[2]q. It logs in to the hub with its own key (leaf-%[1]s), which the hub
# allows only the subjects of this site's workers.
%[3]s
server_name: linkwatch-leaf-%[1]s
# The site's workers connect here; 127.0.0.1:4222 when they run on this host.
listen: 0.0.0.0:4222
leafnodes {
  remotes = [
    {
      # The hub's leafnode port, nats-leaf://hub.example.net:%[4]d, or tls://…
      # when the hub serves a certificate (then add tls { ca_file: … }).
      %[5]s
      # This leaf node's nkey seed, a secret: keep it out of this file.
      #   linkwatch creds export --role leaf-%[1]s
      nkey: $%[6]s
    }
  ]
}
`

// WriteLeafConfig writes the configuration of the leaf node of the site of
// leaf.Worker: a server without JetStream that admits the site's workers
// with their permissions in leaf.Domain and dials out to leaf.Hub. Its own
// key's seed is always read from SeedEnvVar of the site's leaf role; env
// and how are as for WriteServerConfig.
func WriteLeafConfig(w io.Writer, leaf Leaf, env bool, how string) error {
	site, ok := leaf.Worker.Role.Site()
	if !ok {
		return fmt.Errorf("leaf configuration: %s is not a site's workers' role", leaf.Worker.Role)
	}
	if err := proto.ValidName(leaf.Domain); err != nil {
		return fmt.Errorf("leaf configuration of site %s: jetstream domain %w", site, err)
	}
	role, err := proto.LeafRole(site)
	if err != nil {
		return fmt.Errorf("leaf configuration: %w", err)
	}
	e := newEntry(leaf.Worker, env)
	if e.perms, err = leaf.Worker.Role.PermissionsIn(leaf.Domain); err != nil {
		return fmt.Errorf("leaf configuration of site %s: %w", site, err)
	}
	e.comment += ", reaching JetStream in domain " + leaf.Domain
	hub := "url: $" + HubURLEnv
	if leaf.Hub != "" {
		urls, err := hubURLs(leaf.Hub)
		if err != nil {
			return fmt.Errorf("leaf configuration of site %s: %w", site, err)
		}
		hub = "urls: " + quoteList(urls)
	}
	var b strings.Builder
	fmt.Fprintf(&b, leafHeader, site, leaf.Domain, how, LeafPort, hub, SeedEnvVar(role))
	b.WriteString("authorization {\n")
	writeUsers(&b, "  ", []userEntry{e})
	b.WriteString("}\n")
	_, err = io.WriteString(w, b.String())
	return err
}

// hubURLs splits a list of the hub's leafnode URLs, each with a scheme
// nats-server dials leaf connections with and a host.
func hubURLs(list string) ([]string, error) {
	var urls []string
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		u, err := url.Parse(part)
		if err != nil || u.Host == "" || u.User != nil ||
			!map[string]bool{"nats-leaf": true, "nats": true, "tls": true, "ws": true, "wss": true}[u.Scheme] {
			return nil, fmt.Errorf("hub URL %q is not a leafnode URL (nats-leaf://host:%d, or tls://, ws://, wss://)", part, LeafPort)
		}
		urls = append(urls, part)
	}
	return urls, nil
}
