package itc

import "testing"

// churned returns live stamps after a churn run, for tests and benchmarks.
func churned(_ testing.TB, live, steps int) []Stamp {
	// Steps cannot fail here: counters stay far below 2^64.
	c := newChurnSim(7, live)
	for i := 0; i < steps; i++ {
		if err := c.step(); err != nil {
			panic(err)
		}
	}
	return c.live
}

func TestCompareAllocatesNothing(t *testing.T) {
	stamps := churned(t, 16, 2000)
	a, b := stamps[0], stamps[1]
	if a.ev.k == nil || b.ev.k == nil {
		t.Fatalf("churned stamps are leaves: %v %v", a, b)
	}
	var sink Ordering
	var ok bool
	if n := testing.AllocsPerRun(100, func() { sink = a.Compare(b) }); n != 0 {
		t.Errorf("Compare allocates %v", n)
	}
	if n := testing.AllocsPerRun(100, func() { ok = a.Leq(b) }); n != 0 {
		t.Errorf("Leq allocates %v", n)
	}
	if n := testing.AllocsPerRun(100, func() { ok = a.ev.Leq(b.ev); sink = a.ev.Compare(b.ev) }); n != 0 {
		t.Errorf("Event.Leq/Compare allocate %v", n)
	}
	_, _ = sink, ok
}

func TestEventOnLeafAllocatesAtMostOne(t *testing.T) {
	for _, id := range []string{"1", "(1, 0)", "(0, 1)", "((0, 1), 0)", "(0, (0, (0, (1, 0))))", "((1, 0), (0, (1, 0)))"} {
		s := NewStampFrom(mustID(t, id), Event{n: 41})
		var out Stamp
		var err error
		n := testing.AllocsPerRun(100, func() { out, err = s.Event() })
		if err != nil || n > 1 {
			t.Errorf("Event on {%s; 41} allocates %v (err %v)", id, n, err)
		}
		if s.Compare(out) != Less {
			t.Errorf("Event on {%s; 41} = %v", id, out)
		}
	}
}

func TestForkPeekAllocateNothing(t *testing.T) {
	s := churned(t, 16, 2000)[3]
	var a, b Stamp
	if n := testing.AllocsPerRun(100, func() { a = s.Peek() }); n != 0 {
		t.Errorf("Peek allocates %v", n)
	}
	// Fork allocates only the two new id nodes per level along one path.
	if n := testing.AllocsPerRun(100, func() { a, b = s.Fork() }); n > float64(2*s.id.depth()) {
		t.Errorf("Fork allocates %v for an id of depth %d", n, s.id.depth())
	}
	_, _ = a, b
}

// An id with more pair nodes than the stack plan holds takes the pruned
// path, which must keep the same single allocation.
func TestEventOnLeafLargeIDAllocatesAtMostOne(t *testing.T) {
	var build func(levels int) *idNode
	build = func(levels int) *idNode {
		if levels == 1 {
			return idLeft
		}
		return &idNode{l: build(levels - 1), r: build(levels - 1)}
	}
	id := build(9) // 255 nodes with two non-null children
	if d := decisionPoints(id); d <= planStack {
		t.Fatalf("only %d decision points", d)
	}
	s := NewStampFrom(ID{id}, Event{n: 7})
	var out Stamp
	var err error
	if n := testing.AllocsPerRun(50, func() { out, err = s.Event() }); err != nil || n > 1 {
		t.Fatalf("Event allocates %v (err %v)", n, err)
	}
	// Every subtree costs the same, so the ties send growth to the far
	// right: nine levels down, the bottom (1, 0) pair grows on its left.
	want := "(7, 0, (0, 0, (0, 0, (0, 0, (0, 0, (0, 0, (0, 0, (0, 0, (0, 1, 0)))))))))"
	if out.ev.String() != want {
		t.Fatalf("Event = %v, want %s", out.ev, want)
	}
}
