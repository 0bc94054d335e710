package main

import (
	"reflect"
	"testing"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
)

// TestPinnedHosts: `hostkeys list` shows every device, then each jump
// host once per site whose devices it is in front of, as its pins are
// kept.
func TestPinnedHosts(t *testing.T) {
	b1, b2 := &config.JumpHost{Name: "b1"}, &config.JumpHost{Name: "b2"}
	got := pinnedHosts([]config.Device{
		{Name: "r1", Site: "dc1", Jump: b1}, {Name: "r2", Site: "dc1", Jump: b1}, {Name: "r3", Site: "dc1"},
		{Name: "r4", Site: "dc2", Jump: b1}, {Name: "r5", Site: "dc2", Jump: b2},
	})
	want := []hostkeyRow{{Site: "dc1", Device: "r1"}, {Site: "dc1", Device: "r2"}, {Site: "dc1", Device: "r3"},
		{Site: "dc2", Device: "r4"}, {Site: "dc2", Device: "r5"},
		{Site: "dc1", Device: "b1", JumpHost: true}, {Site: "dc2", Device: "b1", JumpHost: true}, {Site: "dc2", Device: "b2", JumpHost: true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pinned hosts:\n got %+v\nwant %+v", got, want)
	}
}
