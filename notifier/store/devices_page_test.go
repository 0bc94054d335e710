package store_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store/redistest"
)

// TestRedisDevicesAfterIndexesAnOlderStore checks that a store written
// before the names index existed (devices only in the devices set) is
// paged whole: the index is filled at the first read.
func TestRedisDevicesAfterIndexesAnOlderStore(t *testing.T) {
	url, prefix := redistest.Start(t), redistest.Prefix(t)
	s := openRedis(t, url, prefix)
	defer s.Close()
	for _, name := range []string{"r2", "r1", "r3"} {
		err := s.Commit(t.Context(), name, func(state.Device) (state.Update, error) {
			return state.Update{Device: state.Device{Site: "dc1"}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	raw := redis.NewClient(opts)
	defer raw.Close()
	if err := raw.Del(t.Context(), prefix+"device-names").Err(); err != nil {
		t.Fatal(err)
	}
	devs, err := s.DevicesAfter(t.Context(), "r1", 5)
	if err != nil || len(devs) != 2 || devs[0].Name != "r2" || devs[1].Name != "r3" {
		t.Errorf("DevicesAfter(r1) = %+v, %v; want r2, r3", devs, err)
	}
}
