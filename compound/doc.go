// Package compound builds CRDTs out of other CRDTs: structs of named CRDT
// fields, and maps from keys to CRDTs. Both are CRDTs themselves, so they
// nest to any depth (a struct of maps of sets, a map of structs) and
// everything in crdtkit that handles a CRDT handles them: payloads, stores,
// replication and the crdttest law checker.
//
// # Structs of CRDT fields
//
// [Struct] composes a CRDT from the fields of a plain Go struct, with no code
// per field. Declare the fields, tag each with its name, and register the
// type with a constructor of empty fields:
//
//	type Friendship struct {
//		Following *sets.LWWSet[string] `crdt:"following"`
//		Followers *sets.LWWSet[string] `crdt:"followers"`
//	}
//
//	var FriendshipType = compound.MustRegisterStruct("friendship.Friendship",
//		func(r crdt.ReplicaID) Friendship {
//			return Friendship{Following: sets.NewLWWSet[string](r), Followers: sets.NewLWWSet[string](r)}
//		})
//
//	f := FriendshipType.New(replica) // *compound.Struct[Friendship]
//	err := f.Fields().Following.Add("bob")
//
// Merge, Clone, Payload, LoadPayload, Value and TakeDelta come from the
// fields, matched by name: a merge cannot join one field from another
// (the bug of a hand-written Friendship merge that joined followers from the
// two following sets). The reflection over the struct is done once per type.
// Domain operations are methods on the fields struct or plain functions,
// reached through [Struct.Fields]. Every field must be a tagged CRDT: an
// untagged field is rejected when the type is defined.
//
// # Maps of CRDTs
//
// [Map] is an observed-remove map from keys to CRDTs of one type (counters,
// sets, registers, Structs, other Maps), add-wins on keys and without
// tombstones; see its documentation. A Map can be a field of a Struct, and a
// Struct can be the value type of a Map.
//
// # Checking a composed type
//
// A Struct obeys the CRDT laws when each field type does; run the crdttest
// law checker on the composed type anyway, since it also checks the payload
// round trip through the registry and the deltas of your domain operations.
// See docs/compound.md.
//
// This package does no I/O.
package compound
