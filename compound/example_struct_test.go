package compound_test

import (
	"fmt"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// Poll is a fields struct: every field is a CRDT, named by its tag.
type Poll struct {
	Yes *counters.GCounter `crdt:"yes"`
	No  *counters.GCounter `crdt:"no"`
}

// PollType registers the composed type once, with a constructor of empty
// fields bound to a replica.
var PollType = compound.MustRegisterStruct("example.Poll", func(r crdt.ReplicaID) Poll {
	return Poll{Yes: counters.NewGCounter(r), No: counters.NewGCounter(r)}
})

// Domain operations are methods on the fields struct.
func (p *Poll) Vote(yes bool) error {
	if yes {
		return p.Yes.Inc(1)
	}
	return p.No.Inc(1)
}

func ExampleStruct() {
	a := PollType.New("replica-a")
	b := PollType.New("replica-b")
	_ = a.Fields().Vote(true)
	_ = b.Fields().Vote(true)
	_ = b.Fields().Vote(false)

	// Merge, Payload and Value come from the fields, with no code per field.
	if err := a.Merge(b); err != nil {
		fmt.Println(err)
	}
	fmt.Println(a.Fields().Yes.Value(), a.Fields().No.Value())
	fmt.Println(a.Value())

	data, _ := payload.Marshal(a)
	fmt.Println(string(data))

	// The registry rebuilds it, bound to the replica that loads it.
	c, _ := payload.UnmarshalAs[*compound.Struct[Poll]](data, "replica-c")
	fmt.Println(c.Replica(), c.Value())
	// Output:
	// 2 1
	// map[no:1 yes:2]
	// {"state":{"no":{"counts":[{"n":1,"r":"replica-b"}]},"yes":{"counts":[{"n":1,"r":"replica-a"},{"n":1,"r":"replica-b"}]}},"type":"example.Poll","version":1}
	// replica-c map[no:1 yes:2]
}

// Structs nest: a field can be another Struct (or a compound map).
func ExampleStruct_nested() {
	type Ballot struct {
		Poll   *compound.Struct[Poll] `crdt:"poll"`
		Voters *counters.PNCounter    `crdt:"voters"`
	}
	ballotType, err := compound.DefineStruct("example.Ballot", func(r crdt.ReplicaID) Ballot {
		return Ballot{Poll: PollType.New(r), Voters: counters.NewPNCounter(r)}
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	x := ballotType.New("x")
	_ = x.Fields().Poll.Fields().Vote(false)
	_ = x.Fields().Voters.Inc(1)
	delta, _ := x.TakeDelta()
	fmt.Println(delta.Value())
	// Output:
	// map[poll:map[no:1 yes:0] voters:1]
}
