package cli

import (
	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/sets"

	// Every package of the toolbox that defines payload types registers
	// them with payload.Default when imported.
	_ "github.com/crdtkit/crdtkit/registers"
)

// friendship has the fields of examples/friendship's and examples/cluster's
// Friendship, so that the command reads the stores those examples write.
type friendship struct {
	Followers *sets.LWWSet[string] `crdt:"followers"`
	Following *sets.LWWSet[string] `crdt:"following"`
}

func init() {
	// Common instantiations that the packages do not register themselves
	// (all idempotent, so a package that starts registering one later
	// does not clash).
	compound.RegisterLWWMap[string, string]()
	compound.RegisterMVMap[string, string]()
	compound.RegisterMap[string](counters.NewGCounter)
	compound.RegisterMap[string](sets.NewORSet[string])
	compound.RegisterMap[string](sets.NewLWWSet[string])

	// The examples' composed type. A name taken already (by a program
	// that embeds this package and registers its own) is left alone.
	_, _ = compound.RegisterStruct("friendship.Friendship", func(r crdt.ReplicaID) friendship {
		clock := crdt.NewClock(r, nil)
		return friendship{
			Followers: sets.NewLWWSetWithClock[string](clock),
			Following: sets.NewLWWSetWithClock[string](clock),
		}
	})
}
