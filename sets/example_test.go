package sets_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
)

func Example() {
	// Two replicas of a tag set diverge and merge.
	a := sets.NewGSet[string]("a")
	b := sets.NewGSet[string]("b")
	a.Add("go")
	b.Add("crdt")
	b.Add("go")
	_ = a.Merge(b)
	fmt.Println(a.Value())

	// The payload names its type, so it decodes without knowing it.
	data, _ := payload.Marshal(a)
	fmt.Println(string(data))
	s, _ := payload.Unmarshal(data, "c")
	fmt.Println(s.TypeName())
	// Output:
	// [crdt go]
	// {"state":{"elements":["crdt","go"]},"type":"sets.GSet[string]","version":1}
	// sets.GSet[string]
}

func ExampleGSet_structElements() {
	type point struct {
		X int `json:"x"`
		Y int `json:"y"`
	}
	sets.RegisterGSet[point]() // once, before decoding payloads of GSet[point]
	s := sets.NewGSet[point]("a")
	s.Add(point{X: 2, Y: 1})
	s.Add(point{X: 10, Y: 0})
	data, _ := payload.Marshal(s)
	fmt.Println(string(data))
	// Output:
	// {"state":{"elements":[{"x":10,"y":0},{"x":2,"y":1}]},"type":"sets.GSet[sets_test.point]","version":1}
}

func ExampleTwoPSet() {
	s := sets.NewTwoPSet[int]("a")
	_ = s.Add(1)
	_ = s.Add(2)
	s.Remove(2)
	err := s.Add(2) // a removed element can never come back
	fmt.Println(s.Value(), errors.Is(err, sets.ErrRemoved))
	data, _ := payload.Marshal(s)
	fmt.Println(string(data))
	// Output:
	// [1] true
	// {"state":{"elements":[1],"removed":[2]},"type":"sets.TwoPSet[int]","version":1}
}

func ExampleLWWSet() {
	// Fake wall clocks, 250 ms apart, for reproducible timestamps.
	t0 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	alice := sets.NewLWWSetWithClock[string](crdt.NewClock("alice", func() time.Time { return t0 }))
	bob := sets.NewLWWSetWithClock[string](crdt.NewClock("bob", func() time.Time { return t0.Add(250 * time.Millisecond) }))

	_ = alice.Add("carol")
	_ = alice.Add("dave")
	_ = bob.Merge(alice)
	_ = bob.Remove("dave") // later than alice's add: the remove wins
	_ = alice.Merge(bob)
	fmt.Println(alice.Value(), bob.Value())

	data, _ := payload.Marshal(alice)
	fmt.Println(string(data))
	// Output:
	// [carol] [carol]
	// {"state":{"elements":[{"add":{"l":0,"r":"alice","w":1795348800000000000},"elem":"carol"},{"add":{"l":1,"r":"alice","w":1795348800000000000},"elem":"dave","remove":{"l":0,"r":"bob","w":1795348800250000000}}]},"type":"sets.LWWSet[string]","version":1}
}
