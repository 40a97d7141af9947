package compound_test

// The code of the README's section on compound types, kept here so that it
// compiles and runs: ExampleRegisterStruct and TestREADMEFriendshipLaws.

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
)

// Friendship is one user's side of the follow graph.
type Friendship struct {
	Followers *sets.LWWSet[string] `crdt:"followers"`
	Following *sets.LWWSet[string] `crdt:"following"`
}

// FriendshipType registers the composed type for payloads.
var FriendshipType = compound.MustRegisterStruct("friends.Friendship",
	func(r crdt.ReplicaID) Friendship {
		clock := crdt.NewClock(r, nil)
		return Friendship{
			Followers: sets.NewLWWSetWithClock[string](clock),
			Following: sets.NewLWWSetWithClock[string](clock),
		}
	})

func ExampleRegisterStruct() {
	alice := FriendshipType.New("replica-a")
	_ = alice.Fields().Following.Add("bob")

	other := FriendshipType.New("replica-b")
	_ = other.Fields().Followers.Add("carol")

	_ = alice.Merge(other)
	fmt.Println(alice.Value()) // map[followers:[carol] following:[bob]]

	data, _ := payload.Marshal(alice)
	back, _ := payload.UnmarshalAs[*compound.Struct[Friendship]](data, "replica-c")
	fmt.Println(back.Fields().Following.Value()) // [bob]
	// Output:
	// map[followers:[carol] following:[bob]]
	// [bob]
}

func TestREADMEFriendshipLaws(t *testing.T) {
	users := rapid.SampledFrom([]string{"alice", "bob", "carol"})
	crdttest.Check(t, crdttest.Spec[*compound.Struct[Friendship], map[string]any]{
		New: FriendshipType.New,
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *compound.Struct[Friendship]) {
			set := s.Fields().Following
			if rapid.Bool().Draw(t, "followers") {
				set = s.Fields().Followers
			}
			var err error
			if rapid.Bool().Draw(t, "remove") {
				err = set.Remove(users.Draw(t, "user"))
			} else {
				err = set.Add(users.Draw(t, "user"))
			}
			if err != nil {
				t.Fatal(err)
			}
		},
	})
}
