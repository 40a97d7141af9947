package registers

import (
	"bytes"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/crdt"
)

// fuzzPeer is a valid state with three siblings to merge decoded states with.
func fuzzPeer(t *testing.T) *MV[string] {
	p := NewMV[string]("peer")
	err := p.LoadPayload([]byte(`{"clock":[1,[0,1,0],1],"values":[{"event":[1,0,1],"value":"b"},{"event":[1,[0,1,0],0],"value":"a"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func FuzzMVLoadPayload(f *testing.F) {
	for _, s := range []string{
		`{"clock":0,"values":[]}`,
		`{"clock":1,"values":[{"event":1,"value":"x"}]}`,
		`{"clock":2,"values":[{"event":[1,0,[0,0,1]],"value":"blue"},{"event":[1,0,[0,1,0]],"value":"green"},{"event":[1,1,0],"value":"red"}]}`,
		`{"clock":[1,[0,1,0],1],"values":[{"event":[1,[0,1,0],0],"value":"a"}]}`,
		`{"clock":[2,0,1],"values":[{"event":[2,0,1],"value":"\u003c\ufffd"}]}`,
		`{"values":[{"value":"z","event":[0,1,0]},{"event":[0,0,1],"value":"a"}],"clock":[1,1,0]}`,
		`{"clock":18446744073709551615,"values":[{"event":18446744073709551615,"value":"max"}]}`,
		`{"clock":[0,2,0],"values":[{"event":[0,2,0],"value":"x"},{"event":[0,1,0],"value":"y"}]}`,
		`{"clock":1,"values":[{"event":1,"value":7}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip(t, data, func() *MV[int64] { return NewMV[int64]("me") })
		roundTrip(t, data, func() *MV[fuzzPoint] { return NewMV[fuzzPoint]("me") })
		x := NewMV[string]("me")
		if err := x.LoadPayload(data); err != nil {
			return
		}
		roundTrip(t, data, func() *MV[string] { return NewMV[string]("me") })
		// Merging a decoded state with a valid peer is commutative, reports
		// conflicts on both sides, and gives a state that loads again.
		peer := fuzzPeer(t)
		xy, errXY := crdt.Merge(x, peer)
		yx, errYX := crdt.Merge(peer, x)
		if (errXY == nil) != (errYX == nil) {
			t.Fatalf("merge fails one way only: %v / %v", errXY, errYX)
		}
		if errXY != nil {
			return
		}
		a, _ := json.Marshal(xy.Payload())
		b, _ := json.Marshal(yx.Payload())
		if !bytes.Equal(a, b) {
			t.Fatalf("merge not commutative:\n%s\n%s", a, b)
		}
		if err := NewMV[string]("me").LoadPayload(a); err != nil {
			t.Fatalf("merged state %s does not load: %v", a, err)
		}
	})
}

func FuzzIdentityDecode(f *testing.F) {
	for _, s := range []string{`0`, `1`, `[1,0]`, `[0,[1,0]]`, `[[0,1],[1,0]]`, `[1,1]`, ` [ 0 , 1 ] `} {
		f.Add([]byte(s))
	}
	for _, b := range [][]byte{{0x01, 0x02}, {0x01, 0x00}, {0x01, 0x01, 0x02, 0x00}, {0x01, 0x01, 0x00, 0x01, 0x02, 0x00}} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var id Identity
		if err := id.UnmarshalJSON(data); err == nil {
			enc, err := id.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var again Identity
			if err := again.UnmarshalJSON(enc); err != nil {
				t.Fatalf("%s does not decode again: %v", enc, err)
			}
			if !again.ID().Equal(id.ID()) {
				t.Fatalf("%s decodes to %v, not %v", enc, again.ID(), id.ID())
			}
			if enc2, _ := again.MarshalJSON(); !bytes.Equal(enc, enc2) {
				t.Fatalf("JSON not canonical: %s / %s", enc, enc2)
			}
			if !bytes.Equal(bytes.Join(bytes.Fields(data), nil), enc) {
				t.Fatalf("%q decoded to %s: more than whitespace changed", data, enc)
			}
		}
		var bid Identity
		if err := bid.UnmarshalBinary(data); err == nil {
			enc, err := bid.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, data) {
				t.Fatalf("binary %x re-encodes as %x", data, enc)
			}
			// A decoded identity forks and retires like any other.
			child := bid.Fork()
			if err := child.Retire(&bid); err != nil {
				t.Fatalf("fork then retire of %v: %v", bid.ID(), err)
			}
			if !bytes.Equal(mustBinary(t, &bid), data) {
				t.Fatalf("fork and retire changed %x into %x", data, mustBinary(t, &bid))
			}
		}
	})
}

func mustBinary(t *testing.T, id *Identity) []byte {
	b, err := id.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
