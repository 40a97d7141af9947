package crdttest_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
)

func regSpec(b bug) crdttest.Spec[*reg, int] {
	return crdttest.Spec[*reg, int]{
		New: newReg(b),
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, r *reg) {
			r.Set(rapid.IntRange(0, 5).Draw(t, "set"))
		},
	}
}

func gsetSpec(b bug) crdttest.Spec[*gset, []int] {
	return crdttest.Spec[*gset, []int]{
		New: newGSet(b),
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *gset) {
			s.Add(rapid.IntRange(0, 4).Draw(t, "add"))
		},
	}
}

func pairSpec(b bug) crdttest.Spec[*pair, pairValue] {
	return crdttest.Spec[*pair, pairValue]{
		New: newPair(b),
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, p *pair) {
			x := rapid.IntRange(0, 3).Draw(t, "element")
			if rapid.Bool().Draw(t, "field a") {
				p.a.Add(x)
			} else {
				p.b.Add(x)
			}
		},
	}
}

func ctrSpec(b bug) crdttest.Spec[*ctr, int] {
	return crdttest.Spec[*ctr, int]{
		New:    newCtr(b),
		Mutate: func(_ *rapid.T, _ crdt.ReplicaID, c *ctr) { c.Inc() },
	}
}

func TestCheckPassesCorrectTypes(t *testing.T) {
	t.Run("ctr", func(t *testing.T) { crdttest.Check(t, ctrSpec(correct)) })
	t.Run("reg", func(t *testing.T) { crdttest.Check(t, regSpec(correct)) })
	t.Run("gset", func(t *testing.T) { crdttest.Check(t, gsetSpec(correct)) })
	t.Run("pair", func(t *testing.T) { crdttest.Check(t, pairSpec(correct)) })
	t.Run("reg/1 replica", func(t *testing.T) {
		spec := regSpec(correct)
		spec.Replicas = 1
		crdttest.Check(t, spec)
	})
	t.Run("gset/5 replicas", func(t *testing.T) {
		spec := gsetSpec(correct)
		spec.Replicas = 5
		crdttest.Check(t, spec)
	})
}

func TestVerifyPassesCorrectTypes(t *testing.T) {
	if err := crdttest.Verify(regSpec(correct)); err != nil {
		t.Fatal(err)
	}
	if err := crdttest.Verify(pairSpec(correct)); err != nil {
		t.Fatal(err)
	}
}

// Most tests below restrict Verify to the law under test (the others may
// fail too, and shrinking each failure costs time); the aliasing merge, the
// fresh id on load and the crossed compound field run every law, to show
// which ones a bug of that class breaks.

// caught runs Verify on a broken type and checks that the laws in want are
// among those it reports violated.
func caught(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Verify passed a broken type; want violations of %v", want)
	}
	got := crdttest.Violated(err)
	for _, law := range want {
		if !slices.Contains(got, law) {
			t.Errorf("violated laws %v do not include %q; error:\n%v", got, law, err)
		}
		if !strings.Contains(err.Error(), `law "`+law+`" violated`) {
			t.Errorf("error does not name law %q", law)
		}
	}
	var le *crdttest.LawError
	if !errors.As(err, &le) || le.Report == "" {
		t.Errorf("error %v holds no LawError with a report", err)
	}
	t.Logf("violated: %v", got)
}

func TestVerifyCatchesNonCommutativeMerge(t *testing.T) {
	caught(t, crdttest.Verify(regSpec(lastMergeWins), crdttest.Only(crdttest.LawCommutative)), crdttest.LawCommutative)
}

func TestVerifyCatchesNonIdempotentMerge(t *testing.T) {
	caught(t, crdttest.Verify(regSpec(sumOnMerge), crdttest.Only(crdttest.LawIdempotent)), crdttest.LawIdempotent)
}

// A merge that is commutative and idempotent but not associative: only the
// associativity law can see it.
func TestVerifyCatchesNonAssociativeMerge(t *testing.T) {
	caught(t, crdttest.Verify(regSpec(nonAssociative), crdttest.Only(crdttest.LawAssociative)), crdttest.LawAssociative)
}

// An empty state that is not the bottom of the lattice: merging it adds
// something.
func TestVerifyCatchesNonEmptyNew(t *testing.T) {
	caught(t, crdttest.Verify(ctrSpec(selfInEmpty), crdttest.Only(crdttest.LawEmpty)), crdttest.LawEmpty)
}

// Every law has a type that breaks it. Here: a summing merge counts a
// duplicated or redelivered message twice, so the replicas of the network
// law diverge; and a payload that leaves out an element rebuilds a state of
// another value.
func TestVerifyCatchesDivergence(t *testing.T) {
	caught(t, crdttest.Verify(regSpec(sumOnMerge), crdttest.Only(crdttest.LawConvergence)), crdttest.LawConvergence)
}

func TestVerifyCatchesValueLostInPayload(t *testing.T) {
	caught(t, crdttest.Verify(gsetSpec(lossyPayload), crdttest.Only(crdttest.LawValue)), crdttest.LawValue)
}

func TestVerifyCatchesAliasingMerge(t *testing.T) {
	caught(t, crdttest.Verify(gsetSpec(aliasMerge)), crdttest.LawNoAlias)
}

func TestVerifyCatchesForgottenDelta(t *testing.T) {
	caught(t, crdttest.Verify(gsetSpec(forgetDelta), crdttest.Only(crdttest.LawDelta)), crdttest.LawDelta)
}

// Replicas that lose deltas only converge through full states.
func TestVerifyCatchesForgottenDeltaInDeltaOnlyNetwork(t *testing.T) {
	err := crdttest.Verify(gsetSpec(forgetDelta), crdttest.Only(crdttest.LawDeltaConvergence, crdttest.LawConvergence))
	caught(t, err, crdttest.LawDeltaConvergence)
	if slices.Contains(crdttest.Violated(err), crdttest.LawConvergence) {
		t.Errorf("the final full-state exchange should make up for lost deltas; got %v", err)
	}
}

func TestVerifyCatchesLossyPayload(t *testing.T) {
	caught(t, crdttest.Verify(gsetSpec(lossyPayload), crdttest.Only(crdttest.LawRoundTrip)), crdttest.LawRoundTrip)
}

func TestVerifyCatchesShallowClone(t *testing.T) {
	caught(t, crdttest.Verify(gsetSpec(shallowClone), crdttest.Only(crdttest.LawClone)), crdttest.LawClone)
}

func TestVerifyCatchesLenientMergeState(t *testing.T) {
	caught(t, crdttest.Verify(gsetSpec(lenientMerge), crdttest.Only(crdttest.LawMergeState)), crdttest.LawMergeState)
}

// The bug of the original Friendship: a hand-written compound merge that
// fills one field from the other replica's other field.
func TestVerifyCatchesCrossedCompoundField(t *testing.T) {
	caught(t, crdttest.Verify(pairSpec(crossedField)), crdttest.LawCommutative, crdttest.LawIdempotent)
}

// Identity bugs keep every merge law; only the replay of mutations on a
// decoded state shows them.
func TestVerifyCatchesIdentityFromPayload(t *testing.T) {
	caught(t, crdttest.Verify(ctrSpec(ownerInPayload), crdttest.Only(crdttest.LawIdentity)), crdttest.LawIdentity)
}

func TestVerifyCatchesFreshIDOnLoad(t *testing.T) {
	caught(t, crdttest.Verify(ctrSpec(freshIDOnLoad)), crdttest.LawIdentity)
}

func TestVerifyOnly(t *testing.T) {
	err := crdttest.Verify(regSpec(lastMergeWins), crdttest.Only(crdttest.LawIdempotent, crdttest.LawAssociative, crdttest.LawRoundTrip))
	if err != nil {
		t.Fatalf("idempotence, associativity and round trip hold for a last-merge-wins register, got %v", err)
	}
	if err := crdttest.Verify(regSpec(correct), crdttest.Only("commutativity")); !errors.Is(err, crdttest.ErrUnknownLaw) {
		t.Fatalf("Only with an unknown law: got %v, want ErrUnknownLaw", err)
	}
}

func TestVerifyRejectsUnregisteredType(t *testing.T) {
	// No register is registered under the name of the aliasMerge variant.
	spec := crdttest.Spec[*reg, int]{
		New:    func(crdt.ReplicaID) *reg { return &reg{bug: aliasMerge} },
		Mutate: func(*rapid.T, crdt.ReplicaID, *reg) {},
	}
	err := crdttest.Verify(spec)
	if err == nil || !strings.Contains(err.Error(), "not registered") {
		t.Fatalf("got %v, want an error about registration", err)
	}
}

func TestVerifyLeavesNoFailFiles(t *testing.T) {
	if _, err := os.Stat("testdata/rapid"); err == nil {
		t.Skip("testdata/rapid exists already")
	}
	caught(t, crdttest.Verify(gsetSpec(aliasMerge), crdttest.Only(crdttest.LawNoAlias)), crdttest.LawNoAlias)
	if _, err := os.Stat("testdata/rapid"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Verify left rapid fail files behind: %v", err)
	}
}

func TestViolated(t *testing.T) {
	if got := crdttest.Violated(nil); got != nil {
		t.Fatalf("Violated(nil) = %v", got)
	}
	err := errors.Join(&crdttest.LawError{Law: "delta"}, errors.New("other"), fmt.Errorf("wrapped: %w", &crdttest.LawError{Law: "clone"}))
	if got := crdttest.Violated(err); !slices.Equal(got, []string{"delta", "clone"}) {
		t.Fatalf("Violated = %v, want [delta clone]", got)
	}
}
