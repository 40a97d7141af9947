package registers

import (
	"fmt"
	"strings"
	"sync"

	"github.com/crdtkit/crdtkit/itc"
)

// Identity is the part of the interval tree clock id space that a replica
// owns, which it needs to write to [MV] registers. It is not part of any
// register's state and never travels in a shared payload: a replica keeps it
// next to its states (MarshalJSON or MarshalBinary for the replica's own saved
// state) and passes it to each write. One Identity serves every MV register of
// the replica.
//
// The id space is shared out without a registry of replicas:
//
//   - the first replica of a system starts from [SeedIdentity], which owns
//     the whole space;
//   - a new replica is created by [Identity.Fork], which gives it half of an
//     existing replica's space;
//   - a replica that leaves hands its space back with [Identity.Retire], so
//     that clocks can shrink again; retiring into the survivor with the
//     largest [Identity.Adjacency] keeps each replica's space contiguous and
//     clocks small.
//
// Because a register's clock, not the identity, carries what a replica has
// seen, identity changes must travel with state:
//
//   - Fork: the new replica must start from a copy of the forking replica's
//     state (every MV register it holds) taken at the fork, before either
//     writes again. Its half of the space was written with by the forking
//     replica, and a replica that has not seen those writes would stamp new
//     writes that look older than them.
//   - Retire: the receiving replica must merge the retiring replica's final
//     state (every MV register) before it writes with the enlarged identity;
//     otherwise its writes can claim to have seen writes of the retired
//     replica that it never saw, and those writes are silently dropped.
//
// Neither mistake can be detected from the states afterwards. See
// docs/registers.md.
//
// The zero Identity, and one that has retired, owns nothing: writes with it
// fail with [ErrNoIdentity]. An Identity is safe for concurrent use.
type Identity struct {
	mu sync.Mutex
	id itc.ID
}

// retireMu serialises Retire, which locks two identities.
var retireMu sync.Mutex

// SeedIdentity returns the identity that owns the whole id space, for the
// first replica of a system. Seed exactly one identity per system: two seeds
// overlap entirely.
func SeedIdentity() *Identity { return &Identity{id: itc.SeedID()} }

// NewIdentity returns an identity that owns id, such as one restored from
// the replica's own storage by other means than [Identity.UnmarshalJSON].
func NewIdentity(id itc.ID) *Identity { return &Identity{id: id} }

// ID returns the id the identity owns now (itc.NullID() for nil or retired
// identities).
func (i *Identity) ID() itc.ID {
	if i == nil {
		return itc.NullID()
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.id
}

// IsNull reports whether the identity owns nothing (nil, zero or retired), so
// that it cannot write.
func (i *Identity) IsNull() bool { return i.ID().IsNull() }

// Fork gives half of the identity's id space to a new identity and keeps the
// other half: the receiver keeps the left half of the split, the new identity
// gets the right half. Forking an identity that owns nothing returns another
// that owns nothing. The new replica must start from a copy of this
// replica's state; see [Identity].
func (i *Identity) Fork() *Identity {
	if i == nil {
		return &Identity{}
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	keep, give := i.id.Split()
	i.id = keep
	return &Identity{id: give}
}

// Retire hands the identity's id space to into, which must belong to a live
// replica that has already merged this replica's final state (see
// [Identity]). Afterwards the receiver owns nothing. If the two ids overlap
// (into is the receiver, or one was copied from the other) it returns an
// error wrapping itc.ErrOverlappingID and changes neither.
func (i *Identity) Retire(into *Identity) error {
	if i == nil || into == nil {
		return fmt.Errorf("registers: Retire: nil identity")
	}
	if i == into {
		if i.IsNull() {
			return nil
		}
		return fmt.Errorf("registers: Retire into itself: %w", itc.ErrOverlappingID)
	}
	retireMu.Lock()
	defer retireMu.Unlock()
	i.mu.Lock()
	defer i.mu.Unlock()
	into.mu.Lock()
	defer into.mu.Unlock()
	sum, err := into.id.Sum(i.id)
	if err != nil {
		return fmt.Errorf("registers: Retire %v into %v: %w", i.id, into.id, err)
	}
	into.id, i.id = sum, itc.NullID()
	return nil
}

// String returns the id in the itc text notation, such as "(1, 0)".
func (i *Identity) String() string { return i.ID().String() }

// MarshalJSON encodes the identity as its itc id in JSON: 0, 1 or [l,r].
func (i *Identity) MarshalJSON() ([]byte, error) { return i.ID().MarshalJSON() }

// UnmarshalJSON decodes an identity encoded by MarshalJSON. Errors wrap
// itc.ErrInvalid; on error the receiver is unchanged.
func (i *Identity) UnmarshalJSON(data []byte) error {
	var id itc.ID
	if err := id.UnmarshalJSON(data); err != nil {
		return fmt.Errorf("registers: identity: %w", err)
	}
	i.mu.Lock()
	i.id = id
	i.mu.Unlock()
	return nil
}

// MarshalBinary encodes the identity as its itc id in the libitc binary
// format.
func (i *Identity) MarshalBinary() ([]byte, error) { return i.ID().MarshalBinary() }

// UnmarshalBinary decodes an identity encoded by MarshalBinary. Errors wrap
// itc.ErrInvalid; on error the receiver is unchanged.
func (i *Identity) UnmarshalBinary(data []byte) error {
	var id itc.ID
	if err := id.UnmarshalBinary(data); err != nil {
		return fmt.Errorf("registers: identity: %w", err)
	}
	i.mu.Lock()
	i.id = id
	i.mu.Unlock()
	return nil
}

// Adjacency returns the number of points where the part of the id space that
// i owns touches the part that other owns. When a replica retires, handing
// its identity to the live replica with the largest adjacency keeps every
// replica's part contiguous, and that keeps clocks small: ITC events need
// structure wherever owners change along the id space. Retiring into
// arbitrary survivors fragments the space; in the churn benchmark with 128
// live replicas the clock then keeps growing (towards some n²/2 fragments),
// while with the most adjacent survivor it stays at one fragment per replica.
// Identities that own nothing have adjacency 0.
func (i *Identity) Adjacency(other *Identity) int {
	a, b := ownedIntervals(i.ID()), ownedIntervals(other.ID())
	starts := make(map[string]int, len(a))
	ends := make(map[string]int, len(a))
	for _, x := range a {
		starts[x.lo]++
		ends[x.hi]++
	}
	n := 0
	for _, y := range b {
		n += ends[y.lo] + starts[y.hi]
	}
	return n
}

// interval is a maximal run [lo, hi) of the id space owned by one id. The
// ends are binary fractions written as their digits after the point with
// trailing zeros trimmed ("" is 0, "1" is 0.5, "01" is 0.25); the end of the
// whole space is "!".
type interval struct{ lo, hi string }

// ownedIntervals lists the maximal runs of the id space that id owns, in
// order. It reads the id's JSON form, 0, 1 or [l,r].
func ownedIntervals(id itc.ID) []interval {
	data, _ := id.MarshalJSON()
	var out []interval
	pos := 0
	path := make([]byte, 0, 16)
	var walk func()
	walk = func() {
		if pos >= len(data) {
			return
		}
		switch data[pos] {
		case '0':
			pos++
		case '1':
			pos++
			lo, hi := fractionEnds(path)
			if n := len(out); n > 0 && out[n-1].hi == lo {
				out[n-1].hi = hi
			} else {
				out = append(out, interval{lo, hi})
			}
		case '[':
			pos++ // '['
			path = append(path, '0')
			walk()
			pos++ // ','
			path[len(path)-1] = '1'
			walk()
			path = path[:len(path)-1]
			pos++ // ']'
		default:
			pos = len(data) // not an id: own nothing more
		}
	}
	walk()
	return out
}

// fractionEnds returns the ends of the dyadic interval reached by path (a
// '0' for each left turn, a '1' for each right turn).
func fractionEnds(path []byte) (lo, hi string) {
	lo = strings.TrimRight(string(path), "0")
	// hi = lo + 2^-len(path): add one at the last digit.
	h := []byte(string(path))
	k := len(h) - 1
	for k >= 0 && h[k] == '1' {
		h[k] = '0'
		k--
	}
	if k < 0 {
		return lo, "!"
	}
	h[k] = '1'
	return lo, strings.TrimRight(string(h), "0")
}
