package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// Store reads and merge-writes CRDT states through a [Backend]. States it
// decodes are bound to its replica id. A Store is safe for concurrent use;
// several Stores (in one process or many) may share a backend's data when
// that backend allows it.
type Store struct {
	backend Backend
	replica crdt.ReplicaID
	codec   payload.Codec

	mergeWrites atomic.Uint64
	writes      atomic.Uint64
	retries     atomic.Uint64
}

// Option configures a [Store].
type Option func(*Store)

// WithCodec sets the registry and decode limits used for stored payloads
// (default: the zero [payload.Codec], that is [payload.Default] and the
// default limits).
func WithCodec(c payload.Codec) Option {
	return func(s *Store) { s.codec = c }
}

// New returns a Store over b whose decoded states are bound to replica, the
// local replica's id. It returns an error wrapping [crdt.ErrNoReplica] if
// replica is empty. The Store owns b: [Store.Close] closes it.
func New(b Backend, replica crdt.ReplicaID, opts ...Option) (*Store, error) {
	if b == nil {
		return nil, errors.New("store: nil backend")
	}
	if err := replica.Validate(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{backend: b, replica: replica}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Backend returns the backend the Store writes through.
func (s *Store) Backend() Backend { return s.backend }

// Replica returns the replica id decoded states are bound to.
func (s *Store) Replica() crdt.ReplicaID { return s.replica }

// Stats counts a Store's merge-writes since it was made.
type Stats struct {
	// MergeWrites is the number of merge-writes that succeeded.
	MergeWrites uint64
	// Writes is how many of them changed the stored record (the others
	// merged a state the record already contained).
	Writes uint64
	// Retries is the number of times an optimistic backend had to rerun a
	// merge-write because another writer changed the record first.
	// Retries/MergeWrites is the conflict-retry rate.
	Retries uint64
}

// Stats returns the Store's counters.
func (s *Store) Stats() Stats {
	return Stats{
		MergeWrites: s.mergeWrites.Load(),
		Writes:      s.writes.Load(),
		Retries:     s.retries.Load(),
	}
}

func (s *Store) registry() *payload.Registry {
	if s.codec.Registry != nil {
		return s.codec.Registry
	}
	return payload.Default
}

// Get returns the state stored under key, decoded through the payload
// registry and bound to the Store's replica. Errors are [*KeyError]s; a
// missing key wraps [ErrNotFound], a record that does not decode wraps
// [ErrCorrupt] and the decoder's error.
func (s *Store) Get(ctx context.Context, key string) (crdt.State, error) {
	if err := ValidateKey(key); err != nil {
		return nil, keyErr("get", key, err)
	}
	data, err := s.backend.Load(ctx, key)
	if err != nil {
		return nil, keyErr("get", key, err)
	}
	st, err := s.codec.Unmarshal(data, s.replica)
	if err != nil {
		return nil, keyErr("get", key, fmt.Errorf("%w: %w", ErrCorrupt, err))
	}
	return st, nil
}

// GetAs is [Store.Get] for a known type: it returns an error wrapping
// [crdt.ErrTypeMismatch] if the record holds another type.
func GetAs[S crdt.State](ctx context.Context, s *Store, key string) (S, error) {
	var zero S
	st, err := s.Get(ctx, key)
	if err != nil {
		return zero, err
	}
	typed, ok := st.(S)
	if !ok {
		return zero, keyErr("get", key, fmt.Errorf("%w: stored %s, want %T", crdt.ErrTypeMismatch, st.TypeName(), zero))
	}
	return typed, nil
}

// MergeWrite merges state (a full state or a delta) into the state stored
// under key and writes the result back atomically; a missing key starts from
// the empty state of state's type. It returns the merged state, bound to the
// Store's replica and without pending delta.
//
// Concurrent merge-writes of one key, from any number of goroutines or
// processes sharing the backend, never lose an update. On any error nothing is
// written: a stored record that does not decode (wraps [ErrCorrupt]), a record
// of another type (wraps [crdt.ErrTypeMismatch]), a failed merge or encoding,
// a merged state whose payload would exceed the codec's limits (wraps
// payload.ErrTooLarge or payload.ErrTooDeep), or the backend's error. Errors are [*KeyError]s naming key.
func (s *Store) MergeWrite(ctx context.Context, key string, state crdt.State) (crdt.State, error) {
	const op = "merge-write"
	if err := ValidateKey(key); err != nil {
		return nil, keyErr(op, key, err)
	}
	if state == nil {
		return nil, keyErr(op, key, errors.New("nil state"))
	}
	name := state.TypeName()
	typ, ok := s.registry().Lookup(name)
	if !ok {
		return nil, keyErr(op, key, fmt.Errorf("%w: %q", payload.ErrUnknownType, name))
	}
	var (
		merged crdt.State
		wrote  bool
	)
	retries, err := s.backend.Update(ctx, key, func(old []byte, exists bool) ([]byte, error) {
		merged, wrote = nil, false
		var cur crdt.State
		if exists {
			st, err := s.codec.Unmarshal(old, s.replica)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
			if st.TypeName() != name {
				return nil, fmt.Errorf("%w: stored %s, writing %s", crdt.ErrTypeMismatch, st.TypeName(), name)
			}
			cur = st
		} else {
			cur = typ.New(s.replica)
		}
		if err := cur.MergeState(state); err != nil {
			return nil, fmt.Errorf("store: merge: %w", err)
		}
		enc, err := s.codec.Marshal(cur)
		if err != nil {
			return nil, err
		}
		// A record beyond the limits could not be read back: refuse it
		// rather than make the key unreadable.
		if err := s.codec.Limits.Check(enc); err != nil {
			return nil, fmt.Errorf("store: merged state: %w", err)
		}
		merged = cur
		if exists && bytes.Equal(enc, old) {
			return nil, nil
		}
		wrote = true
		return enc, nil
	})
	s.retries.Add(uint64(retries))
	if err != nil {
		return nil, keyErr(op, key, err)
	}
	s.mergeWrites.Add(1)
	if wrote {
		s.writes.Add(1)
	}
	return merged, nil
}

// List returns the keys starting with prefix in ascending byte order.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	keys, err := s.backend.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("store: list %q: %w", prefix, err)
	}
	return keys, nil
}

// Delete removes key's record; deleting a missing key is not an error.
// Deleting a CRDT's record forgets its history: a later merge-write starts
// from the empty state.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return keyErr("delete", key, err)
	}
	return keyErr("delete", key, s.backend.Delete(ctx, key))
}

// Close closes the backend.
func (s *Store) Close() error { return s.backend.Close() }
