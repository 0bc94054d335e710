package ping

// Cisco IOS and IOS-XE.
//
// Command (IOS-XE command reference, "ping"; options in any order after the
// target, vrf before it):
//
//	ping [vrf NAME] TARGET repeat N timeout SECONDS [size BYTES] [source IF|ADDR]
//
// size is the IP datagram size, 36..18024 (default 100); repeat is
// 1..2147483647; timeout 0..3600 s. The source may be an interface or an
// address under the same keyword.
//
// Output:
//
//	Type escape sequence to abort.
//	Sending 5, 100-byte ICMP Echos to 10.0.0.1, timeout is 2 seconds:
//	!!.!!
//	Success rate is 80 percent (4/5), round-trip min/avg/max = 1/2/4 ms
//
// Errors are "% ..." lines: "% Unrecognized host or address, or protocol not
// running.", "% Invalid input detected at '^' marker.", "% Bad IP address or
// host name", "% No valid source address".

var iosxeSyntax = syntax{name: "cisco_iosxe", verb: pingVerb, keywords: map[string]field{
	"vrf": fieldVRF, "repeat": fieldCount, "timeout": fieldTimeout, "size": fieldSize, "source": fieldSource,
}}

func iosxeCommand(p Params) (string, error) {
	w := iosxeSyntax.words(p).add("vrf", p.VRF).target(p.Target)
	w = w.add("repeat", itoa(p.Count)).add("timeout", p.seconds())
	return w.add("size", p.sizeString()).add("source", p.Source).line()
}

func parseIOSXE(output string) Result { return parseCisco(output) }
