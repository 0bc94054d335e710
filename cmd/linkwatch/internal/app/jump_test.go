package app

import (
	"reflect"
	"testing"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/worker"
)

// TestWorkerInventoryJumpHosts: a worker's devices carry their jump host,
// its credential named, and resolve its login with their own, on the
// worker; the inventory itself never holds a password.
func TestWorkerInventoryJumpHosts(t *testing.T) {
	t.Setenv("LW_TEST_LAB", "lab-pw")
	t.Setenv("LW_TEST_JUMP", "jump-pw")
	cfg, err := config.Parse("linkwatch.yaml", []byte(`
credentials:
  lab: { username: admin, password_env: LW_TEST_LAB }
  bastion: { username: jumper, password_env: LW_TEST_JUMP }
jump_hosts:
  b1: { host: jump.example.net, port: 2222, credentials: bastion, ssh: { ciphers: [aes128-cbc] }, sites: [dc1] }
defaults: { platform: cisco_iosxe, credentials: lab }
devices:
  - { name: r1, host: 10.0.0.1, site: dc1, targets: [10.9.0.1] }
  - { name: r2, host: 10.0.0.2, site: dc1, jump_host: none, targets: [10.9.0.1] }
`))
	if err != nil {
		t.Fatal(err)
	}
	inv := WorkerInventory(cfg, "dc1")
	want := worker.JumpHost{Name: "b1", Host: "jump.example.net", Port: 2222, Credential: "bastion",
		Algorithms: Algorithms(config.SSH{Ciphers: []string{"aes128-cbc"}})}
	if got := inv.Devices["r1"].Jump; !reflect.DeepEqual(got, want) {
		t.Errorf("r1's jump host %+v, want %+v", got, want)
	}
	if inv.Devices["r2"].Jump.Set() {
		t.Errorf("r2 (jump_host: none) has jump host %+v", inv.Devices["r2"].Jump)
	}
	d, err := inv.Devices["r1"].WithCredentials(NewLive(cfg).Credential)
	if err != nil {
		t.Fatal(err)
	}
	if d.Jump.Username != "jumper" || d.Jump.Password != "jump-pw" || d.Password != "lab-pw" {
		t.Errorf("resolved r1: device login %s, jump host login %s", d.Username, d.Jump.Username)
	}
	if inv.Devices["r1"].Jump.Password != "" {
		t.Error("resolving a login wrote the password into the inventory")
	}
}
