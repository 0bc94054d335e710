package store

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto/backoff"
)

// DefaultPrefix is the key prefix OpenRedis uses when given none.
const DefaultPrefix = "linkwatch:"

// minPoolSize is the fewest connections OpenRedis keeps to the server
// unless the URL sets pool_size: a notifier commits many results at once
// (notifier.DefaultCommitters), each holding a connection of its own for
// its transaction, beside the mailer and the API.
const minPoolSize = 100

var _ state.Store = (*Redis)(nil)

// Redis is a state.Store in a Redis server. Keys, under the prefix:
//
//	device:<name>     JSON of state.Device
//	devices           set of device names
//	history:<device>  sorted set of changes, scored by time in unix ms
//	seq               counter that makes history members unique
//	outbox            hash alert id → JSON of state.Alert
//	outbox:order      sorted set ordering the outbox by Created, then id
//	parked, parked:order  the same for the dead-letter list
//	silences          hash silence id → JSON of state.Silence
type Redis struct {
	client *redis.Client
	prefix string
	cache  *recordCache
	// setCached sends the setCached script of commits at once together.
	setCached *scriptBatch
	outbox    redisQueue
	parked    redisQueue
}

// RedisOption sets what the URL given to OpenRedis does not say, or
// overrides it.
type RedisOption func(*redis.Options) error

// RedisAuth logs in as username (empty: the default user) with password,
// instead of a user and password in the URL. Nothing is set when both are
// empty.
func RedisAuth(username, password string) RedisOption {
	return func(o *redis.Options) error {
		if username != "" || password != "" {
			o.Username, o.Password = username, password
		}
		return nil
	}
}

// RedisRootCAs verifies the certificate of a rediss:// server against the
// CAs in pool instead of the system's roots. A redis:// URL is an error:
// the CAs would go unused.
func RedisRootCAs(pool *x509.CertPool) RedisOption {
	return func(o *redis.Options) error {
		if o.TLSConfig == nil {
			return errors.New("CAs given for a URL without TLS (use rediss://)")
		}
		o.TLSConfig.RootCAs = pool
		return nil
	}
}

// OpenRedis connects to the Redis server at rawURL (redis://, rediss:// or
// unix://), applying opts, and checks that it answers. It keeps up to
// minPoolSize connections unless the URL says otherwise (pool_size). All keys start with
// prefix, or DefaultPrefix when prefix is "". A URL that turns TLS
// certificate verification off (skip_verify) is refused.
func OpenRedis(ctx context.Context, rawURL, prefix string, opts ...RedisOption) (*Redis, error) {
	where := RedactURL(rawURL)
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the whole URL, password included
		}
		return nil, fmt.Errorf("parse redis url %s: %w", where, err)
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, fmt.Errorf("redis %s: %w", where, err)
		}
	}
	if !strings.Contains(rawURL, "pool_size=") {
		o.PoolSize = max(o.PoolSize, minPoolSize)
	}
	if o.TLSConfig != nil && o.TLSConfig.InsecureSkipVerify {
		return nil, fmt.Errorf("redis url %s: skip_verify turns TLS certificate verification off, which is not allowed", where)
	}
	client := redis.NewClient(o)
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("connect to redis %s: %w", where, err)
	}
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Redis{
		client:    client,
		prefix:    prefix,
		cache:     newRecordCache(maxCachedRecords),
		setCached: &scriptBatch{client: client, script: setCached},
		outbox:    redisQueue{hash: prefix + "outbox", order: prefix + "outbox:order"},
		parked:    redisQueue{hash: prefix + "parked", order: prefix + "parked:order"},
	}, nil
}

// Ping checks that the server answers, for a readiness check.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// RedactURL returns rawURL fit for a log line or an error. A password is
// replaced with xxxxx and the user name kept; a user name alone is replaced
// too, since NATS reads it as a token. A URL that does not parse, or that
// has an '@' outside its user information (a password with an unescaped
// '/', '?' or '#' in it), is "(unparsable URL)". It is the one place that
// redacts URLs: the NATS dialer uses it for each URL of a list.
func RedactURL(rawURL string) string {
	const unparsable = "(unparsable URL)"
	u, err := url.Parse(rawURL)
	if err != nil || u.Opaque != "" {
		return unparsable
	}
	for _, part := range []string{u.Host, u.Path, u.RawPath, u.RawQuery, u.Fragment} {
		if strings.Contains(part, "@") {
			return unparsable
		}
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		} else if u.User.Username() != "" {
			u.User = url.User("xxxxx")
		}
	}
	return u.String()
}

func (r *Redis) deviceKey(name string) string  { return r.prefix + "device:" + name }
func (r *Redis) historyKey(name string) string { return r.prefix + "history:" + name }

// Commit implements state.Store. A device whose record this store wrote
// last is decided on from the cache, and its record, when nothing else
// changes, checked and written in one script call (setCached), sent in
// one round trip with those of the commits running at once. Otherwise
// it WATCHes the device key and reads it in one round trip, decides, then
// writes in MULTI/EXEC in another; a concurrent write of the device makes
// it start over.
func (r *Redis) Commit(ctx context.Context, device string, decide func(state.Device) (state.Update, error)) error {
	if err := checkDevice(device); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	err := r.commit(ctx, device, decide)
	if errors.Is(err, state.ErrNoUpdate) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("commit %s: %w", device, err)
	}
	return nil
}

// decided is what decide made of a record: the update, the new record
// encoded, or the error.
type decided struct {
	from []byte // the record decided on, as stored
	upd  state.Update
	data []byte
	err  error
}

// commit commits from the cached record of device when there is one and
// the server still holds it, else from the record it reads.
func (r *Redis) commit(ctx context.Context, device string, decide func(state.Device) (state.Update, error)) error {
	cached, ok := r.cache.take(device)
	if !ok {
		return r.commitWatched(ctx, device, decide, nil)
	}
	d := &decided{from: cached.data}
	d.upd, d.data, d.err = decideOn(device, cached.device, decide)
	if d.err == nil && (len(d.upd.Changes) > 0 || len(d.upd.Alerts) > 0) {
		return r.commitWatched(ctx, device, decide, d)
	}
	// Nothing to write but the record, or nothing at all: check that the
	// server holds the record decided on, and write it, in one step.
	args := []any{cached.data}
	if d.err == nil {
		args = append(args, d.data)
	}
	held, err := r.setCached.run(ctx, []string{r.deviceKey(device)}, args...)
	switch {
	case err != nil:
		return fmt.Errorf("write device: %w", err)
	case held != 1:
		// Another notifier wrote the device, or the server lost it.
		return r.commitWatched(ctx, device, decide, nil)
	case d.err == nil:
		r.cache.put(device, d.data, d.upd.Device)
	}
	return d.err
}

// setCached writes a device record in place of the one a commit decided
// on, or only checks that the server still holds that one (no new
// record), and answers 1; it answers 0, writing nothing, when the server
// holds another or none. KEYS: the device. ARGV: the record decided on,
// the new record. The devices set and the names index need no update: a
// cached record is one this store wrote through commitWatched, which
// added the device to both, and nothing removes a device from them while
// its record stays.
var setCached = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] then redis.call('SET', KEYS[1], ARGV[2]) end
return 1`)

// commitWatched commits in a WATCHed transaction, from pre when the
// server holds the record pre was decided on.
func (r *Redis) commitWatched(ctx context.Context, device string, decide func(state.Device) (state.Update, error), pre *decided) error {
	return r.watch(ctx, func(tx *redis.Tx) error {
		return r.commitTx(ctx, tx, device, decide, pre)
	})
}

// commitTx is one attempt of Commit on tx, which watches nothing yet.
func (r *Redis) commitTx(ctx context.Context, tx *redis.Tx, device string, decide func(state.Device) (state.Update, error), pre *decided) error {
	key := r.deviceKey(device)
	var get *redis.StringCmd
	_, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Do(ctx, "watch", key)
		get = p.Get(ctx, key)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		unwatch(ctx, tx) // the WATCH may have worked
		return fmt.Errorf("read device: %w", err)
	}
	err = r.commitRead(ctx, tx, device, get, decide, pre)
	// EXEC, which ran when it worked or found the device changed, ended
	// the watch; any other end leaves it on the connection, which must not
	// go back to the pool with it (go-redis does not know of a WATCH sent
	// in a pipeline).
	if err != nil && !errors.Is(err, redis.TxFailedErr) {
		unwatch(ctx, tx)
	}
	return err
}

// unwatch ends the watch of tx before its connection goes back to the
// pool, also when ctx has ended; a watch left on a connection would only
// make a later transaction on it start over once.
func unwatch(ctx context.Context, tx *redis.Tx) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	tx.Unwatch(ctx)
}

// commitRead decides on the device record get read, unless pre was
// decided on the same, and writes the update in MULTI/EXEC.
func (r *Redis) commitRead(ctx context.Context, tx *redis.Tx, device string, get *redis.StringCmd, decide func(state.Device) (state.Update, error), pre *decided) error {
	stored, err := get.Bytes()
	if errors.Is(err, redis.Nil) {
		stored = nil
	}
	upd, data, err := decideStored(device, stored, decide, pre)
	if err != nil {
		return err
	}
	history, err := r.historyMembers(ctx, tx, upd.Changes)
	if err != nil {
		return err
	}
	_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, r.deviceKey(device), data, 0)
		p.SAdd(ctx, r.prefix+"devices", device)
		p.ZAdd(ctx, r.namesKey(), redis.Z{Member: device})
		if len(history) > 0 {
			p.ZAdd(ctx, r.historyKey(device), history...)
		}
		for _, a := range upd.Alerts {
			if err := r.outbox.add(ctx, p, r.parked, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		r.cache.put(device, data, upd.Device)
	}
	return err
}

// decideStored is pre's outcome when pre was decided on stored, else
// decideUpdate's.
func decideStored(device string, stored []byte, decide func(state.Device) (state.Update, error), pre *decided) (state.Update, []byte, error) {
	if pre != nil && stored != nil && bytes.Equal(stored, pre.from) {
		return pre.upd, pre.data, pre.err
	}
	return decideUpdate(device, stored, decide)
}

// watch runs fn as an optimistic transaction over keys, running it again
// after a short jittered pause whenever another client changed a key first.
func (r *Redis) watch(ctx context.Context, fn func(*redis.Tx) error, keys ...string) error {
	retry := backoff.Backoff{Initial: time.Millisecond, Max: 64 * time.Millisecond}
	for {
		err := r.client.Watch(ctx, fn, keys...)
		if !errors.Is(err, redis.TxFailedErr) {
			return err
		}
		if err := retry.Wait(ctx); err != nil {
			return fmt.Errorf("retry contended transaction: %w", err)
		}
	}
}

// Devices implements state.Store.
func (r *Redis) Devices(ctx context.Context) ([]state.Device, error) {
	return redisRecords[state.Device](ctx, r.client, r.prefix+"devices", r.deviceKey, "device")
}

// Close implements state.Store.
func (r *Redis) Close() error {
	if err := r.client.Close(); err != nil {
		return fmt.Errorf("close redis client: %w", err)
	}
	return nil
}

// scoreMs is the sorted-set score of t: unix milliseconds. The rest of the
// time, t's nanoseconds within the millisecond, leads the member so that
// members of one score sort in time order as well.
func scoreMs(t time.Time) (score float64, subMs string) {
	return float64(t.UnixMilli()), fmt.Sprintf("%06d", t.Nanosecond()%1e6)
}

func formatScore(t time.Time) string {
	return strconv.FormatInt(t.UnixMilli(), 10)
}
