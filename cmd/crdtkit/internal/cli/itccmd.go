package cli

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/crdtkit/crdtkit/itc"
)

// ErrStamp is wrapped by the error for a stamp that decodes in none of the
// formats tried.
var ErrStamp = errors.New("not a stamp")

// Stamp formats.
const (
	fmtText    = "text"
	fmtJSON    = "json"
	fmtBinary  = "binary"
	fmtCompact = "compact"
)

var stampFormats = []string{fmtText, fmtJSON, fmtBinary, fmtCompact}

const stampHelp = `
A STAMP is given as an argument or, when absent or "-", on standard input,
in any of the four formats of package itc:

	text      libitc's notation: {(1, 0); (0, 1, 0)}
	json      {"id":[1,0],"event":[0,1,0]}
	binary    libitc's serialisation, in hex: 0109030102000401020100
	compact   the paper's bit encoding, in hex: 8990

The format is recognised from the input unless -from names it (a hex string
is tried as binary, then as compact). With -raw, binary and compact are read
from standard input and written as raw bytes instead of hex.`

func init() {
	commands = append(commands, &command{
		name:    "itc",
		args:    "convert|compare|svg [flags] STAMP...",
		summary: "convert, compare and draw Interval Tree Clock stamps",
		help: `
Itc works with Interval Tree Clock stamps (package itc):

	crdtkit itc convert [-from FORMAT] [-to FORMAT] [-raw] [STAMP]
	    print the stamp in FORMAT, or in all four formats when -to is absent
	crdtkit itc compare [-from FORMAT] A B
	    print how A's event relates to B's: Less (A happened before B),
	    Equal, Greater or Concurrent
	crdtkit itc svg [-from FORMAT] [-raw] [STAMP]
	    draw the stamp's id tree (which parts of the interval it owns) and
	    event tree (what it has seen, as stacked blocks) as an SVG picture
	    on standard output
` + stampHelp,
		run: runITC,
	})
}

func runITC(e *env, _ *flag.FlagSet, args []string) error {
	if len(args) == 0 {
		return usagef("itc needs a subcommand: convert, compare or svg")
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("itc "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	from := fs.String("from", "", "input format: text, json, binary or compact (default: recognised)")
	var to *string
	var raw *bool
	switch sub {
	case "convert":
		to = fs.String("to", "", "output format: text, json, binary or compact (default: all four)")
		raw = fs.Bool("raw", false, "read and write binary and compact as raw bytes, not hex")
	case "svg":
		raw = fs.Bool("raw", false, "read binary and compact as raw bytes, not hex")
	case "compare":
	default:
		return usagef("unknown itc subcommand %q (want convert, compare or svg)", sub)
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(e.stdout, "usage: crdtkit itc %s\n\nFlags:\n", sub)
			fs.SetOutput(e.stdout)
			fs.PrintDefaults()
			return nil
		}
		return usagef("itc %s: %v", sub, err)
	}
	if *from != "" && !knownFormat(*from) {
		return usagef("unknown format %q (want text, json, binary or compact)", *from)
	}
	rawIn := raw != nil && *raw
	switch sub {
	case "convert":
		if *to != "" && !knownFormat(*to) {
			return usagef("unknown format %q (want text, json, binary or compact)", *to)
		}
		s, err := e.stampArg(fs.Args(), *from, rawIn)
		if err != nil {
			return err
		}
		return convert(e.stdout, s, *to, *raw)
	case "compare":
		if fs.NArg() != 2 {
			return usagef("itc compare needs two stamps, got %d (%s)", fs.NArg(), extraArgsHint(fs.Args()))
		}
		a, err := parseStamp([]byte(fs.Arg(0)), *from, false)
		if err != nil {
			return fmt.Errorf("A: %w", err)
		}
		b, err := parseStamp([]byte(fs.Arg(1)), *from, false)
		if err != nil {
			return fmt.Errorf("B: %w", err)
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", describeOrder(a.Compare(b)))
		return err
	default: // svg
		s, err := e.stampArg(fs.Args(), *from, rawIn)
		if err != nil {
			return err
		}
		return writeSVG(e.stdout, s)
	}
}

// extraArgsHint suggests the likely cause of surplus arguments.
func extraArgsHint(extra []string) string {
	for _, a := range extra {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			return "flags go before the stamps"
		}
	}
	return "quote a text stamp"
}

func knownFormat(f string) bool {
	for _, k := range stampFormats {
		if f == k {
			return true
		}
	}
	return false
}

func describeOrder(o itc.Ordering) string {
	switch o {
	case itc.Less:
		return "Less: A happened before B (B has seen everything A has)"
	case itc.Greater:
		return "Greater: B happened before A (A has seen everything B has)"
	case itc.Equal:
		return "Equal: A and B have seen the same events"
	}
	return "Concurrent: each has seen events the other has not"
}

// stampArg reads the one stamp argument, or standard input for none or "-".
func (e *env) stampArg(args []string, from string, raw bool) (itc.Stamp, error) {
	if len(args) > 1 {
		return itc.Stamp{}, usagef("expected one stamp, got %d arguments (%s)", len(args), extraArgsHint(args[1:]))
	}
	var data []byte
	if len(args) == 1 && args[0] != "-" {
		if raw {
			return itc.Stamp{}, usagef("-raw reads the stamp from standard input, not an argument")
		}
		data = []byte(args[0])
	} else {
		in, err := e.readInput("-")
		if err != nil {
			return itc.Stamp{}, err
		}
		data = in.data
	}
	return parseStamp(data, from, raw)
}

// parseStamp decodes data in format from, or recognises the format when
// from is empty.
func parseStamp(data []byte, from string, raw bool) (itc.Stamp, error) {
	if !raw {
		data = bytes.TrimSpace(data)
	}
	if from == "" {
		switch {
		case raw:
			if s, err := decodeBytes(data, fmtBinary); err == nil {
				return s, nil
			}
			return decodeBytes(data, fmtCompact)
		case bytes.HasPrefix(data, []byte("{")):
			if rest := bytes.TrimLeft(data[1:], " \t\r\n"); bytes.HasPrefix(rest, []byte(`"`)) {
				from = fmtJSON
			} else {
				from = fmtText
			}
		default:
			b, err := hexBytes(data)
			if err != nil {
				return itc.Stamp{}, fmt.Errorf("%w: %q is neither text, JSON nor hex", ErrStamp, abbreviate(string(data)))
			}
			if s, err := decodeBytes(b, fmtBinary); err == nil {
				return s, nil
			}
			if s, err := decodeBytes(b, fmtCompact); err == nil {
				return s, nil
			}
			return itc.Stamp{}, fmt.Errorf("%w: %s decodes neither as libitc binary nor as compact", ErrStamp, abbreviate(string(data)))
		}
	}
	switch from {
	case fmtText:
		return itc.ParseStamp(string(data))
	case fmtJSON:
		var s itc.Stamp
		err := s.UnmarshalJSON(data)
		return s, err
	}
	if !raw {
		b, err := hexBytes(data)
		if err != nil {
			return itc.Stamp{}, fmt.Errorf("%w: %s input must be hex (or use -raw): %w", ErrStamp, from, err)
		}
		data = b
	}
	return decodeBytes(data, from)
}

func decodeBytes(b []byte, format string) (itc.Stamp, error) {
	var s itc.Stamp
	var err error
	if format == fmtBinary {
		err = s.UnmarshalBinary(b)
	} else {
		err = s.UnmarshalCompact(b)
	}
	return s, err
}

// hexBytes decodes hex, ignoring spaces between bytes.
func hexBytes(data []byte) ([]byte, error) {
	clean := strings.Join(strings.Fields(string(data)), "")
	if clean == "" {
		return nil, errors.New("empty input")
	}
	return hex.DecodeString(clean)
}

func abbreviate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// encodeStamp returns s in format, binary and compact as hex unless raw.
func encodeStamp(s itc.Stamp, format string, raw bool) ([]byte, error) {
	var b []byte
	var err error
	switch format {
	case fmtText:
		return []byte(s.String()), nil
	case fmtJSON:
		return s.MarshalJSON()
	case fmtBinary:
		b, err = s.MarshalBinary()
	default:
		b, err = s.MarshalCompact()
	}
	if err != nil || raw {
		return b, err
	}
	return []byte(hex.EncodeToString(b)), nil
}

func convert(w io.Writer, s itc.Stamp, to string, raw bool) error {
	if to != "" {
		out, err := encodeStamp(s, to, raw)
		if err != nil {
			return err
		}
		if raw && (to == fmtBinary || to == fmtCompact) {
			_, err = w.Write(out)
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", out)
		return err
	}
	if raw {
		return usagef("-raw needs -to binary or -to compact")
	}
	for _, f := range stampFormats {
		out, err := encodeStamp(s, f, false)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-8s %s\n", f+":", out)
	}
	return nil
}
