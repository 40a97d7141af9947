package itc

import (
	"bytes"
	"strconv"
)

func appendIDJSON(b []byte, p *idNode) []byte {
	switch p {
	case nil:
		return append(b, '0')
	case idOne:
		return append(b, '1')
	}
	b = append(b, '[')
	b = appendIDJSON(b, p.l)
	b = append(b, ',')
	b = appendIDJSON(b, p.r)
	return append(b, ']')
}

func appendEventJSON(b []byte, e Event) []byte {
	if e.k == nil {
		return strconv.AppendUint(b, e.n, 10)
	}
	b = append(b, '[')
	b = strconv.AppendUint(b, e.n, 10)
	b = append(b, ',')
	b = appendEventJSON(b, e.k.l)
	b = append(b, ',')
	b = appendEventJSON(b, e.k.r)
	return append(b, ']')
}

// decLen returns the number of decimal digits of n.
func decLen(n uint64) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

// idTextLen returns the length of the JSON form of p; sep is the length of
// the separator between children (1 for JSON, 2 for the text notation).
func idTextLen(p *idNode, sep int) int {
	if p == nil || p == idOne {
		return 1
	}
	return 2 + sep + idTextLen(p.l, sep) + idTextLen(p.r, sep)
}

// eventTextLen is idTextLen for events.
func eventTextLen(e Event, sep int) int {
	n := decLen(e.n)
	if e.k != nil {
		n += 2 + 2*sep + eventTextLen(e.k.l, sep) + eventTextLen(e.k.r, sep)
	}
	return n
}

// MarshalJSON encodes the id as 0, 1 or a two-element array [l,r].
func (i ID) MarshalJSON() ([]byte, error) {
	return appendIDJSON(make([]byte, 0, idTextLen(i.p, 1)), i.p), nil
}

// MarshalJSON encodes the event as a number n or a three-element array
// [n,l,r]. Counters are written as exact integers up to 2^64-1.
func (e Event) MarshalJSON() ([]byte, error) {
	return appendEventJSON(make([]byte, 0, eventTextLen(e, 1)), e), nil
}

// MarshalJSON encodes the stamp as {"id":...,"event":...}, in that key
// order and without insignificant whitespace.
func (s Stamp) MarshalJSON() ([]byte, error) {
	n := len(`{"id":,"event":}`) + idTextLen(s.id.p, 1) + eventTextLen(s.ev, 1)
	b := append(make([]byte, 0, n), `{"id":`...)
	b = appendIDJSON(b, s.id.p)
	b = append(b, `,"event":`...)
	b = appendEventJSON(b, s.ev)
	return append(b, '}'), nil
}

// UnmarshalJSON decodes an id encoded by MarshalJSON; insignificant
// whitespace is accepted. It rejects, with an error wrapping ErrInvalid,
// anything else, including null, non-normal ids and ids deeper than
// DefaultMaxDepth.
// On error the receiver is left unchanged.
func (i *ID) UnmarshalJSON(data []byte) error {
	return decodeInto(i, data, Decoder.DecodeIDJSON)
}

// UnmarshalJSON decodes an event encoded by MarshalJSON; insignificant
// whitespace is accepted. Counters must be integers in [0, 2^64-1] without
// sign, fraction, exponent or leading zeros.
// On error the receiver is left unchanged.
func (e *Event) UnmarshalJSON(data []byte) error {
	return decodeInto(e, data, Decoder.DecodeEventJSON)
}

// UnmarshalJSON decodes a stamp encoded by MarshalJSON. The object must
// have exactly the keys "id" and "event" (in either order, each once,
// written without escapes); insignificant whitespace is accepted. null, a
// missing, repeated or unknown key and any invalid id or event are
// rejected with an error wrapping ErrInvalid.
// On error the receiver is left unchanged.
func (s *Stamp) UnmarshalJSON(data []byte) error {
	return decodeInto(s, data, Decoder.DecodeStampJSON)
}

type jsonReader struct {
	b    []byte
	pos  int
	max  int
	pool nodePool
}

func (r *jsonReader) fail(msg string) error {
	return invalid("json", "offset", r.pos, msg)
}

func (r *jsonReader) peek() byte {
	for r.pos < len(r.b) {
		switch c := r.b[r.pos]; c {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return c
		}
	}
	return 0
}

func (r *jsonReader) expect(c byte) error {
	if r.peek() != c {
		if r.pos >= len(r.b) {
			return r.fail("unexpected end, want " + strconv.QuoteRune(rune(c)))
		}
		return r.fail("want " + strconv.QuoteRune(rune(c)))
	}
	r.pos++
	return nil
}

func (r *jsonReader) end() error {
	if r.peek(); r.pos != len(r.b) {
		return r.fail("trailing data")
	}
	return nil
}

// number reads a JSON number that must be an integer in [0, 2^64-1].
func (r *jsonReader) number() (uint64, error) {
	r.peek()
	start := r.pos
	for r.pos < len(r.b) {
		c := r.b[r.pos]
		if (c < '0' || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			break
		}
		r.pos++
	}
	lit := string(r.b[start:r.pos])
	r.pos = start
	switch {
	case lit == "":
		return 0, r.fail("want a number")
	case lit[0] == '-' || lit[0] == '+':
		return 0, r.fail("signed counter")
	case len(lit) > 1 && lit[0] == '0':
		return 0, r.fail("counter with a leading zero or a fraction")
	}
	n, err := strconv.ParseUint(lit, 10, 64)
	if err != nil {
		for _, c := range lit {
			if c < '0' || c > '9' {
				return 0, r.fail("counter is not an integer")
			}
		}
		return 0, r.fail("counter above 2^64-1")
	}
	r.pos += len(lit)
	return n, nil
}

func (r *jsonReader) id(level int) (*idNode, error) {
	if level > r.max {
		return nil, r.fail(tooDeep(r.max))
	}
	if r.peek() != '[' {
		n, err := r.number()
		if err != nil {
			return nil, err
		}
		switch n {
		case 0:
			return nil, nil
		case 1:
			return idOne, nil
		}
		r.pos -= len(strconv.FormatUint(n, 10))
		return nil, r.fail("id leaf must be 0 or 1")
	}
	start := r.pos
	r.pos++
	l, err := r.id(level + 1)
	if err != nil {
		return nil, err
	}
	if err := r.expect(','); err != nil {
		return nil, err
	}
	rt, err := r.id(level + 1)
	if err != nil {
		return nil, err
	}
	if err := r.expect(']'); err != nil {
		return nil, err
	}
	if !validIDPair(l, rt) {
		r.pos = start
		return nil, r.fail("id not in normal form")
	}
	return r.pool.pair(l, rt), nil
}

func (r *jsonReader) event(level int) (Event, error) {
	if level > r.max {
		return Event{}, r.fail(tooDeep(r.max))
	}
	if r.peek() != '[' {
		n, err := r.number()
		return Event{n: n}, err
	}
	start := r.pos
	r.pos++
	n, err := r.number()
	if err != nil {
		return Event{}, err
	}
	if err := r.expect(','); err != nil {
		return Event{}, err
	}
	l, err := r.event(level + 1)
	if err != nil {
		return Event{}, err
	}
	if err := r.expect(','); err != nil {
		return Event{}, err
	}
	rt, err := r.event(level + 1)
	if err != nil {
		return Event{}, err
	}
	if err := r.expect(']'); err != nil {
		return Event{}, err
	}
	if !validNode(l, rt) {
		r.pos = start
		return Event{}, r.fail("event not in normal form")
	}
	return Event{n, r.pool.kids(l, rt)}, nil
}

// key reads an object key written without escapes.
func (r *jsonReader) key() ([]byte, error) {
	if err := r.expect('"'); err != nil {
		return nil, err
	}
	start := r.pos
	for r.pos < len(r.b) && r.b[r.pos] != '"' {
		if r.b[r.pos] == '\\' || r.b[r.pos] < 0x20 {
			return nil, r.fail("escaped or control character in key")
		}
		r.pos++
	}
	if r.pos >= len(r.b) {
		return nil, r.fail("unterminated key")
	}
	k := r.b[start:r.pos]
	r.pos++
	return k, nil
}

// DecodeIDJSON is like ID.UnmarshalJSON with d's limits.
func (d Decoder) DecodeIDJSON(data []byte) (ID, error) {
	r := jsonReader{b: data, max: d.maxDepth(), pool: presetPool(bytes.Count(data, []byte{'['}), 0)}
	p, err := r.id(1)
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return ID{}, err
	}
	return ID{p}, nil
}

// DecodeEventJSON is like Event.UnmarshalJSON with d's limits.
func (d Decoder) DecodeEventJSON(data []byte) (Event, error) {
	r := jsonReader{b: data, max: d.maxDepth(), pool: presetPool(0, bytes.Count(data, []byte{'['}))}
	e, err := r.event(1)
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return Event{}, err
	}
	return e, nil
}

// DecodeStampJSON is like Stamp.UnmarshalJSON with d's limits.
func (d Decoder) DecodeStampJSON(data []byte) (Stamp, error) {
	// Every node is an array, so the number of '[' bounds the event's
	// nodes (exactly, but for the id's pairs).
	r := jsonReader{b: data, max: d.maxDepth(), pool: presetPool(0, bytes.Count(data, []byte{'['}))}
	var s Stamp
	var haveID, haveEvent bool
	if err := r.expect('{'); err != nil {
		return Stamp{}, err
	}
	for i := 0; i < 2; i++ {
		if r.peek() == '}' {
			missing := "id"
			if haveID {
				missing = "event"
			}
			return Stamp{}, r.fail("missing key " + strconv.Quote(missing))
		}
		if i == 1 {
			if err := r.expect(','); err != nil {
				return Stamp{}, err
			}
		}
		at := r.pos
		k, err := r.key()
		if err != nil {
			return Stamp{}, err
		}
		if err := r.expect(':'); err != nil {
			return Stamp{}, err
		}
		switch key := string(k); {
		case key == "id" && !haveID:
			haveID = true
			if s.id.p, err = r.id(1); err != nil {
				return Stamp{}, err
			}
		case key == "event" && !haveEvent:
			haveEvent = true
			if s.ev, err = r.event(1); err != nil {
				return Stamp{}, err
			}
		case key == "id" || key == "event":
			r.pos = at
			return Stamp{}, r.fail("repeated key " + strconv.Quote(key))
		default:
			r.pos = at
			return Stamp{}, r.fail("unknown key " + strconv.Quote(key))
		}
	}
	if r.peek() == ',' {
		return Stamp{}, r.fail("unknown extra member")
	}
	if err := r.expect('}'); err != nil {
		return Stamp{}, err
	}
	if err := r.end(); err != nil {
		return Stamp{}, err
	}
	return s, nil
}
