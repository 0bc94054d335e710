package ping

// Juniper JunOS.
//
// Command (Junos CLI reference, "ping"; options in any order after the host):
//
//	ping TARGET count N wait SECONDS [size BYTES] [source ADDR | interface IF]
//	     [routing-instance NAME]
//
// wait is how long to wait for replies after the last probe; probes go out
// once a second. "rapid" is not used: it replaces the per-reply lines with a
// '!' stream but keeps the same statistics, so it would only save time, and
// the one-a-second pace already fits the Budget. size is the ICMP payload,
// 0..65468 (default 56). source takes only an address; an interface goes
// under "interface".
//
// Output is FreeBSD ping's:
//
//	PING 10.0.0.1 (10.0.0.1): 56 data bytes
//	64 bytes from 10.0.0.1: icmp_seq=0 ttl=62 time=2.261 ms
//	--- 10.0.0.1 ping statistics ---
//	5 packets transmitted, 5 packets received, 0% packet loss
//	round-trip min/avg/max/stddev = 1.823/2.175/2.399/0.191 ms
//
// MPLS LSP pings end in "--- lsping statistics ---" with the same counts.
// Errors: "ping: cannot resolve NAME: Unknown host", "syntax error.",
// "error: ...".

var junosSyntax = syntax{name: "juniper_junos", verb: pingVerb, keywords: map[string]field{
	"count": fieldCount, "wait": fieldTimeout, "size": fieldSize,
	"source": fieldSource, "interface": fieldSource, "routing-instance": fieldVRF,
}}

func junosCommand(p Params) (string, error) {
	w := junosSyntax.words(p).target(p.Target)
	w = w.add("count", itoa(p.Count)).add("wait", p.seconds()).add("size", p.sizeString())
	if p.sourceIsAddress() {
		w = w.add("source", p.Source)
	} else {
		w = w.add("interface", p.Source)
	}
	return w.add("routing-instance", p.VRF).line()
}

func parseJunos(output string) Result { return parseUnix(output) }
