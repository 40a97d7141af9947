package sets_test

import (
	"fmt"

	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
)

// Two replicas share a guest list. Alice removes "bob" while Carol, who has
// not seen the remove, adds him again: add wins. The removal of "dave", which
// Carol's replica had seen, sticks.
func ExampleORSet() {
	alice := sets.NewORSet[string]("alice")
	_ = alice.Add("bob")
	_ = alice.Add("dave")

	carol := sets.NewORSet[string]("carol")
	_ = carol.Merge(alice)

	alice.Remove("bob")
	alice.Remove("dave")
	_ = carol.Add("bob")

	_ = alice.Merge(carol)
	_ = carol.Merge(alice)
	fmt.Println(alice.Value(), carol.Value())

	// The payload holds the live elements, their dots and a causal context
	// with one entry per replica: no tombstone for "dave".
	data, _ := payload.Marshal(alice)
	fmt.Println(string(data))
	// Output:
	// [bob] [bob]
	// {"state":{"context":{"cloud":[],"vv":[{"n":2,"r":"alice"},{"n":1,"r":"carol"}]},"elements":[{"dots":[{"n":1,"r":"carol"}],"e":"bob"}]},"type":"sets.ORSet[string]","version":1}
}

// Deltas carry a mutation's effect. A remove's delta holds no element, only
// the dots it removes, and it works even if it arrives before the add.
func ExampleORSet_TakeDelta() {
	a := sets.NewORSet[string]("a")
	_ = a.Add("x")
	add, _ := a.TakeDelta()
	a.Remove("x")
	remove, _ := a.TakeDelta()

	b := sets.NewORSet[string]("b")
	_ = b.Merge(remove) // out of order
	_ = b.Merge(add)
	fmt.Println(b.Len(), b.Contains("x"))
	// Output:
	// 0 false
}
