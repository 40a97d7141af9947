package compound_test

// Two small CRDTs of this test's own, so that the Struct tests depend on no
// other package of the toolbox: a max register and a grow-only string set.
// They are deliberately simple, so that their laws are obvious and a test
// failure points at Struct.

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// stMax is a max register: Set keeps the larger value; merge takes the
// maximum.
type stMax struct {
	replica crdt.ReplicaID
	v       uint64
	delta   *uint64
}

const stMaxName = "compoundtest.Max"

var _ crdt.CRDT[*stMax, uint64] = (*stMax)(nil)

func newStMax(r crdt.ReplicaID) *stMax { return &stMax{replica: r} }

func (m *stMax) Set(v uint64) {
	if v > m.v {
		m.v = v
		d := v
		m.delta = &d
	}
}

func (m *stMax) TypeName() string { return stMaxName }
func (m *stMax) Value() uint64    { return m.v }
func (m *stMax) Merge(o *stMax) error {
	m.v = max(m.v, o.v)
	return nil
}
func (m *stMax) MergeState(o crdt.State) error { return crdt.MergeStateAs[*stMax](m, o) }
func (m *stMax) Clone() *stMax                 { return &stMax{replica: m.replica, v: m.v} }
func (m *stMax) CloneState() crdt.State        { return m.Clone() }
func (m *stMax) TakeDelta() (*stMax, bool) {
	if m.delta == nil {
		return nil, false
	}
	d := &stMax{replica: m.replica, v: *m.delta}
	m.delta = nil
	return d, true
}
func (m *stMax) TakeDeltaState() (crdt.State, bool) {
	d, ok := m.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type stMaxPayload struct {
	V *uint64 `json:"v"`
}

func (m *stMax) Payload() any { v := m.v; return &stMaxPayload{V: &v} }
func (m *stMax) LoadPayload(data []byte) error {
	var p stMaxPayload
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	if p.V == nil {
		return payload.Invalidf("v", "missing")
	}
	m.v = *p.V
	m.delta = nil
	return nil
}

// stSet is a grow-only set of strings. Merging a set that holds stPoison
// fails with crdt.ErrConflict, which lets tests make one field of a Struct
// fail; generated states never hold it.
type stSet struct {
	replica crdt.ReplicaID
	elems   map[string]struct{}
	delta   map[string]struct{}
}

const (
	stSetName = "compoundtest.Set"
	stPoison  = "!poison"
)

var _ crdt.CRDT[*stSet, []string] = (*stSet)(nil)

func newStSet(r crdt.ReplicaID) *stSet {
	return &stSet{replica: r, elems: map[string]struct{}{}}
}

func (s *stSet) Add(e string) {
	s.elems[e] = struct{}{}
	if s.delta == nil {
		s.delta = map[string]struct{}{}
	}
	s.delta[e] = struct{}{}
}

func (s *stSet) TypeName() string { return stSetName }
func (s *stSet) Value() []string  { return slices.Sorted(maps.Keys(s.elems)) }
func (s *stSet) Merge(o *stSet) error {
	if _, bad := o.elems[stPoison]; bad {
		return fmt.Errorf("%w: poisoned set", crdt.ErrConflict)
	}
	for e := range o.elems {
		s.elems[e] = struct{}{}
	}
	return nil
}
func (s *stSet) MergeState(o crdt.State) error { return crdt.MergeStateAs[*stSet](s, o) }
func (s *stSet) Clone() *stSet                 { return &stSet{replica: s.replica, elems: maps.Clone(s.elems)} }
func (s *stSet) CloneState() crdt.State        { return s.Clone() }
func (s *stSet) TakeDelta() (*stSet, bool) {
	if s.delta == nil {
		return nil, false
	}
	d := &stSet{replica: s.replica, elems: s.delta}
	s.delta = nil
	return d, true
}
func (s *stSet) TakeDeltaState() (crdt.State, bool) {
	d, ok := s.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type stSetPayload struct {
	E []string `json:"e"`
}

func (s *stSet) Payload() any {
	e := s.Value()
	if e == nil {
		e = []string{}
	}
	return &stSetPayload{E: e}
}
func (s *stSet) LoadPayload(data []byte) error {
	var p stSetPayload
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	if p.E == nil {
		return payload.Invalidf("e", "missing")
	}
	elems := make(map[string]struct{}, len(p.E))
	for i, e := range p.E {
		if i > 0 && p.E[i-1] >= e {
			return payload.Invalidf(payload.Index("e", i), "not sorted or duplicate")
		}
		elems[e] = struct{}{}
	}
	s.elems, s.delta = elems, nil
	return nil
}

func init() {
	for _, t := range []payload.Type{
		{Name: stMaxName, Version: 1, New: func(r crdt.ReplicaID) crdt.State { return newStMax(r) }},
		{Name: stSetName, Version: 1, New: func(r crdt.ReplicaID) crdt.State { return newStSet(r) }},
	} {
		if err := payload.Register(t); err != nil && !errors.Is(err, payload.ErrDuplicateType) {
			panic(err)
		}
	}
}
