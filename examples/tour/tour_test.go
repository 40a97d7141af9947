package tour_test

import (
	"context"
	"fmt"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/itc"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/registers"
	"github.com/crdtkit/crdtkit/sets"
	"github.com/crdtkit/crdtkit/store"
)

// Example_counters is the README's first snippet: two replicas count apart
// and merge.
func Example_counters() {
	a := counters.NewPNCounter("replica-a")
	b := counters.NewPNCounter("replica-b")
	_ = a.Inc(5)
	_ = b.Inc(3)
	_ = b.Dec(1)

	merged, _ := crdt.Merge(a, b) // a and b are left alone
	fmt.Println(merged.Value())
	// Output: 7
}

// Example_orset shows add-wins: a concurrent add survives a remove.
func Example_orset() {
	a := sets.NewORSet[string]("replica-a")
	_ = a.Add("milk")
	b := a.Clone()
	_ = b.Merge(a) // b has seen a's add

	a.Remove("milk")  // a removes what it has seen...
	_ = b.Add("milk") // ...while b adds it again, concurrently

	_ = a.Merge(b)
	fmt.Println(a.Value())
	// Output: [milk]
}

// Example_payload shows a payload and decoding it without knowing its type.
func Example_payload() {
	c := counters.NewGCounter("replica-a")
	_ = c.Inc(2)
	data, _ := payload.Marshal(c)
	fmt.Println(string(data))

	s, _ := payload.Unmarshal(data, "replica-b") // bound to our own replica
	fmt.Println(s.(*counters.GCounter).Value())
	// Output:
	// {"state":{"counts":[{"n":2,"r":"replica-a"}]},"type":"counters.GCounter","version":1}
	// 2
}

// Example_deltas shows that a mutation's delta is all a peer needs.
func Example_deltas() {
	a := sets.NewORSet[string]("replica-a")
	b := sets.NewORSet[string]("replica-b")
	_ = a.Add("x")
	_ = a.Add("y")
	delta, _ := a.TakeDelta()
	_ = b.Merge(delta)
	fmt.Println(b.Value(), payload.Equal(a, b))
	// Output: [x y] true
}

// Example_mv shows concurrent writes kept side by side by an MV register.
func Example_mv() {
	alice := registers.SeedIdentity()
	bob := alice.Fork() // bob gets half of alice's share of the id space

	ra := registers.NewMV[string]("a")
	rb := ra.Clone()
	_ = ra.Set(alice, "tea")
	_ = rb.Set(bob, "coffee")
	_ = ra.Merge(rb)
	fmt.Println(ra.Value())

	_ = ra.Resolve(alice, func(vs []string) string { return vs[0] + " and " + vs[1] })
	fmt.Println(ra.Value())
	// Output:
	// [coffee tea]
	// [coffee and tea]
}

// Example_map shows a map of counters.
func Example_map() {
	votes := compound.NewMap[string]("replica-a", counters.NewPNCounter)
	_ = votes.Update("go", func(c *counters.PNCounter) error { return c.Inc(3) })
	_ = votes.Update("rust", func(c *counters.PNCounter) error { return c.Inc(2) })
	for k, c := range votes.All() {
		fmt.Println(k, c.Value())
	}
	// Output:
	// go 3
	// rust 2
}

// Example_itc shows the paper's fork-event-join.
func Example_itc() {
	a, b := itc.NewStamp().Fork()
	a, _ = a.Event()
	b, _ = b.Event()
	fmt.Println(a, b, a.Compare(b))
	j, _ := a.Join(b)
	fmt.Println(j)
	// Output:
	// {(1, 0); (0, 1, 0)} {(0, 1); (0, 0, 1)} Concurrent
	// {1; 1}
}

// Example_store shows store.Update, the way to change a stored value: it
// starts from what is stored and writes only the change.
func Example_store() {
	ctx := context.Background()
	st, _ := store.New(store.NewMemory(), "replica-a")
	inc := func(c *counters.PNCounter) error { return c.Inc(4) }
	_, _ = store.Update(ctx, st, "visits", counters.NewPNCounter, inc)
	_, _ = store.Update(ctx, st, "visits", counters.NewPNCounter, inc) // a second run adds to the first
	got, _ := store.GetAs[*counters.PNCounter](ctx, st, "visits")
	fmt.Println(got.Value())
	// Output: 8
}
