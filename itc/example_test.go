package itc_test

import (
	"encoding/json"
	"fmt"

	"github.com/crdtkit/crdtkit/itc"
)

// The fork-event-join run of the paper: replicas are forked from the seed,
// record events independently, and join to retire.
func Example() {
	seed := itc.NewStamp()
	a, b := seed.Fork()
	fmt.Println("fork:  ", a, b)

	a, _ = a.Event()
	b, _ = b.Event()
	fmt.Println("event: ", a, b)

	b, c := b.Fork()
	fmt.Println("fork b:", b, c)

	a, _ = a.Event()
	b, _ = b.Event()
	c, _ = c.Event()
	fmt.Println("event: ", a, b, c)
	fmt.Println("a vs b:", a.Compare(b))

	bc, _ := b.Join(c)
	fmt.Println("join:  ", bc)

	all, _ := a.Join(bc)
	fmt.Println("join:  ", all)
	all, _ = all.Event()
	fmt.Println("event: ", all)
	fmt.Println("a vs all:", a.Compare(all))
	// Output:
	// fork:   {(1, 0); 0} {(0, 1); 0}
	// event:  {(1, 0); (0, 1, 0)} {(0, 1); (0, 0, 1)}
	// fork b: {(0, (1, 0)); (0, 0, 1)} {(0, (0, 1)); (0, 0, 1)}
	// event:  {(1, 0); (0, 2, 0)} {(0, (1, 0)); (0, 0, (1, 1, 0))} {(0, (0, 1)); (0, 0, (1, 0, 1))}
	// a vs b: Concurrent
	// join:   {(0, 1); (0, 0, 2)}
	// join:   {1; 2}
	// event:  {1; 3}
	// a vs all: Less
}

// A peeked stamp carries knowledge without identity: another replica joins
// it to catch up, but it cannot record events itself.
func ExampleStamp_Peek() {
	a, b := itc.NewStamp().Fork()
	a, _ = a.Event()
	msg := a.Peek()
	fmt.Println(msg)

	b, _ = b.Join(msg)
	fmt.Println(b, a.Compare(b))

	_, err := msg.Event()
	fmt.Println(err)
	// Output:
	// {0; (0, 1, 0)}
	// {(0, 1); (0, 1, 0)} Equal
	// itc: event on an anonymous stamp
}

func ExampleStamp_MarshalBinary() {
	b, _ := itc.NewStamp().MarshalBinary()
	fmt.Printf("% x\n", b)
	c, _ := itc.NewStamp().MarshalCompact()
	fmt.Printf("% x\n", c)
	// Output:
	// 01 09 01 02 01 00
	// 30
}

func ExampleStamp_MarshalJSON() {
	a, _ := itc.NewStamp().Fork()
	a, _ = a.Event()
	out, _ := json.Marshal(map[string]itc.Stamp{"clock": a})
	fmt.Println(string(out))

	var back map[string]itc.Stamp
	err := json.Unmarshal(out, &back)
	fmt.Println(back["clock"], err)
	// Output:
	// {"clock":{"id":[1,0],"event":[0,1,0]}}
	// {(1, 0); (0, 1, 0)} <nil>
}

func ExampleParseStamp() {
	s, err := itc.ParseStamp("{(1,0); (0,1,(0,0,2))}")
	fmt.Println(s, err)
	_, err = itc.ParseStamp("{(1, 1); 0}")
	fmt.Println(err)
	// Output:
	// {(1, 0); (0, 1, (0, 0, 2))} <nil>
	// itc: invalid encoding: text: offset 1: id not in normal form
}

// Decoder sets a tighter depth limit for untrusted input.
func ExampleDecoder() {
	d := itc.Decoder{MaxDepth: 2}
	_, err := d.ParseStamp("{(0, (1, 0)); 0}")
	fmt.Println(err)
	// Output:
	// itc: invalid encoding: text: offset 6: tree deeper than 2 levels
}
