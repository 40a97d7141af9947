package itc

import (
	"errors"
	"testing"
)

const maxU64 = ^uint64(0)

func mustID(t testing.TB, s string) ID {
	t.Helper()
	id, err := ParseID(s)
	if err != nil {
		t.Fatalf("ParseID(%q): %v", s, err)
	}
	return id
}

func mustEvent(t testing.TB, s string) Event {
	t.Helper()
	e, err := ParseEvent(s)
	if err != nil {
		t.Fatalf("ParseEvent(%q): %v", s, err)
	}
	return e
}

func mustStamp(t testing.TB, s string) Stamp {
	t.Helper()
	st, err := ParseStamp(s)
	if err != nil {
		t.Fatalf("ParseStamp(%q): %v", s, err)
	}
	return st
}

// The vectors below were worked out by hand from the paper's rules.

func TestSplit(t *testing.T) {
	tests := []struct{ in, a, b string }{
		{"0", "0", "0"},
		{"1", "(1, 0)", "(0, 1)"},
		// split (i, 0) splits i and keeps the right half empty.
		{"(1, 0)", "((1, 0), 0)", "((0, 1), 0)"},
		{"(0, 1)", "(0, (1, 0))", "(0, (0, 1))"},
		// split (l, r) = ((l, 0), (0, r)) when both halves are owned.
		{"(1, (0, 1))", "(1, 0)", "(0, (0, 1))"},
		{"((1, 0), 1)", "((1, 0), 0)", "(0, 1)"},
		{"(0, ((1, 0), 0))", "(0, (((1, 0), 0), 0))", "(0, (((0, 1), 0), 0))"},
	}
	for _, tt := range tests {
		a, b := mustID(t, tt.in).Split()
		if a.String() != tt.a || b.String() != tt.b {
			t.Errorf("split %s = %s, %s; want %s, %s", tt.in, a, b, tt.a, tt.b)
		}
		// The halves are disjoint and sum back to the input.
		s, err := a.Sum(b)
		if err != nil || s.String() != tt.in {
			t.Errorf("sum of split %s = %v, %v", tt.in, s, err)
		}
	}
}

func TestSum(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"0", "0", "0"},
		{"0", "(1, 0)", "(1, 0)"},
		{"(0, 1)", "0", "(0, 1)"},
		{"(1, 0)", "(0, 1)", "1"},
		{"((1, 0), 0)", "((0, 1), 0)", "(1, 0)"},
		{"((1, 0), 0)", "(0, 1)", "((1, 0), 1)"},
		// Both halves become 1, and (1, 1) normalises to 1.
		{"((1, 0), (0, 1))", "((0, 1), (1, 0))", "1"},
		{"(1, (1, 0))", "(0, (0, 1))", "1"},
		{"(0, (0, (1, 0)))", "(1, 0)", "(1, (0, (1, 0)))"},
	}
	for _, tt := range tests {
		for _, pair := range [][2]string{{tt.a, tt.b}, {tt.b, tt.a}} {
			got, err := mustID(t, pair[0]).Sum(mustID(t, pair[1]))
			if err != nil || got.String() != tt.want {
				t.Errorf("sum %s + %s = %v, %v; want %s", pair[0], pair[1], got, err, tt.want)
			}
		}
	}
	overlapping := [][2]string{
		{"1", "(0, 1)"},
		{"(1, 0)", "(1, 0)"},
		{"(1, 0)", "((0, 1), 0)"},
		{"(0, (0, 1))", "(0, ((0, 1), 1))"},
		{"1", "1"},
	}
	for _, p := range overlapping {
		if _, err := mustID(t, p[0]).Sum(mustID(t, p[1])); !errors.Is(err, ErrOverlappingID) {
			t.Errorf("sum %s + %s: err = %v, want ErrOverlappingID", p[0], p[1], err)
		}
	}
}

func TestNormalFormRejected(t *testing.T) {
	for _, s := range []string{"(0, 0)", "(1, 1)", "((1, 1), 0)", "(0, (0, 0))"} {
		if _, err := ParseID(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseID(%q) err = %v, want ErrInvalid", s, err)
		}
	}
	for _, s := range []string{
		"(0, 0, 0)",                 // two equal leaves
		"(3, 1, 1)",                 // two equal leaves
		"(1, 2, 1)",                 // children not lowered by their minimum
		"(0, (1, 0, 1), (2, 1, 0))", // minimum of children roots is 1
		"(0, 1, (0, 0, 0))",         // non-normal child
	} {
		if _, err := ParseEvent(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseEvent(%q) err = %v, want ErrInvalid", s, err)
		}
	}
}

func TestEventJoin(t *testing.T) {
	M := "18446744073709551615"
	tests := []struct{ a, b, want string }{
		{"3", "5", "5"},
		// Pointwise: left max(3, 1), right max(1, 3): a flat 3.
		{"(1, 2, 0)", "(1, 0, 2)", "3"},
		{"(0, 1, 0)", "0", "(0, 1, 0)"},
		{"(0, 1, 0)", "2", "2"},
		// Left max(3, 2) = 3, right 2: root 2, left 1 above it.
		{"(0, 3, 0)", "2", "(2, 1, 0)"},
		// Quarters: LL max(3,0)=3, LR max(1,0)=1, RL max(1,0)=1, RR max(1,4)=4.
		{"(1, (0, 2, 0), 0)", "(0, 0, (0, 0, 4))", "(1, (0, 2, 0), (0, 0, 3))"},
		// Path sums beyond 2^64-1 are fine as long as no counter exceeds it.
		{"(" + M + ", " + M + ", 0)", "0", "(" + M + ", " + M + ", 0)"},
		// Left: (M-1)+M vs M-1; right: M-1 vs M. Root M, left M-1 above it.
		{"(18446744073709551614, " + M + ", 0)", "(18446744073709551614, 0, 1)", "(" + M + ", 18446744073709551614, 0)"},
	}
	for _, tt := range tests {
		for _, p := range [][2]string{{tt.a, tt.b}, {tt.b, tt.a}} {
			got, err := mustEvent(t, p[0]).Join(mustEvent(t, p[1]))
			if err != nil || got.String() != tt.want {
				t.Errorf("join %s, %s = %v, %v; want %s", p[0], p[1], got, err, tt.want)
			}
		}
	}
	// Left 2M, right 2M: the flat result needs a counter of 2M.
	overflow := [][2]string{
		{"(" + M + ", " + M + ", 0)", "(" + M + ", 0, " + M + ")"},
		{"(" + M + ", " + M + ", 0)", "(" + M + ", 0, 1)"},
	}
	for _, p := range overflow {
		if _, err := mustEvent(t, p[0]).Join(mustEvent(t, p[1])); !errors.Is(err, ErrCounterOverflow) {
			t.Errorf("join %s, %s: err = %v, want ErrCounterOverflow", p[0], p[1], err)
		}
	}
}

func TestEventCompare(t *testing.T) {
	M := "18446744073709551615"
	tests := []struct {
		a, b string
		want Ordering
	}{
		{"0", "0", Equal},
		{"0", "(0, 0, 1)", Less},
		{"(0, 1, 0)", "(0, 0, 1)", Concurrent},
		{"(1, 0, (0, 1, 0))", "2", Less},
		{"(1, 0, (0, 1, 0))", "1", Greater},
		{"(1, 0, (0, 2, 0))", "2", Concurrent},
		// LL 1, LR 0, R 2 against L 1, R 2.
		{"(0, (0, 1, 0), 2)", "(1, 0, 1)", Less},
		// Path sums above 2^64-1: left 2M vs M-1, right M vs M+1. Wrapping
		// arithmetic would see 2M as M-1 and answer Less.
		{"(" + M + ", " + M + ", 0)", "(18446744073709551614, 0, 2)", Concurrent},
		// Left 2M vs 2M; right M vs (M, M+1).
		{"(" + M + ", " + M + ", 0)", "(" + M + ", " + M + ", (0, 0, 1))", Less},
		{"(" + M + ", " + M + ", 0)", M, Greater},
	}
	for _, tt := range tests {
		a, b := mustEvent(t, tt.a), mustEvent(t, tt.b)
		if got := a.Compare(b); got != tt.want {
			t.Errorf("compare %s, %s = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		wantLeq := tt.want == Less || tt.want == Equal
		if a.Leq(b) != wantLeq {
			t.Errorf("leq %s, %s = %v", tt.a, tt.b, !wantLeq)
		}
		sa, sb := NewStampFrom(NullID(), a), NewStampFrom(SeedID(), b)
		if sa.Compare(sb) != tt.want || sa.Leq(sb) != wantLeq {
			t.Errorf("stamp compare %s, %s disagrees with event compare", tt.a, tt.b)
		}
	}
}

func TestForkEventJoin(t *testing.T) {
	seed := NewStamp()
	if seed.String() != "{1; 0}" {
		t.Fatalf("seed = %s", seed)
	}
	s1, err := seed.Event()
	if err != nil || s1.String() != "{1; 1}" {
		t.Fatalf("event on seed = %v, %v", s1, err)
	}
	a, b := s1.Fork()
	if a.String() != "{(1, 0); 1}" || b.String() != "{(0, 1); 1}" {
		t.Fatalf("fork = %s, %s", a, b)
	}
	// grow((1, 0), 1) expands the leaf and raises its left half.
	a, _ = a.Event()
	b, _ = b.Event()
	if a.String() != "{(1, 0); (1, 1, 0)}" || b.String() != "{(0, 1); (1, 0, 1)}" {
		t.Fatalf("events = %s, %s", a, b)
	}
	if a.Compare(b) != Concurrent || s1.Compare(a) != Less || a.Compare(s1) != Greater {
		t.Fatalf("orderings wrong")
	}
	j, err := a.Join(b)
	if err != nil || j.String() != "{1; 2}" {
		t.Fatalf("join = %v, %v", j, err)
	}
	if _, err := a.Join(a); !errors.Is(err, ErrOverlappingID) {
		t.Fatalf("self join err = %v", err)
	}
	p := a.Peek()
	if p.String() != "{0; (1, 1, 0)}" || !p.IsAnonymous() {
		t.Fatalf("peek = %s", p)
	}
	if _, err := p.Event(); !errors.Is(err, ErrAnonymous) {
		t.Fatalf("event on peek err = %v", err)
	}
	if _, err := (Stamp{}).Event(); !errors.Is(err, ErrAnonymous) {
		t.Fatalf("event on zero stamp err = %v", err)
	}
	// Joining a peek transfers knowledge without identity.
	bj, err := b.Join(p)
	if err != nil || bj.String() != "{(0, 1); (1, 1, 1)}" && bj.String() != "{(0, 1); 2}" {
		t.Fatalf("join peek = %v, %v", bj, err)
	}
}

func TestEventRules(t *testing.T) {
	M := "18446744073709551615"
	tests := []struct{ in, want string }{
		{"{1; 0}", "{1; 1}"},
		// fill((1, 0), (1, 0, 1)): the left half is raised to the right's
		// minimum 2, and (1, 1, 1) collapses to 2.
		{"{(1, 0); (1, 0, 1)}", "{(1, 0); 2}"},
		// fill on both quarters: LL 0->1, RR 0->1, all four become 1.
		{"{((1, 0), (0, 1)); (0, (0, 0, 1), (0, 1, 0))}", "{((1, 0), (0, 1)); 1}"},
		// fill(1, e) flattens to the maximum.
		{"{1; (0, 2, (0, 0, 3))}", "{1; 3}"},
		// Nothing to fill; grow: both sides need one expansion, tie goes right.
		{"{((1, 0), (1, 0)); 0}", "{((1, 0), (1, 0)); (0, 0, (0, 1, 0))}"},
		// Now the right side needs no expansion: cost 1+1 against N+1.
		{"{((1, 0), (1, 0)); (0, 0, (0, 1, 0))}", "{((1, 0), (1, 0)); (0, 0, (0, 2, 0))}"},
		// Left costs 1 (increment under 1), right costs 2: grow left.
		{"{(1, (0, 1)); (0, 2, (0, 0, 1))}", "{(1, (0, 1)); (0, 3, (0, 0, 1))}"},
		// An id of 1 over a leaf costs nothing but the level: left (1) beats
		// the right path (3).
		{"{(1, (0, (0, 1))); (0, 0, (0, 0, (0, 0, 5)))}", "{(1, (0, (0, 1))); (0, 1, (0, 0, (0, 0, 5)))}"},
		// An expansion costs more than any depth: the left needs one (N+2),
		// so the deeper owned leaf on the right (3) wins.
		{"{((1, 0), (0, (0, 1))); (0, 0, (0, 0, (0, 0, 5)))}", "{((1, 0), (0, (0, 1))); (0, 0, (0, 0, (0, 0, 6)))}"},
		// The root stays at M, only the new child counter is stored.
		{"{(1, 0); " + M + "}", "{(1, 0); (" + M + ", 1, 0)}"},
	}
	for _, tt := range tests {
		got, err := mustStamp(t, tt.in).Event()
		if err != nil || got.String() != tt.want {
			t.Errorf("event %s = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, s := range []string{"{1; " + M + "}", "{1; (" + M + ", " + M + ", 0)}"} {
		if _, err := mustStamp(t, s).Event(); !errors.Is(err, ErrCounterOverflow) {
			t.Errorf("event %s err = %v, want ErrCounterOverflow", s, err)
		}
	}
}
