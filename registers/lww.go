package registers

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"

	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// LWW is a last-writer-wins register: it holds one value of type T, the one
// written last in the order of hybrid logical timestamps ([crdt.Timestamp]).
//
// # Merge
//
// Every [LWW.Set] stamps the value with the next timestamp of the register's
// [crdt.Clock]: wall-clock nanoseconds, a logical counter and the writing
// replica's id. Merge keeps the side with the larger timestamp, comparing
// wall time, then the logical counter, then the replica id
// ([crdt.Timestamp.Compare]), and then tells the clock about the timestamp it
// saw, so that the next local write orders after everything this replica has
// seen, even if its wall clock runs behind. Two distinct replicas never issue
// equal timestamps, and one clock never issues the same timestamp twice. If a
// forged or corrupted payload nevertheless carries the receiver's timestamp
// with a different value, the value whose canonical JSON is larger (bytewise)
// wins, so merge stays commutative even then (TestLWWEqualTimestampTieBreak).
//
// # What is lost
//
// A register holds one value. Of two concurrent writes (neither replica had
// seen the other's write), the one with the smaller timestamp disappears
// silently at every replica once they have merged: nothing records that it
// existed. Which one survives depends on the wall clocks, so a replica whose
// clock runs ahead wins concurrent writes for as long as it is ahead. Use [MV]
// when concurrent writes must be noticed and resolved rather than dropped.
//
// # Values
//
// T is any type whose values encode to JSON and decode back to a value that
// encodes to the same bytes (strings, numbers, booleans, structs and slices of
// them, maps with string keys). The register stores the value as that JSON
// round trip: [LWW.Set] rejects a NaN, for example, with [ErrValue], and a
// string with invalid UTF-8 comes back with U+FFFD in place of the bad bytes.
// Values returned by [LWW.Value] never alias the register's state.
//
// # Payload
//
// A set register encodes as {"ts":{"l":1,"r":"a","w":1700000000000000000},
// "value":"x"}; the empty register, never written, as {}. The replica id in
// "ts" is the writer's, which is part of the data; the register's own replica
// is never read from a payload.
//
// The zero LWW is an empty register bound to no replica: it can be read,
// merged, cloned and loaded, but Set fails with [crdt.ErrNoReplica].
//
// An LWW is not safe for concurrent use; its clock is.
type LWW[T any] struct {
	clock *crdt.Clock
	set   bool
	ts    crdt.Timestamp
	raw   []byte // canonical JSON of the value; never modified in place
	val   T      // the decoded value for flat T (flatValue), else the zero T
	delta *LWW[T]
}

var (
	_ crdt.CRDT[*LWW[string], string] = (*LWW[string])(nil)
	_ crdt.CRDT[*LWW[[]int], []int]   = (*LWW[[]int])(nil)
)

// NewLWW returns an empty register bound to replica, with a [crdt.Clock] that
// reads [time.Now]. Writes need a non-empty replica id.
func NewLWW[T any](replica crdt.ReplicaID) *LWW[T] {
	return &LWW[T]{clock: crdt.NewClock(replica, nil)}
}

// NewLWWWithClock returns an empty register that stamps its writes with
// clock and is bound to clock's replica. Registers of one replica may share a
// clock; tests pass a clock with a fake time source. A nil clock is a clock
// for the empty replica id, which cannot write.
func NewLWWWithClock[T any](clock *crdt.Clock) *LWW[T] {
	if clock == nil {
		clock = crdt.NewClock("", nil)
	}
	return &LWW[T]{clock: clock}
}

// Replica returns the replica the register is bound to, empty for the zero
// register.
func (r *LWW[T]) Replica() crdt.ReplicaID {
	if r.clock == nil {
		return ""
	}
	return r.clock.Replica()
}

// Clock returns the clock that stamps the register's writes. Clones share it.
// The zero register gets a clock of the empty replica id on first use.
func (r *LWW[T]) Clock() *crdt.Clock {
	r.ensureClock()
	return r.clock
}

// ensureClock gives the zero register a clock of the empty replica id, which
// observes timestamps but cannot write.
func (r *LWW[T]) ensureClock() {
	if r.clock == nil {
		r.clock = crdt.NewClock("", nil)
	}
}

// Set writes v with a fresh timestamp and records the write as a delta. It
// returns an error wrapping [crdt.ErrNoReplica] if the register is bound to
// the empty replica id and one wrapping [ErrValue] if v has no stable JSON
// form; the register is then unchanged.
func (r *LWW[T]) Set(v T) error {
	if err := r.Replica().Validate(); err != nil {
		return fmt.Errorf("registers: LWW.Set: %w", err)
	}
	raw, val, err := encodeValue(v)
	if err != nil {
		return fmt.Errorf("registers: LWW.Set: %w", err)
	}
	val = flatValue(val)
	r.set, r.ts, r.raw, r.val = true, r.clock.Now(), raw, val
	r.delta = &LWW[T]{clock: r.clock, set: true, ts: r.ts, raw: raw, val: val}
	return nil
}

// Get returns the value and true, or the zero T and false if the register
// has never been written.
func (r *LWW[T]) Get() (T, bool) {
	if !r.set {
		var zero T
		return zero, false
	}
	return r.value(), true
}

// Value returns the value, or the zero T if the register has never been
// written; use [LWW.Get] to tell the two apart.
func (r *LWW[T]) Value() T {
	v, _ := r.Get()
	return v
}

func (r *LWW[T]) value() T {
	if isFlat[T]() {
		return r.val
	}
	// Decode afresh so the caller gets a value that shares nothing with
	// the state. raw passed the round-trip check, so this cannot fail.
	v, _ := decodeValue[T](r.raw)
	return v
}

// Timestamp returns the timestamp of the value, or the zero Timestamp if the
// register has never been written.
func (r *LWW[T]) Timestamp() crdt.Timestamp { return r.ts }

// beats reports whether a's write wins over b's.
func (a *LWW[T]) beats(b *LWW[T]) bool {
	if !a.set {
		return false
	}
	if !b.set {
		return true
	}
	if c := a.ts.Compare(b.ts); c != 0 {
		return c > 0
	}
	return bytes.Compare(a.raw, b.raw) > 0
}

// Merge keeps the later of the two writes and makes the clock observe the
// other side's timestamp. It never fails. It records no delta.
func (r *LWW[T]) Merge(other *LWW[T]) error {
	if other == nil || !other.set {
		return nil
	}
	r.ensureClock()
	r.clock.Observe(other.ts)
	if other.beats(r) {
		r.set, r.ts, r.raw, r.val = true, other.ts, bytes.Clone(other.raw), other.val
	}
	return nil
}

// Clone returns a copy bound to the same replica and sharing its clock, with
// no pending delta.
func (r *LWW[T]) Clone() *LWW[T] {
	r.ensureClock()
	return &LWW[T]{clock: r.clock, set: r.set, ts: r.ts, raw: bytes.Clone(r.raw), val: r.val}
}

// TakeDelta returns the last local write as a register of its own and forgets
// it; ok is false if there was no write since the last call.
func (r *LWW[T]) TakeDelta() (*LWW[T], bool) {
	d := r.delta
	r.delta = nil
	return d, d != nil
}

// TypeName returns "registers.LWW[" + the Go name of T + "]", such as
// "registers.LWW[string]".
func (r *LWW[T]) TypeName() string { return lwwTypeName[T]() }

func lwwTypeName[T any]() string {
	name, _ := payload.GenericName[T]("registers.LWW")
	return name
}

// MergeState merges other, which must be an *LWW[T].
func (r *LWW[T]) MergeState(other crdt.State) error {
	return crdt.MergeStateAs[*LWW[T]](r, other)
}

// CloneState returns [LWW.Clone] as a [crdt.State].
func (r *LWW[T]) CloneState() crdt.State { return r.Clone() }

// TakeDeltaState returns [LWW.TakeDelta] as a [crdt.State].
func (r *LWW[T]) TakeDeltaState() (crdt.State, bool) {
	d, ok := r.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

// lwwPayload is the JSON form of an LWW register. Both fields are absent for
// the empty register; both are present otherwise (a value may be JSON null,
// for pointer types).
type lwwPayload struct {
	TS    *crdt.Timestamp `json:"ts,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// Payload returns the JSON form {"ts":{"l":..,"r":..,"w":..},"value":...}, or
// {} for a register that was never written.
func (r *LWW[T]) Payload() any {
	if !r.set {
		return &lwwPayload{}
	}
	ts := r.ts
	return &lwwPayload{TS: &ts, Value: json.RawMessage(r.raw)}
}

// LoadPayload replaces the state with the one in data, keeping the register's
// replica and clock, and makes the clock observe the loaded timestamp. "ts"
// and "value" must be both present or both absent, the timestamp must name a
// replica, and the value must decode strictly into T; it is stored in its
// canonical form. On error the register is unchanged.
func (r *LWW[T]) LoadPayload(data []byte) error {
	var p struct {
		TS    json.RawMessage `json:"ts"`
		Value json.RawMessage `json:"value"`
	}
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	if isNull(data) {
		return payload.Invalidf("", "null, not an object")
	}
	switch {
	case p.TS == nil && p.Value == nil:
		r.ensureClock()
		r.set, r.ts, r.raw, r.delta = false, crdt.Timestamp{}, nil, nil
		var zero T
		r.val = zero
		return nil
	case p.TS == nil:
		return payload.Invalidf("ts", "missing while value is present")
	case isNull(p.TS):
		// Never written is {}, not a null timestamp.
		return payload.Invalidf("ts", "null, not a timestamp")
	case p.Value == nil:
		return payload.Invalidf("value", "missing while ts is present")
	}
	var ts crdt.Timestamp
	if err := payload.DecodeStrict(p.TS, &ts); err != nil {
		return payload.InField("ts", err)
	}
	raw, val, err := canonicalValue[T](p.Value)
	if err != nil {
		return payload.InField("value", err)
	}
	r.ensureClock()
	r.clock.Observe(ts)
	r.set, r.ts, r.raw, r.val, r.delta = true, ts, raw, flatValue(val), nil
	return nil
}

// RegisterLWW registers LWW[T] with [payload.Default] under its type name, so
// that its payloads can be decoded by [payload.Unmarshal]. It is idempotent.
// LWW[string], LWW[int64], LWW[float64] and LWW[bool] are registered when the
// package is imported.
func RegisterLWW[T any]() {
	name, aliases := payload.GenericName[T]("registers.LWW")
	registerType[T](payload.Type{
		Name:    name,
		Aliases: aliases,
		Version: 1,
		New:     func(replica crdt.ReplicaID) crdt.State { return NewLWW[T](replica) },
	})
}

// registerType registers t with payload.Default, ignoring an earlier
// registration of the same name. It panics if the name is taken by another
// Go type: two value types whose Go names are alike (two packages named
// shop, each with a Price) need a wire name each, given with [RegisterName].
func registerType[T any](t payload.Type) {
	err := payload.Register(t)
	if errors.Is(err, payload.ErrNameTaken) && len(t.Aliases) > 0 {
		// The Go name is another value type's (two types of one Go name,
		// the second of them named with RegisterName): it stays that
		// type's, and this one is registered under its wire name only.
		t.Aliases = nil
		err = payload.Register(t)
	}
	switch {
	case errors.Is(err, payload.ErrNameTaken):
		panic(fmt.Sprintf("registers: registering %s: %v; give the value type a wire name of its own with registers.RegisterName[%v](name) before registering it",
			t.Name, err, reflect.TypeFor[T]()))
	case err != nil && !errors.Is(err, payload.ErrDuplicateType):
		panic(err) // unreachable: the registration is complete
	}
}

// RegisterName gives the value type T the stable wire name name (see
// [payload.RegisterName]) and registers LWW[T] and MV[T] under it: after
// RegisterName[Price]("shop.Price") an LWW register of Prices is written as
// "registers.LWW[shop.Price]", however the Go package of Price is named or
// renamed, and payloads written before under T's Go name keep loading. Call
// it before creating or decoding registers over T. Naming T again with the
// same name does nothing; errors wrap payload.ErrNameTaken or
// payload.ErrInvalid.
func RegisterName[T any](name string) error {
	if err := payload.RegisterName[T](name); err != nil {
		return fmt.Errorf("registers: RegisterName: %w", err)
	}
	RegisterLWW[T]()
	RegisterMV[T]()
	return nil
}
