package replicate

import (
	"bufio"
	"bytes"
	"compress/lzw"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// memberlist's compressed messages, which the node inflates itself, within
// its own bound, before memberlist sees them: memberlist alone inflates
// any compressed message up to 40 MiB, so a peer could make the node hold
// 40 MiB per 31 KB it sends.
//
// A compressed message is the byte 9 followed by a msgpack map of two
// entries, "Algo" (0: LZW, least significant bit first, 8-bit literals) and
// "Buf" (the compressed bytes, as a msgpack string or binary).

// memberlist's message types that the guard looks at (memberlist's own
// numbering, part of its wire protocol).
const (
	mlCompound byte = 7
	mlCompress byte = 9
	mlEncrypt  byte = 10
	mlHasCRC   byte = 12
	mlHasLabel byte = 244
)

// ErrInflateLimit is wrapped by the error for a compressed message that
// inflates beyond the node's bound, or that nests compression.
var ErrInflateLimit = errors.New("replicate: compressed message inflates beyond the limit")

// errCompressFraming is the error for a compressed message whose framing is
// not memberlist's.
var errCompressFraming = fmt.Errorf("%w: compressed message framing", ErrBadMessage)

// readCompressed reads the msgpack body of a compressed message from r
// (the type byte already read) and returns the inflated bytes, reading no
// more from r than the message holds and failing, while inflating, as soon
// as the output would exceed limit bytes.
func readCompressed(r *bufio.Reader, limit int) ([]byte, error) {
	chunks, err := readCompressedChunks(r, limit)
	if err != nil {
		return nil, err
	}
	return bytes.Join(chunks, nil), nil
}

// inflateChunk is the size of the pieces inflated output is kept in: no
// piece is ever copied to grow a buffer, so inflating n bytes holds n bytes
// (rounded up to a chunk), not the twice as much a growing buffer would.
const inflateChunk = 64 << 10

// readCompressedChunks is readCompressed returning the inflated bytes in
// pieces.
func readCompressedChunks(r *bufio.Reader, limit int) ([][]byte, error) {
	n, err := mapLen(r)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	gotAlgo, gotBuf := false, false
	for range n {
		key, err := readMsgpackString(r, 8)
		if err != nil {
			return nil, err
		}
		switch string(key) {
		case "Algo":
			algo, err := readMsgpackUint(r)
			if err != nil {
				return nil, err
			}
			if algo != 0 || gotAlgo {
				return nil, fmt.Errorf("%w: algorithm %d", errCompressFraming, algo)
			}
			gotAlgo = true
		case "Buf":
			if gotBuf {
				return nil, errCompressFraming
			}
			size, err := bytesLen(r)
			if err != nil {
				return nil, err
			}
			// LZW spends at most 12 bits per byte it carries, so an honest
			// message of at most limit bytes is at most 1.5 times that long
			// compressed.
			if size > uint64(limit)/2*3+1024 {
				return nil, fmt.Errorf("%w: %d compressed bytes, limit %d inflated", ErrInflateLimit, size, limit)
			}
			if out, err = inflate(io.LimitReader(r, int64(size)), limit); err != nil {
				return nil, err
			}
			gotBuf = true
		default:
			return nil, fmt.Errorf("%w: field %q", errCompressFraming, key)
		}
	}
	if !gotAlgo || !gotBuf {
		return nil, fmt.Errorf("%w: missing field", errCompressFraming)
	}
	return out, nil
}

// inflate decompresses r (which it reads to the end), failing as soon as the
// output exceeds limit.
func inflate(r io.Reader, limit int) ([][]byte, error) {
	zr := lzw.NewReader(r, lzw.LSB, 8)
	defer zr.Close()
	var out [][]byte
	total := 0
	for done := false; !done; {
		chunk := make([]byte, inflateChunk)
		n := 0
		for n < len(chunk) {
			m, err := zr.Read(chunk[n:])
			n += m
			if err == io.EOF {
				done = true
				break
			}
			if err != nil {
				// A truncated stream ends with io.ErrUnexpectedEOF.
				return nil, fmt.Errorf("%w: %w", errCompressFraming, err)
			}
		}
		total += n
		if total > limit {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrInflateLimit, limit)
		}
		if n > 0 {
			out = append(out, chunk[:n])
		}
	}
	// Consume what follows the end code, as memberlist ignores it, so
	// that a stream goes on right after the message.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, fmt.Errorf("%w: %w", errCompressFraming, err)
	}
	return out, nil
}

func mapLen(r *bufio.Reader) (int, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, errCompressFraming
	}
	switch {
	case b >= 0x80 && b <= 0x8f:
		return int(b & 0x0f), nil
	case b == 0xde:
		n, err := readBE(r, 2)
		if err != nil || n > 16 {
			return 0, errCompressFraming
		}
		return int(n), nil
	}
	return 0, errCompressFraming
}

// readMsgpackString reads a msgpack string of at most max bytes.
func readMsgpackString(r *bufio.Reader, max int) ([]byte, error) {
	n, err := bytesLen(r)
	if err != nil {
		return nil, err
	}
	if n > uint64(max) {
		return nil, errCompressFraming
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, errCompressFraming
	}
	return b, nil
}

// bytesLen reads the header of a msgpack string or binary and returns its
// length.
func bytesLen(r *bufio.Reader) (uint64, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, errCompressFraming
	}
	switch {
	case b >= 0xa0 && b <= 0xbf:
		return uint64(b & 0x1f), nil
	case b == 0xd9 || b == 0xc4:
		return readBE(r, 1)
	case b == 0xda || b == 0xc5:
		return readBE(r, 2)
	case b == 0xdb || b == 0xc6:
		return readBE(r, 4)
	}
	return 0, errCompressFraming
}

func readMsgpackUint(r *bufio.Reader) (uint64, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, errCompressFraming
	}
	switch {
	case b <= 0x7f:
		return uint64(b), nil
	case b == 0xcc:
		return readBE(r, 1)
	case b == 0xcd:
		return readBE(r, 2)
	case b == 0xce:
		return readBE(r, 4)
	case b == 0xcf:
		return readBE(r, 8)
	}
	return 0, errCompressFraming
}

func readBE(r *bufio.Reader, size int) (uint64, error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[8-size:]); err != nil {
		return 0, errCompressFraming
	}
	return binary.BigEndian.Uint64(b[:]), nil
}

// maxPacketDepth bounds how deeply compound and compressed messages may
// nest in one packet (memberlist itself sends at most a compressed
// compound).
const maxPacketDepth = 3

// checkPacket reports whether the packet buf (a UDP datagram as received)
// stays within limit bytes once every compressed message in it is inflated,
// as memberlist would. Encrypted packets, which only key holders can make,
// are not looked into; malformed ones are left to memberlist, which drops
// them.
func checkPacket(buf []byte, limit int) error {
	if len(buf) > 1 && buf[0] == mlHasLabel {
		n := int(buf[1])
		if len(buf) < 2+n {
			return nil
		}
		buf = buf[2+n:]
	}
	if len(buf) >= 5 && buf[0] == mlHasCRC {
		buf = buf[5:]
	}
	budget := limit
	return walkPacket(buf, 0, &budget)
}

func walkPacket(buf []byte, depth int, budget *int) error {
	if len(buf) == 0 {
		return nil
	}
	if depth > maxPacketDepth {
		return fmt.Errorf("%w: nested %d deep", ErrInflateLimit, depth)
	}
	switch buf[0] {
	case mlCompress:
		if depth > 0 {
			// memberlist compresses whole packets, never their parts.
			return fmt.Errorf("%w: nested compression", ErrInflateLimit)
		}
		out, err := readCompressed(bufio.NewReader(bytes.NewReader(buf[1:])), *budget)
		if err != nil {
			return err
		}
		*budget -= len(out)
		return walkPacket(out, depth+1, budget)
	case mlCompound:
		parts, ok := compoundParts(buf[1:])
		if !ok {
			return nil
		}
		for _, p := range parts {
			if err := walkPacket(p, depth+1, budget); err != nil {
				return err
			}
		}
	}
	return nil
}

// compoundParts splits the body of a memberlist compound message: a part
// count, one big-endian uint16 length per part, then the parts.
func compoundParts(b []byte) ([][]byte, bool) {
	if len(b) < 1 {
		return nil, false
	}
	n := int(b[0])
	b = b[1:]
	if len(b) < 2*n {
		return nil, false
	}
	lens := b[:2*n]
	b = b[2*n:]
	parts := make([][]byte, 0, n)
	for i := range n {
		l := int(binary.BigEndian.Uint16(lens[2*i:]))
		if len(b) < l {
			return parts, true
		}
		parts = append(parts, b[:l])
		b = b[l:]
	}
	return parts, true
}
