package proto

import (
	"testing"
	"time"

	pb "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestMessagesRoundTrip(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	target := &Target{Address: "10.0.0.2", Vrf: "MGMT", Source: "Loopback0", Count: 10,
		Timeout: durationpb.New(2 * time.Second), Size: 1500}
	tests := []struct {
		name string
		msg  pb.Message
		new  func() pb.Message
	}{
		{"ProbeJob", &ProbeJob{
			Id: JobID("r1", 42), Slot: 42, Device: "r1", Site: "dc1", InventoryRevision: "0123456789abcdef",
			ScheduledAt: timestamppb.New(at), Deadline: timestamppb.New(at.Add(5 * time.Minute)),
		}, func() pb.Message { return new(ProbeJob) }},
		{"ProbeResult", &ProbeResult{
			JobId: "r1@42", Device: "r1", Site: "dc1", Worker: "worker-a",
			StartedAt: timestamppb.New(at), CheckedAt: timestamppb.New(at.Add(3 * time.Second)),
			Links: []*LinkResult{
				{Target: target, Status: LinkStatus_LINK_STATUS_DROP, Sent: 5, Received: 3, SuccessPercent: 60,
					RttMinMs: pb.Float64(1), RttAvgMs: pb.Float64(1.5), RttMaxMs: pb.Float64(2),
					CheckedAt: timestamppb.New(at)},
				{Target: &Target{Address: "10.0.0.4"}, Status: LinkStatus_LINK_STATUS_ERROR,
					Error: "% Unrecognized host or address."},
			},
		}, func() pb.Message { return new(ProbeResult) }},
		{"ProbeResult failed", &ProbeResult{
			JobId: "r2@42", Device: "r2", Site: "dc1", Failure: FailureKind_FAILURE_KIND_AUTH_FAILED,
			FailureText: "ssh: unable to authenticate",
		}, func() pb.Message { return new(ProbeResult) }},
		{"StateChange", &StateChange{
			Device: "r1", Site: "dc1", Target: target, From: LinkStatus_LINK_STATUS_UP,
			To: LinkStatus_LINK_STATUS_DOWN, At: timestamppb.New(at), PrevSince: timestamppb.New(at.Add(-time.Hour)),
			Sent: 5, RttAvgMs: pb.Float64(0),
		}, func() pb.Message { return new(StateChange) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := pb.Marshal(tt.msg)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			got := tt.new()
			if err := pb.Unmarshal(b, got); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if !pb.Equal(got, tt.msg) {
				t.Errorf("round trip changed the message:\n got %v\nwant %v", got, tt.msg)
			}
		})
	}
}

// An absent round-trip time and a zero one must stay distinguishable: a link
// with no replies has no RTT, which is not an RTT of 0 ms.
func TestOptionalRTTPresence(t *testing.T) {
	tests := []struct {
		name    string
		in      *LinkResult
		present bool
	}{
		{"absent", &LinkResult{Status: LinkStatus_LINK_STATUS_DOWN, Sent: 5}, false},
		{"zero", &LinkResult{Status: LinkStatus_LINK_STATUS_UP, Sent: 5, Received: 5, RttAvgMs: pb.Float64(0)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := pb.Marshal(tt.in)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			var got LinkResult
			if err := pb.Unmarshal(b, &got); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if present := got.RttAvgMs != nil; present != tt.present {
				t.Errorf("rtt_avg_ms present = %v, want %v", present, tt.present)
			}
		})
	}
}
