package proto

import "testing"

func TestFailureKindShort(t *testing.T) {
	tests := []struct {
		kind  FailureKind
		short string
	}{
		{FailureKind_FAILURE_KIND_UNSPECIFIED, ""},
		{FailureKind_FAILURE_KIND_TIMEOUT, "TIMEOUT"},
		{FailureKind_FAILURE_KIND_REFUSED, "REFUSED"},
		{FailureKind_FAILURE_KIND_AUTH_FAILED, "AUTH_FAILED"},
		{FailureKind_FAILURE_KIND_HOSTKEY_MISMATCH, "HOSTKEY_MISMATCH"},
		{FailureKind_FAILURE_KIND_CLI_ERROR, "CLI_ERROR"},
		{FailureKind_FAILURE_KIND_UNREACHABLE, "UNREACHABLE"},
		{FailureKind_FAILURE_KIND_INTERNAL, "INTERNAL"},
	}
	for _, tt := range tests {
		if got := tt.kind.Short(); got != tt.short {
			t.Errorf("%v.Short() = %q, want %q", tt.kind, got, tt.short)
		}
		if got := FailureKindFromShort(tt.short); got != tt.kind {
			t.Errorf("FailureKindFromShort(%q) = %v, want %v", tt.short, got, tt.kind)
		}
	}
	if n := len(FailureKind_name); n != len(tests) {
		t.Errorf("table covers %d kinds, the enum has %d", len(tests), n)
	}
}

func TestLinkStatusShort(t *testing.T) {
	tests := []struct {
		status LinkStatus
		short  string
	}{
		{LinkStatus_LINK_STATUS_UNSPECIFIED, ""},
		{LinkStatus_LINK_STATUS_UP, "UP"},
		{LinkStatus_LINK_STATUS_DOWN, "DOWN"},
		{LinkStatus_LINK_STATUS_DROP, "DROP"},
		{LinkStatus_LINK_STATUS_ERROR, "ERROR"},
	}
	for _, tt := range tests {
		if got := tt.status.Short(); got != tt.short {
			t.Errorf("%v.Short() = %q, want %q", tt.status, got, tt.short)
		}
		if got := LinkStatusFromShort(tt.short); got != tt.status {
			t.Errorf("LinkStatusFromShort(%q) = %v, want %v", tt.short, got, tt.status)
		}
	}
	if n := len(LinkStatus_name); n != len(tests) {
		t.Errorf("table covers %d statuses, the enum has %d", len(tests), n)
	}
}

func TestFromShortEdgeCases(t *testing.T) {
	tests := []struct {
		in         string
		wantKind   FailureKind
		wantStatus LinkStatus
	}{
		{"timeout", FailureKind_FAILURE_KIND_TIMEOUT, LinkStatus_LINK_STATUS_UNSPECIFIED},
		{"up", FailureKind_FAILURE_KIND_UNSPECIFIED, LinkStatus_LINK_STATUS_UP},
		{"Drop", FailureKind_FAILURE_KIND_UNSPECIFIED, LinkStatus_LINK_STATUS_DROP},
		{"BOGUS", FailureKind_FAILURE_KIND_UNSPECIFIED, LinkStatus_LINK_STATUS_UNSPECIFIED},
		{"FAILURE_KIND_TIMEOUT", FailureKind_FAILURE_KIND_UNSPECIFIED, LinkStatus_LINK_STATUS_UNSPECIFIED},
	}
	for _, tt := range tests {
		if got := FailureKindFromShort(tt.in); got != tt.wantKind {
			t.Errorf("FailureKindFromShort(%q) = %v, want %v", tt.in, got, tt.wantKind)
		}
		if got := LinkStatusFromShort(tt.in); got != tt.wantStatus {
			t.Errorf("LinkStatusFromShort(%q) = %v, want %v", tt.in, got, tt.wantStatus)
		}
	}
	if got := FailureKind(99).Short(); got != "" {
		t.Errorf("FailureKind(99).Short() = %q, want \"\"", got)
	}
}
