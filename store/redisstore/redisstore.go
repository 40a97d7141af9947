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

// Load GETs the key.
func (b *Backend) Load(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := b.client.Get(ctx, b.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, wrap(err)
	}
	return data, nil
}

type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// Update runs fn between WATCH and MULTI/EXEC and reruns it when another
// client wrote the key first; see the package documentation.
func (b *Backend) Update(ctx context.Context, key string, fn store.UpdateFunc) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	k := b.prefix + key
	for retries := 0; ; retries++ {
		err := b.client.Watch(ctx, func(tx *redis.Tx) error {
			old, err := tx.Get(ctx, k).Bytes()
			exists := err == nil
			if err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			if exists && old == nil {
				old = []byte{}
			}
			updated, err := fn(old, exists)
			if err != nil {
				return fnError{err}
			}
			if updated == nil {
				return nil
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, k, updated, 0)
				return nil
			})
			return err
		}, k)
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

// List SCANs for prefix* and sorts the result. SCAN may return a key twice
// and, for keys written during the scan, may or may not return them.
func (b *Backend) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full := b.prefix + prefix
	seen := map[string]struct{}{}
	iter := b.client.Scan(ctx, 0, globEscape(full)+"*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		if strings.HasPrefix(k, full) {
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

// Delete DELs the key.
func (b *Backend) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.client.Del(ctx, b.prefix+key).Err(); err != nil {
		return wrap(err)
	}
	return nil
}

// Put stores data under key as is, bypassing merge-writes (for tests and
// repairs).
func (b *Backend) Put(ctx context.Context, key string, data []byte) error {
	if err := b.client.Set(ctx, b.prefix+key, data, 0).Err(); err != nil {
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
