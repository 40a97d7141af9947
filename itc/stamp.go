package itc

// Ordering is the causal relation between two stamps or events.
type Ordering int

const (
	// Less: the first has seen strictly less than the second.
	Less Ordering = iota + 1
	// Equal: both have seen the same events.
	Equal
	// Greater: the first has seen strictly more than the second.
	Greater
	// Concurrent: each has seen an event the other has not.
	Concurrent
)

// String returns "Less", "Equal", "Greater" or "Concurrent".
func (o Ordering) String() string {
	switch o {
	case Less:
		return "Less"
	case Equal:
		return "Equal"
	case Greater:
		return "Greater"
	case Concurrent:
		return "Concurrent"
	}
	return "Ordering(invalid)"
}

// Stamp is an interval tree clock stamp: an id and an event. Stamps are
// immutable values; every operation returns new stamps and leaves its
// operands untouched, so a stamp may be shared between goroutines. The zero
// Stamp is the anonymous stamp {0; 0}.
type Stamp struct {
	id ID
	ev Event
}

// NewStamp returns the seed stamp {1; 0}, from which every replica of a
// system is forked.
func NewStamp() Stamp { return Stamp{id: SeedID()} }

// NewStampFrom returns the stamp {id; ev}.
func NewStampFrom(id ID, ev Event) Stamp { return Stamp{id: id, ev: ev} }

// IDComponent returns the id of s.
func (s Stamp) IDComponent() ID { return s.id }

// EventComponent returns the event of s.
func (s Stamp) EventComponent() Event { return s.ev }

// IsAnonymous reports whether the id of s is 0.
func (s Stamp) IsAnonymous() bool { return s.id.p == nil }

// Equal reports whether s and o have equal ids and equal events.
func (s Stamp) Equal(o Stamp) bool { return s.id.Equal(o.id) && s.ev.Equal(o.ev) }

// Fork splits the id of s in two and gives each half a copy of the event.
// The first stamp keeps the left half: fork {1; 0} = {(1, 0); 0}, {(0, 1); 0}.
func (s Stamp) Fork() (Stamp, Stamp) {
	a, b := split(s.id.p)
	return Stamp{ID{a}, s.ev}, Stamp{ID{b}, s.ev}
}

// Peek returns the anonymous stamp {0; e} carrying the event of s, to be
// sent to other replicas and joined there.
func (s Stamp) Peek() Stamp { return Stamp{ev: s.ev} }

// Join merges two stamps: the ids are summed and the events joined. It
// fails with ErrOverlappingID if the ids overlap (for instance joining a
// stamp with itself), and with ErrCounterOverflow if the joined event needs
// a counter above 2^64-1.
func (s Stamp) Join(o Stamp) (Stamp, error) {
	id, ok := sum(s.id.p, o.id.p)
	if !ok {
		return Stamp{}, ErrOverlappingID
	}
	ev, err := s.ev.Join(o.ev)
	if err != nil {
		return Stamp{}, err
	}
	return Stamp{ID{id}, ev}, nil
}

// Event records a new event: it inflates the event of s over the part of
// the interval s owns, by the paper's fill if that changes anything and
// otherwise by its cheapest grow (ties go right). It fails with
// ErrAnonymous if s has the id 0, and with ErrCounterOverflow if a counter
// would exceed 2^64-1.
func (s Stamp) Event() (Stamp, error) {
	if s.id.p == nil {
		return Stamp{}, ErrAnonymous
	}
	r, changed, ok := fill(s.id.p, s.ev, u128{})
	if ok && !changed {
		r, ok = growEvent(s.id.p, s.ev)
	}
	if !ok {
		return Stamp{}, ErrCounterOverflow
	}
	ev, err := r.event()
	if err != nil {
		return Stamp{}, err
	}
	return Stamp{s.id, ev}, nil
}

// Leq reports whether the event of s is less than or equal to that of o:
// whether everything s has seen, o has seen too. Ids are not compared.
func (s Stamp) Leq(o Stamp) bool { return s.ev.Leq(o.ev) }

// Compare orders the events of s and o; ids are not compared.
func (s Stamp) Compare(o Stamp) Ordering { return s.ev.Compare(o.ev) }
