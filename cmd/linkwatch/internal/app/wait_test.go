package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/notifier/store/redistest"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// closedPort is a loopback port nothing listens on a moment later.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestConnectWaitsForNATS starts Connect before the server exists: it
// waits, its check saying for what, and returns once the server is there,
// with the stream the role keeps made.
func TestConnectWaitsForNATS(t *testing.T) {
	port := closedPort(t)
	cfg := natsConfig(fmt.Sprintf("nats://127.0.0.1:%d", port), config.NATS{})
	w := NATSWaiter(cfg, proto.RoleNotifier, nil)
	type connected struct {
		err error
	}
	done := make(chan connected, 1)
	go func() {
		nc, _, err := Connect(t.Context(), cfg, proto.RoleNotifier, nil, w)
		if err == nil {
			defer nc.Close()
		}
		done <- connected{err}
	}()
	waittest.For(t, 10*time.Second, func() error {
		err := w.Check(t.Context())
		if want := fmt.Sprintf("waiting for NATS at nats://127.0.0.1:%d: connect to nats", port); err == nil || !strings.HasPrefix(err.Error(), want) {
			return fmt.Errorf("check = %v, want %q", err, want)
		}
		return nil
	})
	select {
	case c := <-done:
		t.Fatalf("Connect returned with no server: %v", c.err)
	default:
	}
	s := localnatstest.StartOn(t, port, t.TempDir())
	if c := <-done; c.err != nil {
		t.Fatalf("Connect: %v", c.err)
	}
	if err := w.Check(t.Context()); err != nil {
		t.Errorf("check once connected = %v", err)
	}
	_, js := localnatstest.Connect(t, s)
	if _, err := js.Stream(t.Context(), proto.StreamResults); err != nil {
		t.Errorf("the notifier's stream: %v", err)
	}
}

// TestConnectRefusedFailsAtOnce: a server that refuses the login, or a
// URL that does not parse, is not waited for.
func TestConnectRefusedFailsAtOnce(t *testing.T) {
	s := startTestNATS(t, &server.Options{JetStream: true, StoreDir: t.TempDir(),
		Users: []*server.User{{Username: "lw", Password: natsSecret}}}, nil)
	t.Setenv("LW_TEST_NATS_PASSWORD", "wrong-"+natsSecret)
	for _, tc := range []struct {
		name, want string
		cfg        *config.Config
	}{
		{"wrong password", "nats: Authorization Violation", natsConfig(s.ClientURL(), config.NATS{User: "lw", PasswordEnv: "LW_TEST_NATS_PASSWORD"})},
		{"bad url", `invalid port ":port" after host`, natsConfig("nats://127.0.0.1:port", config.NATS{})},
		{"no password", "LW_TEST_NO_SUCH_VARIABLE", natsConfig(s.ClientURL(), config.NATS{User: "lw", PasswordEnv: "LW_TEST_NO_SUCH_VARIABLE"})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			nc, _, err := Connect(ctx, cfg, proto.RoleScheduler, nil, nil)
			if err == nil {
				nc.Close()
				t.Fatal("Connect worked")
			}
			if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "waiting for") {
				t.Errorf("Connect waited: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Connect = %v, want %q in it", err, tc.want)
			}
			if strings.Contains(err.Error(), natsSecret) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

// TestOpenStoreWaitsForRedis: the notifier's store waits for Redis on a
// port where it is not yet, and a refused login fails at once.
func TestOpenStoreWaitsForRedis(t *testing.T) {
	port := closedPort(t)
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	cfg := &config.Config{State: config.State{RedisURL: url, Prefix: redistest.Prefix(t), PasswordEnv: "LW_TEST_REDIS_PASSWORD"}}
	t.Setenv("LW_TEST_REDIS_PASSWORD", redisSecret)
	w := StoreWaiter(cfg, nil)
	done := make(chan error, 1)
	go func() {
		st, err := OpenStore(t.Context(), cfg, w)
		if err == nil {
			st.Close()
		}
		done <- err
	}()
	waittest.For(t, 10*time.Second, func() error {
		if err := w.Check(t.Context()); err == nil || !strings.Contains(err.Error(), "waiting for Redis at "+url+": ") {
			return fmt.Errorf("check = %v, want waiting for Redis", err)
		}
		return nil
	})
	redistest.Start(t, redistest.Port(port), redistest.RequirePass(redisSecret))
	if err := <-done; err != nil {
		t.Fatalf("OpenStore: %v", err)
	}

	t.Setenv("LW_TEST_REDIS_PASSWORD", "wrong-"+redisSecret)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	st, err := OpenStore(ctx, cfg, StoreWaiter(cfg, nil))
	if err == nil {
		st.Close()
		t.Fatal("OpenStore with a wrong password worked")
	}
	if !strings.Contains(err.Error(), "WRONGPASS") || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("OpenStore with a wrong password = %v, want WRONGPASS at once", err)
	}
}
