package registers

import (
	"bytes"
	"testing"

	json "github.com/goccy/go-json"
)

type fuzzPoint struct {
	Name string    `json:"name"`
	Tags []string  `json:"tags"`
	X    float64   `json:"x"`
	M    *struct{} `json:"m"`
}

// roundTrip loads data into fresh, and if that succeeds checks that the
// payload re-encodes to bytes that load again and give the same bytes.
func roundTrip[S interface {
	LoadPayload([]byte) error
	Payload() any
}](t *testing.T, data []byte, fresh func() S) {
	s := fresh()
	if err := s.LoadPayload(data); err != nil {
		return
	}
	first, err := json.Marshal(s.Payload())
	if err != nil {
		t.Fatalf("loaded %q but cannot encode it: %v", data, err)
	}
	again := fresh()
	if err := again.LoadPayload(first); err != nil {
		t.Fatalf("re-encoded payload %s does not load: %v", first, err)
	}
	second, err := json.Marshal(again.Payload())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatalf("payload not canonical:\n%s\n%s", first, second)
	}
}

func FuzzLWWLoadPayload(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"ts":{"l":1,"r":"a","w":1700000000000000000},"value":"x"}`,
		`{"ts":{"l":0,"r":"a","w":-1},"value":"\u003c\ufffd"}`,
		`{"ts":{"l":4294967295,"r":"a","w":9223372036854775807},"value":""}`,
		`{"ts":{"r":"a","w":1},"value":{"name":"n","tags":["a"],"x":1.5,"m":null}}`,
		`{"ts":{"r":"a","w":1},"value":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip(t, data, func() *LWW[string] { return NewLWW[string]("me") })
		roundTrip(t, data, func() *LWW[fuzzPoint] { return NewLWW[fuzzPoint]("me") })
		roundTrip(t, data, func() *LWW[float64] { return NewLWW[float64]("me") })
	})
}
