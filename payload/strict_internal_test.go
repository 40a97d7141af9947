package payload

import (
	"bytes"
	"errors"
	"testing"

	json "github.com/goccy/go-json"
)

// The fast path of DecodeStrict depends on the value of a go-json flag; the
// start-up probe must find it working with the go-json in go.mod, and both
// paths must give the same verdicts.
func TestDecodeStrictFastPathAgreesWithDecoder(t *testing.T) {
	if !fastStrict {
		t.Fatal("the go-json Unmarshal option for unknown fields no longer works; DecodeStrict fell back to the slower Decoder")
	}
	type inner struct {
		N uint64 `json:"n"`
		R string `json:"r"`
	}
	type outer struct {
		A []inner         `json:"a"`
		B json.RawMessage `json:"b"`
		C *int            `json:"c"`
	}
	for _, in := range []string{
		`{"a":[{"n":1,"r":"x"}],"b":{"z":[1]},"c":3}`,
		`{"a":[{"n":1,"r":"x","q":1}]}`,
		`{"a":[{"n":-1,"r":"x"}]}`,
		`{"a":[{"n":1,"r":2}]}`,
		`{"a":{}}`,
		`{"d":1}`,
		`{"a":[]} {}`,
		`{"a":[]}   `,
		`{"a":[`,
		` `,
		``,
		`null`,
		`[]`,
		`{"a":[{"n":1e3,"r":"x"}]}`,
		`{"a":[{"n":1,"r":"\ud800"}]}`,
	} {
		var fast, slow outer
		errFast := DecodeStrict([]byte(in), &fast)
		errSlow := decodeStream([]byte(in), &slow)
		if (errFast == nil) != (errSlow == nil) {
			t.Errorf("%s: fast path says %v, Decoder says %v", in, errFast, errSlow)
			continue
		}
		if errFast != nil {
			if !errors.Is(errFast, ErrInvalid) {
				t.Errorf("%s: %v does not wrap ErrInvalid", in, errFast)
			}
			var fa, fb *FieldError
			if errors.As(errFast, &fa) != errors.As(errSlow, &fb) || (fa != nil && fa.Field != fb.Field) {
				t.Errorf("%s: fields differ: %v vs %v", in, errFast, errSlow)
			}
			continue
		}
		a, _ := json.Marshal(fast)
		b, _ := json.Marshal(slow)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: decoded %s vs %s", in, a, b)
		}
	}
}
