package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	pb "google.golang.org/protobuf/proto"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/worker"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// TestPersistentAnswerRefuses publishes hand-made forwarded jobs on the
// subject of the worker holding r1's persistent session: each is refused
// (or, with a reply subject outside the site, not answered at all), and no
// device sees a login for it.
func TestPersistentAnswerRefuses(t *testing.T) {
	noLeak(t)
	r := persistRig(t, 2)
	d := r.inv.Devices["r2"]
	d.Persistent = false
	r.inv.Devices["r2"] = d
	_, _, _ = r.runWorker(t, r.js, persistCfg("w1"))
	r.publish(t, r.job("r1@0", "r1", time.Now().Add(time.Minute)))
	r.wantResult(t, "r1", "r1@0")
	key, _ := proto.SessionKey("dc1", "r1")
	e, err := r.bucket(t).Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	var lease struct{ Subject string }
	if err := json.Unmarshal(e.Value(), &lease); err != nil || lease.Subject == "" {
		t.Fatalf("r1's lease %s names no subject (%v)", e.Value(), err)
	}
	here, _ := proto.SessionSubject("dc1", "tester")
	encode := func(change func(*proto.ProbeJob)) []byte {
		job := r.job("r1@x", "r1", time.Now().Add(time.Minute))
		change(job)
		data, err := pb.Marshal(job)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for _, c := range []struct {
		name  string
		data  []byte
		reply string
		want  string // in the refusal; "" for no answer at all
	}{
		{"another site", encode(func(j *proto.ProbeJob) { j.Site = "dc2" }), here, `job for site "dc2"`},
		{"device not in the inventory", encode(func(j *proto.ProbeJob) { j.Device = "r9" }), here, `device "r9" is not in the inventory`},
		{"device not persistent there", encode(func(j *proto.ProbeJob) { j.Device = "r2" }), here, "not persistent here"},
		{"past its deadline", encode(func(j *proto.ProbeJob) { j.Deadline = r.job("", "", time.Now().Add(-time.Second)).Deadline }), here, "past its deadline"},
		{"undecodable", []byte("\xff\xff\xff"), here, "undecodable job"},
		{"reply outside the site", encode(func(*proto.ProbeJob) {}), "linkwatch.elsewhere", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(r.sim.AuthAttempts("r1")) + len(r.sim.AuthAttempts("r2"))
			reply := c.reply + ".reply." + fmt.Sprint(time.Now().UnixNano())
			sub, err := r.js.Conn().SubscribeSync(reply)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = sub.Unsubscribe() }()
			if err := r.js.Conn().PublishRequest(lease.Subject, reply, c.data); err != nil {
				t.Fatal(err)
			}
			wait := 5 * time.Second
			if c.want == "" {
				wait = time.Second // the absence of an answer: as long as an answer takes, with margin
			}
			m, err := sub.NextMsg(wait)
			switch {
			case c.want == "" && err == nil:
				t.Errorf("answered on %s: %q %v", reply, m.Data, m.Header)
			case c.want == "":
			case err != nil:
				t.Fatalf("no answer: %v", err)
			default:
				if got := m.Header.Get("Linkwatch-Error"); !strings.Contains(got, c.want) {
					t.Errorf("refusal %q, want it to say %q (data %q)", got, c.want, m.Data)
				}
			}
			if after := len(r.sim.AuthAttempts("r1")) + len(r.sim.AuthAttempts("r2")); after != before {
				t.Errorf("%d logins tried for a refused job", after-before)
			}
		})
	}
}

// TestPersistentForwardChecksAnswer: the worker that forwarded a job takes
// from the holder's answer only what is the job's device's: an answer for
// another device is not the job's result, and links to targets the device
// does not have are dropped.
func TestPersistentForwardChecksAnswer(t *testing.T) {
	noLeak(t)
	r := persistRig(t, 1)
	answerFor := func(device string) func(*nats.Msg) {
		return func(m *nats.Msg) {
			now := time.Now()
			data, _ := json.Marshal(worker.DeviceResult{Device: device, Site: "dc1", StartedAt: now, CheckedAt: now, LoggedIn: true,
				Links: []worker.LinkResult{
					{Params: ping.Params{Target: "10.0.0.1", Count: 1, Timeout: time.Second}, CheckedAt: now},
					{Params: ping.Params{Target: "192.0.2.66", Count: 1, Timeout: time.Second}, CheckedAt: now},
				}})
			_ = m.Respond(data)
		}
	}
	var device atomic.Value
	device.Store("r2")
	asked, _ := r.ghostHolder(t, "r1", func(m *nats.Msg) { answerFor(device.Load().(string))(m) })
	_, _, _ = r.runWorker(t, r.js, persistCfg("w1"))
	r.publish(t, r.job("r1@1", "r1", time.Now().Add(time.Minute)))
	waitAsked(t, asked, 3)
	stream, err := r.js.Stream(context.Background(), proto.StreamResults)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := stream.GetLastMsgForSubject(context.Background(), "linkwatch.results.dc1.r1"); err == nil {
		t.Fatalf("a result was published from an answer for r2: %q", m.Data)
	}
	device.Store("r1") // the job, given back to the queue, is forwarded again
	res := r.resultOf(t, "r1", "r1@1")
	if len(res.GetLinks()) != 1 || res.GetLinks()[0].GetTarget().GetAddress() != "10.0.0.1" {
		t.Errorf("links %v, want only 10.0.0.1's: 192.0.2.66 is not r1's target", res.GetLinks())
	}
	if n := len(r.sim.AuthAttempts("r1")); n != 0 {
		t.Errorf("%d logins tried while the holder answered", n)
	}
}
