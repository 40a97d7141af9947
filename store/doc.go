// Package store persists CRDT payloads in key-value stores without losing
// concurrent updates.
//
// A [Backend] is a small interface over one concrete store (bbolt, a directory
// of JSON files, PostgreSQL, Redis, memory): raw payload bytes in, raw bytes
// out, plus one conditional write primitive, [Backend.Update], that runs a
// read-modify-write of one key atomically with respect to every other writer of
// that key. Backends that lock (a bbolt transaction, a file lock, SELECT ...
// FOR UPDATE) call the update function once; optimistic ones (Redis WATCH)
// call it again after a conflict.
//
// A [Store] wraps a Backend with the payload codec and the local replica id
// and adds the one operation that matters: [Store.MergeWrite] loads the stored
// state, merges the caller's state (or delta) into it and writes the result
// back, all inside one Update. Because the merge is commutative, associative
// and idempotent, writers that race on a key are serialised by the backend and
// none of their updates is lost. The merge-write logic lives here once; the
// backends know nothing about CRDTs.
//
// A stored record that is not a valid payload (truncated, of the wrong type,
// edited by hand) makes reads and merge-writes of that key fail with a
// [*KeyError] naming the key and wrapping [ErrCorrupt] and the decoder's
// cause; a merge-write never overwrites such a record. Other keys are not
// affected.
//
// The implementations live in sub-packages: store/boltstore, store/dirstore,
// store/pgstore and store/redisstore; [NewMemory] is an in-memory backend for
// tests. Package store/storeurl opens any of them from a URL, and
// store/storetest is the conformance suite every backend passes.
package store
