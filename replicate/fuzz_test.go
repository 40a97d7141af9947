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
	f.Add([]byte{0x87, 0x00, 'k'}) // a length with a redundant continuation byte
	f.Fuzz(func(t *testing.T, b []byte) {
		if kp, err := decodeKeyPayload(b, 1024); err == nil {
			again := appendKeyPayload(msgDelta, kp.key, kp.payload)[1:]
			if !bytes.Equal(again, b) {
				t.Fatalf("key/payload re-encodes differently")
			}
		}
		if d, err := decodeDigests(b, 1024); err == nil {
			if again := d.append(nil)[1:]; !bytes.Equal(again, b) {
				t.Fatalf("digests re-encode differently: %x vs %x", again, b)
			}
		}
		if p, err := decodePushPull(b, 512); err == nil {
			if again := p.append(nil); !bytes.Equal(again, b) {
				t.Fatalf("push/pull re-encodes differently")
			}
		}
	})
}
