package crdttest_test

import (
	"fmt"

	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
)

// A Spec names the constructor of empty states and one random mutation;
// Verify checks every law and returns the violations. In a test, use
// crdttest.Check(t, spec) instead, which reports each law as a subtest.
// (gset is a tiny grow-only set of small integers defined in this package's
// tests and registered with package payload.)
func ExampleVerify() {
	spec := crdttest.Spec[*gset, []int]{
		New: newGSet(correct),
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *gset) {
			s.Add(rapid.IntRange(0, 4).Draw(t, "element"))
		},
	}
	if err := crdttest.Verify(spec); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("lawful")
	// Output: lawful
}

// A merge that takes the other replica's value is not commutative, and
// Verify names the law it breaks.
func ExampleVerify_broken() {
	spec := crdttest.Spec[*reg, int]{
		New: newReg(lastMergeWins),
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, r *reg) {
			r.Set(rapid.IntRange(0, 5).Draw(t, "value"))
		},
	}
	err := crdttest.Verify(spec, crdttest.Only(crdttest.LawCommutative))
	fmt.Println(crdttest.Violated(err))
	// Output: [commutative]
}
