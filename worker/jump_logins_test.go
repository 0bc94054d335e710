package worker_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/worker"
)

// TestJumpCredentialPaused runs a site's worker over four devices behind
// a bastion that refuses the jump host's credential, and a device reached
// directly with the devices' credential: three refusals by the bastion
// pause the jump host's credential, not the devices' (which no device
// saw), the fourth device is answered without a login, and the direct
// device is probed as ever.
func TestJumpCredentialPaused(t *testing.T) {
	devices := map[string]string{}
	for i := 1; i <= 5; i++ {
		devices[fmt.Sprintf("r%d", i)] = ""
	}
	r := newSiteRig(t, fleetOf(devices)+"bastions:\n  - {name: b1, username: jumper, password: jump-pw}\n", true)
	r.creds["lab"] = worker.Login{Username: "admin", Password: "right-pw"}
	r.creds["badjump"] = worker.Login{Username: "jumper", Password: "not-the-jump-pw"}
	behind := []string{"r1", "r2", "r3", "r4"}
	for _, name := range append(behind, "r5") {
		r.add(name, name, "lab")
	}
	for _, name := range behind {
		d := r.inv.Devices[name]
		d.Jump = worker.JumpHost{Name: "b1", Host: "127.0.0.1", Port: r.sim.Port("b1"), Credential: "badjump"}
		r.inv.Devices[name] = d
	}
	reg := prometheus.NewRegistry()
	r.startWorker(t, worker.ServiceConfig{ID: "w1", Concurrency: 1, SiteConcurrency: 1, Metrics: worker.NewMetrics(reg),
		Logins: worker.LoginPolicy{PauseAfter: 3, Within: time.Minute, PauseFor: time.Minute}})
	for _, d := range append(behind, "r5") {
		r.publish(t, r.job(d+"@1", d, time.Now().Add(time.Minute)))
	}
	var refused, paused int
	for _, d := range behind {
		res := r.resultOf(t, d, d+"@1")
		text := res.GetFailureText()
		switch {
		case res.GetFailure() != proto.FailureKind_FAILURE_KIND_AUTH_FAILED:
			t.Errorf("%s: %v %q, want AUTH_FAILED", d, res.GetFailure(), text)
		case strings.Contains(text, `jump host b1 (127.0.0.1:`) && strings.Contains(text, `refused the login of credential "badjump"`):
			refused++
		case strings.Contains(text, `credential "badjump" is paused until `) && strings.Contains(text, "jump host b1 (for r"):
			paused++
		default:
			t.Errorf("%s: %q, want the jump host's refusal or its credential's pause", d, text)
		}
	}
	if refused != 3 || paused != 1 {
		t.Errorf("%d refused by the jump host and %d paused, want 3 and 1", refused, paused)
	}
	if res := r.resultOf(t, "r5", "r5@1"); res.GetFailure() != proto.FailureKind_FAILURE_KIND_UNSPECIFIED {
		t.Errorf("r5, reached directly with credential lab: %v %q", res.GetFailure(), res.GetFailureText())
	}
	if v := pausedGauge(t, reg, "badjump"); v != 1 {
		t.Errorf("credential badjump paused gauge %v, want 1", v)
	}
	if v := pausedGauge(t, reg, "lab"); v == 1 {
		t.Error("the devices' credential lab was paused for the jump host's refusals")
	}
	for _, d := range behind {
		if n := len(r.sim.AuthAttempts(d)); n != 0 {
			t.Errorf("%s, behind the refusing jump host, saw %d logins", d, n)
		}
	}
	logins := map[string]bool{}
	for _, a := range r.sim.AuthAttempts("b1") {
		logins[a.Remote] = true
	}
	if len(logins) != 3 {
		t.Errorf("the bastion saw %d login connections, want 3 (then the credential was paused)", len(logins))
	}
}
