package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker"
)

// pausedGauge reads linkwatch_worker_credential_paused of credential at
// dc1 from reg: -1 when it is not there.
func pausedGauge(t *testing.T, reg *prometheus.Registry, credential string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "linkwatch_worker_credential_paused" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["site"] == "dc1" && labels["credential"] == credential {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

// TestCredentialPausedAcrossWorkers runs two workers of a site, one login
// at a time over the site, and five devices that all refuse credential
// bad: three refusals pause it, and the other two devices are answered
// AUTH_FAILED without a login, with a text that says why. One error line
// names the pause, the gauge is 1 while it lasts, no password is in any
// log or result; a device with another credential is probed as ever.
// When the pause is over, the next job logs in again.
func TestCredentialPausedAcrossWorkers(t *testing.T) {
	devices := map[string]string{"r6": ""}
	for i := 1; i <= 5; i++ {
		devices[fmt.Sprintf("r%d", i)] = ""
	}
	r := newSiteRig(t, fleetOf(devices), true)
	r.creds["bad"] = worker.Login{Username: "admin", Password: "wrong-pw"}
	r.creds["lab"] = worker.Login{Username: "admin", Password: "right-pw"}
	for i := 1; i <= 5; i++ {
		name := fmt.Sprintf("r%d", i)
		r.add(name, name, "bad")
	}
	r.add("r6", "r6", "lab")
	reg := prometheus.NewRegistry()
	metrics := worker.NewMetrics(reg)
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The pause must outlast everything up to the gauge's read below on a
	// loaded machine (r4 and r5 answered, r6 probed): ten seconds.
	policy := worker.LoginPolicy{PauseAfter: 3, Within: time.Minute, PauseFor: 10 * time.Second}
	for _, id := range []string{"w1", "w2"} {
		r.startWorker(t, worker.ServiceConfig{ID: id, Concurrency: 2, SiteConcurrency: 1, Logins: policy, Metrics: metrics, Log: log})
	}
	for _, d := range []string{"r1", "r2", "r3", "r4", "r5", "r6"} {
		r.publish(t, r.job(d+"@1", d, time.Now().Add(time.Minute)))
	}
	for _, d := range []string{"r1", "r2", "r3"} {
		res := r.resultOf(t, d, d+"@1")
		if want := `the device refused the login of credential "bad"`; res.GetFailure() != proto.FailureKind_FAILURE_KIND_AUTH_FAILED ||
			!strings.Contains(res.GetFailureText(), want) {
			t.Errorf("%s: %v %q, want AUTH_FAILED with %q", d, res.GetFailure(), res.GetFailureText(), want)
		}
	}
	for _, d := range []string{"r4", "r5"} {
		res := r.resultOf(t, d, d+"@1")
		want := `credential "bad" is paused until `
		if res.GetFailure() != proto.FailureKind_FAILURE_KIND_AUTH_FAILED || !strings.Contains(res.GetFailureText(), want) ||
			!strings.Contains(res.GetFailureText(), ": r1, r2, r3 refused it; "+d+" was not logged into") {
			t.Errorf("%s: %v %q, want AUTH_FAILED with %q and the devices that refused it", d, res.GetFailure(), res.GetFailureText(), want)
		}
	}
	if res := r.resultOf(t, "r6", "r6@1"); res.GetFailure() != proto.FailureKind_FAILURE_KIND_UNSPECIFIED {
		t.Errorf("r6, credential lab: %v %q", res.GetFailure(), res.GetFailureText())
	}
	attempts := 0
	for i := 1; i <= 5; i++ {
		attempts += len(r.sim.AuthAttempts(fmt.Sprintf("r%d", i)))
	}
	if attempts != 3 {
		t.Errorf("%d login attempts with credential bad, want 3", attempts)
	}
	text := logs.String()
	if n := strings.Count(text, "level=ERROR"); n != 1 || !strings.Contains(text, `msg="credential paused: several devices refused it`) ||
		!strings.Contains(text, "credential=bad") || !strings.Contains(text, "devices=\"[r1 r2 r3]\"") || !strings.Contains(text, "site=dc1") {
		t.Errorf("%d error lines, want one naming credential bad, site dc1 and devices r1 r2 r3:\n%s", n, text)
	}
	for _, secret := range []string{"wrong-pw", "right-pw"} {
		if strings.Contains(text, secret) {
			t.Errorf("the workers' log holds a password:\n%s", text)
		}
	}
	if v := pausedGauge(t, reg, "bad"); v != 1 {
		t.Errorf("linkwatch_worker_credential_paused{credential=bad} = %v while paused, want 1", v)
	}

	// The pause ends at its time; then the next job logs in again.
	waittest.For(t, 30*time.Second, func() error {
		if v := pausedGauge(t, reg, "bad"); v != 0 {
			return fmt.Errorf("credential bad paused gauge %v, want 0 once the pause is over", v)
		}
		return nil
	})
	r.publish(t, r.job("r4@2", "r4", time.Now().Add(time.Minute)))
	if res := r.resultOf(t, "r4", "r4@2"); !strings.Contains(res.GetFailureText(), "the device refused the login") {
		t.Errorf("r4 after the pause: %v %q, want a login refused", res.GetFailure(), res.GetFailureText())
	}
	if n := len(r.sim.AuthAttempts("r4")); n != 1 {
		t.Errorf("r4: %d login attempts after the pause, want 1", n)
	}
}

// TestLoginLetInClearsRefusals has one device refuse credential lab and
// another let it in: the record of refusals in the bucket is cleared.
func TestLoginLetInClearsRefusals(t *testing.T) {
	r := newSiteRig(t, fleetOf(map[string]string{"r1": "", "r2": "password: other-pw"}), true)
	r.creds["lab"] = worker.Login{Username: "admin", Password: "right-pw"}
	r.add("r1", "r1", "lab")
	r.add("r2", "r2", "lab")
	r.startWorker(t, worker.ServiceConfig{ID: "w1", Logins: worker.DefaultLoginPolicy})
	refusals := func() []string {
		e, err := r.bucket(t).Get(context.Background(), "dc1.credential.lab")
		if err != nil {
			t.Fatalf("read the record of credential lab: %v", err)
		}
		r.noSecret(t, "the record of credential lab", e.Value())
		var rec struct{ Refusals []struct{ Device string } }
		if err := json.Unmarshal(e.Value(), &rec); err != nil {
			t.Fatal(err)
		}
		var devices []string
		for _, x := range rec.Refusals {
			devices = append(devices, x.Device)
		}
		return devices
	}
	r.publish(t, r.job("r2@1", "r2", time.Now().Add(time.Minute)))
	r.resultOf(t, "r2", "r2@1")
	if got := refusals(); len(got) != 1 || got[0] != "r2" {
		t.Errorf("refusals after r2 refused: %v, want [r2]", got)
	}
	r.publish(t, r.job("r1@1", "r1", time.Now().Add(time.Minute)))
	r.resultOf(t, "r1", "r1@1")
	if got := refusals(); len(got) != 0 {
		t.Errorf("refusals after r1 let the credential in: %v, want none", got)
	}
}

// TestLoginGuardStepsAsideWithoutBucket runs a worker before the scheduler
// made the login bucket: it probes unguarded (a credential that would be
// paused after one refusal is tried again) and warns once; once the bucket
// is there, the guard works.
func TestLoginGuardStepsAsideWithoutBucket(t *testing.T) {
	r := newSiteRig(t, fleetOf(map[string]string{"r1": ""}), false)
	if err := proto.EnsureStreams(context.Background(), r.js, time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	r.creds["bad"] = worker.Login{Username: "admin", Password: "wrong-pw"}
	r.add("r1", "r1", "bad")
	svc, logs := r.startWorker(t, worker.ServiceConfig{ID: "w1",
		Logins: worker.LoginPolicy{PauseAfter: 1, Within: time.Minute, PauseFor: time.Hour}})
	for i := 1; i <= 2; i++ {
		r.publish(t, r.job(fmt.Sprintf("r1@%d", i), "r1", time.Now().Add(time.Minute)))
		r.resultOf(t, "r1", fmt.Sprintf("r1@%d", i))
	}
	waittest.For(t, 10*time.Second, counted("jobs probed", svc.Probed, 2))
	if n := len(r.sim.AuthAttempts("r1")); n != 2 {
		t.Errorf("%d login attempts without the bucket, want 2 (unguarded)", n)
	}
	if n := strings.Count(logs.String(), "login guard unavailable"); n != 1 {
		t.Errorf("%d warnings that the guard is unavailable, want 1:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "the scheduler creates it when it starts") {
		t.Errorf("the warning does not say who makes the bucket:\n%s", logs)
	}

	if err := proto.EnsureBuckets(context.Background(), r.js, 1); err != nil {
		t.Fatal(err)
	}
	for i := 3; i <= 4; i++ {
		r.publish(t, r.job(fmt.Sprintf("r1@%d", i), "r1", time.Now().Add(time.Minute)))
	}
	if res := r.resultOf(t, "r1", "r1@4"); !strings.Contains(res.GetFailureText(), `credential "bad" is paused until`) {
		t.Errorf("r1@4, after r1@3 refused credential bad with the bucket there: %q, want it paused", res.GetFailureText())
	}
	if n := len(r.sim.AuthAttempts("r1")); n != 3 {
		t.Errorf("%d login attempts, want 3", n)
	}
}
