package main

// The compose deployment (docker-compose.yml, deploy/README.md "Docker
// Compose") checked without Docker: the file is loaded strictly by
// compose-go, the Compose Specification's own loader, with the variables
// of .env.example; the command of every service running the linkwatch
// image is parsed by linkwatch's own root command and the files it names
// by linkwatch's own parsers (composecmd_test.go); and the isolation the
// deployment promises is checked on the loaded model (composenet_test.go),
// device passwords included (composesecrets_test.go).
// deploy/composetest runs the same file on an engine.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// composeFile is the compose deployment, at the top of the repository.
const composeFile = "docker-compose.yml"

func TestComposeFile(t *testing.T) {
	d := newComposeDeployment(t)
	for _, p := range d.check(t.Context(), d.compose) {
		t.Error(p)
	}
}

// TestComposeFileMutations checks that the checks fail for the right
// reason: each case changes one thing in a copy of docker-compose.yml and
// expects a problem saying where (the service) and what.
func TestComposeFileMutations(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // the change: old occurs exactly once in docker-compose.yml
		where    string // where the problem is, in its text
		want     string // what it says
	}{
		{"unknown flag", `"--site", "site-a",`, `"--site", "site-a", "--bogus",`,
			`service "worker-site-a"`, "unknown flag: --bogus"},
		{"site the configuration lacks", `"--site", "site-b",`, `"--site", "site-c",`,
			`service "worker-site-b"`, `--site "site-c": no device of the configuration is at that site`},
		{"worker on another site's network", "networks: [core, site-a]", "networks: [core, site-b]",
			`service "worker-site-a"`, "worker of site site-a: not on network site-a"},
		{"another role's key", "- key-worker-site-b:/keys:ro", "- key-worker-site-a:/keys:ro",
			`service "worker-site-b"`, `key volume key-worker-site-a at /keys, want key-worker-site-b (role worker-site-b)`},
		{"missing required flag", `"--config", "/etc/linkwatch/linkwatch.yaml", "--site", "site-a", `, `"--config", "/etc/linkwatch/linkwatch.yaml", `,
			`service "worker-site-a"`, `required flag(s) "site" not set`},
		{"bad flag value", `"--timeout", "3s"]`, `"--timeout", "soon"]`,
			`service "notifier"`, `healthcheck ["/linkwatch" "healthcheck" "--url" "http://127.0.0.1:9090/readyz" "--timeout" "soon"]: invalid argument "soon"`},
		{"extra argument", `command: ["scheduler", `, `command: ["scheduler", "now", `,
			`service "scheduler"`, `unknown command "now" for "linkwatch scheduler"`},
		{"unknown key", "working_dir: /etc/linkwatch", "workdir: /etc/linkwatch",
			"load: validating", "services.cli.workdir"},
		{"bad log level", `"site-a", "--metrics-listen", "0.0.0.0:9090", "--log-level", "debug"`, `"site-a", "--metrics-listen", "0.0.0.0:9090", "--log-level", "loud"`,
			`service "worker-site-a"`, `--log-level "loud"`},
		{"configuration not mounted", `"/etc/linkwatch/linkwatch.yaml", "--site", "site-b"`, `"/etc/linkwatch/other.yaml", "--site", "site-b"`,
			`service "worker-site-b"`, "--config /etc/linkwatch/other.yaml: no bind mount of the service holds it"},
		{"not a fleet file", "./deploy/compose/fleet-site-b.yaml:/etc", "./deploy/compose/linkwatch.yaml:/etc",
			`service "sim-site-b"`, `--fleet /etc/linkwatch/fleet/fleet-site-b.yaml (deploy/compose/linkwatch.yaml): `},
		{"another site's fleet", "./deploy/compose/fleet-site-b.yaml:/etc", "./deploy/compose/fleet-site-a.yaml:/etc",
			`service "sim-site-b"`, "serves no juniper_junos device on port 2201, which device b-core1 of site site-b is"},
		{"not the image's binary", `entrypoint: ["/linkwatch"]`, `entrypoint: ["/bin/linkwatch"]`,
			`service "cli"`, `command ["/bin/linkwatch" "status"]: does not run the image's /linkwatch`},
		{"router on two networks", "fleet-site-a.yaml:ro\n    networks: [site-a]", "fleet-site-a.yaml:ro\n    networks: [site-a, core]",
			`service "sim-site-a"`, "host of device a-core1 of site site-a: on networks [core site-a], want site-a only"},
		{"store reachable from the core network", "- redis-data:/data\n    networks: [store]", "- redis-data:/data\n    networks: [store, core]",
			`service "scheduler"`, "shares network core with redis, which only the notifiers may reach"},
		{"third-party service on a site network", "# web UI and API, on this host only\n    networks: [store]", "# web UI and API, on this host only\n    networks: [store, site-a]",
			`service "mailpit"`, "on network site-a, which only site-a's workers, routers and NATS leaf node may join"},
		{"remote site's worker on the core network", "networks: [site-b] # only its site", "networks: [core, site-b] # only its site",
			`service "worker-site-b"`, "worker of site site-b, which has a leaf node: on networks [core site-b], want site-b only"},
		{"remote site's leaf node not on its network", "site-b:\n        aliases: [nats]", "site-a:\n        aliases: [nats]",
			`service "worker-site-b"`, `nats.url host "nats": answered by [] on its networks [site-b], want only the leaf node nats-leaf-site-b`},
		{"worker cut off from the bus", "networks: [core, site-a]", "networks: [site-a]",
			`service "worker-site-a"`, `nats.url host "nats": answered by [] on its networks [site-a], want one service`},
		{"writable root file system", "fleet-site-a.yaml\", \"--listen-host\", \"0.0.0.0\"]\n    read_only: true", "fleet-site-a.yaml\", \"--listen-host\", \"0.0.0.0\"]\n    read_only: false",
			`service "sim-site-a"`, "read_only is not true"},
		{"device password on the scheduler", "command: [\"scheduler\", \"--config\", \"/etc/linkwatch/linkwatch.yaml\", \"--metrics-listen\", \"0.0.0.0:9090\"]\n",
			"command: [\"scheduler\", \"--config\", \"/etc/linkwatch/linkwatch.yaml\", \"--metrics-listen\", \"0.0.0.0:9090\"]\n    environment: *device-password\n",
			`service "scheduler"`, "environment: LAB_PASSWORD, the password of credential lab, which only the workers of site-a, site-b read"},
		{"worker without the device password", "\"site-b\", \"--metrics-listen\", \"0.0.0.0:9090\", \"--log-level\", \"debug\"]\n    environment: *device-password\n",
			"\"site-b\", \"--metrics-listen\", \"0.0.0.0:9090\", \"--log-level\", \"debug\"]\n",
			`service "worker-site-b"`, "environment: no LAB_PASSWORD, the password of credential lab of site site-b's devices"},
		{"health check on another port", "http://127.0.0.1:9090/readyz", "http://127.0.0.1:9091/readyz",
			`service "scheduler"`, `healthcheck asks port 9091, the service serves metrics on "0.0.0.0:9090" (--metrics-listen)`},
	}
	d := newComposeDeployment(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := strings.Count(string(d.compose), tc.old); n != 1 {
				t.Fatalf("%q occurs %d times in %s, want once: update the case", tc.old, n, composeFile)
			}
			mutated := strings.Replace(string(d.compose), tc.old, tc.new, 1)
			problems := d.check(t.Context(), []byte(mutated))
			if !slices.ContainsFunc(problems, func(p string) bool {
				return strings.Contains(p, tc.where) && strings.Contains(p, tc.want)
			}) {
				t.Errorf("no problem at %s saying %q; the problems:\n%s", tc.where, tc.want, strings.Join(problems, "\n"))
			}
		})
	}
}

// composeDeployment is what the compose file is checked against: the
// repository it mounts files from, the variables it is interpolated with,
// the linkwatch image it runs and the roles setup.sh makes keys for.
type composeDeployment struct {
	root    string            // the repository
	compose []byte            // docker-compose.yml
	env     map[string]string // .env.example
	image   imageSpec         // deploy/Dockerfile
	roles   []string          // the roles of deploy/compose/setup.sh
}

func newComposeDeployment(t *testing.T) *composeDeployment {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatalf("find the repository: %v", err)
	}
	d := &composeDeployment{root: root}
	if d.compose, err = os.ReadFile(filepath.Join(root, composeFile)); err != nil {
		t.Fatal(err)
	}
	// The variables of .env.example only, not this process's environment:
	// the file is checked as a user who copied .env.example gets it.
	if d.env, err = dotenv.Read(filepath.Join(root, ".env.example")); err != nil {
		t.Fatalf("read .env.example: %v", err)
	}
	if d.image, err = readImageSpec(filepath.Join(root, "deploy", "Dockerfile")); err != nil {
		t.Fatal(err)
	}
	if d.roles, err = setupRoles(filepath.Join(root, "deploy", "compose", "setup.sh")); err != nil {
		t.Fatal(err)
	}
	return d
}

// rolesLine is setup.sh's list of the roles it makes a key volume for.
var rolesLine = regexp.MustCompile(`(?m)^roles="([^"]*)"$`)

// setupRoles reads the roles whose key volumes setup.sh makes.
func setupRoles(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := rolesLine.FindSubmatch(data)
	if m == nil {
		return nil, fmt.Errorf("%s: no line roles=\"...\" naming the roles it makes keys for", path)
	}
	return strings.Fields(string(m[1])), nil
}

// projectName is the compose project: COMPOSE_PROJECT_NAME, or linkwatch
// as setup.sh and the key volumes' names default to.
func (d *composeDeployment) projectName() string {
	if p := d.env["COMPOSE_PROJECT_NAME"]; p != "" {
		return p
	}
	return "linkwatch"
}

// load loads content as docker-compose.yml of the repository. Strictly:
// compose-go validates the file against the Compose Specification's
// schema, so an unknown key is an error, and a variable the file requires
// (${VAR:?}) that .env.example lacks is one too. Every profile is enabled,
// so that the cli service (profile tools) is checked too.
//
// The env_file entries are not read (SkipResolveEnvironment): they are
// deploy/compose/secrets/*.env, which setup.sh writes at deploy time from
// the keys it makes, only the NATS servers read them, and what they hold
// (public keys, the leaf node's seed) is nothing this test checks. The
// alternative, generated stand-ins, would have to be written either into
// the repository's deploy/compose/secrets, where they could overwrite a
// real deployment's leaf seed, or beside a copy of the whole tree that the
// bind mounts point into. The linkwatch services' own environment
// (LAB_PASSWORD) is in the file, and is interpolated all the same.
func (d *composeDeployment) load(ctx context.Context, content []byte) (*types.Project, error) {
	details := types.ConfigDetails{
		WorkingDir:  d.root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(d.root, composeFile), Content: content}},
		Environment: d.env,
	}
	return loader.LoadWithContext(ctx, details, func(o *loader.Options) {
		o.SetProjectName(d.projectName(), true)
		o.Profiles = []string{"*"}
		o.SkipResolveEnvironment = true
	})
}

// check loads content as the compose file and returns every problem found,
// each saying where (the service, or the file) and what.
func (d *composeDeployment) check(ctx context.Context, content []byte) []string {
	project, err := d.load(ctx, content)
	if err != nil {
		return []string{fmt.Sprintf("%s: load: %v", composeFile, err)}
	}
	c := &composeChecker{d: d, project: project, seen: map[string]bool{}}
	c.services()
	c.isolation()
	c.secrets()
	return c.problems
}
