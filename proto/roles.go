package proto

import (
	"fmt"
	"slices"
	"strings"
)

// Role is one kind of client of the bus. Each role may use only the
// subjects its job needs (Permissions), so a stolen worker key of one site
// cannot pull another site's jobs, publish jobs, or read results:
//
//   - scheduler publishes jobs and keeps the jobs stream and the workers'
//     shared buckets (host keys, logins);
//   - notifier consumes results, keeps the results stream and its lease
//     bucket, answers the API (to the CLI's inbox only), and wakes the
//     mailer of every notifier (MailerWake, theirs alone);
//   - cli may call the API, and read and forget pinned host keys;
//   - worker-<site> pulls its site's jobs, publishes its site's results,
//     reads and writes its site's keys of the shared buckets, and forwards
//     jobs to (and answers for) the worker holding a device's persistent
//     session on its site's session subjects;
//   - leaf-<site> is the leaf node of a remote site: the nats-server at
//     the site that dials out to the hub, carrying what its site's workers
//     do and nothing else (PermissionsIn).
type Role string

// The roles that do not depend on a site.
const (
	RoleScheduler Role = "scheduler"
	RoleNotifier  Role = "notifier"
	RoleCLI       Role = "cli"
)

// WorkerRole is the role of the workers of site.
func WorkerRole(site string) (Role, error) {
	if err := ValidName(site); err != nil {
		return "", fmt.Errorf("worker role: site %w", err)
	}
	return Role(workerPrefix + site), nil
}

// LeafRole is the role of the leaf node of site: the nats-server a remote
// site runs, which logs in to the hub with its own key.
func LeafRole(site string) (Role, error) {
	if err := ValidName(site); err != nil {
		return "", fmt.Errorf("leaf role: site %w", err)
	}
	return Role(leafPrefix + site), nil
}

// ParseRole checks that s names a role.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleScheduler, RoleNotifier, RoleCLI:
		return r, nil
	}
	if site, ok := strings.CutPrefix(s, workerPrefix); ok {
		return WorkerRole(site)
	}
	if site, ok := strings.CutPrefix(s, leafPrefix); ok {
		return LeafRole(site)
	}
	return "", fmt.Errorf("%q is not a role (scheduler, notifier, cli, worker-SITE or leaf-SITE)", s)
}

// Roles lists every role of a deployment with the given sites, sorted.
func Roles(sites []string) ([]Role, error) {
	roles := []Role{RoleCLI, RoleNotifier, RoleScheduler}
	for _, s := range sites {
		r, err := WorkerRole(s)
		if err != nil {
			return nil, err
		}
		roles = append(roles, r)
	}
	slices.Sort(roles)
	return slices.Compact(roles), nil
}

// Site returns the site of a worker role.
func (r Role) Site() (string, bool) {
	return strings.CutPrefix(string(r), workerPrefix)
}

// Leaf returns the site of a leaf role.
func (r Role) Leaf() (string, bool) {
	return strings.CutPrefix(string(r), leafPrefix)
}

// InboxPrefix is where the role's clients receive replies. Each role has
// its own, so that no role can subscribe to another's replies (a pull
// consumer delivers messages to an inbox).
func (r Role) InboxPrefix() string { return "_INBOX_" + string(r) }

// Permissions are the subjects a role may publish and subscribe to; all
// others are denied.
type Permissions struct {
	Publish   []string
	Subscribe []string
}

const (
	jsAPI = "$JS.API."
	kvAPI = "$KV."
)

// streamKeeper may look up, create and update one stream. Each stream has
// one keeper: a role that could update both could republish jobs into the
// results stream.
func streamKeeper(stream string) []string {
	var out []string
	for _, op := range []string{"INFO", "CREATE", "UPDATE"} {
		out = append(out, jsAPI+"STREAM."+op+"."+stream)
	}
	return out
}

// pullConsumer may create (with exactly this filter), pull from and ack
// the durable consumer name of stream.
func pullConsumer(stream, name, filter string) []string {
	return []string{
		jsAPI + "CONSUMER.CREATE." + stream + "." + name + "." + filter,
		jsAPI + "CONSUMER.INFO." + stream + "." + name,
		jsAPI + "CONSUMER.MSG.NEXT." + stream + "." + name,
		"$JS.ACK." + stream + "." + name + ".>",
	}
}

// bucketCreator may look up and create a key-value bucket (not update it).
func bucketCreator(bucket string) []string {
	return []string{jsAPI + "STREAM.INFO.KV_" + bucket, jsAPI + "STREAM.CREATE.KV_" + bucket}
}

// bucketKeys may bind to bucket and read and write the keys under prefix
// ("<site>." for a worker, "" for all): a direct get names the key in its
// subject, so reads are confined like writes. The bucket's other read API
// (STREAM.MSG.GET, by sequence) is not granted: it would read any key.
func bucketKeys(bucket, prefix string) []string {
	return []string{
		jsAPI + "STREAM.INFO.KV_" + bucket,
		jsAPI + "DIRECT.GET.KV_" + bucket + ".$KV." + bucket + "." + prefix + ">",
		kvAPI + bucket + "." + prefix + ">",
	}
}

// Permissions returns what r may do on the bus, reaching JetStream on the
// server it connects to. It fails for a string that is not a role, which
// must never become a user (an empty permission set would allow
// everything), and for a leaf role, which reaches JetStream only in a
// domain (PermissionsIn).
func (r Role) Permissions() (Permissions, error) {
	return r.PermissionsIn("")
}

// PermissionsIn returns what r may do when it reaches the streams in the
// JetStream domain of a hub through a leaf node ("" for none). In a
// domain, JetStream's API $JS.API.<op> is $JS.<domain>.API.<op> and a
// key-value operation $KV.<bucket>.<key> is $JS.<domain>.API.$KV.<bucket>.<key>
// (the hub maps both back); acks, inboxes and linkwatch's own subjects are
// the same everywhere. A leaf role may carry, on the hub, only what its
// site's workers do in the domain.
func (r Role) PermissionsIn(domain string) (Permissions, error) {
	if domain != "" {
		if err := ValidName(domain); err != nil {
			return Permissions{}, fmt.Errorf("jetstream domain %w", err)
		}
	}
	if site, ok := r.Leaf(); ok {
		if domain == "" {
			return Permissions{}, fmt.Errorf("role %s: a leaf node reaches JetStream only in the hub's domain, and none is given", r)
		}
		worker, err := WorkerRole(site)
		if err != nil {
			return Permissions{}, err
		}
		r = worker
	}
	p, err := r.permissions()
	if err != nil || domain == "" {
		return p, err
	}
	return Permissions{Publish: inDomain(p.Publish, domain), Subscribe: inDomain(p.Subscribe, domain)}, nil
}

// inDomain rewrites JetStream API and key-value subjects for domain.
func inDomain(subjects []string, domain string) []string {
	api := "$JS." + domain + ".API."
	out := make([]string, len(subjects))
	for i, s := range subjects {
		if rest, ok := strings.CutPrefix(s, jsAPI); ok {
			s = api + rest
		} else if strings.HasPrefix(s, kvAPI) {
			s = api + s
		}
		out[i] = s
	}
	return out
}

func (r Role) permissions() (Permissions, error) {
	inbox := r.InboxPrefix() + ".>"
	switch r {
	case RoleScheduler:
		pub := append(streamKeeper(StreamJobs), jobsPrefix+"*", jsAPI+"INFO")
		pub = append(pub, bucketCreator(HostKeyBucket)...)
		pub = append(pub, bucketCreator(LoginBucket)...)
		return Permissions{Publish: pub, Subscribe: []string{inbox}}, nil
	case RoleNotifier:
		kv := "KV_" + LeaseBucket
		pub := append(streamKeeper(StreamResults), pullConsumer(StreamResults, NotifierConsumer, ResultsAll)...)
		pub = append(pub, jsAPI+"INFO", // account limits, read when a bucket is created
			jsAPI+"STREAM.INFO."+kv, jsAPI+"STREAM.CREATE."+kv,
			jsAPI+"DIRECT.GET."+kv+".>", jsAPI+"STREAM.MSG.GET."+kv,
			kvAPI+LeaseBucket+".>",
			MailerWake,
			// Answers go to the CLI's inbox only. A blanket allowance to
			// answer any request would let a requester name a JetStream
			// API subject as its reply ($JS.API.STREAM.DELETE...) and have
			// the notifier's answer delete a stream.
			RoleCLI.InboxPrefix()+".>")
		return Permissions{Publish: pub, Subscribe: []string{inbox, APIPrefix + ".>", "$SRV.>", MailerWake}}, nil
	case RoleCLI:
		// The CLI is the operator's: `linkwatch hostkeys list` reads pins
		// of every site, and `forget` purges one (a stream purge by
		// subject: it can remove a pin, never write one; a put on $KV.…
		// could plant a key for an impostor).
		pub := []string{APIPrefix + ".>",
			jsAPI + "STREAM.INFO.KV_" + HostKeyBucket,
			jsAPI + "DIRECT.GET.KV_" + HostKeyBucket + ".$KV." + HostKeyBucket + ".>",
			jsAPI + "STREAM.PURGE.KV_" + HostKeyBucket}
		return Permissions{Publish: pub, Subscribe: []string{inbox}}, nil
	}
	if _, err := ParseRole(string(r)); err != nil {
		return Permissions{}, err
	}
	site, ok := r.Site()
	if !ok {
		return Permissions{}, fmt.Errorf("role %s has no permissions of its own", r)
	}
	pub := pullConsumer(StreamJobs, workerPrefix+site, jobsPrefix+site)
	pub = append(pub, resultsPrefix+site+".*")
	pub = append(pub, bucketKeys(HostKeyBucket, site+".")...)
	pub = append(pub, bucketKeys(LoginBucket, site+".")...)
	// Jobs forwarded to the worker that holds a device's persistent
	// session, and its answers: among the site's workers only.
	sessions := sessionPrefix + site + ".>"
	pub = append(pub, sessions)
	return Permissions{Publish: pub, Subscribe: []string{inbox, sessions}}, nil
}
