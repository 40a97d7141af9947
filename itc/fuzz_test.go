package itc

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzSeeds are valid stamps in text form; every fuzz target seeds its
// corpus with their encodings.
var fuzzSeeds = []string{
	"{1; 0}",
	"{0; 0}",
	"{(1, 0); (0, 1, 0)}",
	"{(0, (1, 0)); (0, 0, (1, 1, 0))}",
	"{((1, 0), (0, 1)); (0, (0, 0, 1), (0, 1, 0))}",
	"{(1, (0, (0, 1))); (0, 2, (0, 0, 1))}",
	"{0; (18446744073709551615, 18446744073709551615, 0)}",
	"{(1, 0); 18446744073709551615}",
	"{1; 256}",
}

// checkDecoded runs every operation on a stamp that decoded, checking the
// invariants that must hold whatever the input was, then returns its text.
func checkDecoded(t *testing.T, s Stamp) {
	checkIDNormal(t, s.id.p)
	checkEventNormal(t, s.ev)
	checkRoundTrips(t, s)
	if s.Compare(s) != Equal || !s.Leq(s) {
		t.Fatalf("%v is not equal to itself", s)
	}
	a, b := s.Fork()
	j, err := a.Join(b)
	if err != nil || !j.Equal(s) {
		t.Fatalf("join of fork of %v = %v, %v", s, j, err)
	}
	e, err := s.Event()
	switch {
	case s.IsAnonymous():
		if !errors.Is(err, ErrAnonymous) {
			t.Fatalf("event on %v: %v", s, err)
		}
	case err != nil:
		if !errors.Is(err, ErrCounterOverflow) {
			t.Fatalf("event on %v: %v", s, err)
		}
	default:
		checkEventNormal(t, e.ev)
		if s.Compare(e) != Less || !e.id.Equal(s.id) {
			t.Fatalf("event on %v = %v", s, e)
		}
	}
	if p := s.Peek(); !p.IsAnonymous() || !p.ev.Equal(s.ev) {
		t.Fatalf("peek of %v = %v", s, p)
	}
}

func mustInvalid(t *testing.T, err error) {
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("decode error does not wrap ErrInvalid: %v", err)
	}
}

func FuzzParseStamp(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add("{ (1,0) ;(0 ,1,0)}")
	f.Add("{(1, 1); 0}")
	f.Add("{1; (0, 0, 0)}")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseStamp(in)
		if err != nil {
			mustInvalid(t, err)
			return
		}
		out := s.String()
		s2, err := ParseStamp(out)
		if err != nil || !s2.Equal(s) || s2.String() != out {
			t.Fatalf("%q -> %q -> %v, %v", in, out, s2, err)
		}
		checkDecoded(t, s)
	})
}

func FuzzUnmarshalBinary(f *testing.F) {
	for _, s := range fuzzSeeds {
		b, _ := mustStamp(f, s).MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{0x01, 0x0a, 0x00, 0x01, 0x02, 0x01, 0x00})
	f.Add([]byte{0x01, 0x09, 0x01, 0x02, 0x02, 0x02, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		var s Stamp
		if err := s.UnmarshalBinary(in); err != nil {
			mustInvalid(t, err)
			return
		}
		// The format is canonical: what decodes re-encodes to the input.
		out, _ := s.MarshalBinary()
		if !bytes.Equal(out, in) {
			t.Fatalf("% x decodes to %v which encodes to % x", in, s, out)
		}
		checkDecoded(t, s)
	})
}

func FuzzUnmarshalCompact(f *testing.F) {
	for _, s := range fuzzSeeds {
		b, _ := mustStamp(f, s).MarshalCompact()
		f.Add(b)
	}
	f.Add([]byte{0x31})
	f.Add([]byte{0x0a, 0x24})
	f.Fuzz(func(t *testing.T, in []byte) {
		var s Stamp
		if err := s.UnmarshalCompact(in); err != nil {
			mustInvalid(t, err)
			return
		}
		out, _ := s.MarshalCompact()
		if !bytes.Equal(out, in) {
			t.Fatalf("% x decodes to %v which encodes to % x", in, s, out)
		}
		checkDecoded(t, s)
	})
}

func FuzzUnmarshalJSON(f *testing.F) {
	for _, s := range fuzzSeeds {
		b, _ := mustStamp(f, s).MarshalJSON()
		f.Add(b)
	}
	f.Add([]byte(` { "event" : [0, 1, 0], "id": [1, 0] } `))
	f.Add([]byte(`{"id":1,"event":1e2}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var s Stamp
		if err := s.UnmarshalJSON(in); err != nil {
			mustInvalid(t, err)
			return
		}
		out, _ := s.MarshalJSON()
		var s2 Stamp
		if err := s2.UnmarshalJSON(out); err != nil || !s2.Equal(s) {
			t.Fatalf("%s -> %s -> %v, %v", in, out, s2, err)
		}
		if out2, _ := s2.MarshalJSON(); !bytes.Equal(out, out2) {
			t.Fatalf("unstable encoding %s / %s", out, out2)
		}
		checkDecoded(t, s)
	})
}

// FuzzDecodeEvent feeds the same bytes to every standalone event decoder.
func FuzzDecodeEvent(f *testing.F) {
	for _, s := range fuzzSeeds {
		e := mustStamp(f, s).ev
		b, _ := e.MarshalBinary()
		c, _ := e.MarshalCompact()
		j, _ := e.MarshalJSON()
		f.Add(b)
		f.Add(c)
		f.Add(j)
		f.Add([]byte(e.String()))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		type codec struct {
			dec func([]byte) (Event, error)
			enc func(Event) []byte
			// canonical: every accepted input is the encoding itself.
			canonical bool
		}
		codecs := []codec{
			{Decoder{}.DecodeEventBinary, func(e Event) []byte { b, _ := e.MarshalBinary(); return b }, true},
			{Decoder{}.DecodeEventCompact, func(e Event) []byte { b, _ := e.MarshalCompact(); return b }, true},
			{Decoder{}.DecodeEventJSON, func(e Event) []byte { b, _ := e.MarshalJSON(); return b }, false},
			{func(b []byte) (Event, error) { return ParseEvent(string(b)) }, func(e Event) []byte { return []byte(e.String()) }, false},
		}
		for i, c := range codecs {
			e, err := c.dec(in)
			if err != nil {
				mustInvalid(t, err)
				continue
			}
			out := c.enc(e)
			if c.canonical && !bytes.Equal(out, in) {
				t.Fatalf("codec %d: % x -> %v -> % x", i, in, e, out)
			}
			e2, err := c.dec(out)
			if err != nil || !e2.Equal(e) || !bytes.Equal(c.enc(e2), out) {
				t.Fatalf("codec %d: %q -> %q -> %v, %v", i, in, out, e2, err)
			}
			checkDecoded(t, NewStampFrom(SeedID(), e))
		}
	})
}

// FuzzDecodeID feeds the same bytes to every standalone id decoder.
func FuzzDecodeID(f *testing.F) {
	for _, s := range fuzzSeeds {
		id := mustStamp(f, s).id
		b, _ := id.MarshalBinary()
		c, _ := id.MarshalCompact()
		j, _ := id.MarshalJSON()
		f.Add(b)
		f.Add(c)
		f.Add(j)
		f.Add([]byte(id.String()))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		type codec struct {
			dec       func([]byte) (ID, error)
			enc       func(ID) []byte
			canonical bool
		}
		codecs := []codec{
			{Decoder{}.DecodeIDBinary, func(i ID) []byte { b, _ := i.MarshalBinary(); return b }, true},
			{Decoder{}.DecodeIDCompact, func(i ID) []byte { b, _ := i.MarshalCompact(); return b }, true},
			{Decoder{}.DecodeIDJSON, func(i ID) []byte { b, _ := i.MarshalJSON(); return b }, false},
			{func(b []byte) (ID, error) { return ParseID(string(b)) }, func(i ID) []byte { return []byte(i.String()) }, false},
		}
		for k, c := range codecs {
			id, err := c.dec(in)
			if err != nil {
				mustInvalid(t, err)
				continue
			}
			out := c.enc(id)
			if c.canonical && !bytes.Equal(out, in) {
				t.Fatalf("codec %d: % x -> %v -> % x", k, in, id, out)
			}
			id2, err := c.dec(out)
			if err != nil || !id2.Equal(id) || !bytes.Equal(c.enc(id2), out) {
				t.Fatalf("codec %d: %q -> %q -> %v, %v", k, in, out, id2, err)
			}
			checkDecoded(t, NewStampFrom(id, Event{}))
			a, b := id.Split()
			if s, err := a.Sum(b); err != nil || !s.Equal(id) {
				t.Fatalf("sum of split %v = %v, %v", id, s, err)
			}
			if !id.IsNull() && overlaps(a.p, b.p) {
				t.Fatalf("split %v overlaps", id)
			}
		}
	})
}
