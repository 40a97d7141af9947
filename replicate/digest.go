package replicate

import (
	"crypto/sha256"
	"encoding/binary"
)

// numBuckets is the number of key buckets whose hashes a node offers in each
// push/pull. A push/pull is then numBuckets*16 bytes (4 KiB) whatever the
// number of keys, and a difference in one key costs the digests of one
// bucket's keys.
const numBuckets = 256

// bucketOf returns the bucket of key. It must be the same on every node, so it
// is derived from SHA-256, not from a per-process seed.
func bucketOf(key string) uint16 {
	h := sha256.Sum256([]byte(key))
	return binary.BigEndian.Uint16(h[:2]) % numBuckets
}

// payloadDigest is the digest of a canonical payload.
func payloadDigest(p []byte) digest {
	h := sha256.Sum256(p)
	var d digest
	copy(d[:], h[:])
	return d
}

// entryHash is what a key with a given payload digest contributes to its
// bucket's hash. Bucket hashes are the XOR of their keys' entry hashes, so
// one key's change updates its bucket in constant time.
func entryHash(key string, d digest) digest {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(d[:])
	var out digest
	copy(out[:], h.Sum(nil))
	return out
}

func (d *digest) xor(o digest) {
	for i := range d {
		d[i] ^= o[i]
	}
}
