package sets

import (
	"fmt"
	"iter"
	"slices"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/internal/ordered"
	"github.com/crdtkit/crdtkit/payload"
)

// LWWSet is a last-writer-wins element set (LWW-element-set): for every
// element it keeps the timestamp of its latest add and of its latest remove,
// and the element is in the set when its add is later than its remove.
//
// Timestamps are hybrid logical timestamps ([crdt.Timestamp]) from the
// replica's [crdt.Clock]: wall-clock nanoseconds, a logical counter and the
// writing replica's id. Merge keeps, per element, the later add and the later
// remove timestamp; taking a maximum is commutative, associative and
// idempotent. Merge and LoadPayload also show every timestamp they see to the
// clock ([crdt.Clock.Observe]), so a local Add or Remove made afterwards
// orders after everything this replica has seen, even if its wall clock is
// behind (TestLWWSetWriteAfterMergeWins). The delta of Add or Remove is the
// one element with its new timestamp.
//
// Ties. Timestamps of different replicas differ in the replica id and one
// clock never issues the same timestamp twice, so an add and a remove with
// equal timestamps exist only in a forged payload or when two live replicas
// share an id. The set then treats the element as removed (remove-wins), on
// every replica alike (TestLWWSetEqualTimestampsRemoveWins).
//
// Precision. Timestamps are written as integer nanoseconds plus the logical
// counter, never as seconds or floats, so two writes a few nanoseconds apart
// keep their order through a payload round trip
// (TestLWWSetSubSecondOrderSurvivesReload). The Python toolbox that inspired
// crdtkit lost it: its timestamps came back from JSON as lists that compared
// differently, and a fresh remove beat an older add after loading.
//
// Last writer wins, and "last" is by the clocks: a remove concurrent with an
// add wins if its timestamp is later, and a write from a replica whose wall
// clock runs ahead beats writes that happened later in real time. Remove of
// an element never added is recorded too: it beats every add with an earlier
// timestamp, including adds not yet received.
//
// Tombstones. A removed element keeps its timestamps for the life of the set:
// dropping them would let a delayed older add, or a replica that never saw
// the remove, bring the element back on merge, since the timestamp is the
// only evidence of what came later. That is inherent to LWW-element sets and
// makes their state grow with every element ever written. [ORSet] is the
// tombstone-free alternative: its state holds only live elements and a
// causal context that grows with the number of replicas, not with history.
//
// The payload is {"elements":[{"add":TS,"elem":X,"remove":TS},...]} sorted by
// element, where TS is {"l":logical,"r":replica,"w":wall nanoseconds} and
// "add" or "remove" is left out when there is none. Loading rejects
// duplicate, null or missing elements, entries with neither timestamp and
// timestamps without a replica id.
type LWWSet[T comparable] struct {
	clock   *crdt.Clock
	entries ordered.Map[T, lwwEntry]
	live    int // entries that are present
	delta   *LWWSet[T]
}

// lwwEntry holds an element's latest add and remove timestamps; a zero
// timestamp means none.
type lwwEntry struct {
	add, rem crdt.Timestamp
}

// present applies the membership rule: an add, later than any remove;
// equal timestamps count as removed.
func (e lwwEntry) present() bool {
	return !e.add.IsZero() && (e.rem.IsZero() || e.add.Compare(e.rem) > 0)
}

// laterTS returns the later of two timestamps, where the zero timestamp is
// none and orders before everything.
func laterTS(a, b crdt.Timestamp) crdt.Timestamp {
	if a.IsZero() || (!b.IsZero() && b.Compare(a) > 0) {
		return b
	}
	return a
}

func (e lwwEntry) join(o lwwEntry) lwwEntry {
	return lwwEntry{add: laterTS(e.add, o.add), rem: laterTS(e.rem, o.rem)}
}

var _ crdt.CRDT[*LWWSet[string], []string] = (*LWWSet[string])(nil)

// NewLWWSet returns an empty set bound to replica, with its own clock on
// [time.Now]. Sets of one replica that should order their writes together,
// such as the fields of one compound state, can share a clock with
// [NewLWWSetWithClock].
func NewLWWSet[T comparable](replica crdt.ReplicaID) *LWWSet[T] {
	return NewLWWSetWithClock[T](crdt.NewClock(replica, nil))
}

// NewLWWSetWithClock returns an empty set bound to the clock's replica that
// timestamps its writes with clock. Tests pass a clock with a fake now
// function: crdt.NewClock(replica, now).
func NewLWWSetWithClock[T comparable](clock *crdt.Clock) *LWWSet[T] {
	return &LWWSet[T]{clock: clock}
}

// Replica returns the replica the set is bound to.
func (s *LWWSet[T]) Replica() crdt.ReplicaID {
	if s.clock == nil {
		return ""
	}
	return s.clock.Replica()
}

// Clock returns the clock that timestamps the set's writes.
func (s *LWWSet[T]) Clock() *crdt.Clock { return s.clock }

// Add adds x with a new timestamp, later than every timestamp the set has
// seen. It returns [crdt.ErrNoReplica] if the set is bound to no replica.
func (s *LWWSet[T]) Add(x T) error {
	ts, err := s.now("Add")
	if err != nil {
		return err
	}
	s.write(x, lwwEntry{add: ts})
	return nil
}

// Remove removes x with a new timestamp, later than every timestamp the set
// has seen, whether or not x is in the set. It returns [crdt.ErrNoReplica]
// if the set is bound to no replica.
func (s *LWWSet[T]) Remove(x T) error {
	ts, err := s.now("Remove")
	if err != nil {
		return err
	}
	s.write(x, lwwEntry{rem: ts})
	return nil
}

func (s *LWWSet[T]) now(op string) (crdt.Timestamp, error) {
	if err := s.Replica().Validate(); err != nil {
		return crdt.Timestamp{}, fmt.Errorf("sets: LWWSet.%s: %w", op, err)
	}
	return s.clock.Now(), nil
}

func (s *LWWSet[T]) write(x T, e lwwEntry) {
	s.joinEntry(x, e)
	if s.delta == nil {
		s.delta = &LWWSet[T]{clock: s.clock}
	}
	s.delta.joinEntry(x, e)
}

// joinEntry joins e into x's entry, in O(log n), keeping the live count.
func (s *LWWSet[T]) joinEntry(x T, e lwwEntry) {
	old, _ := s.entries.Get(x)
	j := old.join(e)
	if j == old {
		return
	}
	s.entries.Set(x, j)
	s.live += presence(j) - presence(old)
}

// presence is 1 for a present entry and 0 for an absent one.
func presence(e lwwEntry) int {
	if e.present() {
		return 1
	}
	return 0
}

// Contains reports whether x is in the set.
func (s *LWWSet[T]) Contains(x T) bool {
	e, _ := s.entries.Get(x)
	return e.present()
}

// Len returns the number of elements in the set, in O(1).
func (s *LWWSet[T]) Len() int { return s.live }

// Tombstones returns the number of removed elements whose timestamps the
// state keeps.
func (s *LWWSet[T]) Tombstones() int { return s.entries.Len() - s.live }

// Timestamps returns the latest add and remove timestamps of x; a zero
// timestamp means there was none.
func (s *LWWSet[T]) Timestamps(x T) (add, remove crdt.Timestamp) {
	e, _ := s.entries.Get(x)
	return e.add, e.rem
}

// Value returns the elements in the set, sorted by [payload.Compare].
func (s *LWWSet[T]) Value() []T {
	return slices.AppendSeq(make([]T, 0, s.live), s.All())
}

// All returns an iterator over the elements in the set in the order of
// [payload.Compare]. The set must not be changed during the iteration.
func (s *LWWSet[T]) All() iter.Seq[T] {
	return func(yield func(T) bool) {
		for x, e := range s.entries.All() {
			if e.present() && !yield(x) {
				return
			}
		}
	}
}

// Merge joins other into s: for every element the later add and the later
// remove timestamp. The clock observes other's timestamps. A nil other is
// an empty set. Merge never fails. Its cost follows other: O(k log n) for
// k entries that are few against s, one ordered walk of both otherwise.
// other is not changed.
func (s *LWWSet[T]) Merge(other *LWWSet[T]) error {
	if other == nil || other == s || other.entries.Len() == 0 {
		return nil
	}
	var latest crdt.Timestamp
	if !ordered.PreferJoin(s.entries.Len(), other.entries.Len()) {
		for x, e := range other.entries.All() {
			s.joinEntry(x, e)
			latest = laterTS(latest, laterTS(e.add, e.rem))
		}
	} else {
		live := 0
		joined, _ := ordered.Join(&s.entries, &other.entries, func(_ T, a, b lwwEntry, _ ordered.Side) (lwwEntry, bool, error) {
			j := a.join(b)
			live += presence(j)
			latest = laterTS(latest, laterTS(b.add, b.rem))
			return j, true, nil
		})
		s.entries, s.live = joined, live
	}
	s.observe(latest)
	return nil
}

func (s *LWWSet[T]) observe(ts crdt.Timestamp) {
	if s.clock != nil && !ts.IsZero() {
		s.clock.Observe(ts)
	}
}

// Clone returns a copy of s without its pending delta. The copy shares the
// clock, so the two never issue equal timestamps for the same replica. It
// costs O(1): the two share their entries copy-on-write.
func (s *LWWSet[T]) Clone() *LWWSet[T] {
	return &LWWSet[T]{clock: s.clock, entries: s.entries.Clone(), live: s.live}
}

// TakeDelta returns the elements written since the last call with their new
// timestamps and forgets them; ok is false if there were none.
func (s *LWWSet[T]) TakeDelta() (*LWWSet[T], bool) {
	d := s.delta
	s.delta = nil
	return d, d != nil
}

// TypeName returns "sets.LWWSet[" + the element type + "]".
func (s *LWWSet[T]) TypeName() string { return setTypeName[T]("LWWSet") }

// MergeState merges other, which must be a *LWWSet[T].
func (s *LWWSet[T]) MergeState(other crdt.State) error {
	return crdt.MergeStateAs[*LWWSet[T]](s, other)
}

// CloneState is [LWWSet.Clone] as a [crdt.State].
func (s *LWWSet[T]) CloneState() crdt.State { return s.Clone() }

// TakeDeltaState is [LWWSet.TakeDelta] as a [crdt.State].
func (s *LWWSet[T]) TakeDeltaState() (crdt.State, bool) {
	d, ok := s.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type lwwPayload[T comparable] struct {
	Elements []lwwItem[T] `json:"elements"`
}

type lwwItem[T comparable] struct {
	Add    *crdt.Timestamp `json:"add,omitempty"`
	Elem   *T              `json:"elem"`
	Remove *crdt.Timestamp `json:"remove,omitempty"`
}

// Payload returns the canonical JSON form
// {"elements":[{"add":TS,"elem":X,"remove":TS},...]}.
func (s *LWWSet[T]) Payload() any {
	// The entries come in canonical order: no sort.
	// xs and es hold what items point at, so that no element allocates.
	n := s.entries.Len()
	xs, es, items := make([]T, n), make([]lwwEntry, n), make([]lwwItem[T], n)
	i := 0
	for x, e := range s.entries.All() {
		xs[i], es[i] = x, e
		items[i].Elem = &xs[i]
		if !e.add.IsZero() {
			items[i].Add = &es[i].add
		}
		if !e.rem.IsZero() {
			items[i].Remove = &es[i].rem
		}
		i++
	}
	return &lwwPayload[T]{Elements: items}
}

// LoadPayload replaces the set with the one in data, drops any pending delta
// and shows the loaded timestamps to the clock. It rejects missing, null and
// duplicate elements, entries without timestamps and timestamps without a
// replica id; on error s and its clock are unchanged.
func (s *LWWSet[T]) LoadPayload(data []byte) error {
	var p lwwPayload[T]
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	if p.Elements == nil {
		return payload.Invalidf("elements", "missing (an empty set has [])")
	}
	var entries ordered.Map[T, lwwEntry]
	live := 0
	var latest crdt.Timestamp
	for i, it := range p.Elements {
		field := payload.Index("elements", i)
		if it.Elem == nil {
			return payload.Invalidf(field+".elem", "missing or null")
		}
		if entries.Has(*it.Elem) {
			return payload.Invalidf(field+".elem", "duplicate element")
		}
		if it.Add == nil && it.Remove == nil {
			return payload.Invalidf(field, "neither add nor remove timestamp")
		}
		var e lwwEntry
		if it.Add != nil {
			if it.Add.Replica == "" {
				return payload.Invalidf(field+".add.r", "empty replica id")
			}
			e.add = *it.Add
		}
		if it.Remove != nil {
			if it.Remove.Replica == "" {
				return payload.Invalidf(field+".remove.r", "empty replica id")
			}
			e.rem = *it.Remove
		}
		entries.Load(*it.Elem, e)
		live += presence(e)
		latest = laterTS(latest, laterTS(e.add, e.rem))
	}
	s.entries, s.live, s.delta = entries, live, nil
	s.observe(latest)
	return nil
}
