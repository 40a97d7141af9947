package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// replica is the replica id decoded states are bound to. The command only
// reads and merges states, which never takes identity from a replica.
const replica crdt.ReplicaID = "crdtkit-cli"

func init() {
	commands = append(commands,
		&command{
			name:    "inspect",
			args:    "[FILE]",
			summary: "show a payload's type, version, size, value and state tree",
			help: `
Inspect decodes the payload in FILE (standard input if FILE is absent or "-")
and prints its type, format version, size, whether its bytes are in
canonical form, its value, and its state as an indented tree (small objects
and arrays on one line). A payload that does not decode is still shown as
far as its JSON allows, followed by the error; the exit status is then 1.`,
			run: runInspect,
		},
		&command{
			name:    "validate",
			args:    "[-canonical] [FILE...]",
			summary: "strictly decode payloads; name the failing field",
			help: `
Validate decodes each FILE (standard input if none is given) strictly, as
every crdtkit store and node does, and prints "FILE: ok TYPE" or
"FILE: invalid" with the path of the failing field and the reason. The exit
status is 1 if any payload is invalid.`,
			flags: func(fs *flag.FlagSet) {
				fs.Bool("canonical", false, "also require the bytes to be the canonical encoding (a final newline is allowed)")
			},
			run: runValidate,
		},
		&command{
			name:    "merge",
			args:    "FILE FILE...",
			summary: "merge payloads of one type; print the canonical result",
			help: `
Merge decodes every FILE ("-" for standard input, at most once), merges them
all (the order does not matter) and prints the merged state's canonical
payload followed by a newline. All files must hold the same type.`,
			run: runMerge,
		},
		&command{
			name:    "diff",
			args:    "A B",
			summary: "show what each of two payloads holds that the other lacks",
			help: `
Diff decodes payloads A and B of one type and prints how their values
differ, per element or key, and how their states differ (dots, tombstones,
causal contexts, timestamps), then whether one already contains the other:
A and B are equal, A contains B (merging B into A changes nothing), B
contains A, or neither (they are concurrent). The exit status is 0 when
they are equal and 1 when they differ, as with diff(1).`,
			run: runDiff,
		},
	)
}

// envelope is a payload's envelope read leniently, for display.
type envelope struct {
	Type    string          `json:"type"`
	Version int             `json:"version"`
	State   json.RawMessage `json:"state"`
}

// decoded is one input payload and what decoding made of it.
type decoded struct {
	input
	state     crdt.State
	canonical []byte // the state's canonical payload
}

// decode strictly decodes in through package payload.
func decode(in input) (decoded, error) {
	s, err := payload.Unmarshal(in.data, replica)
	if err != nil {
		return decoded{input: in}, fmt.Errorf("%s: %w", in.name, err)
	}
	c, err := payload.Marshal(s)
	if err != nil {
		return decoded{input: in}, fmt.Errorf("%s: re-encoding: %w", in.name, err)
	}
	return decoded{input: in, state: s, canonical: c}, nil
}

// isCanonical reports whether data is the canonical encoding c, allowing a
// final newline.
func isCanonical(data, c []byte) bool {
	data = bytes.TrimSuffix(data, []byte("\n"))
	data = bytes.TrimSuffix(data, []byte("\r"))
	return bytes.Equal(data, c)
}

func runInspect(e *env, _ *flag.FlagSet, args []string) error {
	if len(args) > 1 {
		return usagef("inspect takes at most one FILE, got %d", len(args))
	}
	name := ""
	if len(args) == 1 {
		name = args[0]
	}
	in, err := e.readInput(name)
	if err != nil {
		return err
	}
	return inspect(e.stdout, in)
}

// inspect prints the report of one payload; it returns an error wrapping
// ErrNegative after printing the decoding error of an invalid one.
func inspect(w io.Writer, in input) error {
	var env envelope
	envErr := json.Unmarshal(in.data, &env)
	d, decErr := decode(in)
	fmt.Fprintf(w, "file:      %s\n", in.name)
	if envErr == nil {
		fmt.Fprintf(w, "type:      %s\n", env.Type)
		fmt.Fprintf(w, "version:   %d\n", env.Version)
	}
	fmt.Fprintf(w, "size:      %d bytes\n", len(in.data))
	if decErr == nil {
		if isCanonical(in.data, d.canonical) {
			fmt.Fprintln(w, "canonical: yes")
		} else {
			fmt.Fprintf(w, "canonical: no (the canonical form has %d bytes)\n", len(d.canonical))
		}
		if v, ok := valueJSON(d.state); ok {
			fmt.Fprintf(w, "value:     %s\n", compact(v))
		} else {
			fmt.Fprintln(w, "value:     (the type has no Value method)")
		}
	}
	if envErr == nil && len(env.State) > 0 {
		if tree, err := parseJSON(env.State); err == nil {
			writeTree(w, "", "state", tree)
		}
	}
	if decErr != nil {
		fmt.Fprintf(w, "invalid:   %v\n", decErr)
		return fmt.Errorf("%w: %w", ErrNegative, decErr)
	}
	return nil
}

func runValidate(e *env, fs *flag.FlagSet, args []string) error {
	canonical := boolFlag(fs, "canonical")
	if len(args) == 0 {
		args = []string{"-"}
	}
	if err := checkStdinOnce(args); err != nil {
		return err
	}
	bad := 0
	for _, name := range args {
		in, err := e.readInput(name)
		if err != nil {
			return err
		}
		d, err := decode(in)
		switch {
		case err != nil:
			bad++
			fmt.Fprintf(e.stdout, "%s: invalid\n", in.name)
			reason := unwrapName(err, in.name)
			var fe *payload.FieldError
			if errors.As(err, &fe) && fe.Field != "" {
				fmt.Fprintf(e.stdout, "  field:  %s\n", fe.Field)
				reason = fe.Err.Error()
			}
			fmt.Fprintf(e.stdout, "  reason: %s\n", reason)
		case canonical && !isCanonical(in.data, d.canonical):
			bad++
			fmt.Fprintf(e.stdout, "%s: invalid\n  reason: not in canonical form; canonical:\n  %s\n", in.name, d.canonical)
		default:
			fmt.Fprintf(e.stdout, "%s: ok %s\n", in.name, d.state.TypeName())
		}
	}
	if bad > 0 {
		return fmt.Errorf("%w: %d of %d payloads invalid", ErrNegative, bad, len(args))
	}
	return nil
}

// unwrapName returns err's message without the "name: " prefix decode adds.
func unwrapName(err error, name string) string {
	msg := err.Error()
	if p := name + ": "; len(msg) > len(p) && msg[:len(p)] == p {
		return msg[len(p):]
	}
	return msg
}

func checkStdinOnce(args []string) error {
	n := 0
	for _, a := range args {
		if a == "-" {
			n++
		}
	}
	if n > 1 {
		return usagef("standard input (-) can be read only once")
	}
	return nil
}

// decodeAll reads and decodes every named input and checks that they hold
// one type.
func (e *env) decodeAll(args []string) ([]decoded, error) {
	if err := checkStdinOnce(args); err != nil {
		return nil, err
	}
	ds := make([]decoded, 0, len(args))
	for _, name := range args {
		in, err := e.readInput(name)
		if err != nil {
			return nil, err
		}
		d, err := decode(in)
		if err != nil {
			return nil, err
		}
		if len(ds) > 0 && d.state.TypeName() != ds[0].state.TypeName() {
			return nil, fmt.Errorf("%w: %s holds %s, %s holds %s", crdt.ErrTypeMismatch,
				ds[0].name, ds[0].state.TypeName(), d.name, d.state.TypeName())
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// mergeStates returns the merge of states, which must share a type,
// leaving them unchanged.
func mergeStates(states ...crdt.State) (crdt.State, error) {
	acc := states[0].CloneState()
	for _, s := range states[1:] {
		if err := acc.MergeState(s); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

func runMerge(e *env, _ *flag.FlagSet, args []string) error {
	if len(args) < 2 {
		return usagef("merge needs at least two files, got %d", len(args))
	}
	ds, err := e.decodeAll(args)
	if err != nil {
		return err
	}
	states := make([]crdt.State, len(ds))
	for i, d := range ds {
		states[i] = d.state
	}
	m, err := mergeStates(states...)
	if err != nil {
		return err
	}
	out, err := payload.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", out)
	return err
}

// order is how two states relate.
type order int

const (
	orderEqual order = iota
	orderAContainsB
	orderBContainsA
	orderConcurrent
)

// compareStates finds how a and b relate by merging: a contains b when
// merging b into a changes nothing.
func compareStates(a, b crdt.State) (order, error) {
	m, err := mergeStates(a, b)
	if err != nil {
		return 0, err
	}
	aHas, bHas := payload.Equal(m, a), payload.Equal(m, b)
	switch {
	case aHas && bHas:
		return orderEqual, nil
	case aHas:
		return orderAContainsB, nil
	case bHas:
		return orderBContainsA, nil
	}
	return orderConcurrent, nil
}

func runDiff(e *env, _ *flag.FlagSet, args []string) error {
	if len(args) != 2 {
		return usagef("diff needs two files, got %d", len(args))
	}
	ds, err := e.decodeAll(args)
	if err != nil {
		return err
	}
	a, b := ds[0], ds[1]
	w := e.stdout
	va, okA := valueJSON(a.state)
	vb, okB := valueJSON(b.state)
	fmt.Fprintf(w, "A: %s (%s)", a.name, a.state.TypeName())
	if okA {
		fmt.Fprintf(w, " value %s", compact(va))
	}
	fmt.Fprintf(w, "\nB: %s (%s)", b.name, b.state.TypeName())
	if okB {
		fmt.Fprintf(w, " value %s", compact(vb))
	}
	fmt.Fprintln(w)
	if okA && okB {
		var vd []difference
		diffJSON("", va, vb, &vd)
		writeDifferences(w, "value", vd)
	}
	sa, err := stateJSON(a.canonical)
	if err != nil {
		return err
	}
	sb, err := stateJSON(b.canonical)
	if err != nil {
		return err
	}
	var sd []difference
	diffJSON("", sa, sb, &sd)
	writeDifferences(w, "state", sd)
	o, err := compareStates(a.state, b.state)
	if err != nil {
		return err
	}
	switch o {
	case orderEqual:
		fmt.Fprintln(w, "A and B are equal.")
		return nil
	case orderAContainsB:
		fmt.Fprintln(w, "A contains B: merging B into A changes nothing.")
	case orderBContainsA:
		fmt.Fprintln(w, "B contains A: merging A into B changes nothing.")
	default:
		fmt.Fprintln(w, "Neither contains the other: A and B are concurrent; their merge holds more than either.")
	}
	return fmt.Errorf("%w: the payloads differ", ErrNegative)
}

// stateJSON returns the generic JSON of a canonical payload's state.
func stateJSON(canonical []byte) (any, error) {
	var env envelope
	if err := json.Unmarshal(canonical, &env); err != nil {
		return nil, err
	}
	return parseJSON(env.State)
}
