package proto

import (
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

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
		{FailureKind_FAILURE_KIND_SSH_NEGOTIATION, "SSH_NEGOTIATION"},
	}
	for _, tt := range tests {
		if got := tt.kind.Short(); got != tt.short {
			t.Errorf("%v.Short() = %q, want %q", tt.kind, got, tt.short)
		}
		if got, ok := FailureKindFromShort(tt.short); got != tt.kind || !ok {
			t.Errorf("FailureKindFromShort(%q) = %v, %v; want %v, true", tt.short, got, ok, tt.kind)
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
		if got, ok := LinkStatusFromShort(tt.short); got != tt.status || !ok {
			t.Errorf("LinkStatusFromShort(%q) = %v, %v; want %v, true", tt.short, got, ok, tt.status)
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
		kindOK     bool
		wantStatus LinkStatus
		statusOK   bool
	}{
		{"timeout", FailureKind_FAILURE_KIND_TIMEOUT, true, 0, false},
		{"up", 0, false, LinkStatus_LINK_STATUS_UP, true},
		{"Drop", 0, false, LinkStatus_LINK_STATUS_DROP, true},
		{"", 0, true, 0, true},
		{"BOGUS", 0, false, 0, false},
		{"UNSPECIFIED", 0, false, 0, false},
		{"FAILURE_KIND_TIMEOUT", 0, false, 0, false},
		{"UNKNOWN_99", 99, true, 99, true},
		{"unknown_99", 99, true, 99, true},
		{"UNKNOWN_1", 0, false, 0, false}, // 1 has a name
		{"UNKNOWN_0", 0, false, 0, false},
		{"UNKNOWN_099", 0, false, 0, false},
		{"UNKNOWN_", 0, false, 0, false},
	}
	for _, tt := range tests {
		if got, ok := FailureKindFromShort(tt.in); got != tt.wantKind || ok != tt.kindOK {
			t.Errorf("FailureKindFromShort(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.wantKind, tt.kindOK)
		}
		if got, ok := LinkStatusFromShort(tt.in); got != tt.wantStatus || ok != tt.statusOK {
			t.Errorf("LinkStatusFromShort(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.wantStatus, tt.statusOK)
		}
	}
}

// TestEnumsMatchTheProtoFile ties linkwatch.proto to the generated Go: each
// enum has the same values, by name and number, in both. A value added to
// one and not regenerated into the other fails here.
func TestEnumsMatchTheProtoFile(t *testing.T) {
	src, err := os.ReadFile("linkwatch.proto")
	if err != nil {
		t.Fatal(err)
	}
	for _, ed := range []protoreflect.EnumDescriptor{LinkStatus(0).Descriptor(), FailureKind(0).Descriptor()} {
		body := regexp.MustCompile(`(?s)\benum ` + string(ed.Name()) + ` \{(.*?)\}`).FindSubmatch(src)
		if body == nil {
			t.Fatalf("no enum %s in linkwatch.proto", ed.Name())
		}
		inFile := map[string]int32{}
		for _, m := range regexp.MustCompile(`(?m)^\s*([A-Z0-9_]+)\s*=\s*(\d+)\s*;`).FindAllSubmatch(body[1], -1) {
			n, _ := strconv.Atoi(string(m[2]))
			inFile[string(m[1])] = int32(n)
		}
		vals := ed.Values()
		if len(inFile) != vals.Len() {
			t.Errorf("%s: %d values in linkwatch.proto, %d generated", ed.Name(), len(inFile), vals.Len())
		}
		for i := range vals.Len() {
			v := vals.Get(i)
			if n, ok := inFile[string(v.Name())]; !ok || n != int32(v.Number()) {
				t.Errorf("%s: generated %s = %d, linkwatch.proto has %d (present %v)", ed.Name(), v.Name(), v.Number(), n, ok)
			}
		}
	}
}

// TestShortNamesCoverTheEnums walks every value of both enums' descriptors:
// each has a short name (none but UNSPECIFIED's is ""), reads back from it,
// and keeps it through JSON. So does a value this build does not name, as
// a newer peer may send: its short name is not "", and it is not Known.
func TestShortNamesCoverTheEnums(t *testing.T) {
	type enum interface {
		Short() string
		Known() bool
	}
	check := func(t *testing.T, prefix string, name string, num int32, e enum, back func(string) (int32, bool), js func() (int32, error)) {
		t.Helper()
		short := e.Short()
		switch {
		case num == 0 && short != "":
			t.Errorf("%s: short %q, want \"\"", name, short)
		case num != 0 && name != "" && short != strings.TrimPrefix(name, prefix):
			t.Errorf("%s: short %q, want %q", name, short, strings.TrimPrefix(name, prefix))
		case num != 0 && name == "" && short != "UNKNOWN_"+strconv.Itoa(int(num)):
			t.Errorf("%d: short %q, want UNKNOWN_%d", num, short, num)
		}
		if got, ok := back(short); got != num || !ok {
			t.Errorf("%s (%d): short %q reads back as %d, %v", name, num, short, got, ok)
		}
		if got, err := js(); got != num || err != nil {
			t.Errorf("%s (%d): JSON round trip gave %d, %v", name, num, got, err)
		}
		if want := num != 0 && name != ""; e.Known() != want {
			t.Errorf("%s (%d): Known() = %v, want %v", name, num, e.Known(), want)
		}
	}
	t.Run("LinkStatus", func(t *testing.T) {
		vals := LinkStatus(0).Descriptor().Values()
		nums := []int32{int32(vals.Len()) + 100}
		for i := range vals.Len() {
			nums = append(nums, int32(vals.Get(i).Number()))
		}
		for _, n := range nums {
			s := LinkStatus(n)
			name := LinkStatus_name[n]
			check(t, statusPrefix, name, n, s,
				func(x string) (int32, bool) { v, ok := LinkStatusFromShort(x); return int32(v), ok },
				func() (int32, error) {
					var got struct{ S LinkStatus }
					b, err := json.Marshal(struct{ S LinkStatus }{s})
					if err == nil {
						err = json.Unmarshal(b, &got)
					}
					return int32(got.S), err
				})
		}
	})
	t.Run("FailureKind", func(t *testing.T) {
		vals := FailureKind(0).Descriptor().Values()
		nums := []int32{int32(vals.Len()) + 100}
		for i := range vals.Len() {
			nums = append(nums, int32(vals.Get(i).Number()))
		}
		for _, n := range nums {
			k := FailureKind(n)
			name := FailureKind_name[n]
			check(t, failurePrefix, name, n, k,
				func(x string) (int32, bool) { v, ok := FailureKindFromShort(x); return int32(v), ok },
				func() (int32, error) {
					var got struct{ K FailureKind }
					b, err := json.Marshal(struct{ K FailureKind }{k})
					if err == nil {
						err = json.Unmarshal(b, &got)
					}
					return int32(got.K), err
				})
		}
	})
	var s LinkStatus
	if err := json.Unmarshal([]byte(`"SIDEWAYS"`), &s); err == nil {
		t.Errorf("JSON \"SIDEWAYS\" read as link status %v", s)
	}
}
