package itc

// bitWriter appends bits, most significant first, to a byte slice.
type bitWriter struct {
	b    []byte
	free uint // unused low bits in the last byte
}

func (w *bitWriter) write(v uint64, n uint) {
	for n > 0 {
		if w.free == 0 {
			w.b = append(w.b, 0)
			w.free = 8
		}
		take := min(n, w.free)
		chunk := byte(v>>(n-take)) & byte(1<<take-1)
		w.free -= take
		w.b[len(w.b)-1] |= chunk << w.free
		n -= take
	}
}

func appendIDCompact(w *bitWriter, p *idNode) {
	switch {
	case p == nil:
		w.write(0b000, 3)
	case p == idOne:
		w.write(0b001, 3)
	case p.l == nil:
		w.write(0b01, 2)
		appendIDCompact(w, p.r)
	case p.r == nil:
		w.write(0b10, 2)
		appendIDCompact(w, p.l)
	default:
		w.write(0b11, 2)
		appendIDCompact(w, p.l)
		appendIDCompact(w, p.r)
	}
}

// writeNum writes the paper's variable-length number: with B bits
// available (B starts at 2), 0 and n in B bits if n < 2^B, otherwise 1 and
// n-2^B with B+1 bits.
func (w *bitWriter) writeNum(n uint64) {
	for b := uint(2); ; b++ {
		if b == 64 || n < 1<<b {
			w.write(0, 1)
			w.write(n, b)
			return
		}
		w.write(1, 1)
		n -= 1 << b
	}
}

func isZeroLeaf(e Event) bool { return e.k == nil && e.n == 0 }

func appendEventCompact(w *bitWriter, e Event) {
	if e.k == nil {
		w.write(1, 1)
		w.writeNum(e.n)
		return
	}
	l, r := e.k.l, e.k.r
	lz, rz := isZeroLeaf(l), isZeroLeaf(r)
	if e.n == 0 {
		switch {
		case lz:
			w.write(0b000, 3)
			appendEventCompact(w, r)
		case rz:
			w.write(0b001, 3)
			appendEventCompact(w, l)
		default:
			w.write(0b010, 3)
			appendEventCompact(w, l)
			appendEventCompact(w, r)
		}
		return
	}
	switch {
	case lz:
		w.write(0b01100, 5)
	case rz:
		w.write(0b01101, 5)
	default:
		w.write(0b0111, 4)
	}
	w.write(1, 1)
	w.writeNum(e.n)
	if !lz {
		appendEventCompact(w, l)
	}
	if !rz {
		appendEventCompact(w, r)
	}
}

// numBits is the length of writeNum's encoding of n.
func numBits(n uint64) int {
	bits := 0
	for b := uint(2); ; b++ {
		if b == 64 || n < 1<<b {
			return bits + 1 + int(b)
		}
		bits += 1
		n -= 1 << b
	}
}

func idCompactBits(p *idNode) int {
	switch {
	case p == nil || p == idOne:
		return 3
	case p.l == nil:
		return 2 + idCompactBits(p.r)
	case p.r == nil:
		return 2 + idCompactBits(p.l)
	}
	return 2 + idCompactBits(p.l) + idCompactBits(p.r)
}

func eventCompactBits(e Event) int {
	if e.k == nil {
		return 1 + numBits(e.n)
	}
	n := 0
	l, r := e.k.l, e.k.r
	lz, rz := isZeroLeaf(l), isZeroLeaf(r)
	switch {
	case e.n == 0:
		n = 3
	case lz || rz:
		n = 5 + 1 + numBits(e.n)
	default:
		n = 4 + 1 + numBits(e.n)
	}
	if !lz {
		n += eventCompactBits(l)
	}
	if !rz {
		n += eventCompactBits(r)
	}
	return n
}

func compactWriter(bits int) bitWriter {
	return bitWriter{b: make([]byte, 0, (bits+7)/8)}
}

// MarshalCompact encodes the stamp with the paper's bit encoding, most
// significant bit first and zero-padded to a whole byte: the id's bits,
// then the event's. The seed stamp is the single byte 0x30.
func (s Stamp) MarshalCompact() ([]byte, error) {
	w := compactWriter(idCompactBits(s.id.p) + eventCompactBits(s.ev))
	appendIDCompact(&w, s.id.p)
	appendEventCompact(&w, s.ev)
	return w.b, nil
}

// MarshalCompact encodes the id alone with the paper's bit encoding.
func (i ID) MarshalCompact() ([]byte, error) {
	w := compactWriter(idCompactBits(i.p))
	appendIDCompact(&w, i.p)
	return w.b, nil
}

// MarshalCompact encodes the event alone with the paper's bit encoding.
func (e Event) MarshalCompact() ([]byte, error) {
	w := compactWriter(eventCompactBits(e))
	appendEventCompact(&w, e)
	return w.b, nil
}

// UnmarshalCompact decodes a stamp encoded by MarshalCompact. It rejects,
// with an error wrapping ErrInvalid: truncated input, non-zero padding
// bits, trailing bytes, counters above 2^64-1, any non-canonical choice of
// code (such as (0, l, r) written with l = 0), non-normal trees and trees
// deeper than DefaultMaxDepth.
// On error the receiver is left unchanged.
func (s *Stamp) UnmarshalCompact(data []byte) error {
	return decodeInto(s, data, Decoder.DecodeStampCompact)
}

// UnmarshalCompact decodes an id encoded by ID.MarshalCompact.
// On error the receiver is left unchanged.
func (i *ID) UnmarshalCompact(data []byte) error {
	return decodeInto(i, data, Decoder.DecodeIDCompact)
}

// UnmarshalCompact decodes an event encoded by Event.MarshalCompact.
// On error the receiver is left unchanged.
func (e *Event) UnmarshalCompact(data []byte) error {
	return decodeInto(e, data, Decoder.DecodeEventCompact)
}

type bitReader struct {
	b    []byte
	pos  int // in bits
	max  int
	pool nodePool
}

func (r *bitReader) fail(msg string) error {
	return invalid("compact", "bit", r.pos, msg)
}

func (r *bitReader) read(n int) (uint64, error) {
	if n > len(r.b)*8-r.pos {
		return 0, r.fail("truncated")
	}
	var v uint64
	for n > 0 {
		byteAt, bit := r.pos/8, r.pos%8
		take := min(n, 8-bit)
		chunk := r.b[byteAt] >> (8 - bit - take) & byte(1<<take-1)
		v = v<<take | uint64(chunk)
		r.pos += take
		n -= take
	}
	return v, nil
}

func (r *bitReader) num() (uint64, error) {
	start := r.pos
	var base uint64
	for b := 2; ; b++ {
		more, err := r.read(1)
		if err != nil {
			return 0, err
		}
		if more == 0 {
			v, err := r.read(b)
			if err != nil {
				return 0, err
			}
			n := base + v
			if n < base {
				r.pos = start
				return 0, r.fail("counter above 2^64-1")
			}
			return n, nil
		}
		if b == 64 {
			r.pos = start
			return 0, r.fail("counter above 2^64-1")
		}
		base += 1 << b
	}
}

func (r *bitReader) id(level int) (*idNode, error) {
	if level > r.max {
		return nil, r.fail(tooDeep(r.max))
	}
	start := r.pos
	tag, err := r.read(2)
	if err != nil {
		return nil, err
	}
	var l, rt *idNode
	switch tag {
	case 0b00:
		one, err := r.read(1)
		if err != nil {
			return nil, err
		}
		if one == 1 {
			return idOne, nil
		}
		return nil, nil
	case 0b01:
		rt, err = r.id(level + 1)
	case 0b10:
		l, err = r.id(level + 1)
	default:
		if l, err = r.id(level + 1); err == nil {
			rt, err = r.id(level + 1)
		}
		if err == nil && (l == nil || rt == nil) {
			r.pos = start
			return nil, r.fail("non-canonical id code")
		}
	}
	if err != nil {
		return nil, err
	}
	if !validIDPair(l, rt) {
		r.pos = start
		return nil, r.fail("id not in normal form")
	}
	return r.pool.pair(l, rt), nil
}

func (r *bitReader) event(level int) (Event, error) {
	if level > r.max {
		return Event{}, r.fail(tooDeep(r.max))
	}
	start := r.pos
	leaf, err := r.read(1)
	if err != nil {
		return Event{}, err
	}
	if leaf == 1 {
		n, err := r.num()
		return Event{n: n}, err
	}
	tag, err := r.read(2)
	if err != nil {
		return Event{}, err
	}
	var n uint64
	hasL, hasR := true, true
	switch tag {
	case 0b00:
		hasL = false
	case 0b01:
		hasR = false
	case 0b10:
	default:
		t, err := r.read(1)
		if err != nil {
			return Event{}, err
		}
		if t == 0 {
			side, err := r.read(1)
			if err != nil {
				return Event{}, err
			}
			if side == 0 {
				hasL = false
			} else {
				hasR = false
			}
		}
		mark, err := r.read(1)
		if err != nil {
			return Event{}, err
		}
		if mark != 1 {
			r.pos--
			return Event{}, r.fail("node counter not marked as a leaf")
		}
		if n, err = r.num(); err != nil {
			return Event{}, err
		}
		if n == 0 {
			r.pos = start
			return Event{}, r.fail("non-canonical event code")
		}
	}
	var l, rt Event
	if hasL {
		if l, err = r.event(level + 1); err != nil {
			return Event{}, err
		}
	}
	if hasR {
		if rt, err = r.event(level + 1); err != nil {
			return Event{}, err
		}
	}
	if (hasL && isZeroLeaf(l)) || (hasR && isZeroLeaf(rt)) {
		r.pos = start
		return Event{}, r.fail("non-canonical event code")
	}
	if !validNode(l, rt) {
		r.pos = start
		return Event{}, r.fail("event not in normal form")
	}
	return Event{n, r.pool.kids(l, rt)}, nil
}

// end checks that only zero padding bits are left.
func (r *bitReader) end() error {
	rest := len(r.b)*8 - r.pos
	if rest >= 8 {
		return r.fail("trailing bytes")
	}
	if v, _ := r.read(rest); v != 0 {
		r.pos -= rest
		return r.fail("non-zero padding bits")
	}
	return nil
}

// DecodeStampCompact is like Stamp.UnmarshalCompact with d's limits.
func (d Decoder) DecodeStampCompact(data []byte) (Stamp, error) {
	r := bitReader{b: data, max: d.maxDepth()}
	id, err := r.id(1)
	if err != nil {
		return Stamp{}, err
	}
	e, err := r.event(1)
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return Stamp{}, err
	}
	return Stamp{ID{id}, e}, nil
}

// DecodeIDCompact is like ID.UnmarshalCompact with d's limits.
func (d Decoder) DecodeIDCompact(data []byte) (ID, error) {
	r := bitReader{b: data, max: d.maxDepth()}
	id, err := r.id(1)
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return ID{}, err
	}
	return ID{id}, nil
}

// DecodeEventCompact is like Event.UnmarshalCompact with d's limits.
func (d Decoder) DecodeEventCompact(data []byte) (Event, error) {
	r := bitReader{b: data, max: d.maxDepth()}
	e, err := r.event(1)
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return Event{}, err
	}
	return e, nil
}
