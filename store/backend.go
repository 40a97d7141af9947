package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/crdtkit/crdtkit/crdt"
)

// MaxKeyLen is the longest key, in bytes, that a [Store] accepts. Backends
// may accept less (the directory store's file names do).
const MaxKeyLen = 1024

// Record is what a backend holds under one key: a snapshot and the log of
// entries appended after it. The state the record stands for is the snapshot
// merged with every entry; because merges are commutative, associative and
// idempotent, neither the order of the entries nor an entry that the snapshot
// already contains changes it.
type Record struct {
	// Type is the payload type name the log is bound to: [Backend.Append]
	// accepts only entries of this type. It is set by a Store's own writes.
	// "" marks a record no Store has checked: one written in the format
	// from before the log (a snapshot alone), or planted raw with a
	// backend's Put; the next merge-write decodes and rewrites it.
	Type string
	// Snapshot is the snapshot payload, or nil if the record has only log
	// entries.
	Snapshot []byte
	// Log holds the log entries (each the canonical payload of a state or
	// delta) in append order.
	Log [][]byte
	// Dropped counts entries at the end of the log that were torn or failed
	// their checksum, as a crash during an append leaves them, and that
	// the backend skipped. Such an entry was never acknowledged. Only
	// backends that write frames themselves (the directory store) can
	// report any.
	Dropped int
}

// Sizes are the sizes of a record, in bytes, as [Backend.Append] leaves it;
// the Store's compaction rule looks at them.
type Sizes struct {
	// Snapshot is the size of the snapshot (0 if none).
	Snapshot int64
	// Log is the size of the log entries, with their framing where the
	// backend frames them.
	Log int64
}

// UpdateFunc computes a key's new snapshot from its current record, for a
// compaction (the log folded into the snapshot) or a migration. cur is nil
// when the key has no record. The function must not keep cur after it
// returns. A nil snapshot (with a nil error) leaves the record as it is; an
// error aborts the update, writes nothing and is returned by
// [Backend.Update] unchanged. typ becomes the record's [Record.Type]; ""
// stores a raw record that appends refuse.
type UpdateFunc func(cur *Record) (typ string, snapshot []byte, err error)

// Backend is a key-value store of records: a snapshot plus a log of entries
// per key, all raw bytes. The Store does all decoding, merging and checking
// above it; a backend knows nothing about CRDTs beyond comparing type names.
// Implementations are safe for concurrent use. Keys reaching a backend have
// passed [ValidateKey].
type Backend interface {
	// Load returns key's record, or an error wrapping [ErrNotFound]. The
	// caller owns the returned record. Snapshot and log are read as one
	// consistent view.
	Load(ctx context.Context, key string) (*Record, error)

	// Append adds entry at the end of key's log, durably before it
	// returns, if the record's Type is typ; a missing record is created
	// with Type typ, no snapshot and the one entry. It returns an error
	// wrapping [ErrUnchecked] for a record whose Type is "", and one made by
	// [TypeMismatch] for a record of another type, writing nothing. Appends
	// commute: concurrent appends to one key, from any number of goroutines
	// or processes sharing the store, all land, in some order, without
	// retries.
	Append(ctx context.Context, key, typ string, entry []byte) (Sizes, error)

	// Update runs fn on key's current record and stores its result as the
	// new snapshot and Type, removing the log entries fn was shown (and
	// only those: entries appended meanwhile stay), as one atomic step with
	// respect to every other Update, Append and Delete of key. A process
	// killed during Update leaves the old record or the new one. Backends
	// that lock call fn once; optimistic ones call it again, with the newer
	// record, each time another writer got in first, and return how many
	// such retries there were. fn's error is returned as is.
	Update(ctx context.Context, key string, fn UpdateFunc) (retries int, err error)

	// List returns the keys that have a record and start with prefix, in
	// ascending byte order.
	List(ctx context.Context, prefix string) ([]string, error)

	// Delete removes key's record, snapshot and log. Deleting a missing key
	// is not an error.
	Delete(ctx context.Context, key string) error

	// Close releases the backend's resources.
	Close() error
}

// TypeMismatch returns the error a [Backend.Append] reports for a record
// bound to another type: it wraps [crdt.ErrTypeMismatch].
func TypeMismatch(stored, appending string) error {
	return fmt.Errorf("%w: stored %s, writing %s", crdt.ErrTypeMismatch, stored, appending)
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
