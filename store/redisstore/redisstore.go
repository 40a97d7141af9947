package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/crdtkit/crdtkit/store"
)

// Defaults of [Options].
const (
	DefaultMaxRetries = 100
	DefaultMinBackoff = 200 * time.Microsecond
	DefaultMaxBackoff = 20 * time.Millisecond
)

// Options configure a [Backend]. The zero value is fine.
type Options struct {
	// Prefix is prepended to every key in Redis, to keep the store's keys
	// apart from others in the same database (default "").
	Prefix string
	// MaxRetries bounds the reruns of a conflicting merge-write (default
	// [DefaultMaxRetries]).
	MaxRetries int
	// MinBackoff and MaxBackoff bound the random pause before a rerun
	// (defaults [DefaultMinBackoff], [DefaultMaxBackoff]).
	MinBackoff, MaxBackoff time.Duration
}

// Backend is a [store.Backend] over a Redis database.
type Backend struct {
	client     *redis.Client
	ownsClient bool
	prefix     string
	maxRetries int
	minBackoff time.Duration
	maxBackoff time.Duration
}

var _ store.Backend = (*Backend)(nil)

// Open connects to the server at url (redis://[user:password@]host:port/db,
// rediss:// or unix://, see redis.ParseURL), checks the connection with PING
// and returns a Backend that owns the client. opts may be nil.
func Open(ctx context.Context, url string, opts *Options) (*Backend, error) {
	ro, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	c := redis.NewClient(ro)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	b := New(c, opts)
	b.ownsClient = true
	return b, nil
}

// New returns a Backend using client, which the caller keeps and closes.
// opts may be nil.
func New(client *redis.Client, opts *Options) *Backend {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = DefaultMaxRetries
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(o.MinBackoff, DefaultMaxBackoff)
	}
	return &Backend{
		client:     client,
		prefix:     o.Prefix,
		maxRetries: o.MaxRetries,
		minBackoff: o.MinBackoff,
		maxBackoff: o.MaxBackoff,
	}
}

// Client returns the Redis client.
func (b *Backend) Client() *redis.Client { return b.client }

func wrap(err error) error {
	if errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("%w: %w", store.ErrClosed, err)
	}
	return fmt.Errorf("redisstore: %w", err)
}

// The keys of one record: the record itself (a string in the format from
// before the log, or a hash with fields t, the log's type, and s, the
// snapshot), its log (a list) and the log's size in bytes (an integer).
// Store keys hold no NUL, so the suffixes cannot collide with another key.
func (b *Backend) keys(key string) []string {
	k := b.prefix + key
	return []string{k, k + "\x00l", k + "\x00b"}
}

// LogKey returns the Redis key of the list holding key's log.
func (b *Backend) LogKey(key string) string { return b.keys(key)[1] }

// loadScript reads a record in one atomic step.
var loadScript = redis.NewScript(`
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then return {0} end
if kind == 'string' then return {1, redis.call('GET', KEYS[1])} end
if kind ~= 'hash' then return {3, kind} end
local h = redis.call('HMGET', KEYS[1], 't', 's')
return {2, h[1] or '', h[2] or false, redis.call('LRANGE', KEYS[2], 0, -1)}
`)

// appendScript checks the record's type and appends, in one atomic step.
var appendScript = redis.NewScript(`
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then
	redis.call('HSET', KEYS[1], 't', ARGV[1])
	redis.call('DEL', KEYS[2], KEYS[3])
elseif kind == 'hash' then
	local t = redis.call('HGET', KEYS[1], 't')
	if not t or t == '' then return {-1, ''} end
	if t ~= ARGV[1] then return {-2, t} end
elseif kind == 'string' then
	return {-1, ''}
else
	return {-3, kind}
end
redis.call('RPUSH', KEYS[2], ARGV[2])
local n = redis.call('INCRBY', KEYS[3], string.len(ARGV[2]))
return {n, redis.call('HSTRLEN', KEYS[1], 's')}
`)

func toBytes(v any) ([]byte, bool) {
	s, ok := v.(string)
	return []byte(s), ok
}

// load runs the load script on c (the client or a WATCH transaction).
func (b *Backend) load(ctx context.Context, c redis.Scripter, key string) (*store.Record, error) {
	res, err := loadScript.Run(ctx, c, b.keys(key)).Slice()
	if err != nil {
		return nil, err
	}
	kind, _ := res[0].(int64)
	switch kind {
	case 0:
		return nil, store.ErrNotFound
	case 1:
		snap, _ := toBytes(res[1])
		return &store.Record{Snapshot: snap}, nil
	case 2:
		rec := &store.Record{}
		rec.Type, _ = res[1].(string)
		if snap, ok := toBytes(res[2]); ok {
			rec.Snapshot = snap
		}
		entries, _ := res[3].([]any)
		for _, e := range entries {
			b, _ := toBytes(e)
			rec.Log = append(rec.Log, b)
		}
		return rec, nil
	}
	return nil, fmt.Errorf("%w: redisstore: key %q holds a Redis %v", store.ErrCorrupt, key, res[1])
}

// Load reads the record and its log in one script.
func (b *Backend) Load(ctx context.Context, key string) (*store.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rec, err := b.load(ctx, b.client, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrCorrupt) {
		return nil, wrap(err)
	}
	return rec, err
}

// Append checks the type and pushes the entry in one script: no WATCH, no
// retry.
func (b *Backend) Append(ctx context.Context, key, typ string, entry []byte) (store.Sizes, error) {
	if err := ctx.Err(); err != nil {
		return store.Sizes{}, err
	}
	res, err := appendScript.Run(ctx, b.client, b.keys(key), typ, entry).Slice()
	if err != nil {
		if ctx.Err() != nil {
			return store.Sizes{}, ctx.Err()
		}
		return store.Sizes{}, wrap(err)
	}
	n, _ := res[0].(int64)
	switch n {
	case -1:
		return store.Sizes{}, store.ErrUnchecked
	case -2:
		stored, _ := res[1].(string)
		return store.Sizes{}, store.TypeMismatch(stored, typ)
	case -3:
		return store.Sizes{}, fmt.Errorf("%w: redisstore: key %q holds a Redis %v", store.ErrCorrupt, key, res[1])
	}
	snap, _ := res[1].(int64)
	return store.Sizes{Snapshot: snap, Log: n}, nil
}

type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// Update WATCHes the record, reads it with its log, runs fn and, in
// MULTI/EXEC, writes the new snapshot and trims the entries fn saw from the
// head of the log. Appends push at the tail and do not touch the watched
// key, so they do not make Update rerun; another Update, a Delete or a Put
// does, after a random pause; see the package documentation.
func (b *Backend) Update(ctx context.Context, key string, fn store.UpdateFunc) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	ks := b.keys(key)
	for retries := 0; ; retries++ {
		err := b.client.Watch(ctx, func(tx *redis.Tx) error {
			cur, err := b.load(ctx, tx, key)
			switch {
			case errors.Is(err, store.ErrNotFound):
				cur = nil
			case errors.Is(err, store.ErrCorrupt):
				return fnError{err}
			case err != nil:
				return err
			}
			typ, snap, err := fn(cur)
			if err != nil {
				return fnError{err}
			}
			if snap == nil {
				return nil
			}
			var n, folded int64
			if cur != nil {
				n = int64(len(cur.Log))
				for _, e := range cur.Log {
					folded += int64(len(e))
				}
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Del(ctx, ks[0])
				if typ == "" {
					p.Set(ctx, ks[0], snap, 0)
				} else {
					p.HSet(ctx, ks[0], "t", typ, "s", snap)
				}
				if n > 0 {
					p.LTrim(ctx, ks[1], n, -1)
					p.DecrBy(ctx, ks[2], folded)
				}
				return nil
			})
			return err
		}, ks[0])
		var fe fnError
		switch {
		case err == nil:
			return retries, nil
		case errors.As(err, &fe):
			return retries, fe.err
		case !errors.Is(err, redis.TxFailedErr):
			if ctx.Err() != nil {
				return retries, ctx.Err()
			}
			return retries, wrap(err)
		case retries >= b.maxRetries:
			return retries, fmt.Errorf("%w: gave up after %d retries", store.ErrContention, retries)
		}
		if err := b.pause(ctx, retries); err != nil {
			return retries + 1, err
		}
	}
}

// pause sleeps a random time in [0, min(MaxBackoff, MinBackoff<<n)).
func (b *Backend) pause(ctx context.Context, n int) error {
	ceiling := b.maxBackoff
	if n < 30 {
		ceiling = min(ceiling, b.minBackoff<<n)
	}
	t := time.NewTimer(rand.N(ceiling) + 1)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// globEscape quotes the characters that SCAN MATCH patterns treat specially.
func globEscape(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\', '^', '-':
			sb.WriteByte('\\')
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}

// List SCANs for prefix* and sorts the result, leaving out the keys of
// logs. SCAN may return a key twice and, for keys written during the scan,
// may or may not return them.
func (b *Backend) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full := b.prefix + prefix
	seen := map[string]struct{}{}
	iter := b.client.Scan(ctx, 0, globEscape(full)+"*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		if strings.HasPrefix(k, full) && !strings.ContainsRune(k[len(b.prefix):], 0) {
			seen[k[len(b.prefix):]] = struct{}{}
		}
	}
	if err := iter.Err(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, wrap(err)
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

// Delete DELs the record, its log and its size in one command.
func (b *Backend) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.client.Del(ctx, b.keys(key)...).Err(); err != nil {
		return wrap(err)
	}
	return nil
}

// Put stores data under key as a plain string with no log, a record in the
// format from before the log, bypassing merge-writes (for tests and
// repairs).
func (b *Backend) Put(ctx context.Context, key string, data []byte) error {
	ks := b.keys(key)
	_, err := b.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, ks[0], data, 0)
		p.Del(ctx, ks[1], ks[2])
		return nil
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// Close closes the client if [Open] made it.
func (b *Backend) Close() error {
	if b.ownsClient {
		return b.client.Close()
	}
	return nil
}
