package natsauth

import (
	"fmt"
	"io"
	"strings"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/linkwatch/linkwatch/proto"
)

// User is one client a server admits: a role, authenticated by the
// public nkey Nkey, or in a configuration file by an environment variable
// that holds it.
type User struct {
	Role proto.Role
	Nkey string
}

// Users returns a user for each role with its public key from keys.
func (k Keys) Users(roles []proto.Role) ([]User, error) {
	users := make([]User, 0, len(roles))
	for _, r := range roles {
		pub, err := k.PublicKey(r)
		if err != nil {
			return nil, err
		}
		users = append(users, User{Role: r, Nkey: pub})
	}
	return users, nil
}

// NkeyUsers are users as an embedded nats-server takes them.
func NkeyUsers(users []User) ([]*server.NkeyUser, error) {
	out := make([]*server.NkeyUser, 0, len(users))
	for _, u := range users {
		p, err := u.Role.Permissions()
		if err != nil {
			return nil, err
		}
		out = append(out, &server.NkeyUser{Nkey: u.Nkey, Permissions: ServerPermissions(p)})
	}
	return out, nil
}

// ServerPermissions are p as nats-server has them: everything not allowed
// is denied.
func ServerPermissions(p proto.Permissions) *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: p.Publish},
		Subscribe: &server.SubjectPermission{Allow: p.Subscribe},
	}
}

// EnvVar names the environment variable that holds role's public nkey in
// a configuration written with env set: LINKWATCH_NKEY_WORKER_DC1 for
// worker-dc1.
func EnvVar(role proto.Role) string {
	return envName("LINKWATCH_NKEY_", role)
}

func envName(prefix string, role proto.Role) string {
	return prefix + strings.ToUpper(strings.NewReplacer("-", "_").Replace(string(role)))
}

// serverHeader opens a nats-server configuration: JetStream on, listening
// on every address (clients authenticate; remote sites should use TLS).
const serverHeader = `# NATS server for linkwatch: JetStream for the job and result streams, and one
# nkey user per role, each allowed only the subjects that role needs (see
# proto/roles.go). Anything not allowed is denied; a client without a known
# key cannot connect.
%s
server_name: linkwatch
listen: 0.0.0.0:4222
jetstream {
  store_dir: /data/jetstream
}
` + clientTLS

// clientTLS is the commented TLS block of a server that clients at other
// sites reach.
const clientTLS = `# Workers at other sites cross networks you may not own: give the server a
# certificate and the clients nats.ca_file.
# tls {
#   cert_file: /etc/nats/tls/server.crt
#   key_file: /etc/nats/tls/server.key
# }

`

// WriteServerConfig writes a nats-server configuration file admitting
// users. With env, each key is a reference to EnvVar(role), which
// nats-server reads from its environment at start; otherwise it is the
// user's Nkey. how says how the file was made, as comment lines.
func WriteServerConfig(w io.Writer, users []User, env bool, how string) error {
	entries, err := userEntries(users, env, "")
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, serverHeader, how)
	b.WriteString("authorization {\n")
	writeUsers(&b, "  ", entries)
	b.WriteString("}\n")
	_, err = io.WriteString(w, b.String())
	return err
}

// userEntry is one user of a configuration: a key (or the reference to
// it), the connection types it may open (any when none) and its
// permissions.
type userEntry struct {
	role    proto.Role
	comment string
	nkey    string
	types   []string
	perms   proto.Permissions
}

// userEntries are users with their roles' permissions. With a domain, the
// server is a hub: leaf roles get their permissions in the domain and may
// open only leaf node connections, every other role only client ones.
func userEntries(users []User, env bool, domain string) ([]userEntry, error) {
	entries := make([]userEntry, 0, len(users))
	for _, u := range users {
		e := newEntry(u, env)
		var err error
		if _, leaf := u.Role.Leaf(); leaf {
			e.comment += ", the site's leaf node, in JetStream domain " + domain
			e.types = []string{jwt.ConnectionTypeLeafnode}
			e.perms, err = u.Role.PermissionsIn(domain)
		} else {
			if domain != "" {
				e.types = []string{jwt.ConnectionTypeStandard}
			}
			e.perms, err = u.Role.Permissions()
		}
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// newEntry is u's entry, without permissions yet: its key, or with env
// the reference to it.
func newEntry(u User, env bool) userEntry {
	e := userEntry{role: u.Role, comment: string(u.Role), nkey: u.Nkey}
	if env {
		e.nkey = "$" + EnvVar(u.Role)
	}
	return e
}

// writeUsers writes the users block of entries, each line indented.
func writeUsers(b *strings.Builder, indent string, entries []userEntry) {
	fmt.Fprintf(b, "%susers = [\n", indent)
	for _, e := range entries {
		fmt.Fprintf(b, "%[1]s  # %[2]s\n%[1]s  {\n%[1]s    nkey: %[3]s\n", indent, e.comment, e.nkey)
		if len(e.types) > 0 {
			fmt.Fprintf(b, "%s    allowed_connection_types: %s\n", indent, quoteList(e.types))
		}
		fmt.Fprintf(b, "%s    permissions: {\n", indent)
		fmt.Fprintf(b, "%s      publish: { allow: %s }\n", indent, quoteList(e.perms.Publish))
		fmt.Fprintf(b, "%s      subscribe: { allow: %s }\n", indent, quoteList(e.perms.Subscribe))
		fmt.Fprintf(b, "%[1]s    }\n%[1]s  }\n", indent)
	}
	fmt.Fprintf(b, "%s]\n", indent)
}

func quoteList(subjects []string) string {
	q := make([]string, len(subjects))
	for i, s := range subjects {
		q[i] = `"` + s + `"`
	}
	return "[" + strings.Join(q, ", ") + "]"
}
