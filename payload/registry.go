package payload

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/crdtkit/crdtkit/crdt"
)

// Type describes a registered CRDT type: how its payloads are named and
// versioned and how to make an empty state to decode into.
type Type struct {
	// Name is the type name written in envelopes; it must equal the
	// TypeName of the states that New returns.
	Name string
	// Aliases are older names of the type: payloads that carry one of them
	// load as this type (and are written back under Name). A type renamed,
	// or a generic type whose element type got a wire name with
	// [RegisterName] after payloads were written under its Go name, lists
	// its old names here so that stored data keeps loading.
	Aliases []string
	// Version is the format version this build writes and the newest it
	// reads. Versions start at 1.
	Version int
	// New returns an empty state bound to replica.
	New func(replica crdt.ReplicaID) crdt.State
	// Upgrade, if set, rewrites the state of a payload of an older format
	// version (from, 1 <= from < Version) into the current format. Payloads
	// of older versions are rejected when Upgrade is nil.
	Upgrade func(from int, state []byte) ([]byte, error)
}

// entry is a registered type and the Go type of its states.
type entry struct {
	t      Type
	goType reflect.Type
}

// Registry maps type names to [Type]s. The zero Registry is empty and ready
// to use; it is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	types map[string]entry // by name and by alias
}

// Default is the registry used by the package-level functions. The toolbox's
// own types register themselves here when their packages are imported.
var Default = &Registry{}

// probeReplica is the replica id Register passes to New to learn the Go type
// of a registered type's states.
const probeReplica crdt.ReplicaID = "payload-registration-probe"

// Register adds t. It calls t.New once to learn the Go type of its states.
// It returns an error wrapping [ErrDuplicateType] if the name is registered
// already for states of the same Go type (registering twice is harmless, and
// idempotent callers ignore that error), one wrapping [ErrNameTaken] if the
// name or one of the aliases is registered for states of another Go type
// (two packages that name a type alike: give one a wire name with
// [RegisterName]), and one wrapping [ErrInvalid] if t is incomplete. An
// alias that names states of the same Go type, such as the name the type was
// registered under before, is taken over.
func (r *Registry) Register(t Type) error {
	if t.Name == "" || t.Version < 1 || t.New == nil {
		return fmt.Errorf("%w: type registration needs a name, a version >= 1 and New", ErrInvalid)
	}
	probe := t.New(probeReplica)
	if probe == nil {
		return fmt.Errorf("%w: type %q: New returned nil", ErrInvalid, t.Name)
	}
	goType := reflect.TypeOf(probe)
	t.Aliases = append([]string(nil), t.Aliases...)
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.types[t.Name]; ok {
		if e.goType != goType {
			return fmt.Errorf("%w: %q is the name of %v, not of %v", ErrNameTaken, t.Name, e.goType, goType)
		}
		if e.t.Name == t.Name {
			return fmt.Errorf("%w: %q", ErrDuplicateType, t.Name)
		}
		// t.Name was an alias of the same Go type: t takes it over.
	}
	for _, a := range t.Aliases {
		if e, ok := r.types[a]; ok && e.goType != goType {
			return fmt.Errorf("%w: alias %q of %q is the name of %v, not of %v", ErrNameTaken, a, t.Name, e.goType, goType)
		}
	}
	if r.types == nil {
		r.types = make(map[string]entry)
	}
	e := entry{t: t, goType: goType}
	r.types[t.Name] = e
	for _, a := range t.Aliases {
		r.types[a] = e
	}
	return nil
}

// MustRegister is like Register but panics on error. It is meant for init
// functions, where a duplicate name is a programming error.
func (r *Registry) MustRegister(t Type) {
	if err := r.Register(t); err != nil {
		panic(err)
	}
}

// Lookup returns the type registered under name, which may be one of its
// aliases; the Type's Name is then its current name.
func (r *Registry) Lookup(name string) (Type, bool) {
	e, ok := r.lookup(name)
	return e.t, ok
}

func (r *Registry) lookup(name string) (entry, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.types[name]
	return e, ok
}

// Names returns the registered type names in sorted order, without aliases.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.types))
	for n, e := range r.types {
		if e.t.Name == n {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Register adds t to [Default].
func Register(t Type) error { return Default.Register(t) }

// MustRegister adds t to [Default] and panics on error.
func MustRegister(t Type) { Default.MustRegister(t) }

// Wire names of Go types.

var names struct {
	sync.RWMutex
	byType map[reflect.Type]string
	byName map[string]reflect.Type
}

// RegisterName gives Go type T the wire name name, which the type names of
// crdtkit's generic types over T then use in place of T's Go name
// (reflect's T.String(), such as "main.SKU"): after RegisterName[SKU]("shop.SKU"),
// an ORSet of SKUs is "sets.ORSet[shop.SKU]", however the Go package is
// named or renamed. Call it before registering or creating states of
// generic types over T, typically through the generic package's own
// RegisterName (sets.RegisterName, registers.RegisterName), which also
// registers the types under the new name with the Go name as an alias, so
// that payloads written before keep loading.
//
// Naming T again with the same name does nothing. It returns an error
// wrapping [ErrNameTaken] if T has another name already or name is taken by
// another Go type, and one wrapping [ErrInvalid] if name is empty or holds a
// character of type-name syntax ("[", "]", ",", or a space).
func RegisterName[T any](name string) error {
	t := reflect.TypeFor[T]()
	if name == "" || strings.ContainsAny(name, "[], \t\n") {
		return fmt.Errorf("%w: %q is not a wire name for %v", ErrInvalid, name, t)
	}
	names.Lock()
	defer names.Unlock()
	if old, ok := names.byType[t]; ok {
		if old == name {
			return nil
		}
		return fmt.Errorf("%w: %v is named %q already, not %q", ErrNameTaken, t, old, name)
	}
	if other, ok := names.byName[name]; ok {
		return fmt.Errorf("%w: %q is the wire name of %v, not of %v", ErrNameTaken, name, other, t)
	}
	if names.byType == nil {
		names.byType = make(map[reflect.Type]string)
		names.byName = make(map[string]reflect.Type)
	}
	names.byType[t], names.byName[name] = name, t
	return nil
}

// NameOf returns the wire name of Go type T: the name given with
// [RegisterName], or else T's Go name, reflect.TypeFor[T]().String().
func NameOf[T any]() string {
	t := reflect.TypeFor[T]()
	names.RLock()
	n, ok := names.byType[t]
	names.RUnlock()
	if ok {
		return n
	}
	return t.String()
}

// GenericName returns the type name of the generic type family over T, such
// as "sets.ORSet[shop.SKU]" for family "sets.ORSet", and the aliases to
// register it with: the name with T's Go name when T has a wire name of its
// own ([RegisterName]), so that payloads written before keep loading.
func GenericName[T any](family string) (name string, aliases []string) {
	name = family + "[" + NameOf[T]() + "]"
	if goName := family + "[" + reflect.TypeFor[T]().String() + "]"; goName != name {
		aliases = []string{goName}
	}
	return name, aliases
}

// Registration hints for unknown types.

var hints struct {
	sync.RWMutex
	byFamily map[string]string
}

// RegisterHint tells the unknown-type errors of this package how a
// generic type family is registered: call is the Go call with "%s" where
// the type parameters go, such as RegisterHint("sets.ORSet",
// "sets.Register[%s]()"). An envelope naming "sets.ORSet[main.SKU]" that no
// one registered then fails with `payload: unknown type
// "sets.ORSet[main.SKU]": register it with sets.Register[main.SKU]()`.
// Packages with generic CRDTs call it in their init functions.
func RegisterHint(family, call string) {
	hints.Lock()
	defer hints.Unlock()
	if hints.byFamily == nil {
		hints.byFamily = make(map[string]string)
	}
	hints.byFamily[family] = call
}

// unknownType returns the error for a type name nothing registered, naming
// the call that would register it where a hint knows it.
func unknownType(name string) error {
	if i := strings.IndexByte(name, '['); i > 0 && strings.HasSuffix(name, "]") {
		hints.RLock()
		call, ok := hints.byFamily[name[:i]]
		hints.RUnlock()
		if ok {
			return fmt.Errorf("%w %q: register it with "+call+" (with the Go type, or after naming it with RegisterName)", ErrUnknownType, name, name[i+1:len(name)-1])
		}
	}
	return fmt.Errorf("%w %q: no package registered it (import the package that defines it; register Structs with compound.RegisterStruct, other types with payload.Register)", ErrUnknownType, name)
}
