package crdt_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/crdt"
)

// maxSet is a test-only CRDT: a grow-only set of ints kept as a map, so that
// aliasing would show.
type maxSet struct {
	items map[int]bool
	fail  bool
}

func newMaxSet(xs ...int) *maxSet {
	s := &maxSet{items: map[int]bool{}}
	for _, x := range xs {
		s.items[x] = true
	}
	return s
}

func (s *maxSet) Merge(o *maxSet) error {
	if o.fail {
		return errors.New("refused")
	}
	for x := range o.items {
		s.items[x] = true
	}
	return nil
}

func (s *maxSet) Clone() *maxSet {
	c := newMaxSet()
	for x := range s.items {
		c.items[x] = true
	}
	return c
}

func TestMergeLeavesBothInputsAlone(t *testing.T) {
	a, b := newMaxSet(1, 2), newMaxSet(2, 3)
	m, err := crdt.Merge(a, b)
	require.NoError(t, err)
	assert.Equal(t, map[int]bool{1: true, 2: true, 3: true}, m.items)
	assert.Equal(t, map[int]bool{1: true, 2: true}, a.items)
	assert.Equal(t, map[int]bool{2: true, 3: true}, b.items)
	m.items[9] = true
	assert.NotContains(t, a.items, 9)
}

func TestMergeReturnsTheError(t *testing.T) {
	a, b := newMaxSet(1), newMaxSet(2)
	b.fail = true
	m, err := crdt.Merge(a, b)
	assert.Error(t, err)
	assert.Nil(t, m)
	assert.Equal(t, map[int]bool{1: true}, a.items)
}

type otherState struct{ crdt.State }

func TestMergeStateAsRejectsOtherTypes(t *testing.T) {
	a := newMaxSet(1)
	err := crdt.MergeStateAs[*maxSet](a, otherState{})
	assert.ErrorIs(t, err, crdt.ErrTypeMismatch)
	assert.Equal(t, map[int]bool{1: true}, a.items)
}
