package worker

import (
	"reflect"
	"testing"
	"time"
)

// TestCredentialRefusals plays refusals and logins let in on a
// credential's record under the default policy (3 devices within 10m
// pause it for 30m) and checks when it pauses and what it keeps.
func TestCredentialRefusals(t *testing.T) {
	t0 := time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC)
	type event struct {
		at     time.Duration // from t0
		device string        // "" is a login let in
		pauses bool          // this refusal pauses the credential
	}
	tests := []struct {
		name   string
		policy LoginPolicy
		events []event
		want   credentialRecord
	}{
		{"three devices pause it", DefaultLoginPolicy, []event{{0, "r1", false}, {time.Minute, "r2", false}, {2 * time.Minute, "r3", true}},
			credentialRecord{PausedUntil: t0.Add(32 * time.Minute), PausedBy: []string{"r1", "r2", "r3"}}},
		{"one device thrice is one", DefaultLoginPolicy, []event{{0, "r1", false}, {time.Minute, "r1", false}, {2 * time.Minute, "r1", false}},
			credentialRecord{Refusals: []refusal{{"r1", t0.Add(2 * time.Minute)}}}},
		{"refusals out of the window are forgotten", DefaultLoginPolicy,
			[]event{{0, "r1", false}, {5 * time.Minute, "r2", false}, {10 * time.Minute, "r3", false}},
			credentialRecord{Refusals: []refusal{{"r2", t0.Add(5 * time.Minute)}, {"r3", t0.Add(10 * time.Minute)}}}},
		{"a login let in forgets them", DefaultLoginPolicy, []event{{0, "r1", false}, {time.Minute, "r2", false}, {2 * time.Minute, "", false},
			{3 * time.Minute, "r3", false}},
			credentialRecord{Refusals: []refusal{{"r3", t0.Add(3 * time.Minute)}}}},
		{"a refusal while paused joins the devices", DefaultLoginPolicy,
			[]event{{0, "r3", false}, {0, "r2", false}, {0, "r1", true}, {time.Minute, "r4", false}, {time.Minute, "r2", false}},
			credentialRecord{PausedUntil: t0.Add(30 * time.Minute), PausedBy: []string{"r1", "r2", "r3", "r4"}}},
		{"a login let in does not end a pause", DefaultLoginPolicy, []event{{0, "r1", false}, {0, "r2", false}, {0, "r3", true}, {time.Minute, "", false}},
			credentialRecord{PausedUntil: t0.Add(30 * time.Minute), PausedBy: []string{"r1", "r2", "r3"}}},
		{"after the pause, counting starts over", DefaultLoginPolicy,
			[]event{{0, "r1", false}, {0, "r2", false}, {0, "r3", true}, {30 * time.Minute, "r4", false}},
			credentialRecord{Refusals: []refusal{{"r4", t0.Add(30 * time.Minute)}}}},
		{"pause_after 1", LoginPolicy{PauseAfter: 1, Within: time.Minute, PauseFor: time.Hour}, []event{{0, "r1", true}},
			credentialRecord{PausedUntil: t0.Add(time.Hour), PausedBy: []string{"r1"}}},
		{"pause_after 0 never pauses", LoginPolicy{Within: time.Minute, PauseFor: time.Hour},
			[]event{{0, "r1", false}, {0, "r2", false}, {0, "r3", false}, {0, "r4", false}},
			credentialRecord{Refusals: []refusal{{"r1", t0}, {"r2", t0}, {"r3", t0}, {"r4", t0}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c credentialRecord
			for i, e := range tt.events {
				if e.device == "" {
					c.accept()
					continue
				}
				if got := c.refuse(e.device, t0.Add(e.at), tt.policy); got != e.pauses {
					t.Errorf("event %d (%s at %v): paused %v, want %v", i, e.device, e.at, got, e.pauses)
				}
			}
			if !reflect.DeepEqual(c, tt.want) {
				t.Errorf("record %+v, want %+v", c, tt.want)
			}
		})
	}
}

func TestPausedText(t *testing.T) {
	c := credentialRecord{PausedUntil: time.Date(2026, 3, 7, 9, 30, 0, 0, time.FixedZone("CET", 3600)), PausedBy: []string{"r1", "r2", "r3"}}
	want := `credential "lab" is paused until 2026-03-07T08:30:00Z: r1, r2, r3 refused it; r4 was not logged into, so that the account is not locked out (worker.logins)`
	if got := c.pausedText("lab", "r4"); got != want {
		t.Errorf("text %q\nwant %q", got, want)
	}
}
