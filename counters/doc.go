// Package counters provides the two classic state-based counters:
// [GCounter], which only grows, and [PNCounter], which goes up and down.
//
// Both keep one count per replica and merge by taking, replica by replica,
// the larger count, so a replica's increments are never counted twice however
// often states are exchanged. Each state is bound to the local replica id
// passed to its constructor (or to payload.Unmarshal); a payload carries the
// counts of every replica but never tells a state who it is.
//
// A replica must not write before it has loaded its own latest state: the
// per-replica maximum would hide increments made on a stale copy (see
// [GCounter]).
//
// States are not safe for concurrent use; guard them with a mutex.
package counters
