package causal

import (
	"maps"
	"slices"

	json "github.com/goccy/go-json"

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
	return json.Marshal(c.wire())
}

func (c *Context) wire() contextJSON {
	w := contextJSON{Cloud: make([]Dot, 0, len(c.cloud)), VV: make([]Dot, 0, len(c.vv))}
	for r, n := range c.vv {
		w.VV = append(w.VV, Dot{Replica: r, Counter: n})
	}
	slices.SortFunc(w.VV, Dot.Compare)
	w.Cloud = slices.AppendSeq(w.Cloud, maps.Keys(c.cloud))
	slices.SortFunc(w.Cloud, Dot.Compare)
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
	if len(w.Cloud) > 0 {
		c.cloud = make(map[Dot]struct{}, len(w.Cloud))
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
		if _, dup := c.cloud[d]; dup {
			return nil, invalidf(field, "dot %s listed twice", d)
		}
		c.cloud[d] = struct{}{}
	}
	return c, nil
}
