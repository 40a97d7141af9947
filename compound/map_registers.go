package compound

import (
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/registers"
)

// LWWMap is a map of last-writer-wins registers: per-key values that replicas
// overwrite, the last write (in hybrid logical time) winning per key. It is
// a [Map], with all its semantics: add-wins on keys, and a write concurrent
// with a remove of its key keeps the key.
//
//	m := compound.NewLWWMap[string, string](replica)
//	_ = m.Update("city", func(r *registers.LWW[string]) error { return r.Set("Lisbon") })
type LWWMap[K comparable, T any] = Map[K, *registers.LWW[T]]

// NewLWWMap returns an empty [LWWMap] bound to replica.
func NewLWWMap[K comparable, T any](replica crdt.ReplicaID) *LWWMap[K, T] {
	return NewMap[K](replica, registers.NewLWW[T])
}

// RegisterLWWMap registers LWWMap[K, T] (and registers.LWW[T]) with
// payload.Default, so that its payloads decode with payload.Unmarshal. Its
// type name is "compound.Map[" + K + ",registers.LWW[" + T + "]]". It is
// idempotent.
func RegisterLWWMap[K comparable, T any]() {
	registers.RegisterLWW[T]()
	RegisterMap[K](registers.NewLWW[T])
}

// MVMap is a map of multi-value registers: per-key values where concurrent
// writes of a key stay side by side as siblings until a write that has seen
// them all. Writes need the replica's [registers.Identity]:
//
//	m := compound.NewMVMap[string, string](replica)
//	_ = m.Update("title", func(r *registers.MV[string]) error { return r.Set(identity, "Draft") })
//
// Avoid removing and re-adding a key that other replicas may be writing
// concurrently: the write after the re-add starts a fresh register, and a
// concurrent write made on the old one dominates it instead of becoming its
// sibling (see [Map] and docs/maps.md). Overwrite instead.
type MVMap[K comparable, T any] = Map[K, *registers.MV[T]]

// NewMVMap returns an empty [MVMap] bound to replica.
func NewMVMap[K comparable, T any](replica crdt.ReplicaID) *MVMap[K, T] {
	return NewMap[K](replica, registers.NewMV[T])
}

// RegisterMVMap registers MVMap[K, T] (and registers.MV[T]) with
// payload.Default. Its type name is "compound.Map[" + K + ",registers.MV[" +
// T + "]]". It is idempotent.
func RegisterMVMap[K comparable, T any]() {
	registers.RegisterMV[T]()
	RegisterMap[K](registers.NewMV[T])
}
