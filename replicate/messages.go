package replicate

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrBadMessage is wrapped by every error about a message from another node
// that cannot be decoded. Such messages are dropped and counted.
var ErrBadMessage = errors.New("replicate: malformed message")

// Message kinds, the first byte of every message a node sends.
const (
	msgDelta byte = 1 // a key's delta from a local mutation, gossiped
	msgState byte = 2 // a key's full state, sent during anti-entropy
	// msgDigests is per-key digests of some buckets, for anti-entropy. Kind
	// 3 was its first form, which also carried the sender's address for
	// the answer; it is no longer accepted (answers go to the address the
	// membership layer knows).
	msgDigests byte = 4
	// wireV2 is the version byte of the push/pull digest; version 1 also
	// carried the sender's address.
	wireV2 byte = 2
)

// digestSize is the size of one key's digest: the first 16 bytes of the
// SHA-256 of the key's canonical payload.
const digestSize = 16

type digest [digestSize]byte

// keyPayload is a message that carries one key and one payload.
type keyPayload struct {
	key     string
	payload []byte
}

func appendKeyPayload(kind byte, key string, p []byte) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(key)+len(p))
	b = append(b, kind)
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	return append(b, p...)
}

// uvarint is binary.Uvarint that also rejects (w <= 0) a value written with
// redundant continuation bytes, so that every message has one encoding.
func uvarint(b []byte) (uint64, int) {
	n, w := binary.Uvarint(b)
	if w > 1 && b[w-1] == 0 {
		return 0, -w
	}
	return n, w
}

// readString reads a uvarint length and that many bytes.
func readString(b []byte, max int) (string, []byte, error) {
	n, w := uvarint(b)
	if w <= 0 {
		return "", nil, fmt.Errorf("%w: bad length", ErrBadMessage)
	}
	b = b[w:]
	if n > uint64(len(b)) || n > uint64(max) {
		return "", nil, fmt.Errorf("%w: length %d beyond message or limit", ErrBadMessage, n)
	}
	return string(b[:n]), b[n:], nil
}

func decodeKeyPayload(b []byte, maxKey int) (keyPayload, error) {
	key, rest, err := readString(b, maxKey)
	if err != nil {
		return keyPayload{}, err
	}
	if key == "" {
		return keyPayload{}, fmt.Errorf("%w: empty key", ErrBadMessage)
	}
	return keyPayload{key: key, payload: rest}, nil
}

// keyDigest is one key's digest in a digests message.
type keyDigest struct {
	key    string
	sum    digest
	recent bool // the sender changed the key lately: deltas are on their way
}

// digestsMsg lists the sender's keys and digests in some buckets; the
// receiver answers with the states the sender lacks or has differently.
type digestsMsg struct {
	from    string // the sender's member name; the answer goes to that member
	buckets []uint16
	keys    []keyDigest
}

func (m digestsMsg) append(b []byte) []byte {
	b = append(b, msgDigests)
	b = binary.AppendUvarint(b, uint64(len(m.from)))
	b = append(b, m.from...)
	b = binary.AppendUvarint(b, uint64(len(m.buckets)))
	for _, k := range m.buckets {
		b = binary.BigEndian.AppendUint16(b, k)
	}
	b = binary.AppendUvarint(b, uint64(len(m.keys)))
	for _, k := range m.keys {
		b = binary.AppendUvarint(b, uint64(len(k.key)))
		b = append(b, k.key...)
		b = append(b, k.sum[:]...)
		flag := byte(0)
		if k.recent {
			flag = 1
		}
		b = append(b, flag)
	}
	return b
}

func decodeDigests(b []byte, maxKey int) (digestsMsg, error) {
	var m digestsMsg
	from, b, err := readString(b, maxKey)
	if err != nil {
		return m, err
	}
	m.from = from
	nb, w := uvarint(b)
	if w <= 0 || nb > numBuckets || nb*2 > uint64(len(b)-w) {
		return m, fmt.Errorf("%w: bad bucket count", ErrBadMessage)
	}
	b = b[w:]
	m.buckets = make([]uint16, nb)
	for i := range m.buckets {
		m.buckets[i] = binary.BigEndian.Uint16(b)
		if m.buckets[i] >= numBuckets {
			return m, fmt.Errorf("%w: bucket %d out of range", ErrBadMessage, m.buckets[i])
		}
		b = b[2:]
	}
	nk, w := uvarint(b)
	// Each key takes at least 2 bytes of length and key, its digest and a
	// flag byte.
	if w <= 0 || nk > uint64(len(b)-w)/(3+digestSize) {
		return m, fmt.Errorf("%w: bad key count", ErrBadMessage)
	}
	b = b[w:]
	m.keys = make([]keyDigest, nk)
	for i := range m.keys {
		key, rest, err := readString(b, maxKey)
		if err != nil {
			return m, err
		}
		if key == "" || len(rest) < digestSize+1 {
			return m, fmt.Errorf("%w: truncated digest", ErrBadMessage)
		}
		m.keys[i].key = key
		copy(m.keys[i].sum[:], rest)
		switch rest[digestSize] {
		case 0:
		case 1:
			m.keys[i].recent = true
		default:
			return m, fmt.Errorf("%w: digest flag %d", ErrBadMessage, rest[digestSize])
		}
		b = rest[digestSize+1:]
	}
	if len(b) != 0 {
		return m, fmt.Errorf("%w: %d trailing bytes", ErrBadMessage, len(b))
	}
	return m, nil
}

// pushPull is the state a node offers in memberlist's periodic push/pull:
// its member name (so the peer knows whom to answer) and one hash per bucket
// of keys.
type pushPull struct {
	from    string
	buckets [numBuckets]digest
}

func (p *pushPull) append(b []byte) []byte {
	b = append(b, wireV2)
	b = binary.AppendUvarint(b, uint64(len(p.from)))
	b = append(b, p.from...)
	for i := range p.buckets {
		b = append(b, p.buckets[i][:]...)
	}
	return b
}

func decodePushPull(b []byte, maxName int) (*pushPull, error) {
	if len(b) == 0 || b[0] != wireV2 {
		return nil, fmt.Errorf("%w: unknown push/pull version", ErrBadMessage)
	}
	from, rest, err := readString(b[1:], maxName)
	if err != nil {
		return nil, err
	}
	if len(rest) != numBuckets*digestSize {
		return nil, fmt.Errorf("%w: push/pull of %d bytes, want %d", ErrBadMessage, len(rest), numBuckets*digestSize)
	}
	p := &pushPull{from: from}
	for i := range p.buckets {
		copy(p.buckets[i][:], rest[i*digestSize:])
	}
	return p, nil
}
