package store

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound is returned when a key has no record.
	ErrNotFound = errors.New("store: key not found")
	// ErrCorrupt is wrapped by errors about a stored record that is not a
	// valid payload. The payload decoder's error is wrapped alongside it.
	ErrCorrupt = errors.New("store: stored record is not a valid payload")
	// ErrInvalidKey is returned for a key a store cannot hold: empty, not
	// valid UTF-8, containing NUL, longer than [MaxKeyLen], or beyond a
	// backend's own limit.
	ErrInvalidKey = errors.New("store: invalid key")
	// ErrContention is returned by optimistic backends when a merge-write
	// still conflicts with other writers after the configured number of
	// retries.
	ErrContention = errors.New("store: too many conflicting writers")
	// ErrClosed is returned by calls on a closed store.
	ErrClosed = errors.New("store: closed")
	// ErrUnchecked is returned by [Backend.Append] for a record that no
	// Store has checked (its [Record.Type] is ""): one in the format from
	// before the log, or planted raw. The Store then migrates the record:
	// it decodes it strictly and rewrites it with the merge-written state
	// folded in.
	ErrUnchecked = errors.New("store: record not yet checked by a store")
	// ErrNoBackend is returned by every method of a Store that was not made
	// by [New] (the zero Store).
	ErrNoBackend = errors.New("store: Store has no backend (make it with store.New)")
)

// KeyError is an error about one key. Every error that Store methods return
// for a key is a *KeyError, so callers can tell which record failed and, with
// errors.Is, why ([ErrNotFound], [ErrCorrupt], crdt.ErrTypeMismatch, ...).
type KeyError struct {
	// Op is the operation: "get", "merge-write", "update" or "delete".
	Op string
	// Key is the key the operation was about.
	Key string
	// Err is the cause.
	Err error
}

// Error names the operation, the key and the cause.
func (e *KeyError) Error() string {
	return fmt.Sprintf("store: %s %q: %v", e.Op, e.Key, e.Err)
}

// Unwrap returns the cause.
func (e *KeyError) Unwrap() error { return e.Err }

func keyErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	return &KeyError{Op: op, Key: key, Err: err}
}
