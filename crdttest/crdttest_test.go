package crdttest_test

import (
	"errors"
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

func TestCheckPassesCorrectTypes(t *testing.T) {
	t.Run("reg", func(t *testing.T) { crdttest.Check(t, regSpec(correct)) })
	t.Run("gset", func(t *testing.T) { crdttest.Check(t, gsetSpec(correct)) })
	t.Run("pair", func(t *testing.T) { crdttest.Check(t, pairSpec(correct)) })
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
	caught(t, crdttest.Verify(regSpec(lastMergeWins)), crdttest.LawCommutative)
}

func TestVerifyCatchesNonIdempotentMerge(t *testing.T) {
	caught(t, crdttest.Verify(regSpec(sumOnMerge)), crdttest.LawIdempotent)
}

func TestVerifyCatchesAliasingMerge(t *testing.T) {
	caught(t, crdttest.Verify(gsetSpec(aliasMerge)), crdttest.LawNoAlias)
}

func TestVerifyCatchesForgottenDelta(t *testing.T) {
	caught(t, crdttest.Verify(gsetSpec(forgetDelta)), crdttest.LawDelta)
}

func TestVerifyCatchesLossyPayload(t *testing.T) {
	caught(t, crdttest.Verify(gsetSpec(lossyPayload)), crdttest.LawRoundTrip)
}

// The bug of the original Friendship: a hand-written compound merge that
// fills one field from the other replica's other field.
func TestVerifyCatchesCrossedCompoundField(t *testing.T) {
	caught(t, crdttest.Verify(pairSpec(crossedField)), crdttest.LawCommutative, crdttest.LawIdempotent)
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
