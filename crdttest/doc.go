// Package crdttest checks that a CRDT type obeys the laws of the crdtkit
// contract. It is for tests: library code never imports it.
//
// A type is described by a [Spec]: a constructor of empty states and a
// function that applies one random local mutation, drawn with
// pgregory.net/rapid. From these the checker builds random histories of a
// few replicas (mutations, merges, restarts from payloads, newcomers that
// start from a peer's payload), so every state it checks is one that real
// use can reach, and checks, each law in its own subtest:
//
//   - merge is commutative, associative and idempotent, and New is its
//     identity ("equal" means identical canonical payload bytes from
//     payload.Marshal and values equal under Spec.Equal);
//   - merge keeps no reference into its argument and leaves it unchanged;
//     Clone is deep; MergeState and CloneState agree with Merge and Clone,
//     and MergeState of another type fails with crdt.ErrTypeMismatch;
//   - payloads round-trip (payload.Unmarshal and payload.UnmarshalInto)
//     with identical bytes and equal values, and Value is that of the state
//     rebuilt from the payload;
//   - the deltas of local mutations, merged into a stale copy in any order
//     or grouped, give what merging the full state gives;
//   - a replica that starts from another's payload under its own id keeps
//     the laws with it and behaves as New(id) merged with that state would:
//     the same mutations, replayed from one seed, give the same payload (for
//     types whose mutations are deterministic; others skip this part), so
//     an identity read from the payload or invented on load is caught;
//   - replicas that ship every delta to every peer, delivered in any order
//     and any number of times, converge with no full-state exchange;
//   - replicas exchanging deltas and states over a network that duplicates,
//     reorders, delays and drops messages converge after a final full-state
//     exchange.
//
// # Checking your own type
//
// Register the type with package payload (the checker round-trips states
// through payload.Marshal and payload.Unmarshal), then:
//
//	func TestMyCounterLaws(t *testing.T) {
//		crdttest.Check(t, crdttest.Spec[*MyCounter, int64]{
//			New: NewMyCounter,
//			Mutate: func(t *rapid.T, r crdt.ReplicaID, c *MyCounter) {
//				c.Add(rapid.Int64Range(-3, 3).Draw(t, "n"))
//			},
//		})
//	}
//
// Mutate should reach every kind of mutation the type has and draw from a
// small domain (a few elements, small amounts) so that operations collide:
// collisions are where merges go wrong. Supply Spec.Equal when Value may
// return a nil or an empty map or slice for the same state.
//
// A failure names the law in the subtest (TestMyCounterLaws/commutative)
// and shows rapid's shrunk history. Each law runs rapid's number of cases,
// 100 by default; pass -rapid.checks=1000 for a deeper search and
// -run 'TestMyCounterLaws/delta' to check one law.
//
// The checker uses replica ids r1, r2, ... for the replicas of a history and
// fresh ids (n1, x1, ...) for newcomers, never reusing an id for two live
// replicas. A type whose writes need more than a [crdt.ReplicaID], such as
// the interval-tree-clock identities of registers.MV, can map each id to its
// own identity inside Mutate, forking a part of the id space that has never
// written the first time an id writes.
//
// # What it cannot see
//
// The laws say that replicas agree, not that they agree on the right thing:
// a merge that is a lawful join but drops a concurrent add, or a counter that
// loses increments made under a borrowed identity while still merging by
// maximum, passes every law except where the identity replay exposes it.
// Test the semantics (add-wins, remove-wins, which write wins) with your own
// oracles beside Check.
//
// [Verify] runs the same checks and returns the violations as an error
// instead of failing the test, which is how a test shows that a broken
// merge is caught.
package crdttest
