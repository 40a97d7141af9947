package itc

import (
	"strconv"
	"strings"
)

// String returns the id in libitc's notation, such as "(0, (1, 0))".
func (i ID) String() string {
	return string(appendIDText(make([]byte, 0, idTextLen(i.p, 2)), i.p))
}

// String returns the event in libitc's notation, such as "5" or
// "(0, 1, (0, 0, 2))".
func (e Event) String() string {
	return string(appendEventText(make([]byte, 0, eventTextLen(e, 2)), e))
}

// String returns the stamp in libitc's notation, such as
// "{(1, 0); (0, 1, 0)}".
func (s Stamp) String() string {
	b := append(make([]byte, 0, len("{; }")+idTextLen(s.id.p, 2)+eventTextLen(s.ev, 2)), '{')
	b = appendIDText(b, s.id.p)
	b = append(b, "; "...)
	b = appendEventText(b, s.ev)
	return string(append(b, '}'))
}

func appendIDText(b []byte, p *idNode) []byte {
	switch p {
	case nil:
		return append(b, '0')
	case idOne:
		return append(b, '1')
	}
	b = append(b, '(')
	b = appendIDText(b, p.l)
	b = append(b, ", "...)
	b = appendIDText(b, p.r)
	return append(b, ')')
}

func appendEventText(b []byte, e Event) []byte {
	if e.k == nil {
		return strconv.AppendUint(b, e.n, 10)
	}
	b = append(b, '(')
	b = strconv.AppendUint(b, e.n, 10)
	b = append(b, ", "...)
	b = appendEventText(b, e.k.l)
	b = append(b, ", "...)
	b = appendEventText(b, e.k.r)
	return append(b, ')')
}

// ParseID parses an id in libitc's notation, as printed by ID.String.
// Spaces around tokens are optional.
func ParseID(s string) (ID, error) { return Decoder{}.ParseID(s) }

// ParseEvent parses an event in libitc's notation, as printed by
// Event.String. Spaces around tokens are optional.
func ParseEvent(s string) (Event, error) { return Decoder{}.ParseEvent(s) }

// ParseStamp parses a stamp in libitc's notation, as printed by
// Stamp.String, for instance "{(1, 0); (0, 1, 0)}". Spaces around tokens are
// optional. Counters are decimal without leading zeros. Non-normal trees,
// trailing text and trees deeper than DefaultMaxDepth are rejected with an
// error wrapping ErrInvalid.
func ParseStamp(s string) (Stamp, error) { return Decoder{}.ParseStamp(s) }

// ParseID is like the package-level ParseID with d's limits.
func (d Decoder) ParseID(s string) (ID, error) {
	p := textParser{s: s, max: d.maxDepth(), pool: presetPool(strings.Count(s, "("), 0)}
	id, err := p.id(1)
	if err == nil {
		err = p.end()
	}
	if err != nil {
		return ID{}, err
	}
	return ID{id}, nil
}

// ParseEvent is like the package-level ParseEvent with d's limits.
func (d Decoder) ParseEvent(s string) (Event, error) {
	p := textParser{s: s, max: d.maxDepth(), pool: presetPool(0, strings.Count(s, "("))}
	e, err := p.event(1)
	if err == nil {
		err = p.end()
	}
	if err != nil {
		return Event{}, err
	}
	return e, nil
}

// ParseStamp is like the package-level ParseStamp with d's limits.
func (d Decoder) ParseStamp(s string) (Stamp, error) {
	// In valid input the id's nodes come before the first ';' and the
	// event's after it.
	split := strings.IndexByte(s, ';')
	if split < 0 {
		split = len(s)
	}
	p := textParser{s: s, max: d.maxDepth(),
		pool: presetPool(strings.Count(s[:split], "("), strings.Count(s[split:], "("))}
	if err := p.expect('{'); err != nil {
		return Stamp{}, err
	}
	id, err := p.id(1)
	if err != nil {
		return Stamp{}, err
	}
	if err := p.expect(';'); err != nil {
		return Stamp{}, err
	}
	e, err := p.event(1)
	if err != nil {
		return Stamp{}, err
	}
	if err := p.expect('}'); err != nil {
		return Stamp{}, err
	}
	if err := p.end(); err != nil {
		return Stamp{}, err
	}
	return Stamp{ID{id}, e}, nil
}

type textParser struct {
	s    string
	pos  int
	max  int
	pool nodePool
}

func (p *textParser) fail(msg string) error {
	return invalid("text", "offset", p.pos, msg)
}

func (p *textParser) skip() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// peek skips spaces and returns the next byte, or 0 at the end.
func (p *textParser) peek() byte {
	p.skip()
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *textParser) expect(c byte) error {
	if p.peek() != c {
		if p.pos >= len(p.s) {
			return p.fail("unexpected end, want " + strconv.QuoteRune(rune(c)))
		}
		return p.fail("want " + strconv.QuoteRune(rune(c)))
	}
	p.pos++
	return nil
}

func (p *textParser) end() error {
	if p.peek(); p.pos != len(p.s) {
		return p.fail("trailing text")
	}
	return nil
}

func (p *textParser) id(level int) (*idNode, error) {
	if level > p.max {
		return nil, p.fail(tooDeep(p.max))
	}
	switch p.peek() {
	case '0':
		p.pos++
		return nil, nil
	case '1':
		p.pos++
		return idOne, nil
	case '(':
	default:
		return nil, p.fail("want an id")
	}
	start := p.pos
	p.pos++
	l, err := p.id(level + 1)
	if err != nil {
		return nil, err
	}
	if err := p.expect(','); err != nil {
		return nil, err
	}
	r, err := p.id(level + 1)
	if err != nil {
		return nil, err
	}
	if err := p.expect(')'); err != nil {
		return nil, err
	}
	if !validIDPair(l, r) {
		p.pos = start
		return nil, p.fail("id not in normal form")
	}
	return p.pool.pair(l, r), nil
}

func (p *textParser) number() (uint64, error) {
	p.skip()
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	digits := p.s[start:p.pos]
	if len(digits) == 0 {
		return 0, p.fail("want a counter")
	}
	if len(digits) > 1 && digits[0] == '0' {
		p.pos = start
		return 0, p.fail("counter with a leading zero")
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		p.pos = start
		return 0, p.fail("counter above 2^64-1")
	}
	return n, nil
}

func (p *textParser) event(level int) (Event, error) {
	if level > p.max {
		return Event{}, p.fail(tooDeep(p.max))
	}
	if p.peek() != '(' {
		n, err := p.number()
		return Event{n: n}, err
	}
	start := p.pos
	p.pos++
	n, err := p.number()
	if err != nil {
		return Event{}, err
	}
	if err := p.expect(','); err != nil {
		return Event{}, err
	}
	l, err := p.event(level + 1)
	if err != nil {
		return Event{}, err
	}
	if err := p.expect(','); err != nil {
		return Event{}, err
	}
	r, err := p.event(level + 1)
	if err != nil {
		return Event{}, err
	}
	if err := p.expect(')'); err != nil {
		return Event{}, err
	}
	if !validNode(l, r) {
		p.pos = start
		return Event{}, p.fail("event not in normal form")
	}
	return Event{n, p.pool.kids(l, r)}, nil
}
