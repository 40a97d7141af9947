package payload_test

import (
	"strconv"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// maxReg is a test-only CRDT: the largest number written, by a named writer.
type maxReg struct {
	replica crdt.ReplicaID
	max     uint64
	delta   *maxReg
}

type maxRegPayload struct {
	Max uint64 `json:"max"`
}

func newMaxReg(r crdt.ReplicaID) *maxReg { return &maxReg{replica: r} }

func (m *maxReg) Set(v uint64) {
	if v > m.max {
		m.max = v
		m.delta = &maxReg{replica: m.replica, max: v}
	}
}
func (m *maxReg) Merge(o *maxReg) error {
	m.max = max(m.max, o.max)
	return nil
}
func (m *maxReg) Value() uint64    { return m.max }
func (m *maxReg) Clone() *maxReg   { return &maxReg{replica: m.replica, max: m.max} }
func (m *maxReg) TypeName() string { return "test.MaxReg" }
func (m *maxReg) MergeState(o crdt.State) error {
	return crdt.MergeStateAs[*maxReg](m, o)
}
func (m *maxReg) CloneState() crdt.State { return m.Clone() }
func (m *maxReg) Payload() any           { return &maxRegPayload{Max: m.max} }
func (m *maxReg) LoadPayload(data []byte) error {
	var p maxRegPayload
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	if p.Max == 13 {
		return payload.Invalidf("max", "13 is unlucky")
	}
	m.max = p.Max
	return nil
}
func (m *maxReg) TakeDelta() (*maxReg, bool) {
	d := m.delta
	m.delta = nil
	return d, d != nil
}
func (m *maxReg) TakeDeltaState() (crdt.State, bool) {
	d, ok := m.TakeDelta()
	return d, ok
}
func (m *maxReg) String() string { return string(m.replica) + ":" + strconv.FormatUint(m.max, 10) }

var _ crdt.CRDT[*maxReg, uint64] = (*maxReg)(nil)

func init() {
	payload.MustRegister(payload.Type{Name: "test.MaxReg", Version: 1, New: func(r crdt.ReplicaID) crdt.State { return newMaxReg(r) }})
}
