package counters_test

import (
	"bytes"
	"testing"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// fuzzLoad feeds data to LoadPayload directly and, inside an envelope, to
// payload.Unmarshal. Neither may panic; whatever loads must re-encode to a
// payload that loads again to identical bytes, and a failed load must leave
// the state unchanged.
func fuzzLoad[S crdt.State](t *testing.T, name string, newState func() S, data []byte) {
	s := newState()
	before, err := payload.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LoadPayload(data); err != nil {
		if after, _ := payload.Marshal(s); !bytes.Equal(before, after) {
			t.Fatalf("failed load changed the state: %s -> %s", before, after)
		}
	} else {
		checkStable(t, s)
	}
	env := append(append([]byte(`{"state":`), data...), `,"type":"`+name+`","version":1}`...)
	if st, err := payload.Unmarshal(env, "fuzz"); err == nil {
		checkStable(t, st)
	}
}

func checkStable(t *testing.T, s crdt.State) {
	t.Helper()
	once, err := payload.Marshal(s)
	if err != nil {
		t.Fatalf("loaded state does not encode: %v", err)
	}
	again, err := payload.Unmarshal(once, "other")
	if err != nil {
		t.Fatalf("re-encoded payload %s does not load: %v", once, err)
	}
	twice, err := payload.Marshal(again)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(once, twice) {
		t.Fatalf("unstable encoding: %s then %s", once, twice)
	}
}

func FuzzGCounterLoad(f *testing.F) {
	for _, s := range []string{
		`{"counts":[]}`,
		`{"counts":[{"n":5,"r":"a"},{"n":18446744073709551615,"r":"b"}]}`,
		`{"counts":[{"r":"b","n":1},{"n":2,"r":"a"}]}`,
		`{"counts":[{"n":0,"r":"a"}]}`,
		`{"counts":[{"n":1,"r":"a"},{"n":1,"r":"a"}]}`,
		`{"counts":[{"n":-1,"r":"a"}]}`,
		`{"counts":null}`,
		`{"counts":[{"n":1e2,"r":"\u0000"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLoad(t, counters.GCounterTypeName, func() *counters.GCounter {
			c := counters.NewGCounter("fuzz")
			_ = c.Inc(3)
			return c
		}, data)
	})
}

func FuzzPNCounterLoad(f *testing.F) {
	for _, s := range []string{
		`{"n":{"counts":[]},"p":{"counts":[]}}`,
		`{"n":{"counts":[{"n":3,"r":"a"}]},"p":{"counts":[{"n":10,"r":"a"},{"n":2,"r":"b"}]}}`,
		`{"p":{"counts":[]},"n":{"counts":[]}}`,
		`{"n":{"counts":[]}}`,
		`{"n":{"counts":[{"n":0,"r":"a"}]},"p":{"counts":[]}}`,
		`{"n":null,"p":{"counts":[]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLoad(t, counters.PNCounterTypeName, func() *counters.PNCounter {
			c := counters.NewPNCounter("fuzz")
			_ = c.Dec(3)
			return c
		}, data)
	})
}
