package itc

import "fmt"

// DefaultMaxDepth is the deepest tree, in levels, that the package-level
// decoders accept. A leaf is one level; a node adds one level above the
// deeper of its children. Ids and events are limited separately.
const DefaultMaxDepth = 4096

// Decoder decodes ids, events and stamps with an explicit depth limit. The
// package-level functions and the Unmarshal methods use the zero Decoder.
// A Decoder holds no state and may be used concurrently.
type Decoder struct {
	// MaxDepth is the deepest tree, in levels, the decoder accepts; zero or
	// less means DefaultMaxDepth. Decoding, and every later operation on a
	// decoded value, recurses at most this deep.
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

// validNode reports whether (n, l, r) is in normal form given its children.
func validNode(l, r Event) bool {
	if l.n != 0 && r.n != 0 {
		return false // children must be lowered by their minimum
	}
	return !(l.k == nil && r.k == nil && l.n == r.n)
}
