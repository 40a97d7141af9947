package sets_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
)

// fuzzSetPayload feeds data to LoadPayload of a state from newState directly
// and, inside an envelope, to payload.Unmarshal. Neither may panic; a failed
// load leaves the state unchanged; whatever loads re-encodes to a payload
// that loads again to identical bytes.
func fuzzSetPayload(t *testing.T, newState func() crdt.State, data []byte) {
	s := newState()
	before := stateBytes(t, s)
	if err := s.LoadPayload(data); err != nil {
		if after := stateBytes(t, s); !bytes.Equal(before, after) {
			t.Fatalf("failed load changed the state: %s -> %s", before, after)
		}
	} else {
		checkReencodes(t, s)
	}
	env := append(append([]byte(`{"state":`), data...), `,"type":"`+s.TypeName()+`","version":1}`...)
	if st, err := payload.Unmarshal(env, "fuzz"); err == nil {
		checkReencodes(t, st)
	}
}

func checkReencodes(t *testing.T, s crdt.State) {
	t.Helper()
	once, err := payload.Marshal(s)
	if err != nil {
		t.Fatalf("loaded state does not encode: %v", err)
	}
	again, err := payload.Unmarshal(once, "other")
	if err != nil {
		t.Fatalf("re-encoded payload %s does not load: %v", once, err)
	}
	if twice := stateBytes(t, again); !bytes.Equal(once, twice) {
		t.Fatalf("unstable encoding: %s then %s", once, twice)
	}
}

func FuzzGSetLoad(f *testing.F) {
	for _, s := range []string{
		`{"elements":[]}`,
		`{"elements":["b","a","null"]}`,
		`{"elements":["a","a"]}`,
		`{"elements":[null]}`,
		`{"elements":null}`,
		`{"elements":["\u00e9","e\u0301","\ud800"]}`,
		`{"elements":[1]}`,
	} {
		f.Add([]byte(s), false)
	}
	for _, s := range []string{
		`{"elements":[{"name":"al","age":41},{"age":5,"name":"al"}]}`,
		`{"elements":[{"name":"al"},{"name":"al","age":0}]}`,
		`{"elements":[{"Name":"al","AGE":1}]}`,
		`{"elements":[{"name":null,"age":1}]}`,
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, structs bool) {
		if structs {
			fuzzSetPayload(t, func() crdt.State {
				s := sets.NewGSet[userElem]("fuzz")
				s.Add(userElem{"keep", 1})
				return s
			}, data)
			return
		}
		fuzzSetPayload(t, func() crdt.State {
			s := sets.NewGSet[string]("fuzz")
			s.Add("keep")
			return s
		}, data)
	})
}

func FuzzTwoPSetLoad(f *testing.F) {
	for _, s := range []string{
		`{"elements":[],"removed":[]}`,
		`{"elements":[3,1],"removed":[2]}`,
		`{"elements":[1],"removed":[1]}`,
		`{"elements":[1,1],"removed":[]}`,
		`{"elements":[null],"removed":[]}`,
		`{"removed":[],"elements":[-9223372036854775808]}`,
		`{"elements":[1e3],"removed":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzSetPayload(t, func() crdt.State {
			s := sets.NewTwoPSet[int64]("fuzz")
			_ = s.Add(5)
			s.Remove(6)
			return s
		}, data)
	})
}

func FuzzLWWSetLoad(f *testing.F) {
	for _, s := range []string{
		`{"elements":[]}`,
		`{"elements":[{"add":{"l":0,"r":"a","w":5},"elem":"x"}]}`,
		`{"elements":[{"add":{"l":0,"r":"a","w":5},"elem":"x","remove":{"l":0,"r":"a","w":5}}]}`,
		`{"elements":[{"elem":"y","remove":{"l":4294967295,"r":"b","w":9223372036854775807}},{"add":{"l":1,"r":"a","w":-1},"elem":"x"}]}`,
		`{"elements":[{"elem":"x"}]}`,
		`{"elements":[{"add":{"l":0,"r":"","w":5},"elem":"x"}]}`,
		`{"elements":[{"add":{"l":0,"r":"a","w":5},"elem":null}]}`,
		`{"elements":[{"add":null,"elem":"x","remove":{"r":"a"}}]}`,
		`{"elements":[{"add":{"l":0,"r":"a","w":5},"elem":"x"},{"add":{"l":0,"r":"a","w":6},"elem":"x"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzSetPayload(t, func() crdt.State {
			s := sets.NewLWWSetWithClock[string](crdt.NewClock("fuzz", func() time.Time { return base }))
			_ = s.Add("keep")
			_ = s.Remove("gone")
			return s
		}, data)
	})
}
