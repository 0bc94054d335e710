package deploytest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/linkwatch/linkwatch/proto/secretfile"
)

// TestSecretFilesScript runs the chart's secret-files init container
// script with sh over a copy of what the kubelet mounts for a Secret (a
// timestamped directory, ..data pointing at it, a symbolic link per key;
// root's files of group fsGroup, mode 0440, as the kubelet makes them) and
// checks that linkwatch accepts the copies: regular files of the pod's
// user, mode 0400, the same content. As root, with setpriv, the script
// runs as the pod does: as uid and gid 65532. A second run, as when a
// pod's init containers run again, gives the same.
func TestSecretFilesScript(t *testing.T) {
	out, err := render(t)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(out)
	if err != nil {
		t.Fatal(err)
	}
	script := ""
	for _, c := range objs.deployments[0].Spec.Template.Spec.InitContainers {
		if c.Name == "secret-files" && len(c.Command) == 3 && c.Command[0] == "sh" && c.Command[1] == "-c" {
			script = c.Command[2]
		}
	}
	if script == "" {
		t.Fatalf("no secret-files init container running sh -c SCRIPT in %s", objs.deployments[0].Name)
	}
	dir := t.TempDir()
	in, copies := filepath.Join(dir, "secret-volumes"), filepath.Join(dir, "secret-files")
	keys := map[string]map[string]string{
		"nats":    {"seed": "SUAEXAMPLESEED\n"},
		"devices": {"lab.password": "s3cret\n", "core.enable": "en4ble"},
	}
	for vol, files := range keys {
		kubeletSecretVolume(t, filepath.Join(in, vol), files)
	}
	if err := os.Mkdir(copies, 0o777); err != nil {
		t.Fatal(err)
	}
	sh, owner := []string{"sh", "-c"}, ""
	if setpriv, err := exec.LookPath("setpriv"); err == nil && os.Geteuid() == 0 && othersMayEnter(filepath.Dir(filepath.Dir(dir))) {
		asPodUser(t, dir)
		sh, owner = []string{setpriv, "--reuid", podID, "--regid", podID, "--clear-groups", "sh", "-c"}, podID
	} else {
		t.Logf("the script runs as this test's user (%d), not as the pod's: that needs root, setpriv and a temporary directory others may enter", os.Geteuid())
	}
	// The script's paths are the mounts of its container; here, the
	// temporary directory's.
	script = strings.ReplaceAll(strings.ReplaceAll(script, "/secret-volumes/", in+"/"), "/secret-files/", copies+"/")
	for run := 1; run <= 2; run++ {
		if out, err := exec.Command(sh[0], append(sh[1:], script)...).CombinedOutput(); err != nil {
			t.Fatalf("run %d of the script: %v\n%s", run, err, out)
		}
		for vol, files := range keys {
			for key, content := range files {
				checkCopy(t, filepath.Join(copies, vol, key), content, owner)
			}
			entries, err := os.ReadDir(filepath.Join(copies, vol))
			if err != nil || len(entries) != len(files) {
				t.Errorf("run %d: %s holds %v (%v), want only the Secret's %d keys", run, vol, entries, err, len(files))
			}
		}
	}
}

// podID is the uid and gid of the chart's pods (securityContext).
const podID = "65532"

// othersMayEnter reports whether every directory from dir up to the root
// lets others through.
func othersMayEnter(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// asPodUser gives the tree under dir to the pod's group, as fsGroup does
// to a pod's volumes, and lets the pod's user through its parents.
func asPodUser(t *testing.T, dir string) {
	t.Helper()
	gid, _ := strconv.Atoi(podID)
	err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.IsDir() && path == filepath.Join(dir, "secret-files") {
			if err := os.Chmod(path, 0o777|os.ModeSetgid); err != nil {
				return err
			}
		}
		return os.Lchown(path, 0, gid)
	})
	if err != nil {
		t.Fatalf("give the volumes to group %s: %v", podID, err)
	}
	// t.TempDir's directory and its parent, made by the test for the test
	// (0700); the system's temporary directory above them is left alone.
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// kubeletSecretVolume lays out files as the kubelet's atomic writer does
// for a Secret volume, group-readable.
func kubeletSecretVolume(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	stamp := filepath.Join(dir, "..2026_11_29_02_00_00.123456789")
	if err := os.MkdirAll(stamp, 0o755); err != nil {
		t.Fatal(err)
	}
	for key, content := range files {
		if err := os.WriteFile(filepath.Join(stamp, key), []byte(content), 0o440); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..data", key), filepath.Join(dir, key)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Base(stamp), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
}

// checkCopy checks a copy's content and mode, and its owner unless owner
// is "".
func checkCopy(t *testing.T, path, content, owner string) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Errorf("copy: %v", err)
		return
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o400 {
		t.Errorf("%s: mode %v, want a regular file of mode 0400", path, fi.Mode())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && owner != "" && strconv.Itoa(int(st.Uid)) != owner {
		t.Errorf("%s: owned by uid %d, want the pod's user %s", path, st.Uid, owner)
	}
	if err := secretfile.Check(path); err != nil {
		t.Errorf("linkwatch refuses the copy: %v", err)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != content {
		t.Errorf("%s: content %q (%v), want the Secret's %q", path, got, err, content)
	}
}
