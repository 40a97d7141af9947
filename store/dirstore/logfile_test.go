package dirstore

import (
	"bytes"
	"errors"
	"testing"
)

func sampleLog(entries ...string) []byte {
	data := encodeLogHeader(logHeader{snapshot: 42, typ: "testcrdt.Tally"})
	for _, e := range entries {
		data = appendFrame(data, []byte(e))
	}
	return data
}

func TestParseLog(t *testing.T) {
	good := sampleLog(`{"a":1}`, ``, `{"b":2}`)
	l, err := parseLog(good)
	if err != nil {
		t.Fatal(err)
	}
	if l.header.typ != "testcrdt.Tally" || l.header.snapshot != 42 || len(l.entries) != 3 || l.dropped != 0 || l.end != len(good) {
		t.Fatalf("parsed %+v", l)
	}
	if string(l.entries[0]) != `{"a":1}` || len(l.entries[1]) != 0 || string(l.entries[2]) != `{"b":2}` {
		t.Fatalf("entries %q", l.entries)
	}
	lastStart := len(sampleLog(`{"a":1}`, ``))

	// Every cut inside the last frame is a torn append: dropped, the
	// entries before it kept.
	for cut := lastStart + 1; cut < len(good); cut++ {
		l, err := parseLog(good[:cut])
		if err != nil || len(l.entries) != 2 || l.dropped != 1 || l.end != lastStart {
			t.Fatalf("cut at %d: %+v, %v", cut, l, err)
		}
	}
	// A flipped bit in the last frame: dropped (it cannot have been
	// acknowledged: an acknowledged frame was fsynced whole).
	for i := lastStart; i < len(good); i++ {
		bad := bytes.Clone(good)
		bad[i] ^= 0x10
		l, err := parseLog(bad)
		if err != nil {
			// A corrupted length can make the frame claim to end
			// before the file does: then it is not the last frame.
			if i < lastStart+4 {
				continue
			}
			t.Fatalf("flip at %d: %v", i, err)
		}
		if len(l.entries) != 2 || l.dropped != 1 {
			t.Fatalf("flip at %d: %+v", i, l)
		}
	}
	// A flipped bit in an earlier frame, with good frames after it, is
	// an error: cutting there would lose acknowledged entries.
	first := len(sampleLog())
	for i := first; i < lastStart; i++ {
		bad := bytes.Clone(good)
		bad[i] ^= 0x01
		if l, err := parseLog(bad); err == nil {
			t.Fatalf("flip at %d in a middle frame accepted: %+v", i, l)
		} else if !errors.Is(err, errBadFrame) {
			t.Fatalf("flip at %d: %v", i, err)
		}
	}
	// A damaged header is an error, never an empty log.
	for i := range first {
		bad := bytes.Clone(good)
		bad[i] ^= 0x01
		if _, err := parseLog(bad); err == nil {
			t.Fatalf("flip at %d in the header accepted", i)
		}
	}
}

func TestFrameTorn(t *testing.T) {
	f := appendFrame(nil, []byte("payload"))
	for cut := range len(f) {
		if _, _, torn, err := readFrame(f[:cut]); err == nil || !torn {
			t.Fatalf("frame cut at %d: torn %v, %v", cut, torn, err)
		}
	}
	p, size, _, err := readFrame(f)
	if err != nil || string(p) != "payload" || size != len(f) {
		t.Fatalf("readFrame = %q, %d, %v", p, size, err)
	}
}

// FuzzParseLog feeds arbitrary bytes to the log reader: it must not panic,
// must never report more than what the bytes hold, and what it accepts must
// re-encode to the same bytes.
func FuzzParseLog(f *testing.F) {
	good := sampleLog(`{"a":1}`, `{"b":2}`)
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add(sampleLog())
	f.Add([]byte(logMagic))
	f.Add([]byte{})
	bad := bytes.Clone(good)
	bad[len(sampleLog())+9] ^= 1
	f.Add(bad)
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := parseLog(data)
		if err != nil {
			if !errors.Is(err, errBadFrame) {
				t.Fatalf("error %v does not wrap errBadFrame", err)
			}
			return
		}
		if l.end > len(data) || l.start > l.end || l.dropped > 1 || (l.dropped == 0 && l.end != len(data)) {
			t.Fatalf("parsed %+v from %d bytes", l, len(data))
		}
		again := encodeLogHeader(l.header)
		if len(again) != l.start {
			t.Fatalf("header re-encodes to %d bytes, parsed %d", len(again), l.start)
		}
		for _, e := range l.entries {
			again = appendFrame(again, e)
		}
		if !bytes.Equal(again, data[:l.end]) {
			t.Fatalf("re-encoding differs from the %d bytes accepted", l.end)
		}
	})
}

// FuzzFrame: any payload round-trips, and no prefix of a frame reads as a
// frame.
func FuzzFrame(f *testing.F) {
	f.Add([]byte(`{"state":{},"type":"x","version":1}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, payload []byte) {
		fr := appendFrame(nil, payload)
		p, size, _, err := readFrame(fr)
		if err != nil || !bytes.Equal(p, payload) || size != len(fr) {
			t.Fatalf("round trip: %q, %d, %v", p, size, err)
		}
		if _, _, torn, err := readFrame(fr[:len(fr)-1]); err == nil || !torn {
			t.Fatalf("a frame one byte short read as good")
		}
	})
}
