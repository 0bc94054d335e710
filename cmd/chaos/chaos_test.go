package main

import (
	"bytes"
	"context"
	"fmt"
	"mime/quotedprintable"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/render"
	"github.com/linkwatch/linkwatch/notifier/state"
)

// sinkEnv makes the test binary the SMTP sink of a run (TestMain).
const sinkEnv = "LINKWATCH_CHAOS_SINK=1"

func TestMain(m *testing.M) {
	if os.Getenv("LINKWATCH_CHAOS_SINK") == "1" {
		if err := runSink(os.Args[1:], os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestChaos is a short chaos run (30 flips over 12 links, a kill about
// every 500 ms): it fails unless every flip was emailed exactly once.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos run takes a minute or two: skipped in -short mode")
	}
	redis, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed: run  make deps  (apt-get install -y redis-server)")
	}
	bin := t.TempDir()
	build(t, filepath.Join(bin, "linkwatch"), "../linkwatch")
	build(t, filepath.Join(bin, "nats-server"), "github.com/nats-io/nats-server/v2")

	opts := DefaultOptions()
	opts.Flips = 30
	opts.KillEvery = 500 * time.Millisecond
	opts.DevicesPerSite = 3
	opts.Quiesce = time.Minute
	opts.Linkwatch, opts.NATSServer, opts.RedisServer = filepath.Join(bin, "linkwatch"), filepath.Join(bin, "nats-server"), redis
	opts.Sink, opts.SinkEnv = []string{os.Args[0]}, []string{sinkEnv}
	opts.Seed = uint64(time.Now().UnixNano())
	var out, progress bytes.Buffer
	opts.Out, opts.Progress = &out, &progress
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := Run(ctx, opts)
	t.Logf("seed %d\n%s", opts.Seed, out.String())
	if err != nil {
		t.Fatalf("chaos run: %v\n%s", err, progress.String())
	}
	if !res.OK() {
		t.Fatalf("%s: want every one of %d flips emailed once; the run is in %s\n%s", res.Line(), opts.Flips, res.Dir, progress.String())
	}
}

func build(t *testing.T, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

var t0 = time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)

func linkAlert(device, target, from, to string, at time.Time) state.Alert {
	return state.Alert{ID: device + target + from + to, Kind: state.AlertLink, Created: at,
		Change: &state.Change{Site: "dc1", Device: device, Target: target, From: from, To: to, At: at, Sent: 1}}
}

// writeEmail renders alerts as the notifier does and stores the message
// the way the sink does, quoted-printable like go-mail's, received at at.
func writeEmail(t *testing.T, dir, id string, at time.Time, alerts ...state.Alert) {
	t.Helper()
	e := render.Alerts(alerts, "linkwatch@example.net", []string{"noc@example.net"}, nil)
	var body bytes.Buffer
	qp := quotedprintable.NewWriter(&body)
	_, _ = qp.Write([]byte(e.Text))
	_ = qp.Close()
	msg := fmt.Sprintf("Message-ID: <%s@example.net>\r\nSubject: %s\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n%s",
		id, e.Subject, strings.ReplaceAll(body.String(), "\n", "\r\n"))
	if err := storeMessage(dir, at, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// TestCount reads rendered emails back and counts them against flips: a
// flip emailed once, one emailed twice (a duplicate), one never emailed
// (lost), a change no flip made (unexpected), a first state and a device
// entry (neither flips nor duplicates).
func TestCount(t *testing.T) {
	dir := t.TempDir()
	flips := []flip{
		{device: "r1", target: "10.0.0.1", from: "UP", to: "DOWN", at: t0},
		{device: "r1", target: "10.0.0.1", from: "DOWN", to: "UP", at: t0.Add(5 * time.Second)},
		{device: "r1", target: "10.0.0.2", from: "UP", to: "DOWN", at: t0},
		{device: "r2", target: "10.0.0.1", from: "UP", to: "DOWN", at: t0},
	}
	down := linkAlert("r1", "10.0.0.1", "UP", "DOWN", t0.Add(1500*time.Millisecond))
	writeEmail(t, dir, "a", t0.Add(3*time.Second), down, linkAlert("r3", "10.0.0.9", "", "DOWN", t0),
		state.Alert{ID: "d", Kind: state.AlertDevice, Site: "dc1", Device: "r4", Failure: "TIMEOUT", At: t0})
	writeEmail(t, dir, "b", t0.Add(4*time.Second), down)
	writeEmail(t, dir, "c", t0.Add(9*time.Second), linkAlert("r1", "10.0.0.1", "DOWN", "UP", t0.Add(6*time.Second)),
		linkAlert("r2", "10.0.0.1", "UP", "DROP", t0.Add(time.Second)))
	box := &inbox{dir: dir, seen: map[string]bool{}}
	if err := box.poll(); err != nil {
		t.Fatal(err)
	}
	got := count(flips, box.emails)
	want := "flips=4 kills=7 expected=4 delivered=3 lost=2 duplicated=1 max_delay=4.0s"
	if line := got.line(7); line != want {
		t.Errorf("line:\n got %s\nwant %s\n%s", line, want, got.details())
	}
	if got.FirstSeen != 1 || got.DeviceEntries != 1 || got.Emails != 3 || len(got.Unexpected) != 1 || got.MedianDelay != 4*time.Second {
		t.Errorf("first seen %d, device entries %d, emails %d, unexpected %v, median %s; want 1, 1, 3, [r2 UP → DROP], 4s",
			got.FirstSeen, got.DeviceEntries, got.Emails, got.Unexpected, got.MedianDelay)
	}
	for _, want := range []string{"lost: r1 10.0.0.2 UP → DOWN", "lost: r2 10.0.0.1 UP → DOWN", "duplicated: r1 10.0.0.1 UP → DOWN at 06:00:01",
		"unexpected: r2 10.0.0.1 UP → DROP"} {
		if !strings.Contains(got.details(), want) {
			t.Errorf("details lack %q:\n%s", want, got.details())
		}
	}
}

// TestSinkStoresWholeFiles: a stored message is a whole file named after
// its arrival, with no temporary file left beside it.
func TestSinkStoresWholeFiles(t *testing.T) {
	dir := t.TempDir()
	if err := storeMessage(dir, t0, []byte("Subject: x\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(des) != 1 || !strings.HasPrefix(des[0].Name(), fmt.Sprintf("%020d-", t0.UnixNano())) || !strings.HasSuffix(des[0].Name(), ".eml") {
		t.Fatalf("files %v, want one named <arrival ns>-<random>.eml", des)
	}
}
