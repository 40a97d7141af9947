package itc

import (
	"bytes"
	"math/bits"
	"strconv"
)

// binaryVersion is the leading byte of libitc's v1 serialisation.
const binaryVersion = 0x01

// Id node bytes of the libitc v1 format.
const (
	binIDZero = 0x00
	binIDPair = 0x01
	binIDOne  = 0x02
)

// counterLen returns the number of bytes of n's minimal big-endian form.
func counterLen(n uint64) int { return (bits.Len64(n) + 7) / 8 }

func idBinaryLen(p *idNode) int {
	if p == nil || p == idOne {
		return 1
	}
	return 1 + idBinaryLen(p.l) + idBinaryLen(p.r)
}

func eventBinaryLen(e Event) int {
	n := 1 + counterLen(e.n)
	if e.k != nil {
		n += eventBinaryLen(e.k.l) + eventBinaryLen(e.k.r)
	}
	return n
}

func appendIDBinary(b []byte, p *idNode) []byte {
	switch p {
	case nil:
		return append(b, binIDZero)
	case idOne:
		return append(b, binIDOne)
	}
	b = append(b, binIDPair)
	b = appendIDBinary(b, p.l)
	return appendIDBinary(b, p.r)
}

func appendEventBinary(b []byte, e Event) []byte {
	k := counterLen(e.n)
	h := byte(k << 1)
	if e.k != nil {
		h |= 1
	}
	b = append(b, h)
	for i := k - 1; i >= 0; i-- {
		b = append(b, byte(e.n>>(8*i)))
	}
	if e.k != nil {
		b = appendEventBinary(b, e.k.l)
		b = appendEventBinary(b, e.k.r)
	}
	return b
}

func appendLength(b []byte, n, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		b = append(b, byte(n>>(8*i)))
	}
	return b
}

// MarshalBinary encodes the id in libitc's v1 format: the version byte
// 0x01, then one byte per node in pre-order (0x00 for 0, 0x02 for 1, 0x01
// for a pair).
func (i ID) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 1+idBinaryLen(i.p))
	return appendIDBinary(append(b, binaryVersion), i.p), nil
}

// MarshalBinary encodes the event in libitc's v1 format: the version byte
// 0x01, then for each node in pre-order a header byte (bit 0 set for a
// node, bits 1-4 the number k of counter bytes) and the counter in k
// big-endian bytes, none when it is 0.
func (e Event) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 1+eventBinaryLen(e))
	return appendEventBinary(append(b, binaryVersion), e), nil
}

// MarshalBinary encodes the stamp in libitc's v1 format, as pyitc's
// serialise() does: 0x01, a header byte whose bits 0-2 and 3-5 give the
// byte widths of the two lengths that follow, then the id's length and
// bytes and the event's length and bytes (without their own version
// bytes). The seed stamp is 01 09 01 02 01 00.
func (s Stamp) MarshalBinary() ([]byte, error) {
	il, el := idBinaryLen(s.id.p), eventBinaryLen(s.ev)
	iw, ew := counterLen(uint64(il)), counterLen(uint64(el))
	b := make([]byte, 0, 2+iw+il+ew+el)
	b = append(b, binaryVersion, byte(iw|ew<<3))
	b = appendLength(b, il, iw)
	b = appendIDBinary(b, s.id.p)
	b = appendLength(b, el, ew)
	return appendEventBinary(b, s.ev), nil
}

// UnmarshalBinary decodes an id encoded by MarshalBinary. It rejects, with
// an error wrapping ErrInvalid, anything but the canonical encoding of a
// normal-form id at most DefaultMaxDepth levels deep.
// On error the receiver is left unchanged.
func (i *ID) UnmarshalBinary(data []byte) error {
	return decodeInto(i, data, Decoder.DecodeIDBinary)
}

// UnmarshalBinary decodes an event encoded by MarshalBinary, with the same
// strictness as ID.UnmarshalBinary.
// On error the receiver is left unchanged.
func (e *Event) UnmarshalBinary(data []byte) error {
	return decodeInto(e, data, Decoder.DecodeEventBinary)
}

// UnmarshalBinary decodes a stamp in libitc's v1 format. It rejects, with
// an error wrapping ErrInvalid: another version, non-zero header bits 6-7,
// zero or non-minimal length widths, lengths that disagree with the trees,
// truncated or trailing bytes, unknown node bytes, counters of more than 8
// bytes or with leading zero bytes, non-normal trees and trees deeper than
// DefaultMaxDepth.
// On error the receiver is left unchanged.
func (s *Stamp) UnmarshalBinary(data []byte) error {
	return decodeInto(s, data, Decoder.DecodeStampBinary)
}

type binReader struct {
	b    []byte
	pos  int
	off  int // offset of b within the whole input, for messages
	max  int
	pool nodePool
}

func (r *binReader) fail(msg string) error {
	return invalid("binary", "byte", r.off+r.pos, msg)
}

func (r *binReader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.fail("truncated")
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *binReader) id(level int) (*idNode, error) {
	if level > r.max {
		return nil, r.fail(tooDeep(r.max))
	}
	start := r.pos
	c, err := r.byte()
	if err != nil {
		return nil, err
	}
	switch c {
	case binIDZero:
		return nil, nil
	case binIDOne:
		return idOne, nil
	case binIDPair:
	default:
		r.pos = start
		return nil, r.fail("unknown id node byte")
	}
	l, err := r.id(level + 1)
	if err != nil {
		return nil, err
	}
	rt, err := r.id(level + 1)
	if err != nil {
		return nil, err
	}
	if !validIDPair(l, rt) {
		r.pos = start
		return nil, r.fail("id not in normal form")
	}
	return r.pool.pair(l, rt), nil
}

func (r *binReader) event(level int) (Event, error) {
	if level > r.max {
		return Event{}, r.fail(tooDeep(r.max))
	}
	start := r.pos
	h, err := r.byte()
	if err != nil {
		return Event{}, err
	}
	if h&^0x1f != 0 {
		r.pos = start
		return Event{}, r.fail("unknown event header bits")
	}
	k := int(h >> 1)
	if k > 8 {
		r.pos = start
		return Event{}, r.fail("counter wider than 64 bits")
	}
	var n uint64
	for j := 0; j < k; j++ {
		c, err := r.byte()
		if err != nil {
			return Event{}, err
		}
		if j == 0 && c == 0 {
			r.pos--
			return Event{}, r.fail("counter with a leading zero byte")
		}
		n = n<<8 | uint64(c)
	}
	if h&1 == 0 {
		return Event{n: n}, nil
	}
	l, err := r.event(level + 1)
	if err != nil {
		return Event{}, err
	}
	rt, err := r.event(level + 1)
	if err != nil {
		return Event{}, err
	}
	if !validNode(l, rt) {
		r.pos = start
		return Event{}, r.fail("event not in normal form")
	}
	return Event{n, r.pool.kids(l, rt)}, nil
}

// version checks the leading version byte.
func (r *binReader) version() error {
	c, err := r.byte()
	if err != nil {
		return err
	}
	if c != binaryVersion {
		r.pos--
		return r.fail("unknown version " + strconv.Itoa(int(c)))
	}
	return nil
}

func (r *binReader) end() error {
	if r.pos != len(r.b) {
		return r.fail("trailing bytes")
	}
	return nil
}

// DecodeIDBinary is like ID.UnmarshalBinary with d's limits.
func (d Decoder) DecodeIDBinary(data []byte) (ID, error) {
	r := binReader{b: data, max: d.maxDepth(), pool: presetPool(bytes.Count(data, []byte{binIDPair}), 0)}
	if err := r.version(); err != nil {
		return ID{}, err
	}
	p, err := r.id(1)
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return ID{}, err
	}
	return ID{p}, nil
}

// DecodeEventBinary is like Event.UnmarshalBinary with d's limits.
func (d Decoder) DecodeEventBinary(data []byte) (Event, error) {
	r := binReader{b: data, max: d.maxDepth(), pool: presetPool(0, countEventNodes(data[min(1, len(data)):]))}
	if err := r.version(); err != nil {
		return Event{}, err
	}
	e, err := r.event(1)
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return Event{}, err
	}
	return e, nil
}

// countEventNodes counts the nodes of an encoded event by skipping from
// header to header: exact for valid input, bounded by len(b) otherwise.
func countEventNodes(b []byte) int {
	n := 0
	for i := 0; i < len(b); i += 1 + int(b[i]>>1&0xf) {
		n += int(b[i] & 1)
	}
	return n
}

// length reads a length of the given byte width.
func (r *binReader) length(width int, what string) (int, error) {
	start := r.pos
	var n uint64
	for j := 0; j < width; j++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if j == 0 && c == 0 && width > 1 {
			r.pos = start
			return 0, r.fail(what + " length with a leading zero byte")
		}
		n = n<<8 | uint64(c)
	}
	if n > uint64(len(r.b)-r.pos) {
		r.pos = start
		return 0, r.fail(what + " length beyond the input")
	}
	return int(n), nil
}

// DecodeStampBinary is like Stamp.UnmarshalBinary with d's limits.
func (d Decoder) DecodeStampBinary(data []byte) (Stamp, error) {
	r := binReader{b: data, max: d.maxDepth()}
	if err := r.version(); err != nil {
		return Stamp{}, err
	}
	h, err := r.byte()
	if err != nil {
		return Stamp{}, err
	}
	iw, ew := int(h&7), int(h>>3&7)
	switch {
	case h&0xc0 != 0:
		r.pos--
		return Stamp{}, r.fail("unknown header bits")
	case iw == 0 || ew == 0:
		r.pos--
		return Stamp{}, r.fail("zero length width")
	}
	il, err := r.length(iw, "id")
	if err != nil {
		return Stamp{}, err
	}
	idBytes := data[r.pos : r.pos+il]
	ir := binReader{b: idBytes, off: r.pos, max: r.max,
		pool: presetPool(bytes.Count(idBytes, []byte{binIDPair}), 0)}
	id, err := ir.id(1)
	if err == nil {
		err = ir.end()
	}
	if err != nil {
		return Stamp{}, err
	}
	r.pos += il
	el, err := r.length(ew, "event")
	if err != nil {
		return Stamp{}, err
	}
	evBytes := data[r.pos : r.pos+el]
	er := binReader{b: evBytes, off: r.pos, max: r.max,
		pool: presetPool(0, countEventNodes(evBytes))}
	e, err := er.event(1)
	if err == nil {
		err = er.end()
	}
	if err != nil {
		return Stamp{}, err
	}
	r.pos += el
	if err := r.end(); err != nil {
		return Stamp{}, err
	}
	return Stamp{ID{id}, e}, nil
}
