// Package itc implements Interval Tree Clocks (Almeida, Baquero and Fonte,
// "Interval Tree Clocks: a logical clock for dynamic systems", OPODIS 2008).
//
// A [Stamp] pairs an [ID], the share of the unit interval a replica owns,
// with an [Event], a step function over that interval recording what the
// replica has seen. Replicas are created by [Stamp.Fork], record writes with
// [Stamp.Event], retire or synchronise with [Stamp.Join], and ship their
// knowledge without identity with [Stamp.Peek]. [Stamp.Compare] and
// [Stamp.Leq] order stamps by causality.
//
// All values are immutable and kept in normal form; the zero Stamp is the
// anonymous stamp {0; 0}, the zero ID is 0 and the zero Event is the counter
// 0. Counters are uint64: an operation that would have to store a larger
// counter fails with [ErrCounterOverflow], while comparisons stay exact even
// when counters add up beyond 2^64-1 along a path.
//
// Four encodings are provided: libitc's text notation ([Stamp.String],
// [ParseStamp]), libitc's binary v1 format ([Stamp.MarshalBinary]), the
// paper's bit encoding ([Stamp.MarshalCompact]) and JSON
// ([Stamp.MarshalJSON]). Every decoder validates its input fully, rejects
// anything that is not the canonical encoding of a normal-form value with an
// error wrapping [ErrInvalid], and limits the tree depth ([DefaultMaxDepth],
// adjustable with a [Decoder]).
package itc
