package registers

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/itc"
	"github.com/crdtkit/crdtkit/payload"
)

// MV is a multi-value register whose causality comes from Interval Tree
// Clocks: a write replaces every value its replica has seen, and concurrent
// writes survive side by side as siblings until a write that has seen them
// all replaces them.
//
// # State and merge
//
// The state is a causal clock, an itc.Event that joins every event the
// replica has seen, and the siblings: values, each with the itc.Event of the
// write that produced it. A write with identity id computes
// e = (id, clock).Event() (the clock inflated over the part of the id space
// that id owns), and the state becomes {siblings: {(e, v)}, clock: e}. Merge
// joins the clocks and keeps a sibling of one side if the other side holds
// the same sibling or has not seen its event (the event is not ≤ the other
// side's clock): a sibling is dropped exactly when the other side has seen
// it and replaced it. The delta of a write is the write itself,
// {siblings: {(e, v)}, clock: e}: the clock e is the write's whole causal
// past, so a receiver drops precisely the siblings the writer had seen.
//
// # Identity
//
// Writes need an [Identity], the replica's share of the id space, which is
// not part of the state: pass it to [MV.Set] and [MV.Resolve]. A register
// decoded from a payload can be read and merged at once, and written as soon
// as the application passes its identity. A write without identity fails
// with [ErrNoIdentity], which wraps itc.ErrAnonymous. Identities are created
// by forking and returned by retiring; [Identity] explains how state must
// travel with them.
//
// # Overlapping identities
//
// Two replicas that write with overlapping ids (an identity copied instead of
// forked, a seed used twice) break causality. Merge reports the case it can
// see, two siblings with equal events and different values, with an error
// wrapping [crdt.ErrConflict] and leaves the receiver unchanged
// (TestMVOverlapDetected). It cannot see the rest: when one of the twins'
// writes dominates the other's (the second twin wrote after merging with the
// first, or wrote more often), the dominated write is dropped as if it had
// been seen (TestMVOverlapUndetectable).
//
// # Values
//
// T follows the rules of [LWW]: values are stored as their stable JSON round
// trip. [MV.Value] returns the distinct sibling values in a deterministic
// order: by value for strings, integers and floats, by canonical JSON for
// other types. Two replicas that concurrently write the same value leave two
// siblings (with different events) and one value.
//
// # Payload
//
// {"clock":[0,1,0],"values":[{"event":[0,1,0],"value":"x"}]}, using the
// itc JSON form of events; siblings are sorted as in Value, then by event.
// The empty register is {"clock":0,"values":[]}. No id is ever written.
//
// An MV is not safe for concurrent use.
type MV[T any] struct {
	replica crdt.ReplicaID
	clock   itc.Event
	sibs    []sibling[T] // sorted by compareSiblings
	delta   *MV[T]
}

// sibling is one value with the event of its write. The byte slices are
// never modified in place, so clones and merged states share them as they
// share the immutable itc events.
type sibling[T any] struct {
	ev     itc.Event
	evJSON []byte // canonical JSON of ev: its payload form and sort key
	raw    []byte // canonical JSON of the value
	val    T      // the value, exposed only for flat T
}

func newSibling[T any](ev itc.Event, raw []byte, val T) sibling[T] {
	j, _ := ev.MarshalJSON() // never fails
	// Value decodes raw afresh for types with references.
	return sibling[T]{ev: ev, evJSON: j, raw: raw, val: flatValue(val)}
}

var (
	_ crdt.CRDT[*MV[string], []string] = (*MV[string])(nil)
	_ crdt.CRDT[*MV[[]int], [][]int]   = (*MV[[]int])(nil)
)

// NewMV returns an empty register bound to replica. The replica id is kept
// for [MV.Replica] only; writes are stamped with the [Identity] passed to
// them.
func NewMV[T any](replica crdt.ReplicaID) *MV[T] {
	return &MV[T]{replica: replica}
}

// Replica returns the replica the register is bound to.
func (r *MV[T]) Replica() crdt.ReplicaID { return r.replica }

// Clock returns the register's causal clock: the join of the events of every
// write it has seen.
func (r *MV[T]) Clock() itc.Event { return r.clock }

// Len returns the number of siblings, which can exceed len(Value()) when
// concurrent writes wrote equal values.
func (r *MV[T]) Len() int { return len(r.sibs) }

// Set writes v, replacing every value the register has seen, and records the
// write as a delta. It fails, leaving the register unchanged, with an error
// wrapping [ErrNoIdentity] and itc.ErrAnonymous if id owns nothing, one
// wrapping [ErrValue] if v has no stable JSON form, and one wrapping
// itc.ErrCounterOverflow if the clock cannot advance.
func (r *MV[T]) Set(id *Identity, v T) error {
	raw, val, err := encodeValue(v)
	if err != nil {
		return fmt.Errorf("registers: MV.Set: %w", err)
	}
	return r.write(id, raw, val)
}

func (r *MV[T]) write(id *Identity, raw []byte, val T) error {
	own := id.ID()
	if own.IsNull() {
		return fmt.Errorf("registers: MV write: %w: %w", ErrNoIdentity, itc.ErrAnonymous)
	}
	st, err := itc.NewStampFrom(own, r.clock).Event()
	if err != nil {
		return fmt.Errorf("registers: MV write: %w", err)
	}
	e := st.EventComponent()
	s := newSibling(e, raw, val)
	r.clock, r.sibs = e, []sibling[T]{s}
	// Every earlier pending delta is ≤ e and replaced by this write.
	r.delta = &MV[T]{replica: r.replica, clock: e, sibs: []sibling[T]{s}}
	return nil
}

// Resolve replaces the siblings with the single value resolve returns when
// given them (in the order of [MV.Value]). It does nothing if there are fewer
// than two distinct values. Errors are those of [MV.Set].
func (r *MV[T]) Resolve(id *Identity, resolve func(siblings []T) T) error {
	vs := r.Value()
	if len(vs) < 2 {
		return nil
	}
	return r.Set(id, resolve(vs))
}

// Value returns the distinct values of the siblings in a deterministic order
// (see [MV]); it is empty (not nil) for a register never written. The result
// shares nothing with the register.
func (r *MV[T]) Value() []T {
	out := make([]T, 0, len(r.sibs))
	flat := isFlat[T]()
	for i, s := range r.sibs {
		if i > 0 && bytes.Equal(s.raw, r.sibs[i-1].raw) {
			continue // equal values are adjacent in sibling order
		}
		if flat {
			out = append(out, s.val)
		} else {
			v, _ := decodeValue[T](s.raw) // raw passed the round-trip check
			out = append(out, v)
		}
	}
	return out
}

// compareValues orders values: by value for strings, integers and floats,
// by canonical JSON for the rest. Equal JSON always compares equal.
func compareValues[T any](a, b sibling[T]) int {
	var c int
	switch x := any(a.val).(type) {
	case string:
		c = cmp.Compare(x, any(b.val).(string))
	case int:
		c = cmp.Compare(x, any(b.val).(int))
	case int64:
		c = cmp.Compare(x, any(b.val).(int64))
	case int32:
		c = cmp.Compare(x, any(b.val).(int32))
	case uint64:
		c = cmp.Compare(x, any(b.val).(uint64))
	case uint32:
		c = cmp.Compare(x, any(b.val).(uint32))
	case uint:
		c = cmp.Compare(x, any(b.val).(uint))
	case float64:
		c = cmp.Compare(x, any(b.val).(float64))
	}
	if c != 0 {
		return c
	}
	return bytes.Compare(a.raw, b.raw)
}

// compareSiblings orders siblings by value, then by the JSON of their events,
// a total order on the siblings of a valid state.
func compareSiblings[T any](a, b sibling[T]) int {
	if c := compareValues(a, b); c != 0 {
		return c
	}
	return bytes.Compare(a.evJSON, b.evJSON)
}

// Merge joins other into the receiver (see [MV]). If the two sides hold
// siblings with equal events and different values, which happens only when
// replicas wrote with overlapping identities, it returns an error wrapping
// [crdt.ErrConflict] and leaves the receiver unchanged. It records no delta.
//
// Both sibling lists are sorted, so one pass pairs the siblings the two
// sides share, which are kept without comparing events; the others are
// kept unless the other side's clock covers them.
func (r *MV[T]) Merge(other *MV[T]) error {
	if other == nil || other == r {
		return nil
	}
	a, b := r.sibs, other.sibs
	kept := make([]sibling[T], 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		c := 0
		switch {
		case i == len(a):
			c = 1
		case j == len(b):
			c = -1
		default:
			c = compareSiblings(a[i], b[j])
		}
		switch {
		case c == 0: // on both sides
			kept = append(kept, a[i])
			i, j = i+1, j+1
		case c < 0: // ours only
			x := a[i]
			i++
			if !x.ev.Leq(other.clock) {
				kept = append(kept, x)
				continue
			}
			// Seen and replaced by the other side, unless it holds the
			// same event with another value.
			for _, y := range b {
				if bytes.Equal(x.evJSON, y.evJSON) {
					return fmt.Errorf("registers: MV.Merge: %w: event %s holds %s on one side and %s on the other (overlapping identities?)",
						crdt.ErrConflict, x.evJSON, clip(x.raw), clip(y.raw))
				}
			}
		default: // theirs only; a conflict would have been found on our side
			y := b[j]
			j++
			if !y.ev.Leq(r.clock) {
				kept = append(kept, y)
			}
		}
	}
	clock, err := r.clock.Join(other.clock)
	if err != nil {
		return fmt.Errorf("registers: MV.Merge: %w", err)
	}
	r.clock, r.sibs = clock, kept
	return nil
}

// Clone returns a copy bound to the same replica, with no pending delta.
func (r *MV[T]) Clone() *MV[T] {
	return &MV[T]{replica: r.replica, clock: r.clock, sibs: slices.Clone(r.sibs)}
}

// TakeDelta returns the pending delta, the last local write as a register of
// its own, and forgets it; ok is false if there was no write since the last
// call.
func (r *MV[T]) TakeDelta() (*MV[T], bool) {
	d := r.delta
	r.delta = nil
	return d, d != nil
}

// TypeName returns "registers.MV[" + the Go name of T + "]", such as
// "registers.MV[string]".
func (r *MV[T]) TypeName() string { return mvTypeName[T]() }

func mvTypeName[T any]() string {
	name, _ := payload.GenericName[T]("registers.MV")
	return name
}

// MergeState merges other, which must be an *MV[T].
func (r *MV[T]) MergeState(other crdt.State) error {
	return crdt.MergeStateAs[*MV[T]](r, other)
}

// CloneState returns [MV.Clone] as a [crdt.State].
func (r *MV[T]) CloneState() crdt.State { return r.Clone() }

// TakeDeltaState returns [MV.TakeDelta] as a [crdt.State].
func (r *MV[T]) TakeDeltaState() (crdt.State, bool) {
	d, ok := r.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type mvPayload struct {
	Clock  itc.Event          `json:"clock"`
	Values []mvSiblingPayload `json:"values"`
}

type mvSiblingPayload struct {
	Event json.RawMessage `json:"event"`
	Value json.RawMessage `json:"value"`
}

// Payload returns the JSON form {"clock":...,"values":[{"event":...,
// "value":...}]}.
func (r *MV[T]) Payload() any {
	p := &mvPayload{Clock: r.clock, Values: make([]mvSiblingPayload, len(r.sibs))}
	for i, s := range r.sibs {
		p.Values[i] = mvSiblingPayload{Event: json.RawMessage(s.evJSON), Value: json.RawMessage(s.raw)}
	}
	return p
}

// LoadPayload replaces the state with the one in data, keeping the replica.
// Both fields are required. Events must be valid itc events in normal form,
// every sibling's event must be ≤ the clock, no sibling's event may be ≤
// another's (which also rules out duplicates), and values must decode
// strictly into T. Siblings may come in any order; they are stored sorted.
// On error the register is unchanged.
func (r *MV[T]) LoadPayload(data []byte) error {
	var p struct {
		Clock  json.RawMessage `json:"clock"`
		Values *[]struct {
			Event json.RawMessage `json:"event"`
			Value json.RawMessage `json:"value"`
		} `json:"values"`
	}
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	if p.Clock == nil {
		return payload.Invalidf("clock", "missing")
	}
	if p.Values == nil {
		return payload.Invalidf("values", "missing")
	}
	clock, err := decodeEvent(p.Clock)
	if err != nil {
		return payload.InField("clock", err)
	}
	sibs := make([]sibling[T], len(*p.Values))
	for i, v := range *p.Values {
		field := payload.Index("values", i)
		switch {
		case v.Event == nil:
			return payload.Invalidf(field+".event", "missing")
		case v.Value == nil:
			return payload.Invalidf(field+".value", "missing")
		}
		ev, err := decodeEvent(v.Event)
		if err != nil {
			return payload.InField(field+".event", err)
		}
		if !ev.Leq(clock) {
			return payload.Invalidf(field+".event", "event %v is not covered by the clock %v", ev, clock)
		}
		raw, val, err := canonicalValue[T](v.Value)
		if err != nil {
			return payload.InField(field+".value", err)
		}
		for j := range i {
			if sibs[j].ev.Leq(ev) || ev.Leq(sibs[j].ev) {
				return payload.Invalidf(field+".event", "event %v and the event of values[%d], %v, are causally related: one sibling would replace the other", ev, j, sibs[j].ev)
			}
		}
		sibs[i] = newSibling(ev, raw, val)
	}
	slices.SortFunc(sibs, compareSiblings[T])
	r.clock, r.sibs, r.delta = clock, sibs, nil
	return nil
}

func decodeEvent(data []byte) (itc.Event, error) {
	var e itc.Event
	if err := e.UnmarshalJSON(data); err != nil {
		return e, fmt.Errorf("%w: %w", payload.ErrInvalid, err)
	}
	return e, nil
}

// RegisterMV registers MV[T] with [payload.Default] under its type name, so
// that its payloads can be decoded by [payload.Unmarshal]. It is idempotent.
// MV[string], MV[int64], MV[float64] and MV[bool] are registered when the
// package is imported.
func RegisterMV[T any]() {
	name, aliases := payload.GenericName[T]("registers.MV")
	registerType[T](payload.Type{
		Name:    name,
		Aliases: aliases,
		Version: 1,
		New:     func(replica crdt.ReplicaID) crdt.State { return NewMV[T](replica) },
	})
}
