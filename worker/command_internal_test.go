package worker

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/channel"
	"github.com/scrapli/scrapligo/util"

	"github.com/linkwatch/linkwatch/worker/ping"
)

// TestSendCommandAsScrapligo: sendCommand (and getPrompt, sendInteractive)
// answer as scrapligo's SendCommand (GetPrompt, SendInteractive) do on the
// same session (the same text, the prompt, trailing
// spaces, carriage returns and ANSI sequences removed), command after
// command, and a device that never shows the prompt again is a timeout of
// scrapligo's kind.
func TestSendCommandAsScrapligo(t *testing.T) {
	answer := "Type escape sequence to abort.   \r\n\x1b[1mSending 5, 100-byte ICMP Echos to 10.0.0.1, timeout is 1 seconds:\x1b[0m\r\n" +
		"!!!!!\r\n\r\nSuccess rate is 100 percent (5/5), round-trip min/avg/max = 1/2/4 ms  \r\n"
	var hang atomic.Bool
	port, _ := hostileShell(t, func(w io.Writer) error {
		if hang.Load() {
			<-t.Context().Done() // never the prompt
		}
		_, err := io.WriteString(w, answer)
		return err
	})
	p := &Prober{HostKeys: InsecureHostKeys{}, ConnectTimeout: 2 * time.Second, SetupTimeout: time.Second}
	d := Device{Name: "r1", Site: "dc1", Host: "127.0.0.1", Port: port, Platform: "cisco_iosxe", Username: "admin",
		Password: "pw", Targets: []ping.Params{{Target: "10.0.0.1", Count: 5, Timeout: time.Second}}}
	var res DeviceResult
	l, ok := p.connect(context.Background(), context.Background(), d, &res)
	if !ok {
		t.Fatalf("connect: %v %s", res.Failure, res.FailureText)
	}
	defer l.close()
	for _, cmd := range []string{"ping 10.0.0.1 repeat 5 timeout 1", "terminal length 0", "ping 10.0.0.1 repeat 5 timeout 1"} {
		want, err := l.drv.SendCommand(cmd)
		if err != nil {
			t.Fatalf("scrapligo %q: %v", cmd, err)
		}
		got, err := sendCommand(l.tr, l.drv.Channel, cmd, time.Second)
		if err != nil {
			t.Fatalf("sendCommand %q: %v", cmd, err)
		}
		if got != want.Result {
			t.Errorf("%q: sendCommand gives\n%q\nscrapligo\n%q", cmd, got, want.Result)
		}
	}
	want, err := l.drv.GetPrompt()
	if got, gerr := getPrompt(l.tr, l.drv.Channel, time.Second); err != nil || gerr != nil || got != want {
		t.Errorf("getPrompt: %q, %v; scrapligo %q, %v", got, gerr, want, err)
	}
	for _, hide := range []bool{false, true} {
		event := &channel.SendInteractiveEvent{ChannelInput: "terminal length 0", ChannelResponse: l.drv.Channel.PromptPattern.String(), HideInput: hide}
		want, err := l.drv.SendInteractive([]*channel.SendInteractiveEvent{event})
		got, gerr := sendInteractive(l.tr, l.drv.Channel, event.ChannelInput, l.drv.Channel.PromptPattern, hide, time.Second)
		if err != nil || gerr != nil || got != want.Result {
			t.Errorf("sendInteractive, hidden %t: %q, %v; scrapligo %q, %v", hide, got, gerr, want.Result, err)
		}
	}
	hang.Store(true)
	start := time.Now()
	_, err = sendCommand(l.tr, l.drv.Channel, "ping 10.0.0.1", 200*time.Millisecond)
	if !errors.Is(err, util.ErrTimeoutError) {
		t.Errorf("no prompt: got %v, want util.ErrTimeoutError", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("no prompt: returned after %s, want about 200ms", took)
	}
}
