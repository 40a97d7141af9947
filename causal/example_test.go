package causal_test

import (
	"encoding/json"
	"fmt"

	"github.com/crdtkit/crdtkit/causal"
)

// Two replicas keep an add-wins key set in a DotMap beside a Context. Replica
// a removes "x" while b concurrently re-adds it: b's new dot was not seen by
// a's remove, so "x" survives the join. "y", removed by a after b saw its
// add, is gone.
func Example() {
	var ctxA causal.Context
	var keysA causal.DotMap[string]
	x, _ := ctxA.Next("a")
	y, _ := ctxA.Next("a")
	keysA.Set("x", causal.DotSetOf(x))
	keysA.Set("y", causal.DotSetOf(y))

	// b starts as a copy of a.
	ctxB := ctxA.Clone()
	keysB := keysA.Clone()

	// a removes both keys: their dots leave the store but stay in the context.
	keysA.Delete("x")
	keysA.Delete("y")
	// b re-adds "x" with a dot of its own.
	x2, _ := ctxB.Next("b")
	keysB.Set("x", causal.DotSetOf(x2))

	// Join b into a: store first, with a's context as it was, then contexts.
	keysA.Join(&ctxA, &keysB, ctxB)
	ctxA.Merge(ctxB)

	for k, dots := range keysA.All() {
		fmt.Println(k, dots.Len(), "dot(s):", dots.AppendTo(nil))
	}
	out, _ := json.Marshal(&ctxA)
	fmt.Println(string(out))
	// Output:
	// x 1 dot(s): [b:1]
	// {"cloud":[],"vv":[{"n":2,"r":"a"},{"n":1,"r":"b"}]}
}

// A context records the dots it has seen compactly: a dot that arrives
// before its predecessors waits in the cloud until the gap is filled.
func ExampleContext() {
	var c causal.Context
	c.Add(causal.Dot{Replica: "a", Counter: 1})
	c.Add(causal.Dot{Replica: "a", Counter: 3})
	out, _ := json.Marshal(&c)
	fmt.Println(string(out))

	c.Add(causal.Dot{Replica: "a", Counter: 2})
	out, _ = json.Marshal(&c)
	fmt.Println(string(out))
	next, _ := c.Next("a")
	fmt.Println(c.Contains(causal.Dot{Replica: "a", Counter: 3}), next)
	// Output:
	// {"cloud":[{"n":3,"r":"a"}],"vv":[{"n":1,"r":"a"}]}
	// {"cloud":[],"vv":[{"n":3,"r":"a"}]}
	// true a:4
}
