// Package payload turns CRDT states into self-describing JSON payloads and
// back.
//
// A payload is an envelope with the state's registered type name, the format
// version of that type and the state itself:
//
//	{"state":{...},"type":"counters.GCounter","version":1}
//
// Payloads are canonical: object keys are sorted and set elements are in a
// fixed order, so equal states give byte-identical payloads that can be
// compared, hashed and deduplicated. They are encoded with goccy/go-json.
//
// Types register themselves with a [Registry] (usually [Default]) under their
// name, so [Unmarshal] can rebuild a state from a payload read from any store
// without the caller knowing its type in advance. User-defined types register
// the same way.
//
// Decoding is strict and bounded: a payload larger than [Limits.MaxBytes] or
// nested deeper than [Limits.MaxDepth], malformed JSON, unknown fields, wrong
// JSON types, an unknown type or a newer format version are errors that wrap
// one of this package's sentinels and, through [FieldError], name the
// offending field. No input makes a decoder panic.
//
// Identity never travels in a payload: decoding binds the new state to the
// replica id the caller passes.
package payload
