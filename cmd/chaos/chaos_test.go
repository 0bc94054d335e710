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
	"github.com/linkwatch/linkwatch/proto/waittest"
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
// (lost), a change no flip made (unexpected), a first state, a device
// entry and a site entry (neither flips nor duplicates).
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
	writeEmail(t, dir, "b", t0.Add(4*time.Second), down,
		state.Alert{ID: "s", Kind: state.AlertSite, Site: "dc2", Failure: "STALE", Worker: "w1", At: t0, FailureSince: t0.Add(-10 * time.Second)})
	writeEmail(t, dir, "c", t0.Add(9*time.Second), linkAlert("r1", "10.0.0.1", "DOWN", "UP", t0.Add(6*time.Second)),
		linkAlert("r2", "10.0.0.1", "UP", "DROP", t0.Add(time.Second)))
	// A copy of c, sent again after a crash: the same Message-ID, merged.
	writeEmail(t, dir, "c", t0.Add(11*time.Second), linkAlert("r1", "10.0.0.1", "DOWN", "UP", t0.Add(6*time.Second)),
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
	if got.FirstSeen != 1 || got.DeviceEntries != 1 || got.SiteEntries != 1 || got.Other != 0 || got.Emails != 4 ||
		len(got.Unexpected) != 1 || got.MedianDelay != 4*time.Second || got.DuplicateMessageIDs != 1 {
		t.Errorf("first seen %d, device entries %d, site entries %d, other %d, emails %d, unexpected %v, median %s, copies %d; want 1, 1, 1, 0, 4, [r2 UP → DROP], 4s, 1",
			got.FirstSeen, got.DeviceEntries, got.SiteEntries, got.Other, got.Emails, got.Unexpected, got.MedianDelay, got.DuplicateMessageIDs)
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

// TestKillOne: the chaos loop never has more than maxDown processes down,
// skips what may not be killed and counts its kills, and the supervisor
// starts every process again.
func TestKillOne(t *testing.T) {
	var progress waittest.Buffer
	s := newSupervisor(t.TempDir(), 300*time.Millisecond, 300*time.Millisecond, 1, &progress)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		cancel()
		s.stop()
	}()
	s.start(ctx, &process{kind: "sleeper", name: "sleeper-1", killable: true, argv: []string{"sleep", "60"}})
	s.start(ctx, &process{kind: "sleeper", name: "sleeper-2", killable: true, argv: []string{"sleep", "60"}})
	s.start(ctx, &process{kind: "network", name: "network", argv: []string{"sleep", "60"}})
	waitUp(t, s)
	victim := s.killOne(1)
	if victim == nil || victim.kind != "sleeper" {
		t.Fatalf("killed %v, want a sleeper", victim)
	}
	if again := s.killOne(1); again != nil {
		t.Fatalf("killed %s while %s is down, with at most one down", again.name, victim.name)
	}
	waitUp(t, s)
	if v := s.killOne(1); v == nil || v.kind != "sleeper" {
		t.Fatalf("killed %v once all were up again, want a sleeper", v)
	}
	waitUp(t, s)
	kills, selfExits := s.counts()
	if kills["sleeper"] != 2 || kills["network"] != 0 || selfExits["sleeper"] != 0 {
		t.Errorf("kills %v, self-exits %v; want 2 sleepers killed, no self-exit", kills, selfExits)
	}
}

// TestSelfExit: a process that exits by itself is started again and
// counted as a self-exit, not a kill.
func TestSelfExit(t *testing.T) {
	var progress waittest.Buffer
	s := newSupervisor(t.TempDir(), 0, 0, 1, &progress)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		cancel()
		s.stop()
	}()
	s.start(ctx, &process{kind: "quitter", name: "quitter", argv: []string{"sh", "-c", "exit 1"}})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		kills, selfExits := s.counts()
		if selfExits["quitter"] >= 2 && kills["quitter"] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kills %v, self-exits %v after 10s; want the quitter's exits counted, twice at least", kills, selfExits)
		}
	}
	if !strings.Contains(progress.String(), "quitter exited by itself (exit status 1); restarting it") {
		t.Errorf("progress does not say the quitter exited:\n%s", progress.String())
	}
}

func waitUp(t *testing.T, s *supervisor) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.allUp(ctx); err != nil {
		t.Fatalf("not every process is up after 10s: %v", err)
	}
}

// TestFlipperHolds: a link flips only once the sim has answered its pings
// with its current behaviour (answers with the old one do not count) and
// its hold has passed.
func TestFlipperHolds(t *testing.T) {
	dir := t.TempDir()
	f := newFlipper(filepath.Join(dir, "fleet.yaml"), []simDevice{{name: "r1", site: "dc1", platform: "cisco_iosxe",
		port: 2201, targets: []string{"10.0.0.1"}}}, 2, time.Second, 1)
	ping := func(behaviour string) {
		f.simLine(`time=x level=DEBUG msg="ping answered" device=r1 remote=127.0.0.1:1 user=admin target=10.0.0.1 behaviour=` +
			behaviour + ` sent=1 received=1`)
	}
	if n := f.due(t0, 10); n != 0 {
		t.Fatalf("flipped %d links before any ping", n)
	}
	ping("up")
	ping("up")
	if n := f.due(t0, 10); n != 1 {
		t.Fatalf("flipped %d links after two pings, want 1", n)
	}
	ping("up") // answered before the reload: not the new behaviour
	ping("down")
	ping("down")
	if n := f.due(t0.Add(500*time.Millisecond), 10); n != 0 {
		t.Fatal("flipped within the hold")
	}
	if n := f.due(t0.Add(2*time.Second+time.Millisecond), 10); n != 1 {
		t.Fatal("not flipped after two pings and the hold")
	}
	got := f.made()
	if len(got) != 2 || got[0].from != "UP" || got[0].to != "DOWN" || got[1].from != "DOWN" || got[1].to != "UP" {
		t.Fatalf("flips %+v, want UP → DOWN, DOWN → UP", got)
	}
	if err := f.write(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(f.path)
	if !strings.Contains(string(data), "10.0.0.1: up\n") {
		t.Errorf("fleet file:\n%s", data)
	}
}
