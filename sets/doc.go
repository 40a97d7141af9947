// Package sets provides state-based set CRDTs, generic over the element type:
//
//   - [GSet], a grow-only set: elements are added and never removed.
//   - [TwoPSet], a two-phase set: an element can be added and then removed
//     once, and a removed element can never come back.
//   - [LWWSet], a last-writer-wins element set: each element carries the
//     timestamps of its latest add and latest remove, and the later one wins.
//     Removed elements keep their timestamps (tombstones) forever.
//   - [ORSet], an add-wins observed-remove set without tombstones: a remove
//     cancels only the adds it has seen, and the state holds only live
//     elements, their dots and a causal context.
//
// Elements may be of any comparable type whose JSON encoding decodes back to
// an equal value: strings, integers, and small structs of such fields.
// Pointers, channels, interfaces holding such values, NaN floats and structs
// with unexported fields are not. Payloads keep elements in JSON arrays,
// sorted by [payload.Compare], so non-string elements work and equal states
// encode to identical bytes.
//
// Every set type is registered with the payload registry for string, int and
// int64 elements. Register other element types once, before decoding their
// payloads, with [Register] or the per-type functions such as
// [RegisterGSet]; registering twice is harmless.
//
// Use the constructors. The zero GSet and TwoPSet are empty sets ready for
// use; the zero LWWSet has no replica and clock, so it can be read, merged
// and loaded but its Add and Remove fail with [crdt.ErrNoReplica]. States
// are not safe for concurrent use; guard them with a mutex.
package sets
