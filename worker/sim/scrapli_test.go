package sim

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/driver/generic"
	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/options"
	scrapliplatform "github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/transport"
	"github.com/scrapli/scrapligo/util"
)

// scrapliOptions are the options linkwatch's worker opens devices with.
func scrapliOptions(t *testing.T, s *Server, name string) []util.Option {
	t.Helper()
	return []util.Option{
		options.WithTransportType(transport.StandardTransport),
		options.WithAuthNoStrictKey(),
		options.WithPort(s.Port(name)),
		options.WithAuthUsername("admin"),
		options.WithAuthPassword("secret"),
		options.WithAuthSecondary("secret"),
		options.WithTimeoutOps(10 * time.Second),
	}
}

func openNetwork(t *testing.T, s *Server, p string) *network.Driver {
	t.Helper()
	pl, err := scrapliplatform.NewPlatform(p, "127.0.0.1", scrapliOptions(t, s, deviceName(p))...)
	if err != nil {
		t.Fatalf("new platform: %v", err)
	}
	d, err := pl.GetNetworkDriver()
	if err != nil {
		t.Fatalf("network driver: %v", err)
	}
	if err := d.Open(); err != nil {
		t.Fatalf("open: %v", err)
	}
	return d
}

// TestScrapliNetworkDriver opens every platform with scrapligo's own
// platform definition (its on-open paging and width commands), pings,
// moves through the privilege levels and closes with its on-close.
func TestScrapliNetworkDriver(t *testing.T) {
	s := startServer(t, testFleet(t, ""))
	for _, tc := range platformCases {
		t.Run(tc.platform, func(t *testing.T) {
			d := openNetwork(t, s, tc.platform)
			r, err := d.SendCommand(tc.ping)
			if err != nil || r.Failed != nil {
				t.Fatalf("ping: %v %v", err, r.Failed)
			}
			if !regexp.MustCompile(tc.success).MatchString(r.Result) {
				t.Errorf("ping result:\n%s", r.Result)
			}
			r, err = d.SendCommand("bogus command")
			if err != nil || r.Failed == nil {
				t.Errorf("unknown command not failed: %v %q", err, r.Result)
			}
			for _, priv := range privilegeWalk[tc.platform] {
				if err := d.AcquirePriv(priv); err != nil {
					t.Fatalf("acquire %s: %v", priv, err)
				}
			}
			if err := d.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
}

// privilegeWalk is a tour of each platform's privilege levels in
// scrapligo's names, ending where the driver started.
var privilegeWalk = map[string][]string{
	"cisco_iosxe":   {"configuration", "exec", "configuration", "privilege-exec"},
	"cisco_iosxr":   {"configuration", "exec"},
	"cisco_nxos":    {"configuration", "exec", "privilege-exec"},
	"arista_eos":    {"configuration", "exec", "privilege-exec"},
	"juniper_junos": {"configuration", "exec"},
}

// TestScrapliGenericDriver uses scrapligo's generic driver with one
// prompt pattern for every platform, as a tool without platform
// definitions would.
func TestScrapliGenericDriver(t *testing.T) {
	s := startServer(t, testFleet(t, ""))
	prompt := regexp.MustCompile(`(?m)^[\w.\-@/:]{1,63}(\(config\))?[#>]\s?$`)
	for _, tc := range platformCases {
		t.Run(tc.platform, func(t *testing.T) {
			opts := append(scrapliOptions(t, s, deviceName(tc.platform)), options.WithPromptPattern(prompt))
			d, err := generic.NewDriver("127.0.0.1", opts...)
			if err != nil {
				t.Fatalf("new driver: %v", err)
			}
			if err := d.Open(); err != nil {
				t.Fatalf("open: %v", err)
			}
			r, err := d.SendCommand(tc.ping)
			if err != nil {
				t.Fatalf("ping: %v", err)
			}
			if !regexp.MustCompile(tc.success).MatchString(r.Result) || strings.Contains(r.Result, "\r") {
				t.Errorf("ping result %q", r.Result)
			}
			if err := d.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
}
