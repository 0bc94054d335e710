// Package composetest runs the compose deployment (docker-compose.yml) on
// the Docker engine, with every image built here: linkwatch by make image,
// nats-server, mailpit and Redis by make local-images. It checks what the
// deployment promises: links UP, one email per change read through
// mailpit's API, each site's routers reached only by that site's workers,
// a killed worker costing nothing, a scaled-up worker taking jobs. Without
// an engine or docker-compose the test skips, saying why.
package composetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

// root is the repository, where the Makefile and docker-compose.yml are.
const root = "../.."

// files are what the deployment reads, copied into the test's own tree so
// the test can edit a fleet without touching the repository.
var files = []string{
	"docker-compose.yml",
	"deploy/compose/linkwatch.yaml",
	"deploy/compose/fleet-site-a.yaml",
	"deploy/compose/fleet-site-b.yaml",
	"deploy/compose/setup.sh",
	"deploy/nats/hub.conf",
	"deploy/nats/leaf-site-b.conf",
	// The monitoring profile's, not started by the test: there for a
	// compose that checks every service's bind mounts.
	"deploy/prometheus/prometheus.yml",
	"deploy/grafana/provisioning/datasources/prometheus.yaml",
	"deploy/grafana/provisioning/dashboards/linkwatch.yaml",
	"deploy/grafana/dashboards/linkwatch.json",
}

// links are the deployment's links, device and target.
var links = []string{
	"a-core1 10.1.0.1", "a-core1 10.1.0.2", "a-core2 10.1.0.3", "a-edge1 10.1.0.4",
	"b-core1 10.2.0.1", "b-core1 10.2.0.2", "b-edge1 10.2.0.3",
}

// deployment is one compose project under test.
type deployment struct {
	t       *testing.T
	dir     string
	project string
	compose []string // the compose command: docker-compose, or docker compose
	mailpit string   // mailpit's API, http://127.0.0.1:PORT
}

func TestCompose(t *testing.T) {
	if testing.Short() {
		t.Skip("builds images and runs the compose deployment; skipped in -short mode")
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Skipf("docker info failed, so there is no Docker engine to run the deployment on (start one to run this test): %v: %s",
			err, bytes.TrimSpace(out))
	}
	compose := composeCommand()
	if compose == nil {
		t.Skip("neither docker-compose nor the docker compose plugin is installed")
	}
	d := &deployment{t: t, dir: t.TempDir(), compose: compose,
		project: fmt.Sprintf("lwcompose%d", time.Now().UnixNano()%1e9)}
	image := "linkwatch-composetest:" + d.project
	run(t, root, "make", "-s", "image", "IMAGE="+image, "IMAGE_BUILD="+filepath.Join(d.dir, "image-context"))
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", image).Run() })
	third := run(t, root, "deploy/images/build-local.sh")
	for _, f := range files {
		copyFile(t, filepath.Join(root, f), filepath.Join(d.dir, f))
	}
	port := freePort(t)
	d.mailpit = fmt.Sprintf("http://127.0.0.1:%d", port)
	env := fmt.Sprintf("COMPOSE_PROJECT_NAME=%s\nLAB_PASSWORD=lab-password\nLINKWATCH_IMAGE=%s\nMAILPIT_UI_PORT=%d\n%s\n",
		d.project, image, port, strings.TrimSpace(third))
	if err := os.WriteFile(filepath.Join(d.dir, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, d.dir, "deploy/compose/setup.sh")
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := d.composeOut("logs", "--no-color", "--tail", "40")
			t.Logf("--- docker-compose logs:\n%s", out)
		}
		_, _ = d.composeOut("down", "-v", "--remove-orphans", "--timeout", "5")
		_ = exec.Command(filepath.Join(d.dir, "deploy/compose/setup.sh"), "--remove").Run()
	})
	d.composeRun("up", "-d")

	// 1. Every linkwatch container is healthy by its own health check, and
	// every link is UP.
	waittest.For(t, 3*time.Minute, d.healthy)
	t.Logf("healthy: %s", strings.Join(d.containers("scheduler", "notifier", "worker-site-a", "worker-site-b"), ", "))
	waittest.For(t, 2*time.Minute, d.linksIn("UP", links...))
	t.Logf("all %d links UP, site-b's through its leaf node", len(links))

	// 2. A link flipped at site-a: exactly one email, then one recovery.
	d.flip("10.1.0.2: up", "10.1.0.2: down")
	waittest.For(t, 2*time.Minute, d.linksIn("DOWN", "a-core1 10.1.0.2"))
	waittest.For(t, time.Minute, d.emails(1))
	d.flip("10.1.0.2: down", "10.1.0.2: up")
	waittest.For(t, 2*time.Minute, d.linksIn("UP", "a-core1 10.1.0.2"))
	waittest.For(t, time.Minute, d.emails(2))
	d.settle(3) // three more intervals: nothing else to say
	mails := d.mail()
	if len(mails) != 2 {
		t.Fatalf("%d emails for one link down and up, want 2: %v", len(mails), mails)
	}
	for i, want := range []string{"UP → DOWN", "DOWN → UP"} {
		if !strings.Contains(mails[i], "a-core1") || !strings.Contains(mails[i], "10.1.0.2") || !strings.Contains(mails[i], want) {
			t.Errorf("email %d does not name a-core1 10.1.0.2 %s:\n%s", i+1, want, mails[i])
		}
	}
	t.Logf("one email for a-core1 10.1.0.2 going DOWN and one for its recovery, read from mailpit's API")

	// 3. Each site's routers are reached only by that site's workers.
	simA, simB := d.address("sim-site-a", "site-a"), d.address("sim-site-b", "site-b")
	workerA := d.containers("worker-site-a")[0]
	if out, err := d.dial(workerA, simA+":2201"); !strings.Contains(out, "SSH-2.0-") {
		t.Fatalf("a site-a worker does not reach its own router %s (the control): %v %s", simA, err, out)
	}
	if out, err := d.dial(workerA, simB+":2201"); err == nil || strings.Contains(out, "SSH-2.0-") {
		t.Fatalf("a site-a worker reached site-b's router %s: %v %s", simB, err, out)
	} else {
		t.Logf("from site-a's worker, site-b's router %s: %s", simB, firstLine(out))
	}
	// The store (Redis, no password) is for the notifiers alone.
	redis := d.address("redis", "store") + ":6379"
	if out, _ := d.dial(d.containers("notifier")[0], redis); unreachable(out) {
		t.Fatalf("a notifier does not reach Redis %s (the control): %s", redis, out)
	}
	if out, _ := d.dial(workerA, redis); !unreachable(out) {
		t.Fatalf("a site-a worker reached Redis %s: %s", redis, out)
	}
	t.Logf("Redis %s: reached by a notifier, not by site-a's worker", redis)
	jobsOf := func(service string) map[string]int {
		devices := map[string]int{}
		for _, c := range d.containers(service) {
			logs, _ := exec.Command("docker", "logs", c).CombinedOutput()
			for _, m := range jobDoneRE.FindAllStringSubmatch(string(logs), -1) {
				devices[m[1]]++
			}
		}
		return devices
	}
	for service, prefix := range map[string]string{"worker-site-a": "a-", "worker-site-b": "b-"} {
		jobs := jobsOf(service)
		if len(jobs) == 0 {
			t.Fatalf("%s probed nothing", service)
		}
		for device := range jobs {
			if !strings.HasPrefix(device, prefix) {
				t.Errorf("%s probed %s, a device of another site", service, device)
			}
		}
		t.Logf("%s probed only its site's devices: %v", service, jobs)
	}

	// 4. A site-a worker killed: the other carries on, no link goes stale,
	// and a change after the kill is still reported once.
	victim := d.containers("worker-site-a")[1]
	killed := time.Now().UTC()
	run(t, d.dir, "docker", "kill", victim)
	d.flip("10.1.0.4: up", "10.1.0.4: down")
	waittest.For(t, 2*time.Minute, d.linksIn("DOWN", "a-edge1 10.1.0.4"))
	waittest.For(t, time.Minute, d.emails(3))
	waittest.For(t, time.Minute, d.checkedAfter(killed.Add(20*time.Second), "a-core1 10.1.0.1", "a-core2 10.1.0.3"))
	t.Logf("after docker kill of %s: site-a still probed by the other worker, a-edge1 10.1.0.4 DOWN reported once", victim)

	// 5. One more worker for site-a takes jobs. (The killed one is started
	// again too: it is not the one looked for.)
	before := d.containersAll("worker-site-a")
	d.composeRun("up", "-d", "--no-recreate", "--scale", "worker-site-a=3")
	var added string
	waittest.For(t, 2*time.Minute, func() error {
		for _, c := range d.containers("worker-site-a") {
			if slices.Contains(before, c) {
				continue
			}
			added = c
			logs, _ := exec.Command("docker", "logs", c).CombinedOutput()
			if jobDoneRE.Match(logs) {
				return nil
			}
			return fmt.Errorf("%s has taken no job yet", c)
		}
		return fmt.Errorf("no new site-a worker yet")
	})
	t.Logf("scaled site-a to 3 workers: %s, a new one, takes jobs", added)
	d.settle(2)
	if n := len(d.mail()); n != 3 {
		t.Errorf("%d emails in all, want 3 (a-core1 10.1.0.2 down and up, a-edge1 10.1.0.4 down)", n)
	}
}

// jobDoneRE is a worker's log line for a job it finished (--log-level debug).
var jobDoneRE = regexp.MustCompile(`msg="job done" .*device=(\S+)`)

// composeCommand is docker-compose, or the docker compose plugin.
func composeCommand() []string {
	if _, err := exec.LookPath("docker-compose"); err == nil {
		return []string{"docker-compose"}
	}
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}
	}
	return nil
}

func (d *deployment) composeOut(args ...string) (string, error) {
	cmd := exec.Command(d.compose[0], append(append(d.compose[1:], "-p", d.project), args...)...)
	cmd.Dir = d.dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (d *deployment) composeRun(args ...string) string {
	d.t.Helper()
	out, err := d.composeOut(args...)
	if err != nil {
		d.t.Fatalf("compose %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// containers are the running containers of the services, by name.
func (d *deployment) containers(services ...string) []string {
	return d.ps(nil, services)
}

// containersAll are the containers of the services, running or not.
func (d *deployment) containersAll(services ...string) []string {
	return d.ps([]string{"--all"}, services)
}

func (d *deployment) ps(flags, services []string) []string {
	var names []string
	for _, s := range services {
		args := append([]string{"ps"}, flags...)
		out, err := exec.Command("docker", append(args, "--filter", "label=com.docker.compose.project="+d.project,
			"--filter", "label=com.docker.compose.service="+s, "--format", "{{.Names}}")...).Output()
		if err != nil {
			d.t.Fatalf("docker ps: %v", err)
		}
		found := strings.Fields(string(out))
		slices.Sort(found)
		names = append(names, found...)
	}
	return names
}

// healthy is nil once every linkwatch service container passes its health
// check.
func (d *deployment) healthy() error {
	want := map[string]int{"scheduler": 2, "notifier": 2, "worker-site-a": 2, "worker-site-b": 1}
	for service, n := range want {
		cs := d.containers(service)
		if len(cs) != n {
			return fmt.Errorf("%d %s containers, want %d", len(cs), service, n)
		}
		for _, c := range cs {
			out, _ := exec.Command("docker", "inspect", "-f", "{{.State.Health.Status}}", c).Output()
			if s := strings.TrimSpace(string(out)); s != "healthy" {
				return fmt.Errorf("%s is %s", c, s)
			}
		}
	}
	return nil
}

// statusRow is a row of linkwatch status --output json.
type statusRow struct {
	Device, Target, State string
	LastChecked           string `json:"last_checked"`
}

func (d *deployment) status() (map[string]statusRow, error) {
	out, err := d.composeOut("run", "--rm", "-T", "cli", "status", "--config", "/etc/linkwatch/linkwatch.yaml", "--output", "json")
	if err != nil {
		return nil, fmt.Errorf("cli status: %v: %s", err, out)
	}
	rows := map[string]statusRow{}
	for _, line := range strings.Split(out, "\n") {
		var r statusRow
		if json.Unmarshal([]byte(line), &r) == nil && r.Device != "" {
			rows[r.Device+" "+r.Target] = r
		}
	}
	return rows, nil
}

func (d *deployment) linksIn(state string, which ...string) func() error {
	return func() error {
		rows, err := d.status()
		if err != nil {
			return err
		}
		for _, l := range which {
			if rows[l].State != state {
				return fmt.Errorf("%s is %q, want %s", l, rows[l].State, state)
			}
		}
		return nil
	}
}

func (d *deployment) checkedAfter(at time.Time, which ...string) func() error {
	return func() error {
		rows, err := d.status()
		if err != nil {
			return err
		}
		for _, l := range which {
			checked, err := time.Parse(time.RFC3339, rows[l].LastChecked)
			if err != nil || !checked.After(at) {
				return fmt.Errorf("%s last checked %q, want after %s", l, rows[l].LastChecked, at.Format(time.RFC3339))
			}
		}
		return nil
	}
}

// settle waits for n probe intervals (10 s each) to pass, judged by the
// status of a link being checked again n times.
func (d *deployment) settle(n int) {
	d.t.Helper()
	start := time.Now().UTC()
	waittest.For(d.t, time.Duration(n+3)*15*time.Second,
		d.checkedAfter(start.Add(time.Duration(n)*10*time.Second), "a-core1 10.1.0.1", "b-core1 10.2.0.1"))
}

// flip rewrites site-a's fleet file in place (the container sees the same
// file) and has its simulator reload it.
func (d *deployment) flip(from, to string) {
	d.t.Helper()
	path := filepath.Join(d.dir, "deploy/compose/fleet-site-a.yaml")
	data, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(data, []byte(from)) {
		d.t.Fatalf("fleet-site-a.yaml has no %q: %v", from, err)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(from), []byte(to), 1), 0o644); err != nil {
		d.t.Fatal(err)
	}
	d.composeRun("kill", "-s", "HUP", "sim-site-a")
}

// mail returns the emails in mailpit, oldest first, each as its subject
// and text.
func (d *deployment) mail() []string {
	d.t.Helper()
	var list struct {
		Messages []struct{ ID, Subject string }
	}
	if err := getJSON(d.mailpit+"/api/v1/messages", &list); err != nil {
		d.t.Fatalf("mailpit: %v", err)
	}
	var out []string
	for i := len(list.Messages) - 1; i >= 0; i-- { // mailpit lists newest first
		m := list.Messages[i]
		var msg struct{ Text string }
		if err := getJSON(d.mailpit+"/api/v1/message/"+m.ID, &msg); err != nil {
			d.t.Fatalf("mailpit: %v", err)
		}
		out = append(out, m.Subject+"\n"+msg.Text)
	}
	return out
}

func (d *deployment) emails(n int) func() error {
	return func() error {
		if got := len(d.mail()); got < n {
			return fmt.Errorf("%d emails in mailpit, want %d", got, n)
		}
		return nil
	}
}

// address is the container's address on network (of the project).
func (d *deployment) address(service, network string) string {
	d.t.Helper()
	c := d.containers(service)
	if len(c) == 0 {
		d.t.Fatalf("no %s container", service)
	}
	out, err := exec.Command("docker", "inspect", "-f",
		fmt.Sprintf(`{{(index .NetworkSettings.Networks "%s_%s").IPAddress}}`, d.project, network), c[0]).Output()
	ip := strings.TrimSpace(string(out))
	if err != nil || net.ParseIP(ip) == nil {
		d.t.Fatalf("address of %s on %s: %v %q", service, network, err, ip)
	}
	return ip
}

// dial tries a TCP connection from inside container to addr with the only
// client the image has: linkwatch healthcheck speaks HTTP, so a router that
// answers shows its SSH banner (SSH-2.0-…) as an unsolicited response, and
// one that cannot be reached a connection error.
func (d *deployment) dial(container, addr string) (string, error) {
	out, err := exec.Command("docker", "exec", container, "/linkwatch", "healthcheck",
		"--url", "http://"+addr+"/", "--timeout", "3s").CombinedOutput()
	return string(out), err
}

func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.Unmarshal(body, v)
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, fi.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// unreachable reports whether healthcheck's output says no connection
// could be made (a timeout, or no route), as opposed to a server that
// answered something other than HTTP.
func unreachable(out string) bool {
	for _, s := range []string{"deadline exceeded", "no route to host", "network is unreachable", "i/o timeout"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}
