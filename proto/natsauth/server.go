package natsauth

import (
	"fmt"
	"io"
	"strings"

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
// a configuration written by WriteAuthorization with env set:
// LINKWATCH_NKEY_WORKER_DC1 for worker-dc1.
func EnvVar(role proto.Role) string {
	return "LINKWATCH_NKEY_" + strings.ToUpper(strings.NewReplacer("-", "_").Replace(string(role)))
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
# Workers at other sites cross networks you may not own: give the server a
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
	var b strings.Builder
	fmt.Fprintf(&b, serverHeader, how)
	b.WriteString("authorization {\n  users = [\n")
	for _, u := range users {
		p, err := u.Role.Permissions()
		if err != nil {
			return err
		}
		key := u.Nkey
		if env {
			key = "$" + EnvVar(u.Role)
		}
		fmt.Fprintf(&b, "    # %s\n    {\n      nkey: %s\n      permissions: {\n", u.Role, key)
		fmt.Fprintf(&b, "        publish: { allow: %s }\n", quoteList(p.Publish))
		fmt.Fprintf(&b, "        subscribe: { allow: %s }\n", quoteList(p.Subscribe))
		b.WriteString("      }\n    }\n")
	}
	b.WriteString("  ]\n}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func quoteList(subjects []string) string {
	q := make([]string, len(subjects))
	for i, s := range subjects {
		q[i] = `"` + s + `"`
	}
	return "[" + strings.Join(q, ", ") + "]"
}
