package render

import (
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch/notifier/state"
)

func TestMessageIDIsTheAlerts(t *testing.T) {
	a, b, c := state.Alert{ID: "r1|10.0.0.1|UP>DOWN|1"}, state.Alert{ID: "r2|10.0.0.1|UP>DOWN|1"}, state.Alert{ID: "r3|device|ok>TIMEOUT|1"}
	id := MessageID([]state.Alert{a, b}, "linkwatch <lw@noc.example.net>")
	if !strings.HasPrefix(id, "linkwatch.") || !strings.HasSuffix(id, "@noc.example.net") || strings.ContainsAny(id, "<> ") {
		t.Errorf("MessageID = %q, want linkwatch.HASH@noc.example.net", id)
	}
	if again := MessageID([]state.Alert{b, a}, "lw@noc.example.net"); again != id {
		t.Errorf("the same alerts in another order give %q, want %q", again, id)
	}
	if other := MessageID([]state.Alert{a, b, c}, "lw@noc.example.net"); other == id {
		t.Errorf("another set of alerts gives the same Message-ID %q", id)
	}
	if got := MessageID([]state.Alert{a}, ""); !strings.HasSuffix(got, "@linkwatch.invalid") {
		t.Errorf("MessageID without a From = %q, want it @linkwatch.invalid", got)
	}
	e := Alerts([]state.Alert{{ID: "x", Kind: state.AlertDevice, Route: "dc1-team"}}, "lw@example.net", nil, nil)
	if e.Headers[HeaderAlerts] != "1" || e.Headers[HeaderRoute] != "dc1-team" || e.MessageID == "" {
		t.Errorf("email headers %v, Message-ID %q", e.Headers, e.MessageID)
	}
}
