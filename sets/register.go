package sets

import (
	"errors"
	"reflect"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

func init() {
	RegisterGSet[string]()
	RegisterGSet[int]()
	RegisterGSet[int64]()
	RegisterTwoPSet[string]()
	RegisterTwoPSet[int]()
	RegisterTwoPSet[int64]()
	RegisterLWWSet[string]()
	RegisterLWWSet[int]()
	RegisterLWWSet[int64]()
	RegisterORSet[string]()
	RegisterORSet[int]()
	RegisterORSet[int64]()
}

// setTypeName returns the payload type name of set type kind over elements
// of type T, such as "sets.GSet[string]".
func setTypeName[T comparable](kind string) string {
	return "sets." + kind + "[" + reflect.TypeFor[T]().String() + "]"
}

// registerSetType registers a set type with the default payload registry,
// ignoring an earlier registration of the same name.
func registerSetType(name string, newState func(crdt.ReplicaID) crdt.State) {
	err := payload.Register(payload.Type{Name: name, Version: 1, New: newState})
	if err != nil && !errors.Is(err, payload.ErrDuplicateType) {
		panic(err) // unreachable: the registration is complete
	}
}

// RegisterGSet registers GSet[T] with the default payload registry, so that
// payload.Unmarshal can decode its payloads. It is idempotent. GSet[string],
// GSet[int] and GSet[int64] are registered already.
func RegisterGSet[T comparable]() {
	registerSetType(setTypeName[T]("GSet"), func(r crdt.ReplicaID) crdt.State { return NewGSet[T](r) })
}

// RegisterTwoPSet registers TwoPSet[T] with the default payload registry. It
// is idempotent. TwoPSet[string], TwoPSet[int] and TwoPSet[int64] are
// registered already.
func RegisterTwoPSet[T comparable]() {
	registerSetType(setTypeName[T]("TwoPSet"), func(r crdt.ReplicaID) crdt.State { return NewTwoPSet[T](r) })
}

// RegisterLWWSet registers LWWSet[T] with the default payload registry. It
// is idempotent. LWWSet[string], LWWSet[int] and LWWSet[int64] are
// registered already.
func RegisterLWWSet[T comparable]() {
	registerSetType(setTypeName[T]("LWWSet"), func(r crdt.ReplicaID) crdt.State { return NewLWWSet[T](r) })
}

// RegisterORSet registers ORSet[T] with the default payload registry. It is
// idempotent. ORSet[string], ORSet[int] and ORSet[int64] are registered
// already.
func RegisterORSet[T comparable]() {
	registerSetType(setTypeName[T]("ORSet"), func(r crdt.ReplicaID) crdt.State { return NewORSet[T](r) })
}

// Register registers every set type of this package, GSet, TwoPSet, LWWSet
// and ORSet, over elements of type T with the default payload registry, so
// that payload.Unmarshal can decode their payloads. It is idempotent. The
// string, int and int64 instantiations are registered already.
func Register[T comparable]() {
	RegisterGSet[T]()
	RegisterTwoPSet[T]()
	RegisterLWWSet[T]()
	RegisterORSet[T]()
}
