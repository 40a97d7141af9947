package crdt

import (
	"errors"
	"fmt"
)

// ErrTypeMismatch is returned when a state is merged with a state of another
// type.
var ErrTypeMismatch = errors.New("crdt: merge of different types")

// ErrConflict is returned by a merge that detects states which cannot both be
// true, such as two different values recorded under the same event by replicas
// that shared an identity. The receiver is left unchanged.
var ErrConflict = errors.New("crdt: conflicting states")

// State is a CRDT with its types erased: what the payload registry, compound
// types, stores and replication handle. Every [CRDT] is a State.
//
// Methods that change the receiver leave it unchanged when they return an
// error.
type State interface {
	// TypeName is the name under which the type is registered for payload
	// envelopes, such as "counters.GCounter" or "sets.ORSet[string]".
	TypeName() string

	// MergeState joins other into the receiver. It returns an error wrapping
	// [ErrTypeMismatch] when other's dynamic type differs from the receiver's.
	MergeState(other State) error

	// CloneState returns a deep copy bound to the same replica, with no
	// pending delta. Nothing is shared with the receiver.
	CloneState() State

	// Payload returns the JSON-friendly form of the state: a value that
	// encodes to canonical JSON (object keys sorted, set elements sorted),
	// so that equal states give identical bytes. The value must not be
	// modified and must not be kept after the state changes.
	Payload() any

	// LoadPayload replaces the state with the one encoded in data, the JSON
	// form produced by Payload. The replica identity of the receiver is kept;
	// nothing of identity is read from data. Decoding is strict: unknown
	// fields, wrong JSON types and states that violate the type's invariants
	// are errors. Callers normally reach it through package payload, which
	// enforces size and nesting limits first.
	LoadPayload(data []byte) error

	// TakeDeltaState returns the join of the deltas of all local mutations
	// since the last call and forgets them; ok is false when there were none.
	TakeDeltaState() (delta State, ok bool)
}

// CRDT is the typed contract of a state-based CRDT. S is the implementing
// type itself (usually a pointer, such as *counters.GCounter) and V the type
// of its computed value.
type CRDT[S any, V any] interface {
	State

	// Merge joins other into the receiver. It never keeps a reference to
	// other or to anything inside it. Merge does not record a delta: deltas
	// describe local mutations only.
	Merge(other S) error

	// Value returns the value the state stands for, such as a counter's total
	// or a set's elements. The result does not alias the state.
	Value() V

	// Clone returns a deep copy bound to the same replica, with no pending
	// delta.
	Clone() S

	// TakeDelta returns the join of the deltas of all local mutations since
	// the last call and forgets them; ok is false when there were none.
	// Merging the deltas into a copy taken before those mutations gives the
	// same state as merging the full state.
	TakeDelta() (delta S, ok bool)
}

// Mergeable is the part of [CRDT] that [Merge] needs.
type Mergeable[S any] interface {
	Merge(other S) error
	Clone() S
}

// Merge returns the join of a and b without changing either: a clone of a
// with b merged into it.
func Merge[S Mergeable[S]](a, b S) (S, error) {
	c := a.Clone()
	if err := c.Merge(b); err != nil {
		var zero S
		return zero, err
	}
	return c, nil
}

// MergeStateAs implements [State.MergeState] for a type S with a typed Merge:
// it checks that other is an S and merges it into dst.
func MergeStateAs[S any](dst interface{ Merge(S) error }, other State) error {
	o, ok := other.(S)
	if !ok {
		return fmt.Errorf("%w: cannot merge %T into %T", ErrTypeMismatch, other, dst)
	}
	return dst.Merge(o)
}
