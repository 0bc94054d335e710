package worker

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/worker/ping"
)

func target(addr string) ping.Params {
	return ping.Params{Target: addr, Count: 2, Timeout: time.Second}
}

// closedPort returns a loopback port with nothing listening on it.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// silentServer accepts connections and never says a word, like a device
// whose SSH daemon is wedged.
func silentServer(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

func TestProbeConnectFailures(t *testing.T) {
	tests := []struct {
		name string
		port func(t *testing.T) int
		want FailureKind
	}{
		{"closed port is refused", closedPort, FailureRefused},
		{"silent server times out the handshake", silentServer, FailureTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Prober{HostKeys: InsecureHostKeys{}, ConnectTimeout: 300 * time.Millisecond}
			d := Device{Name: "r1", Site: "dc1", Host: "127.0.0.1", Port: tt.port(t), Platform: "cisco_iosxe",
				Username: "admin", Password: "secret-pw", Targets: []ping.Params{target("10.0.0.1")}}
			res := p.Probe(context.Background(), d)
			if res.Failure != tt.want {
				t.Fatalf("failure %q (%s), want %q", res.Failure, res.FailureText, tt.want)
			}
			if res.FailureText == "" || len(res.Links) != 0 {
				t.Errorf("result %+v: want failure text and no links", res)
			}
		})
	}
}

func TestProbeHonoursCancellation(t *testing.T) {
	p := &Prober{HostKeys: InsecureHostKeys{}, ConnectTimeout: time.Hour}
	d := Device{Name: "r1", Host: "127.0.0.1", Port: silentServer(t), Platform: "cisco_iosxe",
		Targets: []ping.Params{target("10.0.0.1")}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan DeviceResult)
	go func() { done <- p.Probe(ctx, d) }()
	cancel()
	select {
	case res := <-done:
		if res.Failure != FailureTimeout {
			t.Errorf("failure %q (%s), want TIMEOUT", res.Failure, res.FailureText)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Probe did not return after its context was cancelled")
	}
}

func TestProbeUnknownPlatformIsAResult(t *testing.T) {
	res := (&Prober{HostKeys: InsecureHostKeys{}}).Probe(context.Background(), Device{Name: "r1", Platform: "vyos"})
	if res.Failure != FailureCLI {
		t.Errorf("failure %q, want CLI_ERROR", res.Failure)
	}
}

func TestLimiterBoundsGlobalAndPerSite(t *testing.T) {
	lim := NewLimiter(3, 2)
	var inFlight, maxFlight atomic.Int64
	perSite := map[string]*atomic.Int64{"a": {}, "b": {}}
	var maxA atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		site := "a"
		if i%4 == 0 {
			site = "b"
		}
		wg.Go(func() {
			release, err := lim.Acquire(context.Background(), site)
			if err != nil {
				t.Error(err)
				return
			}
			defer release()
			n := inFlight.Add(1)
			s := perSite[site].Add(1)
			for m := maxFlight.Load(); n > m && !maxFlight.CompareAndSwap(m, n); m = maxFlight.Load() {
			}
			if site == "a" {
				for m := maxA.Load(); s > m && !maxA.CompareAndSwap(m, s); m = maxA.Load() {
				}
			}
			time.Sleep(time.Millisecond) // hold the slot a while, so that others pile up behind it
			perSite[site].Add(-1)
			inFlight.Add(-1)
		})
	}
	wg.Wait()
	if maxFlight.Load() > 3 {
		t.Errorf("%d in flight, limit 3", maxFlight.Load())
	}
	if maxA.Load() > 2 {
		t.Errorf("%d in flight at site a, limit 2", maxA.Load())
	}
}

// TestLimiterAllowsItsLimit checks the limiter from below: as many devices
// as it allows must run at once, globally and per site. Every job holds its
// slot until that many hold theirs at the same time, so a limiter that has
// lost concurrency (one that ran jobs one at a time would pass the test
// above) never gets there, and the jobs give up when ctx times out.
func TestLimiterAllowsItsLimit(t *testing.T) {
	tests := []struct {
		name            string
		global, perSite int
		sites           []string
		want            int // in flight at once
	}{
		{"global", 4, 0, []string{"a"}, 4},
		{"per site", 10, 2, []string{"a", "b", "c"}, 6},
		{"global below the sites' sum", 3, 2, []string{"a", "b"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := NewLimiter(tt.global, tt.perSite)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var inFlight, most, stuck atomic.Int64
			full := make(chan struct{})
			var once sync.Once
			var wg sync.WaitGroup
			jobs := 3 * tt.want
			for i := range jobs {
				site := tt.sites[i%len(tt.sites)]
				wg.Go(func() {
					release, err := lim.Acquire(ctx, site)
					if err != nil {
						stuck.Add(1)
						return
					}
					defer release()
					n := inFlight.Add(1)
					defer inFlight.Add(-1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					if n == int64(tt.want) {
						once.Do(func() { close(full) })
					}
					select {
					case <-full:
					case <-ctx.Done():
						stuck.Add(1)
					}
				})
			}
			wg.Wait()
			if n := stuck.Load(); n > 0 {
				t.Errorf("%d of %d jobs timed out: at most %d ran at once, want %d", n, jobs, most.Load(), tt.want)
			}
			if most.Load() > int64(tt.want) {
				t.Errorf("%d ran at once, limit %d", most.Load(), tt.want)
			}
		})
	}
}

func TestLimiterAcquireHonoursContext(t *testing.T) {
	lim := NewLimiter(1, 0)
	release, err := lim.Acquire(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := lim.Acquire(ctx, "a"); err == nil {
		t.Fatal("Acquire succeeded past the limit")
	}
}
