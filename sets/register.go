package sets

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

func init() {
	for _, kind := range []string{"GSet", "TwoPSet", "LWWSet", "ORSet"} {
		payload.RegisterHint("sets."+kind, "sets.Register[%s]()")
	}
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
// of type T, such as "sets.GSet[string]": the element's wire name
// ([payload.NameOf]) in brackets.
func setTypeName[T comparable](kind string) string {
	name, _ := payload.GenericName[T]("sets." + kind)
	return name
}

// registerSetType registers set type kind over T with the default payload
// registry, under the name setTypeName gives and, when T has a wire name of
// its own, its Go name as an alias, ignoring an earlier registration of the
// same name. It panics if the name is taken by another Go type: two element
// types whose Go names are alike (two packages named shop, each with a SKU)
// need a wire name each, given with [RegisterName].
func registerSetType[T comparable](kind string, newState func(crdt.ReplicaID) crdt.State) {
	name, aliases := payload.GenericName[T]("sets." + kind)
	t := payload.Type{Name: name, Aliases: aliases, Version: 1, New: newState}
	err := payload.Register(t)
	if errors.Is(err, payload.ErrNameTaken) && len(aliases) > 0 {
		// The Go name is another element type's (two types of one Go
		// name, the second of them named with RegisterName): it stays
		// that type's, and this one is registered under its wire name only.
		t.Aliases = nil
		err = payload.Register(t)
	}
	switch {
	case errors.Is(err, payload.ErrNameTaken):
		panic(fmt.Sprintf("sets: registering %s: %v; give the element type a wire name of its own with sets.RegisterName[%v](name) before registering it",
			name, err, reflect.TypeFor[T]()))
	case err != nil && !errors.Is(err, payload.ErrDuplicateType):
		panic(err) // unreachable: the registration is complete
	}
}

// RegisterGSet registers GSet[T] with the default payload registry, so that
// payload.Unmarshal can decode its payloads. It is idempotent. GSet[string],
// GSet[int] and GSet[int64] are registered already.
func RegisterGSet[T comparable]() {
	registerSetType[T]("GSet", func(r crdt.ReplicaID) crdt.State { return NewGSet[T](r) })
}

// RegisterTwoPSet registers TwoPSet[T] with the default payload registry. It
// is idempotent. TwoPSet[string], TwoPSet[int] and TwoPSet[int64] are
// registered already.
func RegisterTwoPSet[T comparable]() {
	registerSetType[T]("TwoPSet", func(r crdt.ReplicaID) crdt.State { return NewTwoPSet[T](r) })
}

// RegisterLWWSet registers LWWSet[T] with the default payload registry. It
// is idempotent. LWWSet[string], LWWSet[int] and LWWSet[int64] are
// registered already.
func RegisterLWWSet[T comparable]() {
	registerSetType[T]("LWWSet", func(r crdt.ReplicaID) crdt.State { return NewLWWSet[T](r) })
}

// RegisterORSet registers ORSet[T] with the default payload registry. It is
// idempotent. ORSet[string], ORSet[int] and ORSet[int64] are registered
// already.
func RegisterORSet[T comparable]() {
	registerSetType[T]("ORSet", func(r crdt.ReplicaID) crdt.State { return NewORSet[T](r) })
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

// RegisterName gives the element type T the stable wire name name (see
// [payload.RegisterName]) and registers every set type over T under it:
// after RegisterName[SKU]("shop.SKU") an ORSet of SKUs is written as
// "sets.ORSet[shop.SKU]", however the Go package of SKU is named or
// renamed, and payloads written before under T's Go name
// ("sets.ORSet[main.SKU]") keep loading. Call it before creating or
// decoding sets over T, for example in an init function. Naming T again
// with the same name does nothing; errors wrap payload.ErrNameTaken (T has
// another name already, or name is another type's) or payload.ErrInvalid.
func RegisterName[T comparable](name string) error {
	if err := payload.RegisterName[T](name); err != nil {
		return fmt.Errorf("sets: RegisterName: %w", err)
	}
	Register[T]()
	return nil
}
