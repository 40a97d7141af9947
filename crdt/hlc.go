package crdt

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/goccy/go-json/jsontext"
	jsonv2 "github.com/goccy/go-json/v2"
)

// ErrInvalidTimestamp is wrapped by the errors of [Timestamp.UnmarshalJSON]:
// a member missing or null, of the wrong JSON type or out of range, or an
// unknown member.
var ErrInvalidTimestamp = errors.New("crdt: invalid timestamp")

// Timestamp is a hybrid logical timestamp: wall-clock nanoseconds, a logical
// counter that orders events within one nanosecond or while the wall clock
// lags behind what the replica has seen, and the writing replica's id, which
// breaks every remaining tie. Timestamps issued by distinct replicas, or by one
// [Clock], are never equal, so last-writer-wins types ordered by Timestamp
// merge commutatively.
//
// In JSON a Timestamp is {"l": logical, "r": replica, "w": wall}; the wall
// time is an integer count of nanoseconds since the Unix epoch and survives a
// round trip exactly. All three members are required and none may be null
// (see [Timestamp.UnmarshalJSON]).
type Timestamp struct {
	// Logical orders events that share a wall time.
	Logical uint32 `json:"l"`
	// Replica is the replica that issued the timestamp.
	Replica ReplicaID `json:"r"`
	// Wall is the physical time in nanoseconds since the Unix epoch.
	Wall int64 `json:"w"`
}

// UnmarshalJSON decodes {"l": logical, "r": replica, "w": wall} strictly:
// every member must be present, once, and not null, l an integer in
// 0 … 2^32-1, w an integer in the int64 range, r a non-empty string; unknown
// members are rejected. A null or missing number would otherwise read as 0
// and date a write to 1970, so that it silently loses to every other (a
// JavaScript writer turns NaN into null). Errors wrap [ErrInvalidTimestamp]
// and name the member through a FieldPath method; on error t is unchanged.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	var p struct {
		L jsontext.Value `json:"l"`
		R jsontext.Value `json:"r"`
		W jsontext.Value `json:"w"`
	}
	if err := jsonv2.Unmarshal(data, &p, jsonv2.RejectUnknownMembers(true)); err != nil {
		var se *jsonv2.SemanticError
		if errors.As(err, &se) && errors.Is(se.Err, jsonv2.ErrUnknownName) && len(se.JSONPointer) > 1 {
			return &tsError{field: string(se.JSONPointer[1:]), err: fmt.Errorf("%w: unknown member", ErrInvalidTimestamp)}
		}
		return &tsError{err: fmt.Errorf("%w: %v", ErrInvalidTimestamp, err)}
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return &tsError{err: fmt.Errorf("%w: null, not an object", ErrInvalidTimestamp)}
	}
	var u Timestamp
	if err := tsMember("r", p.R, &u.Replica); err != nil {
		return err
	}
	if u.Replica == "" {
		return &tsError{field: "r", err: fmt.Errorf("%w: %w", ErrInvalidTimestamp, ErrNoReplica)}
	}
	if err := tsMember("l", p.L, &u.Logical); err != nil {
		return err
	}
	if err := tsMember("w", p.W, &u.Wall); err != nil {
		return err
	}
	*t = u
	return nil
}

// tsMember decodes the member name of a timestamp, raw, into v, rejecting a
// missing or null member.
func tsMember(name string, raw jsontext.Value, v any) error {
	if raw == nil || raw.Kind() == 'n' {
		return &tsError{field: name, err: fmt.Errorf("%w: missing or null", ErrInvalidTimestamp)}
	}
	if err := jsonv2.Unmarshal(raw, v); err != nil {
		var se *jsonv2.SemanticError
		if errors.As(err, &se) && se.GoType != nil {
			err = fmt.Errorf("JSON %s %s where %v was expected", se.JSONKind, raw, se.GoType)
		}
		return &tsError{field: name, err: fmt.Errorf("%w: %v", ErrInvalidTimestamp, err)}
	}
	return nil
}

// tsError is an error about one member of a timestamp. FieldPath lets
// package payload place it in its path ("ts" and "w" give "ts.w").
type tsError struct {
	field string
	err   error
}

func (e *tsError) Error() string {
	if e.field == "" {
		return e.err.Error()
	}
	return "member " + e.field + ": " + e.err.Error()
}

func (e *tsError) Unwrap() error { return e.err }

// FieldPath returns the member the error is about, empty for the timestamp
// as a whole.
func (e *tsError) FieldPath() string { return e.field }

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
// use. The zero Clock reads [time.Now] and issues timestamps for the empty
// replica id, which the types of crdtkit refuse to write with.
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
	now := c.now
	if now == nil { // the zero Clock
		now = time.Now
	}
	pt := now().UnixNano()
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
