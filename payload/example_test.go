package payload_test

import (
	"fmt"

	"github.com/crdtkit/crdtkit/payload"
)

func Example() {
	a := newMaxReg("replica-a")
	a.Set(42)
	data, _ := payload.Marshal(a)
	fmt.Println(string(data))

	// Decode without knowing the type; the state is bound to our replica.
	s, _ := payload.Unmarshal(data, "replica-b")
	fmt.Println(s.TypeName(), s.(*maxReg).Value())

	_, err := payload.Unmarshal([]byte(`{"state":{"max":-1},"type":"test.MaxReg","version":1}`), "replica-b")
	fmt.Println(err)
	// Output:
	// {"state":{"max":42},"type":"test.MaxReg","version":1}
	// test.MaxReg 42
	// payload: test.MaxReg: field state.max: payload: invalid payload: JSON number where uint64 was expected
}
