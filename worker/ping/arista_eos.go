package ping

// Arista EOS.
//
// Command (EOS user manual, "ping"; the VRF comes first, the options after
// the target):
//
//	ping [vrf NAME] TARGET repeat N timeout SECONDS [size BYTES] [source IF|ADDR]
//
// EOS runs Linux iputils ping underneath: repeat is -c, timeout -W, size the
// IP datagram size ("72(100) bytes of data").
//
// Output is iputils':
//
//	PING 10.0.0.1 (10.0.0.1) 72(100) bytes of data.
//	80 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.247 ms
//	--- 10.0.0.1 ping statistics ---
//	2 packets transmitted, 2 received, 0% packet loss, time 0ms
//	rtt min/avg/max/mdev = 0.072/0.159/0.247/0.088 ms, ipg/ewma 0.370/0.225 ms
//
// Errors: "ping: unknown host NAME", "ping: connect: Network is
// unreachable", "ping: bind: Cannot assign requested address", "% Invalid
// input". "ping: sendmsg: ..." lines followed by statistics are a DOWN link,
// not an error: the statistics win.

var eosSyntax = syntax{name: "arista_eos", verb: pingVerb, keywords: map[string]field{
	"vrf": fieldVRF, "repeat": fieldCount, "timeout": fieldTimeout, "size": fieldSize, "source": fieldSource,
}}

func eosCommand(p Params) (string, error) {
	w := eosSyntax.words(p).add("vrf", p.VRF).target(p.Target)
	w = w.add("repeat", itoa(p.Count)).add("timeout", p.seconds())
	return w.add("size", p.sizeString()).add("source", p.Source).line()
}

func parseEOS(output string) Result { return parseUnix(output) }
