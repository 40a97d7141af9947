package store

import (
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
// that backend allows it. The zero Store is not usable: its methods return
// errors wrapping [ErrNoBackend]; make one with [New].
type Store struct {
	backend Backend
	replica crdt.ReplicaID
	codec   payload.Codec
	policy  Compaction

	mergeWrites   atomic.Uint64
	migrations    atomic.Uint64
	compactions   atomic.Uint64
	compactErrors atomic.Uint64
	retries       atomic.Uint64
	dropped       atomic.Uint64
	lastCompact   atomic.Pointer[error]
}

// Option configures a [Store].
type Option func(*Store)

// WithCodec sets the registry and decode limits used for stored payloads
// (default: the zero [payload.Codec], that is [payload.Default] and the
// default limits).
func WithCodec(c payload.Codec) Option {
	return func(s *Store) { s.codec = c }
}

// Compaction is the rule for folding a key's log into a new snapshot. After
// each append the Store compacts the key when its log holds more than
// MinBytes and more than Ratio times the size of its snapshot. With the
// defaults a write's amortised cost stays proportional to the size of what it
// writes: a snapshot of n bytes is rewritten only after at least n/2 bytes of
// entries were appended.
type Compaction struct {
	// Ratio is the log's size, as a fraction of the snapshot's, beyond
	// which the log is folded (default [DefaultCompaction].Ratio).
	Ratio float64
	// MinBytes is the size below which a log is never folded, so that keys
	// with small states are not rewritten at every write (default
	// [DefaultCompaction].MinBytes).
	MinBytes int64
}

// DefaultCompaction is the compaction rule of a Store made without
// [WithCompaction].
var DefaultCompaction = Compaction{Ratio: 0.5, MinBytes: 4 << 10}

// WithCompaction sets the compaction rule; zero fields take
// [DefaultCompaction]'s.
func WithCompaction(c Compaction) Option {
	return func(s *Store) {
		if c.Ratio > 0 {
			s.policy.Ratio = c.Ratio
		}
		if c.MinBytes > 0 {
			s.policy.MinBytes = c.MinBytes
		}
	}
}

// due reports whether a record of sizes z should be compacted.
func (c Compaction) due(z Sizes) bool {
	return z.Log > c.MinBytes && float64(z.Log) > c.Ratio*float64(z.Snapshot)
}

// New returns a Store over b whose decoded states are bound to replica, the
// local replica's id. It returns an error wrapping [crdt.ErrNoReplica] if
// replica is empty, and one wrapping [ErrNoBackend] if b is nil. The Store
// owns b: [Store.Close] closes it.
func New(b Backend, replica crdt.ReplicaID, opts ...Option) (*Store, error) {
	if b == nil {
		return nil, fmt.Errorf("%w: nil backend", ErrNoBackend)
	}
	if err := replica.Validate(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{backend: b, replica: replica, policy: DefaultCompaction}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// ready returns an error for a Store not made by New.
func (s *Store) ready() error {
	if s == nil || s.backend == nil {
		return ErrNoBackend
	}
	return nil
}

// Backend returns the backend the Store writes through (nil for the zero
// Store).
func (s *Store) Backend() Backend {
	if s == nil {
		return nil
	}
	return s.backend
}

// Replica returns the replica id decoded states are bound to.
func (s *Store) Replica() crdt.ReplicaID {
	if s == nil {
		return ""
	}
	return s.replica
}

// Stats counts a Store's work since it was made.
type Stats struct {
	// MergeWrites is the number of merge-writes that succeeded (including
	// those made by [Update]).
	MergeWrites uint64
	// Migrations is how many of them found a record no Store had checked
	// (the format from before the log, or planted raw) and rewrote it.
	Migrations uint64
	// Compactions is the number of times a key's log was folded into a
	// new snapshot.
	Compactions uint64
	// CompactionErrors counts compactions that failed. The merge-write
	// that triggered one had already been appended and succeeded; the log
	// is folded at a later write. [Store.CompactionError] returns the
	// last such error.
	CompactionErrors uint64
	// Retries is the number of times an optimistic backend had to rerun a
	// compaction or migration because another writer changed the record
	// first. Appends are never retried.
	Retries uint64
	// DroppedEntries counts torn or corrupt log entries (as a crash during
	// an append leaves them) that reads skipped. No such entry was ever
	// acknowledged.
	DroppedEntries uint64
}

// Stats returns the Store's counters.
func (s *Store) Stats() Stats {
	if s == nil {
		return Stats{}
	}
	return Stats{
		MergeWrites:      s.mergeWrites.Load(),
		Migrations:       s.migrations.Load(),
		Compactions:      s.compactions.Load(),
		CompactionErrors: s.compactErrors.Load(),
		Retries:          s.retries.Load(),
		DroppedEntries:   s.dropped.Load(),
	}
}

// CompactionError returns the error of the last compaction that failed, or
// nil if none did.
func (s *Store) CompactionError() error {
	if s == nil {
		return nil
	}
	if p := s.lastCompact.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *Store) registry() *payload.Registry {
	if s.codec.Registry != nil {
		return s.codec.Registry
	}
	return payload.Default
}

// Get returns the state stored under key, decoded through the payload
// registry and bound to the Store's replica: the snapshot with every log
// entry merged in. Errors are [*KeyError]s; a missing key wraps
// [ErrNotFound], a record that does not decode wraps [ErrCorrupt] and the
// decoder's error.
func (s *Store) Get(ctx context.Context, key string) (crdt.State, error) {
	const op = "get"
	if err := s.ready(); err != nil {
		return nil, keyErr(op, key, err)
	}
	if err := ValidateKey(key); err != nil {
		return nil, keyErr(op, key, err)
	}
	rec, err := s.backend.Load(ctx, key)
	if err != nil {
		return nil, keyErr(op, key, err)
	}
	st, err := s.fold(rec)
	if err != nil {
		return nil, keyErr(op, key, err)
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

// Update is the way to change a stored value: it loads the state stored
// under key (or, if there is none, makes one with newState bound to the
// Store's replica), calls mutate on it, and merge-writes only the delta of
// that mutation. It returns the mutated state: what was stored when it was
// loaded, with the mutation applied (writes by others since then are in the
// store, not in the returned state).
//
// Starting from the stored state matters: a fresh state made under a replica
// id that already wrote to the key would reuse that replica's event numbers,
// and its writes would be lost or refused as a conflict ([crdt.ErrConflict]).
// Use [Store.MergeWrite] for states that come from elsewhere, such as a delta
// received from another replica.
//
// If mutate fails, or records no change, nothing is written. Errors are
// [*KeyError]s naming key.
func Update[S crdt.State](ctx context.Context, s *Store, key string, newState func(crdt.ReplicaID) S, mutate func(S) error) (S, error) {
	const op = "update"
	var zero S
	if err := s.ready(); err != nil {
		return zero, keyErr(op, key, err)
	}
	cur, err := GetAs[S](ctx, s, key)
	switch {
	case errors.Is(err, ErrNotFound):
		if newState == nil {
			return zero, keyErr(op, key, fmt.Errorf("%w and no newState given", ErrNotFound))
		}
		cur = newState(s.replica)
		// Anything the constructor recorded is part of the change.
	case err != nil:
		return zero, retag(op, err)
	}
	if err := mutate(cur); err != nil {
		return zero, keyErr(op, key, err)
	}
	delta, ok := cur.TakeDeltaState()
	if !ok {
		return cur, nil
	}
	if err := s.MergeWrite(ctx, key, delta); err != nil {
		return zero, retag(op, err)
	}
	return cur, nil
}

// retag sets the operation of a *KeyError.
func retag(op string, err error) error {
	var ke *KeyError
	if errors.As(err, &ke) {
		return &KeyError{Op: op, Key: ke.Key, Err: ke.Err}
	}
	return err
}

// MergeWrite merges state (a full state or a delta) into the state stored
// under key. It encodes state, checks that the encoding decodes strictly
// within the codec's limits and that the key holds state's type (or
// nothing), and appends the encoding to the key's log: its cost is in
// proportion to state, not to what the key already holds. Now and then
// (see [Compaction]) the log is folded into a new snapshot, which costs in
// proportion to the key's whole state; the first merge-write to a record in
// the format from before the log rewrites it the same way.
//
// Concurrent merge-writes of one key, from any number of goroutines or
// processes sharing the backend, never lose an update. On any error nothing
// is written: state does not encode or decode, or exceeds the codec's limits
// (wraps payload.ErrTooLarge or payload.ErrTooDeep); the record holds another
// type (wraps [crdt.ErrTypeMismatch]); a record that must be migrated does
// not decode (wraps [ErrCorrupt]); or the backend's error. Errors are
// [*KeyError]s naming key.
//
// To change a stored value, use [Update], which starts from the stored state.
func (s *Store) MergeWrite(ctx context.Context, key string, state crdt.State) error {
	const op = "merge-write"
	if err := s.ready(); err != nil {
		return keyErr(op, key, err)
	}
	if err := ValidateKey(key); err != nil {
		return keyErr(op, key, err)
	}
	if state == nil {
		return keyErr(op, key, errors.New("store: nil state"))
	}
	name := state.TypeName()
	if _, ok := s.registry().Lookup(name); !ok {
		return keyErr(op, key, fmt.Errorf("%w: %q", payload.ErrUnknownType, name))
	}
	entry, err := s.codec.Marshal(state)
	if err != nil {
		return keyErr(op, key, err)
	}
	// What enters the log must read back: the limits, and the type's
	// strict decoder.
	if err := s.codec.Limits.Check(entry); err != nil {
		return keyErr(op, key, fmt.Errorf("store: state to write: %w", err))
	}
	if _, err := s.codec.Unmarshal(entry, s.replica); err != nil {
		return keyErr(op, key, fmt.Errorf("store: state to write does not decode: %w", err))
	}
	sizes, err := s.backend.Append(ctx, key, name, entry)
	if errors.Is(err, ErrUnchecked) {
		err = s.migrate(ctx, key, name, state)
		if err == nil {
			s.mergeWrites.Add(1)
		}
		return keyErr(op, key, err)
	}
	if err != nil {
		return keyErr(op, key, err)
	}
	s.mergeWrites.Add(1)
	if s.policy.due(sizes) {
		s.compact(ctx, key)
	}
	return nil
}

// migrate rewrites a record no Store has checked (a snapshot in the format
// from before the log, or a raw one) as a checked snapshot with state merged
// in, or fails writing nothing.
func (s *Store) migrate(ctx context.Context, key, name string, state crdt.State) error {
	retries, err := s.backend.Update(ctx, key, func(cur *Record) (string, []byte, error) {
		var st crdt.State
		if cur == nil {
			t, _ := s.registry().Lookup(name)
			st = t.New(s.replica)
		} else {
			var err error
			if st, err = s.fold(cur); err != nil {
				return "", nil, err
			}
			if st.TypeName() != name {
				return "", nil, TypeMismatch(st.TypeName(), name)
			}
		}
		if err := st.MergeState(state); err != nil {
			return "", nil, s.mergeErr(err)
		}
		enc, err := s.encodeSnapshot(st)
		if err != nil {
			return "", nil, err
		}
		return name, enc, nil
	})
	s.retries.Add(uint64(retries))
	if err == nil {
		s.migrations.Add(1)
	}
	return err
}

// compact folds key's log into a new snapshot. A failure is counted, not
// returned: the merge-write that triggered it has succeeded.
func (s *Store) compact(ctx context.Context, key string) {
	retries, err := s.backend.Update(ctx, key, func(cur *Record) (string, []byte, error) {
		if cur == nil || (len(cur.Log) == 0 && cur.Dropped == 0) {
			return "", nil, nil
		}
		st, err := s.fold(cur)
		if err != nil {
			return "", nil, err
		}
		enc, err := s.encodeSnapshot(st)
		if err != nil {
			return "", nil, err
		}
		return st.TypeName(), enc, nil
	})
	s.retries.Add(uint64(retries))
	if err != nil {
		s.compactErrors.Add(1)
		err = keyErr("compact", key, err)
		s.lastCompact.Store(&err)
		return
	}
	s.compactions.Add(1)
}

// encodeSnapshot encodes st canonically and refuses a snapshot that could
// not be read back within the codec's limits.
func (s *Store) encodeSnapshot(st crdt.State) ([]byte, error) {
	enc, err := s.codec.Marshal(st)
	if err != nil {
		return nil, err
	}
	if err := s.codec.Limits.Check(enc); err != nil {
		return nil, fmt.Errorf("store: merged state: %w", err)
	}
	return enc, nil
}

// mergeErr wraps an error of MergeState; a conflict names the replica.
func (s *Store) mergeErr(err error) error {
	if errors.Is(err, crdt.ErrConflict) {
		return fmt.Errorf("store: merging into replica %q: %w", s.replica, err)
	}
	return fmt.Errorf("store: merge: %w", err)
}

// fold decodes rec's snapshot and entries and merges them into one state.
func (s *Store) fold(rec *Record) (crdt.State, error) {
	s.dropped.Add(uint64(rec.Dropped))
	var st crdt.State
	switch {
	case rec.Snapshot != nil:
		var err error
		st, err = s.codec.Unmarshal(rec.Snapshot, s.replica)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if rec.Type != "" && st.TypeName() != rec.Type {
			return nil, fmt.Errorf("%w: snapshot holds %s, log is bound to %s", ErrCorrupt, st.TypeName(), rec.Type)
		}
	case rec.Type != "":
		t, ok := s.registry().Lookup(rec.Type)
		if !ok {
			return nil, fmt.Errorf("%w: log: %w: %q", ErrCorrupt, payload.ErrUnknownType, rec.Type)
		}
		st = t.New(s.replica)
	default:
		return nil, fmt.Errorf("%w: record has neither a snapshot nor a type", ErrCorrupt)
	}
	if len(rec.Log) == 0 {
		return st, nil
	}
	entries := make([]crdt.State, len(rec.Log))
	for i, e := range rec.Log {
		d, err := s.codec.Unmarshal(e, s.replica)
		if err != nil {
			return nil, fmt.Errorf("%w: log entry %d: %w", ErrCorrupt, i, err)
		}
		if d.TypeName() != st.TypeName() {
			return nil, fmt.Errorf("%w: log entry %d holds %s, record holds %s", ErrCorrupt, i, d.TypeName(), st.TypeName())
		}
		entries[i] = d
	}
	// Join the entries pairwise, then the result into the state: entries
	// are small and merges cost in proportion to their receiver, so a
	// balanced fold keeps k entries at O(k log k) instead of k merges into
	// the whole state.
	for len(entries) > 1 {
		next := entries[:0:0]
		for i := 0; i < len(entries); i += 2 {
			if i+1 == len(entries) {
				next = append(next, entries[i])
				break
			}
			if err := entries[i].MergeState(entries[i+1]); err != nil {
				return nil, s.mergeErr(err)
			}
			next = append(next, entries[i])
		}
		entries = next
	}
	if err := st.MergeState(entries[0]); err != nil {
		return nil, s.mergeErr(err)
	}
	return st, nil
}

// List returns the keys starting with prefix in ascending byte order.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
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
	if err := s.ready(); err != nil {
		return keyErr("delete", key, err)
	}
	if err := ValidateKey(key); err != nil {
		return keyErr("delete", key, err)
	}
	return keyErr("delete", key, s.backend.Delete(ctx, key))
}

// Close closes the backend.
func (s *Store) Close() error {
	if err := s.ready(); err != nil {
		return err
	}
	return s.backend.Close()
}
