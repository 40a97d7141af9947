package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
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

// Options configure [Open]. The zero value is fine.
type Options struct {
	// Bucket is the bbolt bucket holding the records (default
	// [DefaultBucket]).
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
	b := &Backend{db: db, bucket: []byte(o.Bucket)}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(b.bucket)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: creating bucket %q: %w", o.Bucket, err)
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

// Load reads key's record in a read-only transaction.
func (b *Backend) Load(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []byte
	err := b.db.View(func(tx *bolt.Tx) error {
		v, ok := get(tx.Bucket(b.bucket), key)
		if !ok {
			return store.ErrNotFound
		}
		out = slices.Clone(v)
		if out == nil {
			out = []byte{}
		}
		return nil
	})
	return out, mapErr(err)
}

// get tells an empty record from a missing one, which Bucket.Get does not.
func get(bk *bolt.Bucket, key string) ([]byte, bool) {
	k, v := bk.Cursor().Seek([]byte(key))
	if k == nil || !bytes.Equal(k, []byte(key)) {
		return nil, false
	}
	return v, true
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
		bk := tx.Bucket(b.bucket)
		old, exists := get(bk, key)
		updated, err := fn(old, exists)
		if err != nil || updated == nil {
			return err
		}
		return bk.Put([]byte(key), updated)
	})
	return 0, mapErr(err)
}

// List walks the keys from prefix on.
func (b *Backend) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	keys := []string{}
	err := b.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(b.bucket).Cursor()
		p := []byte(prefix)
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			keys = append(keys, string(k))
		}
		return nil
	})
	return keys, mapErr(err)
}

// Delete removes key in a read-write transaction.
func (b *Backend) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return mapErr(b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(b.bucket).Delete([]byte(key))
	}))
}

// Put stores data under key as is, bypassing merge-writes (for tests and
// repairs).
func (b *Backend) Put(key string, data []byte) error {
	return mapErr(b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(b.bucket).Put([]byte(key), data)
	}))
}

// Close closes the file and releases its lock.
func (b *Backend) Close() error { return b.db.Close() }
