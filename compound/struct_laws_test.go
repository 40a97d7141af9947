package compound_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
)

var stElems = rapid.SampledFrom([]string{"a", "b", "c", "d"})

func mutateProfile(t *rapid.T, p *compound.Struct[profile]) {
	f := p.Fields()
	if rapid.Bool().Draw(t, "score") {
		f.Score.Set(rapid.Uint64Range(0, 20).Draw(t, "v"))
	} else {
		f.Tags.Add(stElems.Draw(t, "tag"))
	}
}

func TestStructLawsFlat(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*compound.Struct[profile], map[string]any]{
		New: profileType.New,
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *compound.Struct[profile]) {
			mutateProfile(t, s)
		},
	})
}

// TestStructLawsNested checks a struct of a struct of a struct.
func TestStructLawsNested(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*compound.Struct[org], map[string]any]{
		New: orgType.New,
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *compound.Struct[org]) {
			switch rapid.IntRange(0, 2).Draw(t, "field") {
			case 0:
				s.Fields().Members.Add(stElems.Draw(t, "member"))
			case 1:
				s.Fields().Admin.Fields().Logins.Set(rapid.Uint64Range(0, 20).Draw(t, "logins"))
			default:
				mutateProfile(t, s.Fields().Admin.Fields().Owner)
			}
		},
	})
}
