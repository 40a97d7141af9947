// Package registers holds register CRDTs: a cell with one value that replicas
// overwrite.
//
// [LWW] keeps the last write in the order of hybrid logical timestamps and
// silently drops concurrent writes that lost. [MV] keeps concurrent writes
// side by side until a later write that has seen them all replaces them; its
// causality comes from Interval Tree Clocks (package itc), so replicas can be
// created by forking an [Identity] and retired by joining it back, with clocks
// whose size follows the live replicas rather than every replica that ever
// existed.
//
// Both types implement [crdt.CRDT], register their payloads with package
// payload and record deltas of local writes. docs/registers.md in the module
// walks through three replicas diverging and converging.
package registers

import "github.com/crdtkit/crdtkit/payload"

func init() {
	payload.RegisterHint("registers.LWW", "registers.RegisterLWW[%s]()")
	payload.RegisterHint("registers.MV", "registers.RegisterMV[%s]()")
	RegisterLWW[string]()
	RegisterLWW[int64]()
	RegisterLWW[float64]()
	RegisterLWW[bool]()
	RegisterMV[string]()
	RegisterMV[int64]()
	RegisterMV[float64]()
	RegisterMV[bool]()
}
