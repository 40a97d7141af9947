package payload

import (
	"fmt"
	"sort"
	"sync"

	"github.com/crdtkit/crdtkit/crdt"
)

// Type describes a registered CRDT type: how its payloads are named and
// versioned and how to make an empty state to decode into.
type Type struct {
	// Name is the type name written in envelopes; it must equal the
	// TypeName of the states that New returns.
	Name string
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

// Registry maps type names to [Type]s. The zero Registry is empty and ready
// to use; it is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	types map[string]Type
}

// Default is the registry used by the package-level functions. The toolbox's
// own types register themselves here when their packages are imported.
var Default = &Registry{}

// Register adds t. It returns an error wrapping [ErrDuplicateType] if the name
// is taken, and an error wrapping [ErrInvalid] if t is incomplete.
func (r *Registry) Register(t Type) error {
	if t.Name == "" || t.Version < 1 || t.New == nil {
		return fmt.Errorf("%w: type registration needs a name, a version >= 1 and New", ErrInvalid)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.types[t.Name]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicateType, t.Name)
	}
	if r.types == nil {
		r.types = make(map[string]Type)
	}
	r.types[t.Name] = t
	return nil
}

// MustRegister is like Register but panics on error. It is meant for init
// functions, where a duplicate name is a programming error.
func (r *Registry) MustRegister(t Type) {
	if err := r.Register(t); err != nil {
		panic(err)
	}
}

// Lookup returns the type registered under name.
func (r *Registry) Lookup(name string) (Type, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.types[name]
	return t, ok
}

// Names returns the registered type names in sorted order.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.types))
	for n := range r.types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Register adds t to [Default].
func Register(t Type) error { return Default.Register(t) }

// MustRegister adds t to [Default] and panics on error.
func MustRegister(t Type) { Default.MustRegister(t) }
