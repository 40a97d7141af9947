package itc

import (
	"fmt"
	"strconv"
)

// DefaultMaxDepth is the deepest tree, in levels, that the package-level
// decoders accept. A leaf is one level; a node adds one level above the
// deeper of its children. Ids and events are limited separately.
const DefaultMaxDepth = 4096

// Decoder decodes ids, events and stamps with an explicit depth limit. The
// package-level functions and the Unmarshal methods use the zero Decoder.
// A Decoder holds no state and may be used concurrently.
type Decoder struct {
	// MaxDepth is the deepest tree, in levels, the decoder accepts; zero or
	// less means DefaultMaxDepth. Decoding recurses at most this deep, and
	// operations recurse no deeper than the trees they are given plus one.
	MaxDepth int
}

func (d Decoder) maxDepth() int {
	if d.MaxDepth <= 0 {
		return DefaultMaxDepth
	}
	return d.MaxDepth
}

// invalid builds a decoding error that wraps ErrInvalid.
func invalid(format string, where string, pos int, msg string) error {
	return fmt.Errorf("%w: %s: %s %d: %s", ErrInvalid, format, where, pos, msg)
}

// tooDeep is every decoder's message for a tree deeper than limit levels.
func tooDeep(limit int) string {
	return "tree deeper than " + strconv.Itoa(limit) + " levels"
}

// validIDPair reports whether the id pair (l, r) is in normal form: neither
// (0, 0) nor (1, 1).
func validIDPair(l, r *idNode) bool {
	return !(l == nil && r == nil) && !(l == idOne && r == idOne)
}

// validNode reports whether (n, l, r) is in normal form given its children.
func validNode(l, r Event) bool {
	if l.n != 0 && r.n != 0 {
		return false // children must be lowered by their minimum
	}
	return !(l.k == nil && r.k == nil && l.n == r.n)
}

// nodePool hands out the nodes of decoded trees from a few large
// allocations instead of one per node. A decoded tree keeps its chunks
// alive, so chunks grow geometrically to bound the waste, or are sized
// exactly when the decoder can count the nodes in advance.
type nodePool struct {
	ev             []evKids
	id             []idNode
	evNext, idNext int // size of the next chunk
}

const (
	poolFirstChunk = 4
	poolMaxChunk   = 1024
)

func nextChunk(n *int) int {
	c := *n
	if c < 1 {
		c = poolFirstChunk
	}
	*n = min(2*c, poolMaxChunk)
	return c
}

func (p *nodePool) kids(l, r Event) *evKids {
	if len(p.ev) == 0 {
		p.ev = make([]evKids, nextChunk(&p.evNext))
	}
	k := &p.ev[0]
	p.ev = p.ev[1:]
	k.l, k.r = l, r
	return k
}

// pair is mkID drawing fresh nodes from the pool; (l, r) is in normal form.
func (p *nodePool) pair(l, r *idNode) *idNode {
	if (l == idOne && r == nil) || (l == nil && r == idOne) {
		return mkID(l, r)
	}
	if len(p.id) == 0 {
		p.id = make([]idNode, nextChunk(&p.idNext))
	}
	n := &p.id[0]
	p.id = p.id[1:]
	n.l, n.r = l, r
	return n
}

// poolMaxPreset caps the chunk sized from a count of the input, so that a
// hostile input cannot make the decoder allocate far ahead of its parsing.
const poolMaxPreset = 1 << 16

func presetPool(ids, events int) nodePool {
	return nodePool{idNext: min(ids, poolMaxPreset), evNext: min(events, poolMaxPreset)}
}

// decodeInto runs decode with the zero Decoder and stores the result in
// dst only on success, so that the Unmarshal methods leave their receiver
// unchanged on error.
func decodeInto[T any](dst *T, data []byte, decode func(Decoder, []byte) (T, error)) error {
	v, err := decode(Decoder{}, data)
	if err == nil {
		*dst = v
	}
	return err
}
