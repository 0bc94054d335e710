package ping

import (
	"strings"
	"testing"
)

// TestParseEdges pins down outputs no real device should print but a
// truncated, interleaved or corrupted session can.
func TestParseEdges(t *testing.T) {
	tests := []struct {
		name, platform, output string
		status                 Status
		sent, recv             int
		errPrefix              string
	}{
		{"empty", "cisco_iosxe", "", StatusError, 0, 0, "empty output"},
		{"blank lines", "juniper_junos", "\r\n  \n\r", StatusError, 0, 0, "empty output"},
		{"more received than sent", "cisco_iosxr", "Success rate is 100 percent (7/5)", StatusError, 0, 0, "Success rate is 100 percent (7/5)"},
		{"nothing sent", "arista_eos", "0 packets transmitted, 0 received, 0% packet loss", StatusError, 0, 0, "0 packets transmitted"},
		{"count too long", "cisco_iosxe", "Success rate is 0 percent (1/99999999999)", StatusError, 0, 0, "no ping statistics"},
		{"unix count too long", "cisco_nxos", "12345678901 packets transmitted, 5 packets received", StatusError, 0, 0, "no ping statistics"},
		{"last summary wins", "cisco_nxos", "5 packets transmitted, 5 packets received\n5 packets transmitted, 2 packets received", StatusDrop, 5, 2, ""},
		{"statistics beat error lines", "cisco_iosxe", "% No valid route for destination\nSuccess rate is 0 percent (0/1)", StatusDown, 1, 0, ""},
		{"prompt only", "cisco_iosxe", "R1#", StatusError, 0, 0, `no ping statistics in output (last line: "R1#")`},
		{"header without summary", "cisco_iosxr", "Sending 5, 100-byte ICMP Echos to 10.0.0.1, timeout is 2 seconds:\n!!!", StatusError, 5, 0, "no ping statistics"},
		{"syslog before error", "cisco_iosxe", "%LINK-3-UPDOWN: Interface Gi1, changed state to down\n% Bad IP address or host name", StatusError, 0, 0, "% Bad IP address or host name"},
		{"errors and duplicates ignored", "arista_eos", "4 packets transmitted, 3 received, +19 duplicates, +1 errors, 25% packet loss", StatusDrop, 4, 3, ""},
		{"long error clipped", "juniper_junos", "error: " + strings.Repeat("é", 300), StatusError, 0, 0, "error: éé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.platform, tt.output)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, r)
			if r.Status != tt.status || r.Sent != tt.sent || r.Received != tt.recv {
				t.Errorf("got %s %d/%d (%q), want %s %d/%d", r.Status, r.Received, r.Sent, r.Error, tt.status, tt.recv, tt.sent)
			}
			if !strings.HasPrefix(r.Error, tt.errPrefix) {
				t.Errorf("error %q, want prefix %q", r.Error, tt.errPrefix)
			}
			if len(r.Error) > 210 {
				t.Errorf("error is %d bytes long", len(r.Error))
			}
		})
	}
}
