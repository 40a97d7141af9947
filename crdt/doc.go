// Package crdt is the contract that every state-based CRDT in crdtkit
// implements, and the small vocabulary they share: replica ids, hybrid
// logical timestamps and the errors of merging.
//
// A state-based CRDT is a value with a join: [CRDT.Merge] folds another
// replica's state into the receiver, and it is commutative, associative and
// idempotent, so replicas that have seen the same updates, in any order and
// any number of times, hold equal states. Every mutation's effect is also kept
// as a delta, a tiny state of the same type ([CRDT.TakeDelta]), which merges
// like any state and is what a replication layer ships.
//
// The contract has two faces. [CRDT] is the typed one that application code
// uses. [State] is the same object with the types erased, which is what the
// payload registry, compound types, stores and replication handle without
// knowing the concrete type.
//
// Identity is local. A replica's [ReplicaID] is given when a state is created
// or loaded and is never read from another replica's payload. Two live
// instances must never share one id.
//
// This package does no I/O.
package crdt
