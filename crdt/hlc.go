package crdt

import (
	"cmp"
	"math"
	"sync"
	"time"
)

// Timestamp is a hybrid logical timestamp: wall-clock nanoseconds, a logical
// counter that orders events within one nanosecond or while the wall clock
// lags behind what the replica has seen, and the writing replica's id, which
// breaks every remaining tie. Timestamps issued by distinct replicas, or by one
// [Clock], are never equal, so last-writer-wins types ordered by Timestamp
// merge commutatively.
//
// In JSON a Timestamp is {"l": logical, "r": replica, "w": wall}; the wall
// time is an integer count of nanoseconds since the Unix epoch and survives a
// round trip exactly.
type Timestamp struct {
	// Logical orders events that share a wall time.
	Logical uint32 `json:"l"`
	// Replica is the replica that issued the timestamp.
	Replica ReplicaID `json:"r"`
	// Wall is the physical time in nanoseconds since the Unix epoch.
	Wall int64 `json:"w"`
}

// Compare orders timestamps by wall time, then logical counter, then replica
// id. It returns -1, 0 or +1.
func (t Timestamp) Compare(u Timestamp) int {
	if c := cmp.Compare(t.Wall, u.Wall); c != 0 {
		return c
	}
	if c := cmp.Compare(t.Logical, u.Logical); c != 0 {
		return c
	}
	return cmp.Compare(t.Replica, u.Replica)
}

// IsZero reports whether t is the zero Timestamp, which orders before every
// timestamp a [Clock] issues.
func (t Timestamp) IsZero() bool { return t == Timestamp{} }

// Time returns the wall-clock part of t.
func (t Timestamp) Time() time.Time { return time.Unix(0, t.Wall) }

// Clock issues hybrid logical timestamps for one replica. Each timestamp it
// issues orders after every timestamp it issued or observed before, even when
// the wall clock stands still or steps back. A Clock is safe for concurrent
// use.
type Clock struct {
	mu      sync.Mutex
	replica ReplicaID
	now     func() time.Time
	wall    int64
	logical uint32
}

// NewClock returns a clock for replica that reads physical time from now, or
// from [time.Now] when now is nil. Tests inject a fake now to control time.
func NewClock(replica ReplicaID, now func() time.Time) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{replica: replica, now: now}
}

// Replica returns the replica whose timestamps the clock issues.
func (c *Clock) Replica() ReplicaID { return c.replica }

// Now returns a new timestamp that orders after every timestamp the clock has
// issued or observed.
func (c *Clock) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	pt := c.now().UnixNano()
	switch {
	case pt > c.wall:
		c.wall, c.logical = pt, 0
	case c.logical < math.MaxUint32:
		c.logical++
	case c.wall < math.MaxInt64:
		// The logical counter is exhausted: borrow one nanosecond.
		c.wall, c.logical = c.wall+1, 0
	}
	// At wall == MaxInt64 and logical == MaxUint32 the clock cannot advance;
	// that lies some 292 years past 1970 and is only reachable by observing
	// a forged timestamp.
	return Timestamp{Wall: c.wall, Logical: c.logical, Replica: c.replica}
}

// Observe tells the clock about a timestamp seen in another replica's state,
// so that the clock's next timestamp orders after it.
func (c *Clock) Observe(t Timestamp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Wall > c.wall || (t.Wall == c.wall && t.Logical > c.logical) {
		c.wall, c.logical = t.Wall, t.Logical
	}
}
