package crdttest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// The laws that [Check] and [Verify] check, in the order they run. Each is
// the name of a subtest of Check and the [LawError.Law] of a violation
// reported by Verify.
const (
	// LawEmpty: the state from Spec.New is the identity of merge,
	// New(r) ⊔ s == s ⊔ New(r) == s.
	LawEmpty = "empty"
	// LawCommutative: a ⊔ b == b ⊔ a.
	LawCommutative = "commutative"
	// LawAssociative: (a ⊔ b) ⊔ c == a ⊔ (b ⊔ c).
	LawAssociative = "associative"
	// LawIdempotent: a ⊔ a == a and (a ⊔ b) ⊔ b == a ⊔ b.
	LawIdempotent = "idempotent"
	// LawNoAlias: merge leaves its argument unchanged and keeps no
	// reference into it (later changes to either side do not leak into the
	// other).
	LawNoAlias = "no-alias"
	// LawMergeState: the type-erased MergeState and CloneState agree with
	// Merge and Clone, and MergeState of a foreign type fails with
	// [crdt.ErrTypeMismatch] leaving the receiver unchanged.
	LawMergeState = "merge-state"
	// LawClone: Clone is deep (changes to the clone or to the original do
	// not reach the other) and carries no pending delta.
	LawClone = "clone"
	// LawRoundTrip: a payload decodes (payload.Unmarshal and
	// payload.UnmarshalInto) to a state of the same type with identical
	// canonical bytes and an equal value, and marshalling is stable.
	LawRoundTrip = "round-trip"
	// LawValue: Value is deterministic, equals the value of the state
	// rebuilt from its payload, and does not alias the state.
	LawValue = "value"
	// LawDelta: the deltas of local mutations, merged into a copy taken
	// before them (in order, in any order, grouped, or after a payload round
	// trip), give the same state as merging the full state; TakeDelta
	// forgets what it returned; merges record no delta; deltas do not alias
	// the state.
	LawDelta = "delta"
	// LawIdentity: a replica that starts from another replica's payload
	// under its own id, then mutates, still satisfies the merge laws with
	// its origin; its decoded state equals New(id) ⊔ origin and, for types
	// whose mutations are deterministic, responds to the same mutations as
	// New(id) ⊔ origin does (so the identity is neither read from the
	// payload nor invented on load).
	LawIdentity = "identity"
	// LawDeltaConvergence: replicas that ship only deltas, each to every
	// peer, delivered in any order and any number of times but never lost,
	// end in identical states and values with no full-state exchange.
	LawDeltaConvergence = "delta-convergence"
	// LawConvergence: replicas that mutate and exchange deltas and full
	// states over a network that duplicates, reorders, delays and drops
	// messages, and restart from their payloads, end in identical states
	// and values after a final full-state exchange, equal to the merge of
	// all their states in any order.
	LawConvergence = "convergence"
)

// AllLaws lists every law in the order [Check] and [Verify] run them.
var AllLaws = []string{
	LawEmpty, LawCommutative, LawAssociative, LawIdempotent, LawNoAlias,
	LawMergeState, LawClone, LawRoundTrip, LawValue, LawDelta, LawIdentity,
	LawDeltaConvergence, LawConvergence,
}

// Spec describes a CRDT type to check: how to make an empty state and how
// to apply one random local mutation. S is the state type (usually a
// pointer) and V the type of its value.
//
// The type must be registered with [payload.Default], because the checker
// round-trips states through payload.Marshal and payload.Unmarshal.
type Spec[S crdt.CRDT[S, V], V any] struct {
	// New returns an empty state bound to replica. It must be the bottom of
	// the type's lattice: merging it into any state changes nothing.
	New func(replica crdt.ReplicaID) S
	// Mutate applies one random local mutation, drawn from t, to s, which
	// is bound to replica. It should be able to reach every kind of
	// mutation the type offers (adds and removes, increments and
	// decrements...), and draw from small domains (a handful of elements)
	// so that operations collide. It may call t.Fatalf on an unexpected
	// error.
	Mutate func(t *rapid.T, replica crdt.ReplicaID, s S)
	// Equal reports whether two values are equal. Nil means
	// reflect.DeepEqual, which tells a nil map or slice from an empty one
	// and compares every field of a value that holds states (such as the
	// map of CRDTs that compound.Map's Value returns, whose states carry
	// their replica ids): supply Equal for such values, comparing what they
	// stand for.
	Equal func(a, b V) bool
	// Replicas is the number of replicas in generated histories; 0 means 3,
	// and 1 means 2, since merging needs two.
	Replicas int
}

// Check checks every law (see [AllLaws]) for the type described by spec,
// each in a subtest named after the law, with rapid. A violation fails the
// subtest with a shrunk history of operations. The number of random cases
// per law is rapid's: 100 by default, -rapid.checks=N to change it.
func Check[S crdt.CRDT[S, V], V any](t *testing.T, spec Spec[S, V]) {
	t.Helper()
	c, err := newChecker(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range c.laws() {
		t.Run(l.name, rapid.MakeCheck(l.prop))
	}
}

// Option changes what [Verify] does.
type Option func(*options)

type options struct {
	only []string
}

// Only restricts [Verify] to the named laws (see [AllLaws]).
func Only(laws ...string) Option {
	return func(o *options) { o.only = append(o.only, laws...) }
}

// LawError reports that a type violates a law. Report holds rapid's account
// of the failure: the message, the shrunk sequence of draws and the seed to
// reproduce it.
type LawError struct {
	Law    string
	Report string
}

// Error names the law and includes the report.
func (e *LawError) Error() string {
	return fmt.Sprintf("crdttest: law %q violated:\n%s", e.Law, e.Report)
}

// ErrUnknownLaw is returned by [Verify] for a law name passed to [Only] that
// is not one of [AllLaws].
var ErrUnknownLaw = errors.New("crdttest: unknown law")

// Verify checks the laws like [Check] but returns the violations instead of
// failing a test: nil if every law holds, otherwise an error joining one
// [*LawError] per violated law (see [Violated]). It is meant for tests that
// show the checker catching a broken type, and must run inside a test
// binary (go test), since rapid reads the test flags.
func Verify[S crdt.CRDT[S, V], V any](spec Spec[S, V], opts ...Option) error {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	for _, name := range o.only {
		if !slices.Contains(AllLaws, name) {
			return fmt.Errorf("%w: %q", ErrUnknownLaw, name)
		}
	}
	c, err := newChecker(spec)
	if err != nil {
		return err
	}
	var errs []error
	for _, l := range c.laws() {
		if len(o.only) > 0 && !slices.Contains(o.only, l.name) {
			continue
		}
		if report, failed := runRecorded("crdttest.Verify/"+l.name, l.prop); failed {
			errs = append(errs, &LawError{Law: l.name, Report: report})
		}
	}
	return errors.Join(errs...)
}

// Violated returns the names of the laws whose [*LawError]s err holds, in
// the order [Verify] checked them.
func Violated(err error) []string {
	var names []string
	var walk func(error)
	walk = func(err error) {
		var le *LawError
		switch e := err.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		default:
			if errors.As(err, &le) {
				names = append(names, le.Law)
			}
		}
	}
	walk(err)
	return names
}

// checker holds a spec with its defaults filled in.
type checker[S crdt.CRDT[S, V], V any] struct {
	spec     Spec[S, V]
	equal    func(a, b V) bool
	replicas int
	typeName string
}

type law struct {
	name string
	prop func(*rapid.T)
}

func newChecker[S crdt.CRDT[S, V], V any](spec Spec[S, V]) (*checker[S, V], error) {
	if spec.New == nil || spec.Mutate == nil {
		return nil, errors.New("crdttest: Spec needs New and Mutate")
	}
	c := &checker[S, V]{spec: spec, equal: spec.Equal, replicas: spec.Replicas}
	if c.equal == nil {
		c.equal = func(a, b V) bool { return reflect.DeepEqual(a, b) }
	}
	switch {
	case c.replicas <= 0:
		c.replicas = 3
	case c.replicas == 1:
		c.replicas = 2 // merges need two
	}
	s := spec.New(replicaID(0))
	c.typeName = s.TypeName()
	if _, ok := payload.Default.Lookup(c.typeName); !ok {
		return nil, fmt.Errorf("crdttest: type %q (%T) is not registered with payload.Default", c.typeName, s)
	}
	if _, err := payload.Marshal(s); err != nil {
		return nil, fmt.Errorf("crdttest: marshalling an empty %s: %w", c.typeName, err)
	}
	return c, nil
}

func (c *checker[S, V]) laws() []law {
	return []law{
		{LawEmpty, c.lawEmpty},
		{LawCommutative, c.lawCommutative},
		{LawAssociative, c.lawAssociative},
		{LawIdempotent, c.lawIdempotent},
		{LawNoAlias, c.lawNoAlias},
		{LawMergeState, c.lawMergeState},
		{LawClone, c.lawClone},
		{LawRoundTrip, c.lawRoundTrip},
		{LawValue, c.lawValue},
		{LawDelta, c.lawDelta},
		{LawIdentity, c.lawIdentity},
		{LawDeltaConvergence, c.lawDeltaConvergence},
		{LawConvergence, c.lawConvergence},
	}
}

// replicaID names the i-th replica of a generated history.
func replicaID(i int) crdt.ReplicaID {
	return crdt.ReplicaID(fmt.Sprintf("r%d", i+1))
}

// clip shortens long payloads in failure messages.
func clip(b []byte) string {
	const max = 1500
	s := string(b)
	if len(s) > max {
		return s[:max] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}
