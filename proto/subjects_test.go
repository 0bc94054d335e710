package proto

import (
	"strings"
	"testing"
)

var badNames = []string{"dc.1", "a*", "a>", "a b", "", "*", ">", "dc1\n"}

func TestSubjectBuilders(t *testing.T) {
	tests := []struct {
		name  string
		build func() (string, error)
		want  string
	}{
		{"job", func() (string, error) { return JobSubject("dc1") }, "linkwatch.jobs.dc1"},
		{"job dash", func() (string, error) { return JobSubject("eu-west_2") }, "linkwatch.jobs.eu-west_2"},
		{"result", func() (string, error) { return ResultSubject("dc1", "r1") }, "linkwatch.results.dc1.r1"},
		{"result dash", func() (string, error) { return ResultSubject("dc-2", "core-rtr_01") }, "linkwatch.results.dc-2.core-rtr_01"},
		{"worker", func() (string, error) { return WorkerConsumer("dc1") }, "worker-dc1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.build()
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSubjectBuildersRejectBadTokens(t *testing.T) {
	builders := []struct {
		name    string
		build   func(bad string) (string, error)
		wantErr string
	}{
		{"JobSubject", JobSubject, "job subject: site "},
		{"WorkerConsumer", WorkerConsumer, "worker consumer: site "},
		{"ResultSubject site", func(s string) (string, error) { return ResultSubject(s, "r1") }, "result subject: site "},
		{"ResultSubject device", func(s string) (string, error) { return ResultSubject("dc1", s) }, "result subject: device "},
	}
	for _, b := range builders {
		for _, bad := range badNames {
			t.Run(b.name+"/"+bad, func(t *testing.T) {
				got, err := b.build(bad)
				if err == nil {
					t.Fatalf("%s(%q) = %q, want an error", b.name, bad, got)
				}
				if got != "" {
					t.Errorf("%s(%q) returned %q with its error, want \"\"", b.name, bad, got)
				}
				if !strings.HasPrefix(err.Error(), b.wantErr) {
					t.Errorf("error = %q, want prefix %q", err, b.wantErr)
				}
			})
		}
	}
}

func TestJobID(t *testing.T) {
	tests := []struct {
		device string
		slot   int64
		want   string
	}{
		{"r1", 0, "r1@0"},
		{"core-rtr_01", 5926381, "core-rtr_01@5926381"},
	}
	for _, tt := range tests {
		if got := JobID(tt.device, tt.slot); got != tt.want {
			t.Errorf("JobID(%q, %d) = %q, want %q", tt.device, tt.slot, got, tt.want)
		}
	}
}
