package causal

import (
	"slices"
	"strconv"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

var invalidf = payload.Invalidf

// contextJSON is the JSON form of a Context. Fields are declared in the order
// of their keys so that the encoding is canonical.
type contextJSON struct {
	Cloud []Dot `json:"cloud"`
	VV    []Dot `json:"vv"`
}

// MarshalJSON returns the canonical JSON form of c:
//
//	{"cloud":[{"n":7,"r":"b"}],"vv":[{"n":3,"r":"a"},{"n":5,"r":"b"}]}
//
// "vv" is the version vector, one {"n": max, "r": replica} per replica in
// order of replica id; "cloud" holds the dots seen out of order, sorted by
// replica id and counter. Both are always arrays (empty when there is
// nothing), and equal contexts give identical bytes.
func (c *Context) MarshalJSON() ([]byte, error) {
	return c.AppendJSON(nil), nil
}

// AppendJSON appends the canonical JSON form of c (see
// [Context.MarshalJSON]) to dst.
func (c *Context) AppendJSON(dst []byte) []byte {
	w := c.wire()
	dst = append(dst, `{"cloud":`...)
	dst = AppendDots(dst, w.Cloud)
	dst = append(dst, `,"vv":`...)
	dst = AppendDots(dst, w.VV)
	return append(dst, '}')
}

// AppendDot appends the JSON form of d, {"n":counter,"r":replica}, to dst.
func AppendDot(dst []byte, d Dot) []byte {
	dst = append(dst, `{"n":`...)
	dst = strconv.AppendUint(dst, d.Counter, 10)
	dst = append(dst, `,"r":`...)
	dst = payload.AppendString(dst, string(d.Replica))
	return append(dst, '}')
}

// AppendDots appends a JSON array of the dots to dst.
func AppendDots(dst []byte, dots []Dot) []byte {
	dst = append(dst, '[')
	for i, d := range dots {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendDot(dst, d)
	}
	return append(dst, ']')
}

// AppendSlotDots appends a JSON array of the dots of s to dst.
func AppendSlotDots[P any](dst []byte, s Slots[P]) []byte {
	if s.more == nil {
		if s.one.Dot.Counter == 0 {
			return append(dst, "[]"...)
		}
		dst = append(dst, '[')
		return append(AppendDot(dst, s.one.Dot), ']')
	}
	dst = append(dst, '[')
	for i, e := range *s.more {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendDot(dst, e.Dot)
	}
	return append(dst, ']')
}

func (c *Context) wire() contextJSON {
	w := contextJSON{Cloud: make([]Dot, 0, len(c.cloud)), VV: make([]Dot, 0, len(c.vv))}
	for r, n := range c.vv {
		w.VV = append(w.VV, Dot{Replica: r, Counter: n})
	}
	slices.SortFunc(w.VV, Dot.Compare)
	w.Cloud = append(w.Cloud, c.cloudDots()...)
	return w
}

// UnmarshalJSON replaces c with the context encoded in data, strictly: it
// rejects unknown fields, wrong JSON types and trailing data, and every
// broken invariant, with errors that wrap payload.ErrInvalid and name the
// field, such as "vv[1].n". It accepts the entries in any order but rejects
// a missing or null "vv" or "cloud", invalid dots, a replica listed twice in "vv", a cloud dot listed twice, a
// cloud dot already covered by the vector, and a cloud dot that directly
// follows its replica's vector entry (the compact form folds it into the
// vector). On error c is unchanged.
//
// When a Context is a field of a larger payload, the JSON decoder reports
// UnmarshalJSON's error without its place in the payload. To name the field,
// decode the context as a json.RawMessage and call UnmarshalJSON on it
// yourself, wrapping the error with payload.InField (sets.ORSet does so).
func (c *Context) UnmarshalJSON(data []byte) error {
	var w contextJSON
	if err := payload.DecodeStrict(data, &w); err != nil {
		return err
	}
	n, err := w.build()
	if err != nil {
		return err
	}
	*c = *n
	return nil
}

func (w *contextJSON) build() (*Context, error) {
	switch {
	case w.Cloud == nil:
		return nil, invalidf("cloud", "missing (an empty cloud is [])")
	case w.VV == nil:
		return nil, invalidf("vv", "missing (an empty vector is [])")
	}
	c := new(Context)
	if len(w.VV) > 0 {
		c.vv = make(map[crdt.ReplicaID]uint64, len(w.VV))
	}
	for i, d := range w.VV {
		if err := d.Validate(); err != nil {
			return nil, payload.InField(payload.Index("vv", i), err)
		}
		if _, dup := c.vv[d.Replica]; dup {
			return nil, invalidf(payload.Index("vv", i)+".r", "replica %q listed twice", d.Replica)
		}
		c.vv[d.Replica] = d.Counter
	}
	for i, d := range w.Cloud {
		field := payload.Index("cloud", i)
		if err := d.Validate(); err != nil {
			return nil, payload.InField(field, err)
		}
		v := c.vv[d.Replica]
		switch {
		case d.Counter <= v:
			return nil, invalidf(field, "dot %s is already covered by the vector entry %d", d, v)
		case d.Counter == v+1:
			return nil, invalidf(field, "dot %s directly follows the vector entry %d: a compact context folds it into the vector", d, v)
		}
		if _, dup := c.cloud[d.Replica][d.Counter]; dup {
			return nil, invalidf(field, "dot %s listed twice", d)
		}
		c.addCloud(d)
	}
	return c, nil
}
