package itc

// ID is an interval tree identity: 0, 1 or a pair (l, r) of ids covering the
// left and right halves of the interval. The zero value is the null id 0.
// IDs are immutable and always in normal form: neither (0, 0) nor (1, 1)
// ever occurs.
type ID struct {
	p *idNode
}

// idNode is a pair. The nil pointer stands for 0 and the shared idOne for 1;
// every other node is a pair whose children follow the same convention.
type idNode struct {
	l, r *idNode
}

var (
	idOne   = &idNode{}
	idLeft  = &idNode{l: idOne} // (1, 0)
	idRight = &idNode{r: idOne} // (0, 1)
)

// SeedID returns the id 1, which owns the whole interval.
func SeedID() ID { return ID{idOne} }

// NullID returns the id 0, which owns nothing.
func NullID() ID { return ID{} }

// IsNull reports whether i is 0.
func (i ID) IsNull() bool { return i.p == nil }

// IsSeed reports whether i is 1.
func (i ID) IsSeed() bool { return i.p == idOne }

// Equal reports whether i and o are the same id.
func (i ID) Equal(o ID) bool { return idEqual(i.p, o.p) }

func idEqual(a, b *idNode) bool {
	for {
		if a == b {
			return true
		}
		if a == nil || b == nil || a == idOne || b == idOne {
			return false
		}
		if !idEqual(a.l, b.l) {
			return false
		}
		a, b = a.r, b.r
	}
}

// mkID builds the pair (l, r) in normal form.
func mkID(l, r *idNode) *idNode {
	switch {
	case l == nil && r == nil:
		return nil
	case l == idOne && r == idOne:
		return idOne
	case l == idOne && r == nil:
		return idLeft
	case l == nil && r == idOne:
		return idRight
	}
	return &idNode{l: l, r: r}
}

// Split divides i into two disjoint ids whose sum is i, following the
// paper: split 0 = (0, 0), split 1 = ((1, 0), (0, 1)), split (0, i) and
// split (i, 0) split the non-null half, and split (l, r) = ((l, 0), (0, r)).
func (i ID) Split() (ID, ID) {
	a, b := split(i.p)
	return ID{a}, ID{b}
}

func split(i *idNode) (*idNode, *idNode) {
	switch {
	case i == nil:
		return nil, nil
	case i == idOne:
		return idLeft, idRight
	case i.l == nil:
		a, b := split(i.r)
		return mkID(nil, a), mkID(nil, b)
	case i.r == nil:
		a, b := split(i.l)
		return mkID(a, nil), mkID(b, nil)
	}
	return mkID(i.l, nil), mkID(nil, i.r)
}

// Sum returns the union of two disjoint ids. It fails with ErrOverlappingID
// when i and o share any part of the interval.
func (i ID) Sum(o ID) (ID, error) {
	p, ok := sum(i.p, o.p)
	if !ok {
		return ID{}, ErrOverlappingID
	}
	return ID{p}, nil
}

func sum(a, b *idNode) (*idNode, bool) {
	switch {
	case a == nil:
		return b, true
	case b == nil:
		return a, true
	case a == idOne || b == idOne:
		return nil, false
	}
	l, ok := sum(a.l, b.l)
	if !ok {
		return nil, false
	}
	r, ok := sum(a.r, b.r)
	if !ok {
		return nil, false
	}
	return mkID(l, r), true
}
