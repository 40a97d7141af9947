package replicate

import (
	"bytes"
	"testing"
)

// FuzzDecodeMessages feeds arbitrary bytes to every decoder of the wire
// protocol: none may panic, and what decodes must encode back to the same
// bytes.
func FuzzDecodeMessages(f *testing.F) {
	f.Add(appendKeyPayload(msgDelta, "k", []byte(`{}`)))
	f.Add(digestsMsg{from: "n", buckets: []uint16{1, 255}, keys: []keyDigest{{key: "a"}, {key: "b"}}}.append(nil)[1:])
	pp := pushPull{from: "node"}
	f.Add(pp.append(nil))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		if kp, err := decodeKeyPayload(b, 1024); err == nil {
			again := appendKeyPayload(msgDelta, kp.key, kp.payload)[1:]
			if !bytes.Equal(again, b) && len(kp.key) < 128 {
				t.Fatalf("key/payload re-encodes differently")
			}
		}
		if d, err := decodeDigests(b, 1024); err == nil {
			if again := d.append(nil)[1:]; !bytes.Equal(again, b) && canonicalVarints(b) {
				t.Fatalf("digests re-encode differently: %x vs %x", again, b)
			}
		}
		if p, err := decodePushPull(b, 512); err == nil {
			if again := p.append(nil); !bytes.Equal(again, b) && canonicalVarints(b) {
				t.Fatalf("push/pull re-encodes differently")
			}
		}
	})
}

// canonicalVarints is a loose guard: uvarints may be written with redundant
// continuation bytes, which decode fine but re-encode shorter.
func canonicalVarints(b []byte) bool { return !bytes.Contains(b, []byte{0x80}) }
