package registers_test

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/registers"
)

// replica is what an application keeps per replica: its identity and its
// state. Both are saved together when the replica stops.
type replica struct {
	name string
	id   *registers.Identity
	reg  *registers.MV[string]
}

// fork creates a new replica from r: half of r's identity and a copy of r's
// state, shipped as a payload.
func (r *replica) fork(name string) *replica {
	data, _ := payload.Marshal(r.reg)
	reg, _ := payload.UnmarshalAs[*registers.MV[string]](data, crdt.ReplicaID(name))
	return &replica{name: name, id: r.id.Fork(), reg: reg}
}

// retire merges r's final state into into, then hands over r's identity.
func (r *replica) retire(into *replica) error {
	if err := into.reg.Merge(r.reg); err != nil {
		return err
	}
	return r.id.Retire(into.id)
}

func (r *replica) show() {
	data, _ := payload.Marshal(r.reg)
	state := strings.TrimSuffix(strings.TrimPrefix(string(data), `{"state":`), `,"type":"registers.MV[string]","version":1}`)
	fmt.Printf("%-6s id %-13s value %-30s state %s\n", r.name, r.id, fmt.Sprintf("%q", r.reg.Value()), state)
}

// Three replicas diverge and converge. Concurrent writes survive as
// siblings; a write that has seen them all replaces them; a retiring replica
// hands its state and its identity to a survivor.
func ExampleMV() {
	alice := &replica{name: "alice", id: registers.SeedIdentity(), reg: registers.NewMV[string]("alice")}
	_ = alice.reg.Set(alice.id, "draft")
	bob := alice.fork("bob")
	carol := bob.fork("carol")
	fmt.Println("-- forked from the seed, all hold alice's draft")
	for _, r := range []*replica{alice, bob, carol} {
		r.show()
	}

	_ = alice.reg.Set(alice.id, "red")
	_ = bob.reg.Set(bob.id, "green")
	_ = carol.reg.Set(carol.id, "blue")
	fmt.Println("-- three concurrent writes")
	for _, r := range []*replica{alice, bob, carol} {
		r.show()
	}

	// alice receives bob's write as a delta, carol receives alice's state.
	d, _ := bob.reg.TakeDelta()
	_ = alice.reg.Merge(d)
	_ = carol.reg.Merge(alice.reg)
	fmt.Println("-- after some gossip")
	for _, r := range []*replica{alice, bob, carol} {
		r.show()
	}

	// carol has seen all three and resolves them into one write.
	_ = carol.reg.Resolve(carol.id, func(vs []string) string { return strings.Join(vs, "+") })
	_ = alice.reg.Merge(carol.reg)
	_ = bob.reg.Merge(alice.reg)
	fmt.Println("-- carol resolves, the others merge: converged")
	for _, r := range []*replica{alice, bob, carol} {
		r.show()
	}

	// carol leaves: bob merges her final state and takes her identity.
	_ = carol.retire(bob)
	_ = bob.reg.Set(bob.id, "final")
	_ = alice.reg.Merge(bob.reg)
	fmt.Println("-- carol retired into bob, bob writes")
	for _, r := range []*replica{alice, bob, carol} {
		r.show()
	}
	// Output:
	// -- forked from the seed, all hold alice's draft
	// alice  id (1, 0)        value ["draft"]                      state {"clock":1,"values":[{"event":1,"value":"draft"}]}
	// bob    id (0, (1, 0))   value ["draft"]                      state {"clock":1,"values":[{"event":1,"value":"draft"}]}
	// carol  id (0, (0, 1))   value ["draft"]                      state {"clock":1,"values":[{"event":1,"value":"draft"}]}
	// -- three concurrent writes
	// alice  id (1, 0)        value ["red"]                        state {"clock":[1,1,0],"values":[{"event":[1,1,0],"value":"red"}]}
	// bob    id (0, (1, 0))   value ["green"]                      state {"clock":[1,0,[0,1,0]],"values":[{"event":[1,0,[0,1,0]],"value":"green"}]}
	// carol  id (0, (0, 1))   value ["blue"]                       state {"clock":[1,0,[0,0,1]],"values":[{"event":[1,0,[0,0,1]],"value":"blue"}]}
	// -- after some gossip
	// alice  id (1, 0)        value ["green" "red"]                state {"clock":[1,1,[0,1,0]],"values":[{"event":[1,0,[0,1,0]],"value":"green"},{"event":[1,1,0],"value":"red"}]}
	// bob    id (0, (1, 0))   value ["green"]                      state {"clock":[1,0,[0,1,0]],"values":[{"event":[1,0,[0,1,0]],"value":"green"}]}
	// carol  id (0, (0, 1))   value ["blue" "green" "red"]         state {"clock":2,"values":[{"event":[1,0,[0,0,1]],"value":"blue"},{"event":[1,0,[0,1,0]],"value":"green"},{"event":[1,1,0],"value":"red"}]}
	// -- carol resolves, the others merge: converged
	// alice  id (1, 0)        value ["blue+green+red"]             state {"clock":[2,0,[0,0,1]],"values":[{"event":[2,0,[0,0,1]],"value":"blue+green+red"}]}
	// bob    id (0, (1, 0))   value ["blue+green+red"]             state {"clock":[2,0,[0,0,1]],"values":[{"event":[2,0,[0,0,1]],"value":"blue+green+red"}]}
	// carol  id (0, (0, 1))   value ["blue+green+red"]             state {"clock":[2,0,[0,0,1]],"values":[{"event":[2,0,[0,0,1]],"value":"blue+green+red"}]}
	// -- carol retired into bob, bob writes
	// alice  id (1, 0)        value ["final"]                      state {"clock":[2,0,1],"values":[{"event":[2,0,1],"value":"final"}]}
	// bob    id (0, 1)        value ["final"]                      state {"clock":[2,0,1],"values":[{"event":[2,0,1],"value":"final"}]}
	// carol  id 0             value ["blue+green+red"]             state {"clock":[2,0,[0,0,1]],"values":[{"event":[2,0,[0,0,1]],"value":"blue+green+red"}]}
}

// Replicas come and go for 3,000 steps: each step one replica writes and
// one merges another's state; the population moves between 2 and 12 by
// forking new replicas and retiring old ones into random survivors. The
// clock in the payload follows the live population, while a version vector
// would keep an entry for every replica ever created.
func ExampleIdentity_lifecycle() {
	rng := rand.New(rand.NewPCG(1, 2))
	live := []*replica{{name: "r0", id: registers.SeedIdentity(), reg: registers.NewMV[string]("r0")}}
	created := 1
	for phase, target := range []int{12, 2, 8} {
		for step := range 1000 {
			w := live[rng.IntN(len(live))]
			if err := w.reg.Set(w.id, fmt.Sprint("v", phase, ".", step)); err != nil {
				panic(err)
			}
			if a, b := live[rng.IntN(len(live))], live[rng.IntN(len(live))]; a != b {
				_ = a.reg.Merge(b.reg)
			}
			switch n := len(live); {
			case n < target || (n == target && rng.IntN(8) == 0):
				live = append(live, live[rng.IntN(n)].fork(fmt.Sprint("r", created)))
				created++
			case n > target:
				i := rng.IntN(n)
				into := live[(i+1+rng.IntN(n-1))%n]
				if err := live[i].retire(into); err != nil {
					panic(err)
				}
				live = append(live[:i], live[i+1:]...)
			}
		}
		largest := 0
		for _, r := range live {
			b, _ := r.reg.Clock().MarshalJSON()
			largest = max(largest, len(b))
		}
		fmt.Printf("live %2d, created %3d: largest clock %3d bytes (a version vector: %d entries)\n", len(live), created, largest, created)
	}
	// Output:
	// live 12, created 111: largest clock 252 bytes (a version vector: 111 entries)
	// live  2, created 218: largest clock  15 bytes (a version vector: 218 entries)
	// live  8, created 333: largest clock 112 bytes (a version vector: 333 entries)
}
