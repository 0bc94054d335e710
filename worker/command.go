package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/scrapli/scrapligo/channel"
	"github.com/scrapli/scrapligo/util"
)

// sendCommand types cmd on l's session and returns what the device
// answered, the prompt stripped, within timeout: what scrapligo's
// SendCommand does (type the command, read until its echo, send return,
// read until the prompt, trim), with the same errors (a timeout wraps
// util.ErrTimeoutError, a closed session is util.ErrConnectionError, a
// transport error such as the output limit is returned as it came).
//
// It differs in how it waits: scrapligo's ReadUntil* poll the channel's
// queue, sleeping ReadDelay whenever it is empty (on this kind of machine
// a 50µs sleep lasts a millisecond or more, and a ping waits seconds);
// here the waiting side sleeps on the transport's notification
// (sshTransport.arrived) and wakes once per chunk the read loop queued.
// The reads themselves are scrapligo's: its read loop, its queue, its
// carriage-return and ANSI stripping, and the transport's size limit.
func sendCommand(tr *sshTransport, ch *channel.Channel, cmd string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	input := []byte(cmd)
	out, err := exchange(ctx, tr, ch, input)
	if errors.Is(err, context.DeadlineExceeded) {
		return "", fmt.Errorf("%w: channel timeout sending input to device", util.ErrTimeoutError)
	}
	if err != nil {
		return "", err
	}
	return string(trimOutput(out, ch.PromptPattern, ch.ReturnChar)), nil
}

// exchange writes input, reads until its echo, writes return and reads
// until the prompt, which it returns (the echo not included).
func exchange(ctx context.Context, tr *sshTransport, ch *channel.Channel, input []byte) ([]byte, error) {
	if err := ch.Write(input, false); err != nil {
		return nil, err
	}
	if _, err := readUntil(ctx, tr, ch, echoed(ch, input)); err != nil {
		return nil, err
	}
	if err := ch.WriteReturn(); err != nil {
		return nil, err
	}
	return readUntil(ctx, tr, ch, shows(ch, ch.PromptPattern))
}

// getPrompt sends return and reads until the prompt, which it returns:
// scrapligo's GetPrompt, waiting as sendCommand does.
func getPrompt(tr *sshTransport, ch *channel.Channel, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rb, err := func() ([]byte, error) {
		if err := ch.WriteReturn(); err != nil {
			return nil, err
		}
		return readUntil(ctx, tr, ch, shows(ch, ch.PromptPattern))
	}()
	if errors.Is(err, context.DeadlineExceeded) {
		return "", fmt.Errorf("%w: channel timeout fetching prompt", util.ErrTimeoutError)
	}
	if err != nil {
		return "", err
	}
	return string(ch.PromptPattern.Find(rb)), nil
}

// sendInteractive types input (its echo read unless hide), sends return
// and reads until response shows, and returns all it read, trimmed but
// for the prompt: scrapligo's SendInteractive of one event, waiting as
// sendCommand does. A hidden input is never logged.
func sendInteractive(tr *sshTransport, ch *channel.Channel, input string, response *regexp.Regexp, hide bool,
	timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rb, err := func() ([]byte, error) {
		if err := ch.Write([]byte(input), hide); err != nil {
			return nil, err
		}
		var b []byte
		if !hide {
			echo, err := readUntil(ctx, tr, ch, echoed(ch, []byte(input)))
			if err != nil {
				return nil, err
			}
			b = echo
		}
		if err := ch.WriteReturn(); err != nil {
			return nil, err
		}
		rest, err := readUntil(ctx, tr, ch, shows(ch, response))
		return append(b, rest...), err
	}()
	if errors.Is(err, context.DeadlineExceeded) {
		return "", fmt.Errorf("%w: channel timeout sending input to device", util.ErrTimeoutError)
	}
	if err != nil {
		return "", err
	}
	return string(trimOutput(rb, nil, ch.ReturnChar)), nil
}

// echoed reports whether what was read shows input's echo, roughly (a
// device may redraw the line): scrapligo's ReadUntilFuzzy.
func echoed(ch *channel.Channel, input []byte) func([]byte) bool {
	depth := max(ch.PromptSearchDepth, 2*len(input))
	return func(rb []byte) bool { return util.BytesRoughlyContains(input, searchTail(rb, depth)) }
}

// shows reports whether the end of what was read matches pattern:
// scrapligo's ReadUntilPrompt.
func shows(ch *channel.Channel, pattern *regexp.Regexp) func([]byte) bool {
	return func(rb []byte) bool { return pattern.Match(searchTail(rb, ch.PromptSearchDepth)) }
}

// readUntil reads chunks off ch's queue until done says what was read is
// complete, sleeping on tr's notification while the queue is empty. It
// ends with ctx (its error returned), a transport error (returned) or the
// end of the session (util.ErrConnectionError).
func readUntil(ctx context.Context, tr *sshTransport, ch *channel.Channel, done func([]byte) bool) ([]byte, error) {
	var rb []byte
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		nb, err := ch.Read() // the session's end, a queued transport error, or a chunk
		if err != nil {
			return nil, err
		}
		if nb != nil {
			rb = append(rb, nb...)
			if done(rb) {
				return rb, nil
			}
			continue
		}
		if err := waitChunk(ctx, tr, ch); err != nil {
			return nil, err
		}
	}
}

// endingPoll is how often waitChunk looks for the end of a read loop
// whose transport failed: it ends within microseconds.
const endingPoll = time.Millisecond

// waitChunk waits until the read loop may have queued something more:
// tr's notification, a transport error (returned), or ctx's end. Once the
// transport's reads have failed the loop is ending, and its end shows in
// the channel a moment later: then it polls, as scrapligo does.
func waitChunk(ctx context.Context, tr *sshTransport, ch *channel.Channel) error {
	if tr.readFailed.Load() {
		select {
		case <-ctx.Done():
		case <-time.After(endingPoll):
		}
		return nil
	}
	select {
	case <-tr.arrived:
	case err, ok := <-ch.Errs:
		if !ok {
			return util.ErrConnectionError
		}
		return err
	case <-ctx.Done():
	}
	return nil
}

// searchTail is the end of rb that a match is looked for in: its last
// depth bytes, from the first line break among them (scrapligo's
// processReadBuf).
func searchTail(rb []byte, depth int) []byte {
	if len(rb) <= depth {
		return rb
	}
	tail := rb[len(rb)-depth:]
	if i := bytes.IndexByte(tail, '\n'); i > 0 {
		tail = tail[i:]
	}
	return tail
}

// trimOutput is the answer as scrapligo's SendCommand returns it: each
// line's trailing spaces removed, the prompt removed (unless nil), and
// returns and line breaks trimmed at both ends (scrapligo's processOut).
func trimOutput(b []byte, prompt *regexp.Regexp, ret []byte) []byte {
	lines := bytes.Split(b, []byte("\n"))
	for i, l := range lines {
		lines[i] = bytes.TrimRight(l, " ")
	}
	b = bytes.Join(lines, []byte("\n"))
	if prompt != nil {
		b = prompt.ReplaceAll(b, nil)
	}
	b = bytes.Trim(b, string(ret))
	return bytes.Trim(b, "\n")
}
