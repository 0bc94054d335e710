package ping

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The two ways routers summarise a ping. Cisco IOS, IOS-XE and IOS-XR print
//
//	Success rate is 60 percent (3/5), round-trip min/avg/max = 1/2/4 ms
//
// NX-OS, EOS (Linux iputils) and JunOS (BSD ping) print
//
//	5 packets transmitted, 3 packets received, 40.00% packet loss
//	round-trip min/avg/max = 0.222/2.105/9.442 ms
//
// with "3 received" (iputils), "rtt min/avg/max/mdev" (iputils) or
// "round-trip min/avg/max/stddev" (JunOS) as variants. Counts are capped at 9
// digits so that they always fit an int; the percent is never read.
const rttNum = `(\d{1,12}(?:\.\d{1,9})?)`

var (
	ciscoStats = statsFormat{
		counts:  regexp.MustCompile(`Success rate is \d+ percent \((\d{1,9})/(\d{1,9})\)`),
		recvSet: true,
		rtt:     regexp.MustCompile(`round-trip min/avg/max = ` + rttNum + `/` + rttNum + `/` + rttNum + ` ms`),
	}
	unixStats = statsFormat{
		counts: regexp.MustCompile(`\b(\d{1,9}) packets transmitted, (\d{1,9}) (?:packets )?received`),
		rtt: regexp.MustCompile(`(?:rtt|round-trip) min/avg/max(?:/(?:mdev|stddev|std-dev))? = ` +
			rttNum + `/` + rttNum + `/` + rttNum + `(?:/` + rttNum + `)? ms`),
	}
	// ciscoSending is the header of a Cisco ping: "Sending 5, 100-byte ICMP
	// Echos to ...". It tells how many probes went out when the summary is
	// missing.
	ciscoSending = regexp.MustCompile(`^Sending (\d{1,9}),`)
)

// statsFormat is one way of printing the summary of a ping.
type statsFormat struct {
	counts  *regexp.Regexp // two submatches: sent then received, or received then sent
	recvSet bool           // the counts read received/sent, as in Cisco's "(3/5)"
	rtt     *regexp.Regexp // three submatches: min, avg, max in ms
}

// parse classifies output from its last summary line. Without one, the result
// is ERROR with the device's own message.
func (f statsFormat) parse(output string) Result {
	ls := lines(output)
	for i := len(ls) - 1; i >= 0; i-- {
		m := f.counts.FindStringSubmatch(ls[i])
		if m == nil {
			continue
		}
		sent, recv := atoi(m[1]), atoi(m[2])
		if f.recvSet {
			sent, recv = recv, sent
		}
		r := classify(ls[i], sent, recv)
		if r.Status != StatusError {
			// The round-trip line is the summary line itself (Cisco) or
			// one of the next two (Linux, BSD).
			f.addRTT(&r, ls[i:min(i+3, len(ls))])
		}
		return r
	}
	return errorResult(deviceError(ls))
}

// addRTT fills r's round-trip times from the first of ls that has them.
func (f statsFormat) addRTT(r *Result, ls []string) {
	for _, l := range ls {
		m := f.rtt.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		var v [3]float64
		for k := range v {
			x, err := strconv.ParseFloat(m[k+1], 64)
			if err != nil {
				return
			}
			v[k] = x
		}
		r.RTTMinMs, r.RTTAvgMs, r.RTTMaxMs = &v[0], &v[1], &v[2]
		return
	}
}

// classify turns counts into a verdict. Counts no ping can produce (nothing
// sent, more received than sent) are an ERROR quoting the summary line.
func classify(line string, sent, recv int) Result {
	if sent <= 0 || recv < 0 || recv > sent {
		return errorResult(line)
	}
	r := Result{Sent: sent, Received: recv, SuccessPercent: 100 * float64(recv) / float64(sent)}
	switch recv {
	case sent:
		r.Status = StatusUp
	case 0:
		r.Status = StatusDown
	default:
		r.Status = StatusDrop
	}
	return r
}

// parseCisco is the parser shared by IOS, IOS-XE and IOS-XR. When the summary
// is missing it still reports how many probes the header announced.
func parseCisco(output string) Result {
	r := ciscoStats.parse(output)
	if r.Status != StatusError || r.Sent != 0 {
		return r
	}
	for _, l := range lines(output) {
		if m := ciscoSending.FindStringSubmatch(l); m != nil {
			r.Sent = atoi(m[1])
			break
		}
	}
	return r
}

// parseUnix is the parser shared by NX-OS, EOS and JunOS.
func parseUnix(output string) Result { return unixStats.parse(output) }

// lines splits output into its non-blank lines, trimmed, whatever the line
// ends (LF, CRLF, lone CR).
func lines(output string) []string {
	ls := strings.FieldsFunc(output, func(r rune) bool { return r == '\n' || r == '\r' })
	out := ls[:0]
	for _, l := range ls {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// errorMarkers start or make up the lines in which a device says what went
// wrong, strongest first: Cisco and EOS "% ..." messages, Linux and BSD
// "ping: ..." messages, JunOS "error: ..." and "syntax error".
var errorMarkers = []func(string) bool{
	func(l string) bool {
		lower := strings.ToLower(l)
		return strings.HasPrefix(l, "% ") || strings.HasPrefix(lower, "ping:") ||
			strings.HasPrefix(lower, "ping6:") || strings.HasPrefix(lower, "error:") ||
			strings.Contains(lower, "syntax error") || strings.Contains(lower, "unknown host")
	},
	// Weaker: crash banners ("%Software-forced reload") and tracebacks.
	func(l string) bool {
		return strings.HasPrefix(l, "%") || strings.Contains(l, "Traceback")
	},
}

// deviceError is the device's own message in an output that holds no
// summary: the first line that reads as an error, else a note quoting the
// last line printed.
func deviceError(ls []string) string {
	for _, isErr := range errorMarkers {
		for _, l := range ls {
			if isErr(l) {
				return clip(l)
			}
		}
	}
	if len(ls) == 0 {
		return "empty output"
	}
	return fmt.Sprintf("no ping statistics in output (last line: %q)", clip(ls[len(ls)-1]))
}

func errorResult(msg string) Result { return Result{Status: StatusError, Error: msg} }

// clip keeps an error message to a readable length, cutting on a rune
// boundary.
func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// atoi reads a count the regular expressions already limited to 9 digits.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
