package itc

import (
	"errors"
	"math/big"
	"testing"

	"pgregory.net/rapid"
)

// otree is the oracle's event: the paper's definitions applied literally,
// with unbounded counters.
type otree struct {
	n    *big.Int
	l, r *otree
}

func oLeaf(n *big.Int) *otree { return &otree{n: n} }

func toOracle(e Event) *otree {
	o := &otree{n: new(big.Int).SetUint64(e.n)}
	if e.k != nil {
		o.l, o.r = toOracle(e.k.l), toOracle(e.k.r)
	}
	return o
}

func (o *otree) leaf() bool { return o.l == nil }

func oLift(o *otree, m *big.Int) *otree {
	return &otree{n: new(big.Int).Add(o.n, m), l: o.l, r: o.r}
}

func oMin(o *otree) *big.Int { return o.n } // normal form: root is the minimum

func oMax(o *otree) *big.Int {
	if o.leaf() {
		return o.n
	}
	a, b := oMax(o.l), oMax(o.r)
	if a.Cmp(b) < 0 {
		a = b
	}
	return new(big.Int).Add(o.n, a)
}

func bigMax(a, b *big.Int) *big.Int {
	if a.Cmp(b) < 0 {
		return b
	}
	return a
}

// oNorm is the paper's norm for a node whose children are normal.
func oNorm(n *big.Int, l, r *otree) *otree {
	if l.leaf() && r.leaf() && l.n.Cmp(r.n) == 0 {
		return oLeaf(new(big.Int).Add(n, l.n))
	}
	m := oMin(l)
	if oMin(r).Cmp(m) < 0 {
		m = oMin(r)
	}
	neg := new(big.Int).Neg(m)
	return &otree{n: new(big.Int).Add(n, m), l: oLift(l, neg), r: oLift(r, neg)}
}

// oFill is the paper's fill.
func oFill(i *idNode, e *otree) *otree {
	switch {
	case i == nil:
		return e
	case i == idOne:
		return oLeaf(oMax(e))
	case e.leaf():
		return e
	case i.l == idOne:
		er := oFill(i.r, e.r)
		return oNorm(e.n, oLeaf(bigMax(oMax(e.l), oMin(er))), er)
	case i.r == idOne:
		el := oFill(i.l, e.l)
		return oNorm(e.n, el, oLeaf(bigMax(oMax(e.r), oMin(el))))
	}
	return oNorm(e.n, oFill(i.l, e.l), oFill(i.r, e.r))
}

// oGrow is the paper's grow with cost N = 1<<20 (larger than any depth
// generated here); on equal cost it grows the right side.
func oGrow(i *idNode, e *otree) (*otree, int) {
	const N = 1 << 20
	zero := func() *otree { return oLeaf(new(big.Int)) }
	switch {
	case i == idOne && e.leaf():
		return oLeaf(new(big.Int).Add(e.n, big.NewInt(1))), 0
	case e.leaf():
		g, c := oGrow(i, &otree{n: e.n, l: zero(), r: zero()})
		return g, c + N
	case i.l == nil:
		g, c := oGrow(i.r, e.r)
		return &otree{n: e.n, l: e.l, r: g}, c + 1
	case i.r == nil:
		g, c := oGrow(i.l, e.l)
		return &otree{n: e.n, l: g, r: e.r}, c + 1
	}
	gl, cl := oGrow(i.l, e.l)
	gr, cr := oGrow(i.r, e.r)
	if cl < cr {
		return &otree{n: e.n, l: gl, r: e.r}, cl + 1
	}
	return &otree{n: e.n, l: e.l, r: gr}, cr + 1
}

func (o *otree) String() string {
	if o.leaf() {
		return o.n.String()
	}
	return "(" + o.n.String() + ", " + o.l.String() + ", " + o.r.String() + ")"
}

func (o *otree) fits() bool {
	return o.n.IsUint64() && (o.leaf() || (o.l.fits() && o.r.fits()))
}

func genID(t *rapid.T, depth int, label string) *idNode {
	if depth == 0 || rapid.IntRange(0, 2).Draw(t, label+"leaf") == 0 {
		if rapid.Bool().Draw(t, label+"one") {
			return idOne
		}
		return nil
	}
	return mkID(genID(t, depth-1, label+"l"), genID(t, depth-1, label+"r"))
}

// TestPropertyEventMatchesPaper checks Stamp.Event on arbitrary stamps
// against the paper's fill and grow applied literally.
func TestPropertyEventMatchesPaper(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		i := genID(t, 5, "i")
		e := genEvent(t, 5, "e")
		s := NewStampFrom(ID{i}, e)
		got, err := s.Event()
		if i == nil {
			if !errors.Is(err, ErrAnonymous) {
				t.Fatalf("event on %v: %v", s, err)
			}
			return
		}
		o := toOracle(e)
		want := oFill(i, o)
		if want.String() == o.String() {
			want, _ = oGrow(i, o)
		}
		if !want.fits() {
			if !errors.Is(err, ErrCounterOverflow) {
				t.Fatalf("event on %v = %v, %v; want overflow (%v)", s, got, err, want)
			}
			return
		}
		if err != nil || got.ev.String() != want.String() {
			t.Fatalf("event on %v = %v, %v; want %v", s, got, err, want)
		}
		checkEventNormal(t, got.ev)
		// The pruned fallback must agree with the planned grow.
		if oFill(i, o).String() == o.String() {
			r, ok := growPruned(i, e)
			pe, perr := r.event()
			if !ok || perr != nil || !pe.Equal(got.ev) {
				t.Fatalf("growPruned on %v = %v, %v %v; want %v", s, pe, ok, perr, got.ev)
			}
		}
	})
}

// A deep caterpillar where the cheapest growth is at the bottom: choosing
// a side by recomputing costs would take quadratic time here.
func TestGrowDeepCaterpillar(t *testing.T) {
	p := &idNode{l: idLeft, r: idOne}
	e := Event{k: &evKids{Event{}, Event{n: 1}}}
	for i := 0; i < 4094; i++ {
		p = &idNode{l: idLeft, r: p}
		e = Event{k: &evKids{Event{n: 1}, e}}
	}
	s := NewStampFrom(ID{p}, e)
	for i := 0; i < 3; i++ {
		next, err := s.Event()
		if err != nil || s.Compare(next) != Less {
			t.Fatalf("event %d: %v", i, err)
		}
		s = next
	}
	// The first event raises the bottom leaf under 1 to 2, and fill then
	// cascades; each event stays within the same 4096 levels.
	if d := s.ev.depth(); d > DefaultMaxDepth {
		t.Fatalf("depth %d", d)
	}
}
