package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/crdtkit/crdtkit/store"
)

// ErrLocked is returned by [Open] when another process holds the file.
var ErrLocked = errors.New("boltstore: database file is in use by another process")

// Defaults of [Options].
const (
	DefaultBucket  = "crdtkit"
	DefaultTimeout = time.Second
)

// LogSuffix is appended to the bucket's name to name the bucket holding the
// logs.
const LogSuffix = ".log"

// Options configure [Open]. The zero value is fine.
type Options struct {
	// Bucket is the bbolt bucket holding the snapshots (default
	// [DefaultBucket]); the logs are in the bucket named Bucket +
	// [LogSuffix].
	Bucket string
	// Timeout is how long Open waits for another process to release the
	// file (default [DefaultTimeout]; negative: do not wait).
	Timeout time.Duration
	// Mode is the permission of a new file (default 0600).
	Mode os.FileMode
}

// Backend is a [store.Backend] over a bbolt file.
type Backend struct {
	db     *bolt.DB
	bucket []byte
	logs   []byte

	// Group commit of appends: the first appender to find no transaction
	// running commits every append queued meanwhile in one transaction,
	// so concurrent appends share one fsync.
	mu      sync.Mutex
	queue   []*appendReq
	running bool
}

type appendReq struct {
	key, typ string
	entry    []byte
	sizes    store.Sizes
	err      error
	done     chan struct{}
}

var _ store.Backend = (*Backend)(nil)

// Open opens or creates the bbolt file at path. opts may be nil.
func Open(path string, opts *Options) (*Backend, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Bucket == "" {
		o.Bucket = DefaultBucket
	}
	switch {
	case o.Timeout == 0:
		o.Timeout = DefaultTimeout
	case o.Timeout < 0:
		o.Timeout = time.Nanosecond
	}
	if o.Mode == 0 {
		o.Mode = 0o600
	}
	db, err := bolt.Open(path, o.Mode, &bolt.Options{Timeout: o.Timeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (waited %v)", ErrLocked, path, o.Timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	b := &Backend{db: db, bucket: []byte(o.Bucket), logs: []byte(o.Bucket + LogSuffix)}
	if err := db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(b.bucket); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(b.logs)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: creating buckets %q: %w", o.Bucket, err)
	}
	return b, nil
}

// DB returns the underlying bbolt database.
func (b *Backend) DB() *bolt.DB { return b.db }

func mapErr(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("%w: %w", store.ErrClosed, err)
	}
	return err
}

// In the log bucket, key K has a head K\x00 holding the record's log size
// (8 bytes, big-endian) and type name, and its entries under
// K\x00<sequence, 8 bytes big-endian>. Keys hold no NUL, so K\x00 is a prefix
// of K's entries only.
func headKey(key string) []byte { return append([]byte(key), 0) }

func entryKey(key string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(headKey(key), seq)
}

func encodeHead(logBytes int64, typ string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(logBytes)), typ...)
}

func decodeHead(v []byte) (logBytes int64, typ string, ok bool) {
	if len(v) < 8 {
		return 0, "", false
	}
	return int64(binary.BigEndian.Uint64(v)), string(v[8:]), true
}

// get tells an empty value from a missing one, which Bucket.Get does not.
func get(bk *bolt.Bucket, key []byte) ([]byte, bool) {
	k, v := bk.Cursor().Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		return nil, false
	}
	return v, true
}

// read returns key's record inside tx, and the log keys it holds.
func (b *Backend) read(tx *bolt.Tx, key string) (*store.Record, [][]byte, error) {
	snap, hasSnap := get(tx.Bucket(b.bucket), []byte(key))
	c := tx.Bucket(b.logs).Cursor()
	head := headKey(key)
	k, v := c.Seek(head)
	hasHead := k != nil && bytes.Equal(k, head)
	if !hasSnap && !hasHead {
		return nil, nil, store.ErrNotFound
	}
	rec := &store.Record{}
	if hasSnap {
		rec.Snapshot = slices.Clone(snap)
		if rec.Snapshot == nil {
			rec.Snapshot = []byte{}
		}
	}
	if !hasHead {
		return rec, nil, nil
	}
	_, typ, ok := decodeHead(v)
	if !ok {
		return nil, nil, fmt.Errorf("%w: boltstore: log head of %q is %d bytes", store.ErrCorrupt, key, len(v))
	}
	rec.Type = typ
	var keys [][]byte
	for k, v = c.Next(); k != nil && bytes.HasPrefix(k, head); k, v = c.Next() {
		rec.Log = append(rec.Log, slices.Clone(v))
		keys = append(keys, slices.Clone(k))
	}
	return rec, keys, nil
}

// Load reads key's record in a read-only transaction.
func (b *Backend) Load(ctx context.Context, key string) (*store.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rec *store.Record
	err := b.db.View(func(tx *bolt.Tx) error {
		var err error
		rec, _, err = b.read(tx, key)
		return err
	})
	return rec, mapErr(err)
}

// Append queues the entry for the next group commit and waits for it. A
// context done while waiting does not withdraw the entry.
func (b *Backend) Append(ctx context.Context, key, typ string, entry []byte) (store.Sizes, error) {
	if err := ctx.Err(); err != nil {
		return store.Sizes{}, err
	}
	r := &appendReq{key: key, typ: typ, entry: entry, done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, r)
	if b.running {
		b.mu.Unlock()
		<-r.done
		return r.sizes, r.err
	}
	b.running = true
	for len(b.queue) > 0 {
		batch := b.queue
		b.queue = nil
		b.mu.Unlock()
		b.commit(batch)
		b.mu.Lock()
	}
	b.running = false
	b.mu.Unlock()
	<-r.done
	return r.sizes, r.err
}

// commit applies a batch of appends in one read-write transaction. A check
// that fails for one append (type, unchecked record) fails that append
// alone; an error of the transaction fails them all.
func (b *Backend) commit(batch []*appendReq) {
	err := b.db.Update(func(tx *bolt.Tx) error {
		sb, lb := tx.Bucket(b.bucket), tx.Bucket(b.logs)
		for _, r := range batch {
			r.err = nil
			head := headKey(r.key)
			hv, hasHead := get(lb, head)
			snap, hasSnap := get(sb, []byte(r.key))
			var logBytes int64
			if hasHead {
				n, typ, ok := decodeHead(hv)
				switch {
				case !ok:
					r.err = fmt.Errorf("%w: boltstore: log head of %q is %d bytes", store.ErrCorrupt, r.key, len(hv))
				case typ == "":
					r.err = store.ErrUnchecked
				case typ != r.typ:
					r.err = store.TypeMismatch(typ, r.typ)
				}
				logBytes = n
			} else if hasSnap {
				r.err = store.ErrUnchecked
			}
			if r.err != nil {
				continue
			}
			seq, err := lb.NextSequence()
			if err != nil {
				return err
			}
			if err := lb.Put(entryKey(r.key, seq), r.entry); err != nil {
				return err
			}
			logBytes += int64(len(r.entry))
			if err := lb.Put(head, encodeHead(logBytes, r.typ)); err != nil {
				return err
			}
			r.sizes = store.Sizes{Snapshot: int64(len(snap)), Log: logBytes}
		}
		return nil
	})
	for _, r := range batch {
		if err != nil {
			r.err = mapErr(err)
		}
		close(r.done)
	}
}

// Update runs fn inside one read-write transaction; it never retries.
// Waiting for the transaction cannot be interrupted, but a context that is
// done before it starts or before fn runs stops the update.
func (b *Backend) Update(ctx context.Context, key string, fn store.UpdateFunc) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		cur, logKeys, err := b.read(tx, key)
		if errors.Is(err, store.ErrNotFound) {
			cur, err = nil, nil
		}
		if err != nil {
			return err
		}
		typ, snap, err := fn(cur)
		if err != nil || snap == nil {
			return err
		}
		if err := tx.Bucket(b.bucket).Put([]byte(key), snap); err != nil {
			return err
		}
		lb := tx.Bucket(b.logs)
		for _, k := range logKeys {
			if err := lb.Delete(k); err != nil {
				return err
			}
		}
		if typ == "" {
			return lb.Delete(headKey(key))
		}
		return lb.Put(headKey(key), encodeHead(0, typ))
	})
	return 0, mapErr(err)
}

// List walks the snapshot keys and the log heads from prefix on.
func (b *Backend) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var snaps, heads []string
	err := b.db.View(func(tx *bolt.Tx) error {
		p := []byte(prefix)
		c := tx.Bucket(b.bucket).Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			snaps = append(snaps, string(k))
		}
		c = tx.Bucket(b.logs).Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			if len(k) > 0 && k[len(k)-1] == 0 && bytes.IndexByte(k, 0) == len(k)-1 {
				heads = append(heads, string(k[:len(k)-1]))
			}
		}
		return nil
	})
	if err != nil {
		return nil, mapErr(err)
	}
	keys := append(snaps, heads...)
	slices.Sort(keys)
	return slices.Compact(append([]string{}, keys...)), nil
}

// Delete removes key's snapshot, log head and entries in a read-write
// transaction.
func (b *Backend) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return mapErr(b.db.Update(func(tx *bolt.Tx) error { return b.remove(tx, key) }))
}

func (b *Backend) remove(tx *bolt.Tx, key string) error {
	if err := tx.Bucket(b.bucket).Delete([]byte(key)); err != nil {
		return err
	}
	lb := tx.Bucket(b.logs)
	c := lb.Cursor()
	head := headKey(key)
	for k, _ := c.Seek(head); k != nil && bytes.HasPrefix(k, head); k, _ = c.Seek(head) {
		if err := lb.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Put stores data under key as a snapshot with no log and no type, as a
// record in the format from before the log, bypassing merge-writes (for
// tests and repairs).
func (b *Backend) Put(key string, data []byte) error {
	return mapErr(b.db.Update(func(tx *bolt.Tx) error {
		if err := b.remove(tx, key); err != nil {
			return err
		}
		return tx.Bucket(b.bucket).Put([]byte(key), data)
	}))
}

// AppendRaw adds entry to key's log as is, bypassing every check (for
// tests that plant bad entries). A key without a log gets one bound to no
// type.
func (b *Backend) AppendRaw(key string, entry []byte) error {
	return mapErr(b.db.Update(func(tx *bolt.Tx) error {
		lb := tx.Bucket(b.logs)
		hv, ok := get(lb, headKey(key))
		n, typ, _ := decodeHead(hv)
		if !ok {
			n, typ = 0, ""
		}
		seq, err := lb.NextSequence()
		if err != nil {
			return err
		}
		if err := lb.Put(entryKey(key, seq), entry); err != nil {
			return err
		}
		return lb.Put(headKey(key), encodeHead(n+int64(len(entry)), typ))
	}))
}

// Close closes the file and releases its lock.
func (b *Backend) Close() error { return b.db.Close() }
