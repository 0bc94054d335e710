package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	pb "google.golang.org/protobuf/proto"

	"github.com/linkwatch/linkwatch/notifier/mail/smtptest"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/notifier/store/redistest"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/localnats"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// TestPipeline runs the distributed system as separate processes of the
// built binary — scheduler, two workers of site a, one of site b, notifier
// and the simulator — against a real NATS server, a real redis-server and
// an SMTP server with STARTTLS and AUTH.
func TestPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline test skipped in -short mode")
	}
	dir := t.TempDir()
	redisURL := redistest.Start(t)
	prefix := redistest.Prefix(t)
	ns := localnatstest.Start(t)
	smtp := smtptest.Start(t, smtptest.WithAuth("lw", "smtp-secret"))
	caFile := dir + "/smtp-ca.pem"
	if err := os.WriteFile(caFile, smtp.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	fleet := startTestFleet(t, dir, []simDevice{
		{name: "a1", platform: "cisco_iosxe", site: "a", delay: 300 * time.Millisecond},
		{name: "a2", platform: "cisco_iosxr", site: "a", delay: 300 * time.Millisecond},
		{name: "a3", platform: "cisco_nxos", site: "a", delay: 300 * time.Millisecond},
		{name: "b1", platform: "arista_eos", site: "b", delay: 50 * time.Millisecond},
		{name: "b2", platform: "juniper_junos", site: "b", delay: 50 * time.Millisecond},
	}, "10.0.0.1", "10.0.0.2")
	cfg := writeFile(t, dir, "linkwatch.yaml", fmt.Sprintf(`
interval: 2s
nats: { url: %q }
state: { redis_url: %q, prefix: %q }
notify:
  from: linkwatch@example.net
  to: [noc@example.net]
  group_wait: 0s
  stale_after: 1h   # emails are counted: no site alert because a loaded machine fell behind
  smtp: { host: 127.0.0.1, port: %d, tls: starttls, username: lw, password_env: LW_SMTP_PASSWORD, ca_file: %s }
credentials:
  lab: { username: admin, password_env: LW_LAB_PASSWORD }
worker: { concurrency: 4, ack_wait: 1s }
defaults:
  credentials: lab
  ping: { count: 1, timeout: 1s }
devices:
%s`, ns.ClientURL(), redisURL, prefix, smtp.Port(), caFile, fleet.configDevices()))
	env := []string{"LW_LAB_PASSWORD=lab-secret", "LW_SMTP_PASSWORD=smtp-secret"}

	startProc(t, "notifier", env, "notifier", "--config", cfg)
	wa1 := startProc(t, "worker a1", env, "worker", "--config", cfg, "--site", "a", "--id", "wa1", "--log-level", "debug")
	startProc(t, "worker a2", env, "worker", "--config", cfg, "--site", "a", "--id", "wa2")
	startProc(t, "worker b", env, "worker", "--config", cfg, "--site", "b", "--id", "wb")
	startProc(t, "scheduler", env, "scheduler", "--config", cfg)

	st := openRedis(t, redisURL, prefix)

	// 1. Every link reaches UP in the store.
	linksUp(t, st, 10)
	if n := len(smtp.Messages()); n != 0 {
		t.Fatalf("%d emails before any change, want 0", n)
	}

	// 2. A site-a worker killed mid-job loses no result.
	jobRE := regexp.MustCompile(`msg=probing .*?job=(\S+)`)
	start := len(wa1.stderr.String())
	var killedJob string
	waittest.For(t, 30*time.Second, func() error {
		m := jobRE.FindStringSubmatch(wa1.stderr.String()[start:])
		if m == nil {
			return errors.New("worker wa1 has not started a job")
		}
		killedJob = m[1]
		return nil
	})
	wa1.kill()

	// 3. One link goes DOWN: exactly one email.
	fleet.flip(map[string]string{"a1 10.0.0.2": "down"})
	msgs := smtp.WaitFor(t, 1, 60*time.Second)
	checkEmail(t, msgs[0], "a1", "10.0.0.2", "UP", "DOWN")
	settle(t, st, "a1", 3)
	if n := len(smtp.Messages()); n != 1 {
		t.Fatalf("%d emails after one change, want exactly 1", n)
	}

	// 4. It comes back: exactly one recovery email.
	fleet.flip(nil)
	msgs = smtp.WaitFor(t, 2, 60*time.Second)
	checkEmail(t, msgs[1], "a1", "10.0.0.2", "DOWN", "UP")
	if !strings.Contains(msgs[1].Text, "down for") {
		t.Errorf("recovery email does not say how long the link was down:\n%s", msgs[1].Text)
	}
	settle(t, st, "a1", 3)
	if n := len(smtp.Messages()); n != 2 {
		t.Fatalf("%d emails after down and up, want exactly 2", n)
	}

	results := readResults(t, ns)
	if _, ok := results.byJob[killedJob]; !ok {
		t.Errorf("job %s, in flight on the killed worker, has no result", killedJob)
	}
	results.checkNoGaps(t, killedJob)
	for job, r := range results.byJob {
		switch r.GetSite() {
		case "a":
			if r.GetWorker() != "wa1" && r.GetWorker() != "wa2" {
				t.Errorf("site-a job %s taken by %s", job, r.GetWorker())
			}
		case "b":
			if r.GetWorker() != "wb" {
				t.Errorf("site-b job %s taken by %s", job, r.GetWorker())
			}
		}
	}
}

func countLinks(t *testing.T, st state.Store, state string) int {
	devs, err := st.Devices(context.Background())
	if err != nil {
		t.Fatalf("read store: %v", err)
	}
	n := 0
	for _, d := range devs {
		for _, l := range d.Links {
			if l.State == state {
				n++
			}
		}
	}
	return n
}

// settle waits until device has n more results applied, so that a test
// can assert nothing more happened over that time.
func settle(t *testing.T, st state.Store, device string, n int) {
	t.Helper()
	seen, base := 0, lastResult(t, st, device)
	waittest.For(t, 60*time.Second, func() error {
		if l := lastResult(t, st, device); l.After(base) {
			seen, base = seen+1, l
		}
		if seen < n {
			return fmt.Errorf("%d more results of %s, want %d", seen, device, n)
		}
		return nil
	})
}

// lastResult is when the result last applied for device was taken.
func lastResult(t *testing.T, st state.Store, device string) time.Time {
	t.Helper()
	devs, err := st.Devices(context.Background())
	if err != nil {
		t.Fatalf("read store: %v", err)
	}
	for _, d := range devs {
		if d.Name == device {
			return d.LastResult
		}
	}
	return time.Time{}
}

// openRedis opens the store at url under prefix for a test, closed when
// it ends.
func openRedis(t *testing.T, url, prefix string) state.Store {
	t.Helper()
	st, err := store.OpenRedis(context.Background(), url, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// linksUp waits until n links are UP in st.
func linksUp(t *testing.T, st state.Store, n int) {
	t.Helper()
	waittest.For(t, 60*time.Second, func() error {
		if got := countLinks(t, st, "UP"); got != n {
			return fmt.Errorf("%d links UP in the store, want %d", got, n)
		}
		return nil
	})
}

func checkEmail(t *testing.T, m smtptest.Message, device, target, from, to string) {
	t.Helper()
	for _, want := range []string{device, target, from, to} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("email %q lacks %q:\n%s", m.Header.Get("Subject"), want, m.Text)
		}
	}
	if !strings.Contains(m.Header.Get("Subject"), to) {
		t.Errorf("subject %q does not name the new state %s", m.Header.Get("Subject"), to)
	}
	if !regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC`).MatchString(m.Text) {
		t.Errorf("email has no UTC timestamp:\n%s", m.Text)
	}
	if m.HTML == "" {
		t.Error("email has no HTML part")
	}
}

type resultSet struct {
	byJob map[string]*proto.ProbeResult
}

func readResults(t *testing.T, ns *localnats.Server) resultSet {
	t.Helper()
	_, js := localnatstest.Connect(t, ns)
	ctx := context.Background()
	stream, err := js.Stream(ctx, proto.StreamResults)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs := resultSet{byJob: map[string]*proto.ProbeResult{}}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("read result %d: %v", seq, err)
		}
		for _, secret := range []string{"lab-secret", "smtp-secret"} {
			if strings.Contains(string(m.Data), secret) {
				t.Errorf("result %d on %s carries a secret", seq, m.Subject)
			}
		}
		var r proto.ProbeResult
		if err := pb.Unmarshal(m.Data, &r); err != nil {
			t.Fatal(err)
		}
		rs.byJob[r.GetJobId()] = &r
	}
	return rs
}

// checkNoGaps asserts every site-a device has a result for every slot from
// the kill on up to its newest result.
func (rs resultSet) checkNoGaps(t *testing.T, killedJob string) {
	t.Helper()
	_, slotText, _ := strings.Cut(killedJob, "@")
	from, err := strconv.ParseInt(slotText, 10, 64)
	if err != nil {
		t.Fatalf("job id %q: %v", killedJob, err)
	}
	newest := map[string]int64{}
	for job, r := range rs.byJob {
		if r.GetSite() != "a" {
			continue
		}
		_, s, _ := strings.Cut(job, "@")
		slot, _ := strconv.ParseInt(s, 10, 64)
		newest[r.GetDevice()] = max(newest[r.GetDevice()], slot)
	}
	for device, last := range newest {
		for slot := from; slot <= last; slot++ {
			if _, ok := rs.byJob[proto.JobID(device, slot)]; !ok {
				t.Errorf("no result for %s slot %d (between the kill at slot %d and the newest %d)", device, slot, from, last)
			}
		}
	}
}
