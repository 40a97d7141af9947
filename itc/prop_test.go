package itc

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// replica pairs a stamp with the oracle's view of it: the set of event
// tokens it has seen. Each Event call mints a fresh token.
type replica struct {
	s    Stamp
	seen map[int]bool
}

func copySet(m map[int]bool) map[int]bool {
	c := make(map[int]bool, len(m))
	for k := range m {
		c[k] = true
	}
	return c
}

func subset(a, b map[int]bool) bool {
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

type fataler interface {
	Fatalf(format string, args ...any)
}

// checkIDNormal and checkEventNormal restate normal form independently of
// the package's helpers.
func checkIDNormal(t fataler, p *idNode) {
	if p == nil || p == idOne {
		return
	}
	if (p.l == nil && p.r == nil) || (p.l == idOne && p.r == idOne) {
		t.Fatalf("id not normal: %v", ID{p})
	}
	checkIDNormal(t, p.l)
	checkIDNormal(t, p.r)
}

func checkEventNormal(t fataler, e Event) {
	if e.k == nil {
		return
	}
	l, r := e.k.l, e.k.r
	if min(l.n, r.n) != 0 {
		t.Fatalf("event children not lowered: %v", e)
	}
	if l.k == nil && r.k == nil && l.n == r.n {
		t.Fatalf("event node with equal leaves: %v", e)
	}
	checkEventNormal(t, l)
	checkEventNormal(t, r)
}

// idLeaves lists the paths ("" root, "L", "R", ...) of the 1-leaves of an id.
func idLeaves(p *idNode, path string, out []string) []string {
	switch p {
	case nil:
		return out
	case idOne:
		return append(out, path)
	}
	out = idLeaves(p.l, path+"L", out)
	return idLeaves(p.r, path+"R", out)
}

// checkIDs verifies with paths and exact measure that the live ids are
// pairwise disjoint and cover the whole interval, then that the package's
// Sum agrees.
func checkIDs(t *rapid.T, reps []*replica) {
	var all []string
	for _, r := range reps {
		all = idLeaves(r.s.id.p, "", all)
	}
	total := new(big.Rat)
	for i, a := range all {
		for j, b := range all {
			if i != j && strings.HasPrefix(b, a) {
				t.Fatalf("ids overlap: leaf %q and %q", a, b)
			}
		}
		total.Add(total, new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), uint(len(a)))))
	}
	if total.Cmp(big.NewRat(1, 1)) != 0 {
		t.Fatalf("live ids cover %v of the interval", total)
	}
	sum := NullID()
	for _, r := range reps {
		var err error
		if sum, err = sum.Sum(r.s.id); err != nil {
			t.Fatalf("sum of live ids: %v", err)
		}
	}
	if !sum.IsSeed() {
		t.Fatalf("sum of live ids = %v, want 1", sum)
	}
}

func TestPropertyWorkload(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps := []*replica{{s: NewStamp(), seen: map[int]bool{}}}
		var peeks []*replica
		next := 0
		pick := func(label string) int { return rapid.IntRange(0, len(reps)-1).Draw(t, label) }
		t.Repeat(map[string]func(*rapid.T){
			"fork": func(t *rapid.T) {
				if len(reps) >= 12 {
					t.Skip("population full")
				}
				i := pick("i")
				a, b := reps[i].s.Fork()
				if !a.ev.Equal(reps[i].s.ev) || !b.ev.Equal(reps[i].s.ev) {
					t.Fatalf("fork changed the event")
				}
				reps[i].s = a
				reps = append(reps, &replica{s: b, seen: copySet(reps[i].seen)})
			},
			"event": func(t *rapid.T) {
				r := reps[pick("i")]
				s, err := r.s.Event()
				if err != nil {
					t.Fatalf("event: %v", err)
				}
				if !s.id.Equal(r.s.id) || r.s.Compare(s) != Less {
					t.Fatalf("event %v -> %v", r.s, s)
				}
				r.s = s
				next++
				r.seen[next] = true
			},
			"retire": func(t *rapid.T) {
				if len(reps) < 2 {
					t.Skip("one replica")
				}
				i, j := pick("into"), pick("retired")
				if i == j {
					t.Skip("same replica")
				}
				s, err := reps[i].s.Join(reps[j].s)
				if err != nil {
					t.Fatalf("join: %v", err)
				}
				if !reps[i].s.Leq(s) || !reps[j].s.Leq(s) {
					t.Fatalf("join is not an upper bound")
				}
				reps[i].s = s
				for k := range reps[j].seen {
					reps[i].seen[k] = true
				}
				reps = append(reps[:j], reps[j+1:]...)
			},
			"peek": func(t *rapid.T) {
				r := reps[pick("i")]
				p := r.s.Peek()
				if !p.IsAnonymous() || !p.ev.Equal(r.s.ev) {
					t.Fatalf("peek %v = %v", r.s, p)
				}
				if _, err := p.Event(); !errors.Is(err, ErrAnonymous) {
					t.Fatalf("event on peek: %v", err)
				}
				peeks = append(peeks, &replica{s: p, seen: copySet(r.seen)})
			},
			"receive": func(t *rapid.T) {
				if len(peeks) == 0 {
					t.Skip("nothing in flight")
				}
				k := rapid.IntRange(0, len(peeks)-1).Draw(t, "peek")
				r := reps[pick("i")]
				s, err := r.s.Join(peeks[k].s)
				if err != nil {
					t.Fatalf("join peek: %v", err)
				}
				r.s = s
				for tok := range peeks[k].seen {
					r.seen[tok] = true
				}
			},
			"": func(t *rapid.T) {
				all := append(append([]*replica{}, reps...), peeks...)
				for _, a := range all {
					checkIDNormal(t, a.s.id.p)
					checkEventNormal(t, a.s.ev)
					checkRoundTrips(t, a.s)
					for _, b := range all {
						want := order(subset(a.seen, b.seen), subset(b.seen, a.seen))
						if got := a.s.Compare(b.s); got != want {
							t.Fatalf("compare %v, %v = %v; oracle %v", a.s, b.s, got, want)
						}
						if a.s.Leq(b.s) != subset(a.seen, b.seen) {
							t.Fatalf("leq %v, %v disagrees with the oracle", a.s, b.s)
						}
					}
				}
				checkIDs(t, reps)
			},
		})
	})
}

// checkRoundTrips encodes s in every format and decodes it back.
func checkRoundTrips(t fataler, s Stamp) {
	got, err := ParseStamp(s.String())
	if err != nil || !got.Equal(s) {
		t.Fatalf("text round trip of %v: %v, %v", s, got, err)
	}
	var b, c, j Stamp
	bin, _ := s.MarshalBinary()
	if err := b.UnmarshalBinary(bin); err != nil || !b.Equal(s) {
		t.Fatalf("binary round trip of %v: %v, %v", s, b, err)
	}
	cmp, _ := s.MarshalCompact()
	if err := c.UnmarshalCompact(cmp); err != nil || !c.Equal(s) {
		t.Fatalf("compact round trip of %v: %v, %v", s, c, err)
	}
	js, _ := s.MarshalJSON()
	if err := j.UnmarshalJSON(js); err != nil || !j.Equal(s) {
		t.Fatalf("json round trip of %v: %v, %v", s, j, err)
	}
}

// genEvent draws an arbitrary normal-form event with counters that are
// small, or close to 2^64-1 so that path sums overflow 64 bits.
func genEvent(t *rapid.T, depth int, label string) Event {
	counter := func() uint64 {
		if rapid.Bool().Draw(t, label+"big") {
			return maxU64 - rapid.Uint64Range(0, 3).Draw(t, label+"n")
		}
		return rapid.Uint64Range(0, 4).Draw(t, label+"n")
	}
	if depth == 0 || rapid.IntRange(0, 2).Draw(t, label+"leaf") == 0 {
		return Event{n: counter()}
	}
	l, r := genEvent(t, depth-1, label+"l"), genEvent(t, depth-1, label+"r")
	if rapid.Bool().Draw(t, label+"zero") {
		l.n = 0
		if r.k == nil && r.n == 0 {
			r.n = 1 + rapid.Uint64Range(0, 4).Draw(t, label+"bump")
		}
	} else {
		r.n = 0
		if l.k == nil && l.n == 0 {
			l.n = 1 + rapid.Uint64Range(0, 4).Draw(t, label+"bump")
		}
	}
	return Event{counter(), &evKids{l, r}}
}

// cells evaluates e exactly on the 2^d equal cells of the interval.
func cells(e Event, d int) []*big.Int {
	out := make([]*big.Int, 1<<d)
	var walk func(e Event, base *big.Int, lo, n int)
	walk = func(e Event, base *big.Int, lo, n int) {
		v := new(big.Int).Add(base, new(big.Int).SetUint64(e.n))
		if e.k == nil {
			for i := lo; i < lo+n; i++ {
				out[i] = v
			}
			return
		}
		walk(e.k.l, v, lo, n/2)
		walk(e.k.r, v, lo+n/2, n/2)
	}
	walk(e, new(big.Int), 0, 1<<d)
	return out
}

// normText builds the normal form of a step function given by its cells, in
// the text notation, and reports whether every counter fits in 64 bits.
func normText(c []*big.Int, base *big.Int) (string, bool) {
	lo := c[0]
	flat := true
	for _, v := range c {
		if v.Cmp(lo) < 0 {
			lo = v
		}
		if v.Cmp(c[0]) != 0 {
			flat = false
		}
	}
	n := new(big.Int).Sub(lo, base)
	fits := n.IsUint64()
	if flat {
		return n.String(), fits
	}
	l, okl := normText(c[:len(c)/2], lo)
	r, okr := normText(c[len(c)/2:], lo)
	return "(" + n.String() + ", " + l + ", " + r + ")", fits && okl && okr
}

func TestPropertyEventAlgebra(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := genEvent(t, 4, "a"), genEvent(t, 4, "b")
		checkEventNormal(t, a)
		checkEventNormal(t, b)
		d := max(a.depth(), b.depth()) - 1
		ca, cb := cells(a, d), cells(b, d)
		le := true
		mx := make([]*big.Int, len(ca))
		for i := range ca {
			if ca[i].Cmp(cb[i]) > 0 {
				le = false
			}
			mx[i] = ca[i]
			if cb[i].Cmp(ca[i]) > 0 {
				mx[i] = cb[i]
			}
		}
		ge := true
		for i := range ca {
			if ca[i].Cmp(cb[i]) < 0 {
				ge = false
			}
		}
		if a.Leq(b) != le || b.Leq(a) != ge {
			t.Fatalf("leq %v, %v = %v, %v; oracle %v, %v", a, b, a.Leq(b), b.Leq(a), le, ge)
		}
		if got, want := a.Compare(b), order(le, ge); got != want {
			t.Fatalf("compare %v, %v = %v; oracle %v", a, b, got, want)
		}
		want, fits := normText(mx, new(big.Int))
		j, err := a.Join(b)
		switch {
		case !fits:
			if !errors.Is(err, ErrCounterOverflow) {
				t.Fatalf("join %v, %v = %v, %v; want overflow (%s)", a, b, j, err, want)
			}
		case err != nil || j.String() != want:
			t.Fatalf("join %v, %v = %v, %v; want %s", a, b, j, err, want)
		default:
			checkEventNormal(t, j)
			if !a.Leq(j) || !b.Leq(j) {
				t.Fatalf("join not above its operands")
			}
		}
		checkRoundTrips(t, NewStampFrom(NullID(), a))
	})
}
