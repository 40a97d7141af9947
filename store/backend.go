package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxKeyLen is the longest key, in bytes, that a [Store] accepts. Backends
// may accept less (the directory store's file names do).
const MaxKeyLen = 1024

// UpdateFunc computes the new record of a key from its current one. exists
// reports whether the key has a record; old is that record (possibly empty,
// which is not the same as absent). The function must not keep old after it
// returns. A nil result (with a nil error) leaves the record as it is; an error
// aborts the update, writes nothing and is returned by [Backend.Update]
// unchanged.
type UpdateFunc func(old []byte, exists bool) (updated []byte, err error)

// Backend is a key-value store of raw payload bytes. Implementations are safe
// for concurrent use. Keys reaching a backend have passed [ValidateKey].
type Backend interface {
	// Load returns the record stored under key, or an error wrapping
	// [ErrNotFound]. The caller owns the returned slice.
	Load(ctx context.Context, key string) ([]byte, error)

	// Update runs fn on the current record of key and stores its result, as
	// one atomic step with respect to every other Update of key, in this
	// process or any other sharing the store. Backends that lock call fn
	// once; optimistic backends call it again, with the newer record, each
	// time another writer got in first, and return how many such retries
	// there were. fn's error is returned as is.
	Update(ctx context.Context, key string, fn UpdateFunc) (retries int, err error)

	// List returns the keys that start with prefix, in ascending byte
	// order.
	List(ctx context.Context, prefix string) ([]string, error)

	// Delete removes key's record. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error

	// Close releases the backend's resources.
	Close() error
}

// ValidateKey returns an error wrapping [ErrInvalidKey] unless key is
// non-empty valid UTF-8 of at most [MaxKeyLen] bytes without NUL.
func ValidateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidKey, len(key), MaxKeyLen)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidKey)
	case strings.IndexByte(key, 0) >= 0:
		return fmt.Errorf("%w: contains NUL", ErrInvalidKey)
	}
	return nil
}
