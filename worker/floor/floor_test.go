package floor_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/worker"
	"github.com/linkwatch/linkwatch/worker/floor"
	"github.com/linkwatch/linkwatch/worker/ping"
	"github.com/linkwatch/linkwatch/worker/sim/simtest"
)

const fleet = `devices:
  - { name: ok, platform: %s, username: admin, password: pw, targets: { 10.0.0.1: up } }
  - { name: mute, platform: %s, username: admin, password: pw, session: { no_prompt: true } }
`

// TestProbe probes a simulated device of every platform with its script,
// and fails on a wrong password and on a device that never shows a prompt.
func TestProbe(t *testing.T) {
	for _, platform := range ping.Platforms() {
		t.Run(platform, func(t *testing.T) {
			srv := simtest.Start(t, strings.ReplaceAll(fleet, "%s", platform))
			script, err := worker.ScriptFor(platform, []ping.Params{{Target: "10.0.0.1", Count: 1, Timeout: time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			login := func(password string) *ssh.ClientConfig {
				return &ssh.ClientConfig{User: "admin", Auth: []ssh.AuthMethod{ssh.Password(password)},
					HostKeyCallback: ssh.InsecureIgnoreHostKey()} // the simulator's throwaway keys
			}
			ctx := context.Background()
			ok, _ := srv.Addr("ok")
			if err := floor.Probe(ctx, ok, login("pw"), script.Prompt, script.Lines); err != nil {
				t.Errorf("probe: %v", err)
			}
			if err := floor.Probe(ctx, ok, login("wrong"), script.Prompt, script.Lines); err == nil ||
				!strings.Contains(err.Error(), "unable to authenticate") {
				t.Errorf("wrong password: got %v, want an authentication error", err)
			}
			mute, _ := srv.Addr("mute")
			ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			defer cancel()
			if err := floor.Probe(ctx, mute, login("pw"), script.Prompt, script.Lines); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("no prompt: got %v, want the context's deadline", err)
			}
		})
	}
}
