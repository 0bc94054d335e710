package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestReadVersion(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	info := func(mainVersion string, s []debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: mainVersion}, Settings: s}
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name  string
		bi    *debug.BuildInfo
		stamp buildVersion
		want  string
	}{
		{"nothing known", nil, buildVersion{}, "linkwatch dev (commit unknown, built unknown, " + runtime.Version() + ")"},
		{"go run, no vcs", info("(devel)", nil), buildVersion{}, "linkwatch dev (commit unknown, built unknown, go1.99.1)"},
		{"vcs clean", info("(devel)", settings("vcs.revision", rev, "vcs.modified", "false", "vcs.time", "2026-11-20T10:00:00Z")), buildVersion{},
			"linkwatch dev (commit 0123456789ab, built 2026-11-20T10:00:00Z, go1.99.1)"},
		{"vcs dirty", info("(devel)", settings("vcs.modified", "true", "vcs.revision", rev)), buildVersion{},
			"linkwatch dev (commit 0123456789ab-dirty, built unknown, go1.99.1)"},
		{"go install of a release", info("v1.4.0", nil), buildVersion{}, "linkwatch v1.4.0 (commit unknown, built unknown, go1.99.1)"},
		{"stamped", info("(devel)", settings("vcs.revision", rev, "vcs.time", "2026-11-20T10:00:00Z")),
			buildVersion{Version: "v1.5.0-3-gabc1234-dirty", Commit: "abc1234def56-dirty", Date: "2026-11-29T08:00:00Z", Go: "ignored"},
			"linkwatch v1.5.0-3-gabc1234-dirty (commit abc1234def56-dirty, built 2026-11-29T08:00:00Z, go1.99.1)"},
		{"stamped version, commit and date from vcs", info("v0.0.0-2026", settings("vcs.revision", rev, "vcs.time", "2026-11-20T10:00:00Z")),
			buildVersion{Version: "v2.0.0"}, "linkwatch v2.0.0 (commit 0123456789ab, built 2026-11-20T10:00:00Z, go1.99.1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := readVersion(tc.bi, tc.stamp).String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestVersionOfBuiltBinary builds linkwatch the two ways a release can
// stamp it, with -ldflags and with the VCS information Go records
// (-buildvcs=true, which this environment's GOFLAGS may turn off), and
// checks what `linkwatch version` prints.
func TestVersionOfBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds linkwatch twice; skipped in -short mode")
	}
	goVersion := regexp.QuoteMeta(runtime.Version())
	for _, tc := range []struct {
		name  string
		flags []string
		want  func(t *testing.T) string // a regular expression
	}{
		{"ldflags", []string{"-buildvcs=false", "-ldflags", "-X main.version=v9.8.7-test -X main.commit=feedc0ffee42 -X main.buildDate=2026-11-29T08:00:00Z"},
			func(*testing.T) string {
				return `^linkwatch v9\.8\.7-test \(commit feedc0ffee42, built 2026-11-29T08:00:00Z, ` + goVersion + `\)\n$`
			}},
		{"vcs", []string{"-buildvcs=true"}, func(t *testing.T) string {
			// The main module's version is then a pseudo-version naming
			// the same revision, and the date the commit's.
			return `^linkwatch v0\.0\.0-\S+ \(commit ` + regexp.QuoteMeta(gitCommit(t)) + `, built \d{4}-\d\d-\d\dT\S+Z, ` + goVersion + `\)\n$`
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want(t)
			bin := filepath.Join(t.TempDir(), "linkwatch")
			args := append(append([]string{"build", "-o", bin}, tc.flags...), ".")
			if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
				t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			out, err := exec.Command(bin, "version").Output()
			if err != nil {
				t.Fatalf("linkwatch version: %v", err)
			}
			if !regexp.MustCompile(want).Match(out) {
				t.Errorf("linkwatch version printed %q, want a match of %s", out, want)
			}
		})
	}
}

// TestVersionJSON runs `linkwatch version --output json` on the test
// binary: one object with every field, the Go version the running one.
func TestVersionJSON(t *testing.T) {
	out, stderr, err := runCmd(t, nil, "version", "--output", "json")
	if err != nil {
		t.Fatalf("linkwatch version --output json: %v\n%s", err, stderr)
	}
	var v map[string]string
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
	if len(v) != 4 || v["version"] == "" || v["commit"] == "" || v["build_date"] == "" || v["go"] != runtime.Version() {
		t.Errorf("version --output json = %q, want version, commit, build_date and go (%s)", out, runtime.Version())
	}
}

// gitCommit is the checkout's HEAD as `linkwatch version` shows a VCS
// build's commit: 12 digits, "-dirty" when git status lists anything. It
// skips the test where Go records no VCS information: outside a git
// checkout, and in a git worktree, whose .git is a file that go build
// does not look for.
func gitCommit(t *testing.T) string {
	t.Helper()
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git checkout (git rev-parse failed): go build records no commit")
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err != nil || !fi.IsDir() {
		t.Skip("a git worktree (.git is not a directory): go build records no commit there; make build stamps it with -ldflags")
	}
	head, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v", err)
	}
	status, err := exec.Command("git", "status", "--porcelain").Output()
	if err != nil {
		t.Fatalf("git status: %v", err)
	}
	c := strings.TrimSpace(string(head))
	if len(status) > 0 {
		c += "-dirty"
	}
	return c
}
