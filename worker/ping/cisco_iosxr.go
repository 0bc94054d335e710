package ping

// Cisco IOS-XR.
//
// Command (IOS XR IP Addresses and Services command reference, "ping"):
//
//	ping [vrf NAME] TARGET count N timeout SECONDS [size BYTES] [source IF|ADDR]
//
// XR spells the probe count "count" where IOS says "repeat"; size is the
// datagram size, 36..18024; timeout 0..3600 s.
//
// Output is IOS's, usually preceded by the timestamp XR prints before every
// command's output:
//
//	Wed May 19 14:13:25.609 UTC
//	Type escape sequence to abort.
//	Sending 5, 100-byte ICMP Echos to 10.0.0.1 timeout is 2 seconds:
//	UUUUU
//	Success rate is 0 percent (0/5)
//
// Errors: "% Bad hostname or protocol not running", "% Invalid input
// detected at '^' marker.".

var iosxrSyntax = syntax{name: "cisco_iosxr", verb: pingVerb, keywords: map[string]field{
	"vrf": fieldVRF, "count": fieldCount, "timeout": fieldTimeout, "size": fieldSize, "source": fieldSource,
}}

func iosxrCommand(p Params) (string, error) {
	w := iosxrSyntax.words(p).add("vrf", p.VRF).target(p.Target)
	w = w.add("count", itoa(p.Count)).add("timeout", p.seconds())
	return w.add("size", p.sizeString()).add("source", p.Source).line()
}

func parseIOSXR(output string) Result { return parseCisco(output) }
