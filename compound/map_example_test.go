package compound_test

import (
	"fmt"
	"strings"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/registers"
)

type stock = compound.Map[string, *counters.PNCounter]

func show(name string, m *stock) {
	var parts []string
	for k, v := range m.All() {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v.Value()))
	}
	fmt.Printf("%s: %s\n", name, strings.Join(parts, " "))
}

func add(n uint64) func(*counters.PNCounter) error {
	return func(c *counters.PNCounter) error { return c.Inc(n) }
}

// Three replicas of a stock list diverge (concurrent removes and updates of
// the same keys) and converge by exchanging deltas in different orders.
func ExampleMap() {
	a := compound.NewMap[string]("a", counters.NewPNCounter)
	b := compound.NewMap[string]("b", counters.NewPNCounter)
	c := compound.NewMap[string]("c", counters.NewPNCounter)
	all := []*stock{a, b, c}

	// send merges the pending delta of from into the other replicas.
	send := func(from *stock) {
		d, ok := from.TakeDelta()
		if !ok {
			return
		}
		for _, to := range all {
			if to != from {
				_ = to.Merge(d)
			}
		}
	}

	// Everyone starts from the same stock.
	_ = a.Update("apples", add(5))
	_ = b.Update("pears", add(3))
	send(a)
	send(b)
	show("start", c)

	// Diverge, without talking to each other:
	a.Remove("apples")              // a sold out the apples ...
	_ = b.Update("apples", add(2))  // ... while b received two more.
	c.Remove("pears")               // c dropped pears ...
	_ = a.Update("pears", add(1))   // ... while a received one more.
	_ = c.Update("plums", add(4))   // c added plums.
	_ = c.Update("apples", add(10)) // c counted 10 apples, then
	c.Remove("apples")              // removed them again.
	show("a", a)
	show("b", b)
	show("c", c)

	// Converge: each sends its delta to the others, in a different order
	// for each receiver.
	send(c)
	send(a)
	send(b)
	show("a", a)
	show("b", b)
	show("c", c)

	pa, _ := payload.Marshal(a)
	pc, _ := payload.Marshal(c)
	fmt.Println("identical payloads:", string(pa) == string(pc))
	// Output:
	// start: apples=5 pears=3
	// a: pears=4
	// b: apples=7 pears=3
	// c: plums=4
	// a: apples=7 pears=4 plums=4
	// b: apples=7 pears=4 plums=4
	// c: apples=7 pears=4 plums=4
	// identical payloads: true
}

// A map of last-writer-wins registers: per-key profile fields that replicas
// overwrite. Register the instantiation once to decode its payloads.
func ExampleMap_lww() {
	compound.RegisterMap[string](registers.NewLWW[string])

	alice := compound.NewMap[string]("alice-laptop", registers.NewLWW[string])
	_ = alice.Update("name", func(r *registers.LWW[string]) error { return r.Set("Alice") })
	_ = alice.Update("city", func(r *registers.LWW[string]) error { return r.Set("Lisbon") })

	data, _ := payload.Marshal(alice)
	phone, err := payload.UnmarshalAs[*compound.Map[string, *registers.LWW[string]]](data, crdt.ReplicaID("alice-phone"))
	if err != nil {
		fmt.Println(err)
		return
	}
	phone.Remove("city")
	_ = phone.Update("name", func(r *registers.LWW[string]) error { return r.Set("Alice B.") })
	_ = alice.Merge(phone)

	fmt.Println(alice.TypeName())
	for k, r := range alice.All() {
		fmt.Printf("%s: %s\n", k, r.Value())
	}
	// Output:
	// compound.Map[string,registers.LWW[string]]
	// name: Alice B.
}

// The payload of a map, and the deltas of an update and of a remove.
func ExampleMap_payload() {
	a := compound.NewMap[string]("a", counters.NewPNCounter)
	b := compound.NewMap[string]("b", counters.NewPNCounter)
	_ = a.Update("apples", add(2))
	_ = b.Update("apples", add(1)) // concurrent: two slots after the merge
	_ = a.Update("pears", add(1))
	_ = a.Merge(b)
	a.TakeDelta()

	full, _ := payload.Marshal(a)
	fmt.Println(string(full))

	_ = a.Update("pears", add(1))
	delta, _ := a.TakeDelta()
	d, _ := payload.Marshal(delta)
	fmt.Println(string(d))

	a.Remove("apples")
	delta, _ = a.TakeDelta()
	d, _ = payload.Marshal(delta)
	fmt.Println(string(d))
	// Output:
	// {"state":{"context":{"cloud":[],"vv":[{"n":2,"r":"a"},{"n":1,"r":"b"}]},"entries":[{"key":"apples","values":[{"dot":{"n":1,"r":"a"},"value":{"n":{"counts":[]},"p":{"counts":[{"n":2,"r":"a"}]}}},{"dot":{"n":1,"r":"b"},"value":{"n":{"counts":[]},"p":{"counts":[{"n":1,"r":"b"}]}}}]},{"key":"pears","values":[{"dot":{"n":2,"r":"a"},"value":{"n":{"counts":[]},"p":{"counts":[{"n":1,"r":"a"}]}}}]}]},"type":"compound.Map[string,counters.PNCounter]","version":1}
	// {"state":{"context":{"cloud":[{"n":2,"r":"a"},{"n":3,"r":"a"}],"vv":[]},"entries":[{"key":"pears","values":[{"dot":{"n":3,"r":"a"},"value":{"n":{"counts":[]},"p":{"counts":[{"n":2,"r":"a"}]}}}]}]},"type":"compound.Map[string,counters.PNCounter]","version":1}
	// {"state":{"context":{"cloud":[],"vv":[{"n":1,"r":"a"},{"n":1,"r":"b"}]},"entries":[]},"type":"compound.Map[string,counters.PNCounter]","version":1}
}

// A map of multi-value registers: concurrent writes of one key stay side by
// side until a later write that has seen them both.
func ExampleNewMVMap() {
	compound.RegisterMVMap[string, string]()
	ida := registers.SeedIdentity() // the first replica owns the whole id space
	idb := ida.Fork()               // a second replica gets half of it

	a := compound.NewMVMap[string, string]("a")
	_ = a.Update("title", func(r *registers.MV[string]) error { return r.Set(ida, "Draft") })
	data, _ := payload.Marshal(a)
	b, _ := payload.UnmarshalAs[*compound.MVMap[string, string]](data, "b")

	_ = a.Update("title", func(r *registers.MV[string]) error { return r.Set(ida, "Report") })
	_ = b.Update("title", func(r *registers.MV[string]) error { return r.Set(idb, "Summary") })
	_ = a.Merge(b)
	t, _ := a.Get("title")
	fmt.Println(t.Value())

	_ = a.Update("title", func(r *registers.MV[string]) error { return r.Set(ida, "Final report") })
	_ = b.Merge(a)
	t, _ = b.Get("title")
	fmt.Println(t.Value(), b.TypeName())
	// Output:
	// [Report Summary]
	// [Final report] compound.Map[string,registers.MV[string]]
}
