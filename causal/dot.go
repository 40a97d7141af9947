package causal

import (
	"cmp"
	"strconv"

	"github.com/crdtkit/crdtkit/crdt"
)

// MaxCounter is the largest dot counter accepted: 2^53-1, the largest integer
// that every JSON reader (including JavaScript's) represents exactly. A
// replica that makes a million updates a second needs some 285 years to
// reach it.
const MaxCounter = 1<<53 - 1

// Dot names one event: the Counter-th update made by Replica. A replica
// numbers its updates 1, 2, 3, ... (see [Context.Next]), so a dot is unique
// among all replicas as long as replica ids are. Valid dots have a non-empty
// replica and 1 <= Counter <= [MaxCounter]; the zero Dot is the "no dot"
// value.
//
// In JSON a Dot is {"n": counter, "r": replica}. (The fields are declared in
// the order of their JSON keys so that encoders write sorted keys.)
type Dot struct {
	// Counter is the dot's position in its replica's sequence of updates.
	Counter uint64 `json:"n"`
	// Replica is the replica that made the update.
	Replica crdt.ReplicaID `json:"r"`
}

// String returns the dot as "replica:counter".
func (d Dot) String() string {
	return string(d.Replica) + ":" + strconv.FormatUint(d.Counter, 10)
}

// IsZero reports whether d is the zero Dot.
func (d Dot) IsZero() bool { return d == Dot{} }

// Compare orders dots by replica id, then counter. It returns -1, 0 or +1.
// It is the order of dots in canonical payloads.
func (d Dot) Compare(e Dot) int {
	if c := cmp.Compare(d.Replica, e.Replica); c != 0 {
		return c
	}
	return cmp.Compare(d.Counter, e.Counter)
}

// Validate returns an error if d is not a valid dot: a [payload.FieldError]
// naming the offending field ("r" or "n") and wrapping payload.ErrInvalid.
// Decoders of payloads that hold dots use it (with payload.InField).
func (d Dot) Validate() error {
	switch {
	case d.Replica == "":
		return invalidf("r", "empty replica id")
	case d.Counter == 0:
		return invalidf("n", "counter 0: dot counters start at 1")
	case d.Counter > MaxCounter:
		return invalidf("n", "counter %d is above the limit %d", d.Counter, uint64(MaxCounter))
	}
	return nil
}

func mustValid(d Dot) {
	if d.Replica == "" || d.Counter == 0 || d.Counter > MaxCounter {
		panic("causal: invalid dot " + strconv.Quote(d.String()))
	}
}
