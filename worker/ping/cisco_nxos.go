package ping

// Cisco NX-OS.
//
// Command (NX-OS unicast routing command reference, "ping" and "ping6"):
//
//	ping TARGET count N timeout SECONDS [packet-size BYTES]
//	     [source ADDR | source-interface IF] [vrf NAME]
//
// IPv6 targets take "ping6" with the same options. packet-size is the ICMP
// payload (default 56, range 1..65468); timeout 1..60 s; count 1..655350.
//
// Output is BSD-style:
//
//	PING 10.0.0.1 (10.0.0.1): 56 data bytes
//	64 bytes from 10.0.0.1: icmp_seq=0 ttl=254 time=1.2 ms
//	Request 1 timed out
//	--- 10.0.0.1 ping statistics ---
//	5 packets transmitted, 4 packets received, 20.00% packet loss
//	round-trip min/avg/max = 0.9/1.1/1.2 ms
//
// Errors: "% Invalid host/interface NAME", "ping: bad context NAME" (unknown
// VRF), "% Invalid command at '^' marker.".

var nxosSyntax = syntax{name: "cisco_nxos", verb: nxosVerb, keywords: map[string]field{
	"count": fieldCount, "timeout": fieldTimeout, "packet-size": fieldSize,
	"source": fieldSource, "source-interface": fieldSource, "vrf": fieldVRF,
}}

// nxosVerb is "ping6" for an IPv6 target, "ping" otherwise.
func nxosVerb(p Params) string {
	if p.targetIsIPv6() {
		return "ping6"
	}
	return "ping"
}

func nxosCommand(p Params) (string, error) {
	w := nxosSyntax.words(p).target(p.Target)
	w = w.add("count", itoa(p.Count)).add("timeout", p.seconds()).add("packet-size", p.sizeString())
	if p.sourceIsAddress() {
		w = w.add("source", p.Source)
	} else {
		w = w.add("source-interface", p.Source)
	}
	return w.add("vrf", p.VRF).line()
}

func parseNXOS(output string) Result { return parseUnix(output) }
