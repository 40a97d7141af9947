package itc

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stampVectors holds each stamp with its encodings, derived by hand from
// the format descriptions of issue 3.
var stampVectors = []struct {
	text, binary, compact, json string
}{
	// Binary: 01 version; header 0x09 = idLen width 1 | evLen width 1 << 3;
	// idLen 1, id 02 (the leaf 1); evLen 1, event 00 (leaf, no counter bytes).
	// Compact: id 1 = 001, event 0 = 1·num(0) = 1·0·00; 0011000 padded = 0x30.
	{"{1; 0}", "01 09 01 02 01 00", "30", `{"id":1,"event":0}`},
	// Binary: id 0 = 00; event 0 = 00.
	// Compact: 000 · 1000 = 0001000 padded = 0x10.
	{"{0; 0}", "01 09 01 00 01 00", "10", `{"id":0,"event":0}`},
	// Binary: id (1, 0) = 01 02 00 (3 bytes); event (0, 1, 0): node with
	// counter 0 = 01, leaf 1 = 02 01 (k = 1), leaf 0 = 00 (4 bytes).
	// Compact: (i, 0) = 10·i = 10·001; (0, l, 0) = 001·l with the leaf 1 =
	// 1·0·01. 10001 001 1001 = 1000 1001 1001 (pad) = 0x89 0x90.
	{"{(1, 0); (0, 1, 0)}", "01 09 03 01 02 00 04 01 02 01 00", "89 90", `{"id":[1,0],"event":[0,1,0]}`},
	// Compact: id 0 = 000; event 4 = 1·num(4); 4 >= 2^2 so num(4) = 1 then
	// 4-4 = 0 in 3 bits with its 0 flag: 1·0·000. 000 1 10000 = 0x18 0x00.
	// Binary: counter 4 in one byte: header 0x02, 04.
	{"{0; 4}", "01 09 01 00 02 02 04", "18 00", `{"id":0,"event":4}`},
	// Compact: (n, 0, r) = 01100·1·num(n)·r with num(2) = 0·10 and r = leaf 1
	// = 1·0·01: 000 01100 1 010 1001 = 0000 1100 1010 1001 = 0x0C 0xA9.
	// Binary: node counter 2 = 03 02; leaf 0 = 00; leaf 1 = 02 01.
	{"{0; (2, 0, 1)}", "01 09 01 00 05 03 02 00 02 01", "0c a9", `{"id":0,"event":[2,0,1]}`},
	// Binary: 256 needs two counter bytes: header 0x04, 01 00.
	// Compact: id (0, 1) = 01·001; 256 = 1 (256 >= 4), 1 (252 >= 8), 1 (244
	// >= 16), 1 (228 >= 32), 1 (196 >= 64), 1 (132 >= 128), then 0 and
	// 132-128 = 4 in 8 bits. Event bits 1 111111 0 00000100, so
	// 01001 1111111 0 00000100 = 0100 1111 1111 0000 0010 0 = 4f f0 20.
	{"{(0, 1); 256}", "01 09 03 01 00 02 03 04 01 00", "4f f0 20", `{"id":[0,1],"event":256}`},
	// Binary: counter 2^64-1 takes 8 bytes: header 0x10.
	// Compact: id 0 = 000, leaf bit 1, then 62 continuation ones (B = 2 to
	// 63, subtracting 2^64-4 in all), 0, and 3 in 64 bits: 3+1+62+1+64 =
	// 131 bits.
	{"{0; 18446744073709551615}", "01 09 01 00 09 10 ff ff ff ff ff ff ff ff",
		"1f ff ff ff ff ff ff ff c0 00 00 00 00 00 00 00 60",
		`{"id":0,"event":18446744073709551615}`},
}

func TestStampVectors(t *testing.T) {
	for _, v := range stampVectors {
		s := mustStamp(t, v.text)
		if s.String() != v.text {
			t.Errorf("String = %s, want %s", s, v.text)
		}
		bin, _ := s.MarshalBinary()
		if !bytes.Equal(bin, unhex(t, v.binary)) {
			t.Errorf("%s binary = % x, want %s", v.text, bin, v.binary)
		}
		cmp, _ := s.MarshalCompact()
		if !bytes.Equal(cmp, unhex(t, v.compact)) {
			t.Errorf("%s compact = % x, want %s", v.text, cmp, v.compact)
		}
		js, _ := s.MarshalJSON()
		if string(js) != v.json {
			t.Errorf("%s json = %s, want %s", v.text, js, v.json)
		}
		var b, c, j Stamp
		if err := b.UnmarshalBinary(unhex(t, v.binary)); err != nil || !b.Equal(s) {
			t.Errorf("%s from binary = %v, %v", v.text, b, err)
		}
		if err := c.UnmarshalCompact(unhex(t, v.compact)); err != nil || !c.Equal(s) {
			t.Errorf("%s from compact = %v, %v", v.text, c, err)
		}
		if err := j.UnmarshalJSON([]byte(v.json)); err != nil || !j.Equal(s) {
			t.Errorf("%s from json = %v, %v", v.text, j, err)
		}
	}
}

func TestStandaloneVectors(t *testing.T) {
	// A standalone id or event is 0x01 followed by its pre-order bytes.
	ids := []struct{ text, bin, js string }{
		{"0", "01 00", "0"},
		{"1", "01 02", "1"},
		{"(0, (1, 0))", "01 01 00 01 02 00", "[0,[1,0]]"},
	}
	for _, v := range ids {
		id := mustID(t, v.text)
		b, _ := id.MarshalBinary()
		j, _ := id.MarshalJSON()
		if !bytes.Equal(b, unhex(t, v.bin)) || string(j) != v.js {
			t.Errorf("id %s: binary % x, json %s", v.text, b, j)
		}
		var back, backJ ID
		if err := back.UnmarshalBinary(b); err != nil || !back.Equal(id) {
			t.Errorf("id %s binary round trip: %v %v", v.text, back, err)
		}
		if err := backJ.UnmarshalJSON(j); err != nil || !backJ.Equal(id) {
			t.Errorf("id %s json round trip: %v %v", v.text, backJ, err)
		}
	}
	events := []struct{ text, bin, js string }{
		{"0", "01 00", "0"},
		{"256", "01 04 01 00", "256"},
		// Node 0 = 01, leaf 1 = 02 01, node (0, 0, 2) = 01 00 02 02.
		{"(0, 1, (0, 0, 2))", "01 01 02 01 01 00 02 02", "[0,1,[0,0,2]]"},
	}
	for _, v := range events {
		e := mustEvent(t, v.text)
		b, _ := e.MarshalBinary()
		j, _ := e.MarshalJSON()
		if !bytes.Equal(b, unhex(t, v.bin)) || string(j) != v.js {
			t.Errorf("event %s: binary % x, json %s", v.text, b, j)
		}
		var back, backJ, backC Event
		if err := back.UnmarshalBinary(b); err != nil || !back.Equal(e) {
			t.Errorf("event %s binary round trip: %v %v", v.text, back, err)
		}
		if err := backJ.UnmarshalJSON(j); err != nil || !backJ.Equal(e) {
			t.Errorf("event %s json round trip: %v %v", v.text, backJ, err)
		}
		c, _ := e.MarshalCompact()
		if err := backC.UnmarshalCompact(c); err != nil || !backC.Equal(e) {
			t.Errorf("event %s compact round trip: %v %v", v.text, backC, err)
		}
	}
}

func TestTextSpacing(t *testing.T) {
	want := "{(1, 0); (0, 1, (0, 0, 2))}"
	for _, in := range []string{
		"{(1,0);(0,1,(0,0,2))}",
		"  {  ( 1 ,0 )\t;\n( 0, 1,(0 , 0 , 2) ) }  ",
		want,
	} {
		s, err := ParseStamp(in)
		if err != nil || s.String() != want {
			t.Errorf("ParseStamp(%q) = %v, %v", in, s, err)
		}
	}
}

func TestJSONSpacingAndOrder(t *testing.T) {
	in := " { \"event\" : [ 0 , 1 , 0 ] ,\n \"id\" : [1, 0] } "
	var s Stamp
	if err := s.UnmarshalJSON([]byte(in)); err != nil || s.String() != "{(1, 0); (0, 1, 0)}" {
		t.Fatalf("UnmarshalJSON = %v, %v", s, err)
	}
	// encoding/json uses the methods and compacts their output.
	out, err := json.Marshal(struct {
		S Stamp `json:"s"`
	}{s})
	if err != nil || string(out) != `{"s":{"id":[1,0],"event":[0,1,0]}}` {
		t.Fatalf("json.Marshal = %s, %v", out, err)
	}
	var back struct {
		S Stamp `json:"s"`
	}
	if err := json.Unmarshal(out, &back); err != nil || !back.S.Equal(s) {
		t.Fatalf("json.Unmarshal = %v, %v", back.S, err)
	}
}

func TestRejectText(t *testing.T) {
	for _, in := range []string{
		"", "{", "{1;", "{1; 0", "{1; 0} x", "{1, 0}", "{1; 01}", "{1; -1}",
		"{1; 18446744073709551616}", "{2; 0}", "{(1); 0}", "{(1, 0, 1); 0}",
		"{1; (1, 0)}", "{(0, 0); 0}", "{1; (0, 0, 0)}", "{1; (0, 1, 1)}",
		"{1; (1, 1, 0, 0)}", "1; 0",
	} {
		if _, err := ParseStamp(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseStamp(%q) err = %v", in, err)
		}
	}
}

func TestRejectBinary(t *testing.T) {
	for _, in := range []string{
		"",
		"01",
		"02 09 01 02 01 00",       // unknown version
		"01 49 01 02 01 00",       // header bit 6
		"01 89 01 02 01 00",       // header bit 7
		"01 08 01 02 01 00",       // id length width 0
		"01 01 01 02 01 00",       // event length width 0
		"01 0a 00 01 02 01 00",    // id length 00 01 is not minimal
		"01 09 01 02 01 00 00",    // trailing byte
		"01 09 01 02 01",          // truncated before the event length
		"01 09 01 02 02 00",       // event length beyond the input
		"01 09 00 01 00",          // empty id
		"01 09 02 02 00 01 00",    // id length covers more than the tree
		"01 09 01 03 01 00",       // unknown id byte
		"01 09 03 01 00 00 01 00", // id (0, 0)
		"01 09 03 01 02 02 01 00", // id (1, 1)
		"01 09 01 02 01 20",       // event header bit 5
		"01 09 01 02 01 01",       // node without children
		"01 09 01 02 0a 12 01 01 01 01 01 01 01 01 01", // 9 counter bytes
		"01 09 01 02 02 02 00",                         // counter with a leading zero byte
		"01 09 01 02 02 02",                            // truncated counter
		"01 09 01 02 03 01 00 00",                      // event (0, 0, 0)
		"01 09 01 02 05 01 02 01 02 01",                // event (0, 1, 1)
		"01 09 01 02 05 03 01 02 01 00",                // event (1, 1, 0): fine
	} {
		var s Stamp
		err := s.UnmarshalBinary(unhex(t, in))
		if in == "01 09 01 02 05 03 01 02 01 00" {
			if err != nil || s.String() != "{1; (1, 1, 0)}" {
				t.Errorf("UnmarshalBinary(%s) = %v, %v", in, s, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("UnmarshalBinary(%s) err = %v (%v)", in, err, s)
		}
	}
	for _, in := range []string{"", "02 00", "01", "01 00 00", "01 04", "01 01 00 00"} {
		var id ID
		if err := id.UnmarshalBinary(unhex(t, in)); !errors.Is(err, ErrInvalid) {
			t.Errorf("ID.UnmarshalBinary(%s) err = %v", in, err)
		}
		var e Event
		if err := e.UnmarshalBinary(unhex(t, in)); !errors.Is(err, ErrInvalid) {
			t.Errorf("Event.UnmarshalBinary(%s) err = %v", in, err)
		}
	}
}

func TestRejectCompact(t *testing.T) {
	for _, in := range []string{
		"",
		"31",    // padding bit set: 0011000 then 1
		"30 00", // trailing byte
		"20",    // 001 then a node tag with no room: truncated
		// id (0, 0) written as 01·000, then event 1000: 0100 0100 0 = 44 00.
		"44 00",
		// id (1, 1) written as 11·001·001, then 1000: c9 80.
		"c9 80",
		// id (0, 1) written as 11·000·001 instead of 01·001, then 1000:
		// 1100 0001 1000 = c1 80.
		"c1 80",
		// event (0, l, r) code 010 with l = 0: 000 010 1000 1001 = 0a 24.
		"0a 24",
		// event (n, 0, r) with n = 0: 000 01100 1 000 1001 = 0c 44 80.
		"0c 44 80",
		// node counter without its leading 1: 000 01100 0 010 1001 = 0c 29 20.
		"0c 29 20",
		// event (0, 0, r) with r = 0, i.e. (0, 0, 0): 000 000 1000 = 02 00.
		"02 00",
		// event (0, l, r) with two equal leaves 1: 000 010 1001 1001 = 0a 66 40.
		"0a 66 40",
		// 64 ones after the id: the 63rd continuation bit asks for a 65-bit
		// counter.
		"1f ff ff ff ff ff ff ff e0",
		// 62 continuation ones, then 0 and 4 in 64 bits: 2^64-4+4 overflows.
		"1f ff ff ff ff ff ff ff c0 00 00 00 00 00 00 00 80",
	} {
		var s Stamp
		if err := s.UnmarshalCompact(unhex(t, in)); !errors.Is(err, ErrInvalid) {
			t.Errorf("UnmarshalCompact(%s) err = %v (%v)", in, err, s)
		}
	}
}

func TestRejectJSON(t *testing.T) {
	for _, in := range []string{
		"", "null", "{}", `{"id":1}`, `{"event":0}`, `{"id":1,"event":0,"x":1}`,
		`{"id":1,"id":1}`, `{"id":1,"event":0,}`, `{"x":1,"event":0}`,
		`{"id":2,"event":0}`, `{"id":[0,0],"event":0}`, `{"id":[1,1],"event":0}`,
		`{"id":1,"event":1.0}`, `{"id":1,"event":-1}`, `{"id":1,"event":-0}`,
		`{"id":1,"event":01}`, `{"id":1,"event":1e2}`,
		`{"id":1,"event":18446744073709551616}`, `{"id":1,"event":[0,0,0]}`,
		`{"id":1,"event":[1,1]}`, `{"id":1,"event":0} x`, `{"i\u0064":1,"event":0}`,
		`{"id":"1","event":0}`, `[1,0]`, `{"id":1 "event":0}`,
	} {
		var s Stamp
		if err := s.UnmarshalJSON([]byte(in)); !errors.Is(err, ErrInvalid) {
			t.Errorf("UnmarshalJSON(%s) err = %v (%v)", in, err, s)
		}
	}
}

// chainID returns (0, (0, ... (0, 1))) with the given number of levels.
func chainID(levels int) ID {
	p := idOne
	for i := 1; i < levels; i++ {
		p = &idNode{r: p}
	}
	return ID{p}
}

// chainEvent returns (0, 0, (0, 0, ... 1)) with the given number of levels.
func chainEvent(levels int) Event {
	e := Event{n: 1}
	for i := 1; i < levels; i++ {
		e = Event{k: &evKids{r: e}}
	}
	return e
}

func TestDepthLimit(t *testing.T) {
	type codec struct {
		name   string
		encode func(Stamp) []byte
		decode func(Decoder, []byte) (Stamp, error)
	}
	codecs := []codec{
		{"text", func(s Stamp) []byte { return []byte(s.String()) },
			func(d Decoder, b []byte) (Stamp, error) { return d.ParseStamp(string(b)) }},
		{"binary", func(s Stamp) []byte { b, _ := s.MarshalBinary(); return b }, Decoder.DecodeStampBinary},
		{"compact", func(s Stamp) []byte { b, _ := s.MarshalCompact(); return b }, Decoder.DecodeStampCompact},
		{"json", func(s Stamp) []byte { b, _ := s.MarshalJSON(); return b }, Decoder.DecodeStampJSON},
	}
	for _, c := range codecs {
		ok := NewStampFrom(chainID(DefaultMaxDepth), chainEvent(DefaultMaxDepth))
		deepID := NewStampFrom(chainID(DefaultMaxDepth+1), Event{})
		deepEv := NewStampFrom(SeedID(), chainEvent(DefaultMaxDepth+1))
		if got, err := c.decode(Decoder{}, c.encode(ok)); err != nil || !got.Equal(ok) {
			t.Errorf("%s: %d levels rejected: %v", c.name, DefaultMaxDepth, err)
		}
		for _, s := range []Stamp{deepID, deepEv} {
			if _, err := c.decode(Decoder{}, c.encode(s)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "deeper") {
				t.Errorf("%s: %d levels accepted: %v", c.name, DefaultMaxDepth+1, err)
			}
		}
		small := NewStampFrom(chainID(3), chainEvent(3))
		if _, err := c.decode(Decoder{MaxDepth: 3}, c.encode(small)); err != nil {
			t.Errorf("%s: MaxDepth 3 rejects 3 levels: %v", c.name, err)
		}
		if _, err := c.decode(Decoder{MaxDepth: 2}, c.encode(small)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: MaxDepth 2 accepts 3 levels: %v", c.name, err)
		}
	}
	// A length of more than 255 bytes takes two bytes and the header says so.
	b, _ := NewStampFrom(chainID(300), Event{}).MarshalBinary()
	// 299 pairs of two bytes (01 for the pair, 00 for its left 0) and the
	// leaf: 599 = 0x0257 bytes; header 2 | 1<<3.
	if b[1] != 0x0a || b[2] != 0x02 || b[3] != 0x57 || len(b) != 4+599+2 {
		t.Errorf("long id header % x, len %d", b[:4], len(b))
	}
}

func TestErrorContext(t *testing.T) {
	var s Stamp
	err := s.UnmarshalBinary(unhex(t, "01 09 01 03 01 00"))
	if err == nil || !strings.Contains(err.Error(), "binary: byte 3") {
		t.Errorf("error lacks position: %v", err)
	}
	_, err = ParseStamp("{1; (0, 0, 0)}")
	if err == nil || !strings.Contains(err.Error(), "offset 4") {
		t.Errorf("error lacks position: %v", err)
	}
}

func TestUnmarshalErrorLeavesReceiver(t *testing.T) {
	orig := mustStamp(t, "{(1, 0); (0, 1, 0)}")
	s := orig
	if s.UnmarshalBinary([]byte{1, 9}) == nil || s.UnmarshalCompact(nil) == nil ||
		s.UnmarshalJSON([]byte("{}")) == nil || !s.Equal(orig) {
		t.Fatalf("receiver changed to %v", s)
	}
	id, ev := orig.id, orig.ev
	if id.UnmarshalJSON([]byte("2")) == nil || id.UnmarshalBinary(nil) == nil || !id.Equal(orig.id) {
		t.Fatalf("id changed to %v", id)
	}
	if ev.UnmarshalJSON([]byte("-1")) == nil || ev.UnmarshalCompact([]byte{0xff}) == nil || !ev.Equal(orig.ev) {
		t.Fatalf("event changed to %v", ev)
	}
}

func TestCompactSizePrediction(t *testing.T) {
	for _, s := range churned(t, 16, 500) {
		b, _ := s.MarshalCompact()
		bits := idCompactBits(s.id.p) + eventCompactBits(s.ev)
		if len(b) != (bits+7)/8 || cap(b) != len(b) {
			t.Fatalf("%v: %d bytes (cap %d), predicted %d bits", s, len(b), cap(b), bits)
		}
	}
	for _, n := range []uint64{0, 3, 4, 11, 12, 1 << 40, maxU64 - 4, maxU64 - 3, maxU64} {
		var w bitWriter
		w.writeNum(n)
		if wrote := len(w.b)*8 - int(w.free); numBits(n) != wrote {
			t.Errorf("numBits(%d) = %d, wrote %d bits", n, numBits(n), wrote)
		}
	}
}

func TestTextSizePrediction(t *testing.T) {
	stamps := append(churned(t, 16, 500), mustStamp(t, "{0; 18446744073709551615}"), NewStamp())
	for _, s := range stamps {
		j, _ := s.MarshalJSON()
		if want := len(`{"id":,"event":}`) + idTextLen(s.id.p, 1) + eventTextLen(s.ev, 1); len(j) != want {
			t.Fatalf("%v: JSON %d bytes, predicted %d", s, len(j), want)
		}
		if want := len("{; }") + idTextLen(s.id.p, 2) + eventTextLen(s.ev, 2); len(s.String()) != want {
			t.Fatalf("%v: text %d bytes, predicted %d", s, len(s.String()), want)
		}
	}
	for n, want := range map[uint64]int{0: 1, 9: 1, 10: 2, 99: 2, 100: 3, maxU64: 20} {
		if decLen(n) != want {
			t.Errorf("decLen(%d) = %d", n, decLen(n))
		}
	}
}
