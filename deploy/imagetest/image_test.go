// Package imagetest checks the container image as a user gets it: built
// by `make image` from deploy/Dockerfile, then run on the Docker engine,
// read-only, as its own non-root user, with its own health check. Without
// a reachable engine the tests that need one skip, saying so.
package imagetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

// maxImageSize is the size the image must stay under: the static binary
// and a CA bundle (36.6 MB when this was written).
const maxImageSize = 48 << 20

// root is the repository, where the Makefile is.
const root = "../.."

// TestMakeImageFailsClearly checks that make image stops before building
// anything, saying what is missing, when docker is not there.
func TestMakeImageFailsClearly(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed: apt-get install -y make")
	}
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"no docker command", []string{"DOCKER=linkwatch-no-such-docker"}, nil,
			"make image: linkwatch-no-such-docker is not installed: install a Docker engine"},
		{"no engine", nil, []string{"DOCKER_HOST=unix:///nonexistent/linkwatch-imagetest.sock"},
			"make image: the Docker engine is not reachable (docker info fails)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.args == nil {
				if _, err := exec.LookPath("docker"); err != nil {
					t.Skip("the docker command is not installed")
				}
			}
			build := filepath.Join(t.TempDir(), "context")
			cmd := exec.Command("make", append([]string{"-s", "-C", root, "image", "IMAGE_BUILD=" + build}, tc.args...)...)
			cmd.Env = append(os.Environ(), tc.env...)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Errorf("make image: %v, output:\n%s\nwant a failure saying %q", err, out, tc.want)
			}
			if _, err := os.Stat(build); err == nil {
				t.Errorf("make image prepared %s before failing", build)
			}
		})
	}
}

// TestImage builds the image with make image under a tag of its own, then
// checks what it says and holds (version and commit, user, labels, size,
// health check) and runs it read-only with data_dir on a volume: check
// and the all-in-one run work, run becomes healthy by the image's own
// HEALTHCHECK, and nothing is written outside the volume. Everything it
// made is removed at the end.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the container image; skipped in -short mode")
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Skipf("docker info failed, so there is no Docker engine to build the image on (start one to run this test): %v: %s",
			err, bytes.TrimSpace(out))
	}
	nonce := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	tag := "linkwatch-imagetest:" + nonce
	version := "v0.0.0-imagetest." + nonce
	t.Cleanup(func() { _, _ = docker(t, "image", "rm", "-f", tag) })
	start := time.Now()
	if out, err := exec.Command("make", "-C", root, "image", "IMAGE="+tag, "VERSION="+version,
		"IMAGE_BUILD="+filepath.Join(t.TempDir(), "context")).CombinedOutput(); err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	t.Logf("make image built %s in %v", tag, time.Since(start).Round(time.Second))

	t.Run("version", func(t *testing.T) {
		out := mustDocker(t, "run", "--rm", "--network", "none", tag, "version")
		want := fmt.Sprintf("linkwatch %s (commit %s, ", version, wantCommit(t))
		if !strings.HasPrefix(out, want) {
			t.Errorf("linkwatch version in the image printed %q, want it to start with %q", out, want)
		}
	})
	t.Run("config", func(t *testing.T) { checkConfig(t, tag, version) })
	t.Run("read-only", func(t *testing.T) { runReadOnly(t, tag, nonce) })
}

// imageInfo is what docker image inspect says that this test checks.
type imageInfo struct {
	Size   int64
	Config struct {
		User        string
		Entrypoint  []string
		WorkingDir  string
		Volumes     map[string]struct{}
		Labels      map[string]string
		Healthcheck struct{ Test []string }
	}
}

func checkConfig(t *testing.T, tag, version string) {
	var infos []imageInfo
	if err := json.Unmarshal([]byte(mustDocker(t, "image", "inspect", tag)), &infos); err != nil || len(infos) != 1 {
		t.Fatalf("docker image inspect: %v (%d images)", err, len(infos))
	}
	info := infos[0]
	t.Logf("image size: %d bytes (%.1f MiB), limit %d MiB", info.Size, float64(info.Size)/(1<<20), maxImageSize>>20)
	if info.Size > maxImageSize {
		t.Errorf("the image is %d bytes, more than %d", info.Size, maxImageSize)
	}
	c := info.Config
	module, err := exec.Command("go", "list", "-m").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	for _, tc := range []struct{ what, got, want string }{
		{"user", c.User, "65532:65532"},
		{"entrypoint", strings.Join(c.Entrypoint, " "), "/linkwatch"},
		{"working directory", c.WorkingDir, "/data"},
		{"health check", strings.Join(c.Healthcheck.Test, " "),
			"CMD /linkwatch healthcheck --url http://127.0.0.1:9090/readyz --timeout 4s"},
		{"label version", c.Labels["org.opencontainers.image.version"], version},
		{"label revision", c.Labels["org.opencontainers.image.revision"], wantCommit(t)},
		{"label source", c.Labels["org.opencontainers.image.source"], "https://" + strings.TrimSpace(string(module))},
	} {
		if tc.got != tc.want {
			t.Errorf("image %s = %q, want %q", tc.what, tc.got, tc.want)
		}
	}
	if _, ok := c.Volumes["/data"]; !ok {
		t.Errorf("image volumes %v lack /data", c.Volumes)
	}
}

// runReadOnly runs the image with a read-only root filesystem, no
// network, the configuration mounted read-only and data_dir on a volume.
func runReadOnly(t *testing.T, tag, nonce string) {
	conf := t.TempDir()
	if err := os.Chmod(conf, 0o755); err != nil { // the image's user reads it
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(conf, "linkwatch.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	volume, name := "linkwatch-imagetest-"+nonce, "linkwatch-imagetest-"+nonce
	mustDocker(t, "volume", "create", volume)
	t.Cleanup(func() {
		_, _ = docker(t, "rm", "-f", name)
		_, _ = docker(t, "volume", "rm", "-f", volume)
	})
	common := []string{"--read-only", "--network", "none", "-e", "LW_LAB_PASSWORD=lab-secret",
		"-v", volume + ":/data", "-v", conf + ":/etc/linkwatch:ro"}
	const cfg = "/etc/linkwatch/linkwatch.yaml"

	// check probes the device, which no network reaches, and exits 0.
	out := mustDocker(t, append(append([]string{"run", "--rm", "--no-healthcheck"}, common...), tag, "check", "--config", cfg, "--output", "json")...)
	if !strings.Contains(out, `"failure":"UNREACHABLE"`) {
		t.Errorf("check in the image: want r1 UNREACHABLE, got:\n%s", out)
	}

	// run writes its NATS store, state and keys under /data, and the
	// image's HEALTHCHECK (every second here) finds it ready.
	mustDocker(t, append(append([]string{"run", "-d", "--name", name, "--health-interval", "1s"}, common...),
		tag, "run", "--config", cfg, "--metrics-listen", "127.0.0.1:9090")...)
	waittest.For(t, 60*time.Second, func() error {
		state, err := docker(t, "inspect", "-f", "{{.State.Status}} {{.State.Health.Status}}", name)
		if err != nil {
			return err
		}
		if strings.HasPrefix(state, "exited") {
			logs, _ := docker(t, "logs", name)
			t.Fatalf("run exited in the container:\n%s", logs)
		}
		if state != "running healthy" {
			return fmt.Errorf("container %s, want running healthy", state)
		}
		return nil
	})
	if out := mustDocker(t, "exec", name, "/linkwatch", "healthcheck"); out != "ready" {
		t.Errorf("healthcheck in the container printed %q, want ready", out)
	}
	mustDocker(t, "exec", name, "/linkwatch", "status", "--config", cfg) // the CLI's key, from /data/auth

	// Nothing was written outside the volume: docker diff lists only the
	// mount point of the configuration.
	for _, line := range strings.Split(mustDocker(t, "diff", name), "\n") {
		if line != "" && line != "C /etc" && line != "A /etc/linkwatch" {
			t.Errorf("docker diff: %q, a change outside data_dir", line)
		}
	}
	mustDocker(t, "stop", name)
	if code, _ := docker(t, "inspect", "-f", "{{.State.ExitCode}}", name); code != "0" {
		logs, _ := docker(t, "logs", name)
		t.Errorf("run stopped with exit code %s, want 0:\n%s", code, logs)
	}
	if logs, _ := docker(t, "logs", name); strings.Contains(logs, "read-only file system") {
		t.Errorf("run tried to write outside data_dir:\n%s", logs)
	}
}

// config has one device at a documentation address (RFC 5737), which the
// container, on no network, cannot reach.
const config = `
interval: 5s
data_dir: /data
notify: { from: linkwatch@example.net, to: [noc@example.net], group_wait: 0s }
credentials:
  lab: { username: admin, password_env: LW_LAB_PASSWORD }
defaults:
  credentials: lab
  ping: { count: 1, timeout: 1s }
devices:
  - { name: r1, host: 192.0.2.1, platform: cisco_iosxe, site: a, targets: [10.0.0.1] }
`

// wantCommit is the commit make image stamps: HEAD's 12 digits, -dirty
// when tracked files differ from it.
func wantCommit(t *testing.T) string {
	t.Helper()
	head, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		t.Skip("not in a git checkout (git rev-parse failed): make image stamps no commit")
	}
	c := strings.TrimSpace(string(head))
	if err := exec.Command("git", "diff", "--quiet", "HEAD").Run(); err != nil {
		c += "-dirty"
	}
	return c
}

// docker runs the docker command and returns its output, trimmed.
func docker(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command("docker", args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %w: %s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return strings.TrimSpace(out.String()), nil
}

func mustDocker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := docker(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
