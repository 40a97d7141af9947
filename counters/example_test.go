package counters_test

import (
	"fmt"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/payload"
)

func Example() {
	// Two replicas of a like counter, each bound to its own replica id.
	alice := counters.NewPNCounter("alice")
	bob := counters.NewPNCounter("bob")
	_ = alice.Inc(3)
	_ = bob.Inc(2)
	_ = bob.Dec(1)

	// Exchange states in any order, any number of times.
	_ = alice.Merge(bob)
	_ = bob.Merge(alice)
	_ = bob.Merge(alice)
	fmt.Println(alice.Value(), bob.Value())

	data, _ := payload.Marshal(alice)
	fmt.Println(string(data))

	// Loading binds the state to the replica the caller names.
	restored, _ := payload.UnmarshalAs[*counters.PNCounter](data, "alice")
	_ = restored.Inc(1)
	fmt.Println(restored.Value())
	// Output:
	// 4 4
	// {"state":{"n":{"counts":[{"n":1,"r":"bob"}]},"p":{"counts":[{"n":3,"r":"alice"},{"n":2,"r":"bob"}]}},"type":"counters.PNCounter","version":1}
	// 5
}

func ExampleGCounter() {
	views := counters.NewGCounter("web-1")
	_ = views.Inc(10)
	other := counters.NewGCounter("web-2")
	_ = other.Inc(5)
	_ = views.Merge(other)
	delta, _ := views.TakeDelta() // what web-1's increments changed
	data, _ := payload.Marshal(views)
	d, _ := payload.Marshal(delta)
	fmt.Println(views.Value())
	fmt.Println(string(data))
	fmt.Println(string(d))
	// Output:
	// 15
	// {"state":{"counts":[{"n":10,"r":"web-1"},{"n":5,"r":"web-2"}]},"type":"counters.GCounter","version":1}
	// {"state":{"counts":[{"n":10,"r":"web-1"}]},"type":"counters.GCounter","version":1}
}
