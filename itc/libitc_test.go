package itc_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/crdtkit/crdtkit/itc"
)

// libitcVectors is data produced by libitc itself (C, commit 7fb6b5d, the
// version pyitc 1.1.0 vendors, extended API, 64-bit counters): stamps it
// serialised with its text form, and comparisons it computed between them.
// The file's header describes the format.
const libitcVectors = "testdata/libitc/stamps.tsv"

type libitcStamp struct {
	line int
	hex  string
	text string
}

type libitcCompare struct {
	line int
	a, b string
	want string
}

func readLibitcVectors(t *testing.T) ([]libitcStamp, []libitcCompare) {
	t.Helper()
	f, err := os.Open(libitcVectors)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stamps []libitcStamp
	var cmps []libitcCompare
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		switch {
		case f[0] == "stamp" && len(f) == 3:
			stamps = append(stamps, libitcStamp{n, f[1], f[2]})
		case f[0] == "compare" && len(f) == 4:
			cmps = append(cmps, libitcCompare{n, f[1], f[2], f[3]})
		default:
			t.Fatalf("%s:%d: unrecognised line %q", libitcVectors, n, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stamps, cmps
}

func decodeLibitcHex(t *testing.T, line int, h string) (itc.Stamp, []byte) {
	t.Helper()
	raw, err := hex.DecodeString(h)
	if err != nil {
		t.Fatalf("line %d: bad hex: %v", line, err)
	}
	var s itc.Stamp
	if err := s.UnmarshalBinary(raw); err != nil {
		t.Fatalf("line %d: libitc bytes %s do not decode: %v", line, h, err)
	}
	return s, raw
}

// TestLibitcStamps decodes every stamp libitc serialised, re-encodes it and
// requires the identical bytes, prints it and requires libitc's own text,
// parses libitc's text and requires the same stamp, and round-trips it through
// the compact and JSON formats.
func TestLibitcStamps(t *testing.T) {
	stamps, _ := readLibitcVectors(t)
	if len(stamps) != 2191 {
		t.Fatalf("%s holds %d stamps, want the 2191 libitc produced", libitcVectors, len(stamps))
	}
	for _, v := range stamps {
		s, raw := decodeLibitcHex(t, v.line, v.hex)
		got, err := s.MarshalBinary()
		if err != nil {
			t.Fatalf("line %d: MarshalBinary: %v", v.line, err)
		}
		if !bytes.Equal(got, raw) {
			t.Errorf("line %d: re-encoded as %x, libitc wrote %s", v.line, got, v.hex)
		}
		if s.String() != v.text {
			t.Errorf("line %d: printed as %q, libitc prints %q", v.line, s.String(), v.text)
		}
		parsed, err := itc.ParseStamp(v.text)
		if err != nil {
			t.Errorf("line %d: libitc's text %q does not parse: %v", v.line, v.text, err)
		} else if !parsed.Equal(s) {
			t.Errorf("line %d: libitc's text parses to %v, its bytes decode to %v", v.line, parsed, s)
		}
		c, err := s.MarshalCompact()
		if err != nil {
			t.Fatalf("line %d: MarshalCompact: %v", v.line, err)
		}
		var fromCompact itc.Stamp
		if err := fromCompact.UnmarshalCompact(c); err != nil || !fromCompact.Equal(s) {
			t.Errorf("line %d: compact round trip gave %v, %v", v.line, fromCompact, err)
		}
		j, err := s.MarshalJSON()
		if err != nil {
			t.Fatalf("line %d: MarshalJSON: %v", v.line, err)
		}
		var fromJSON itc.Stamp
		if err := fromJSON.UnmarshalJSON(j); err != nil || !fromJSON.Equal(s) {
			t.Errorf("line %d: JSON round trip gave %v, %v", v.line, fromJSON, err)
		}
	}
}

// TestLibitcComparisons requires Compare to agree with every comparison
// libitc computed, and Leq in both directions to agree with it too (an
// independent path through the code: Leq has its own walk).
func TestLibitcComparisons(t *testing.T) {
	_, cmps := readLibitcVectors(t)
	if len(cmps) != 3000 {
		t.Fatalf("%s holds %d comparisons, want the 3000 libitc computed", libitcVectors, len(cmps))
	}
	seen := map[string]int{}
	for _, v := range cmps {
		a, _ := decodeLibitcHex(t, v.line, v.a)
		b, _ := decodeLibitcHex(t, v.line, v.b)
		got := a.Compare(b).String()
		if got != v.want {
			t.Errorf("line %d: %v vs %v: Compare says %s, libitc %s", v.line, a, b, got, v.want)
		}
		if back := b.Compare(a).String(); back != mirror(v.want) {
			t.Errorf("line %d: %v vs %v: reversed Compare says %s, want %s", v.line, b, a, back, mirror(v.want))
		}
		le, ge := a.Leq(b), b.Leq(a)
		var fromLeq string
		switch {
		case le && ge:
			fromLeq = "Equal"
		case le:
			fromLeq = "Less"
		case ge:
			fromLeq = "Greater"
		default:
			fromLeq = "Concurrent"
		}
		if fromLeq != v.want {
			t.Errorf("line %d: %v vs %v: Leq says %s, libitc %s", v.line, a, b, fromLeq, v.want)
		}
		seen[v.want]++
	}
	// The vectors are only a test of every ordering if they contain each.
	for _, o := range []string{"Less", "Greater", "Equal", "Concurrent"} {
		if seen[o] == 0 {
			t.Errorf("no comparison in %s has result %s", libitcVectors, o)
		}
	}
}

func mirror(o string) string {
	switch o {
	case "Less":
		return "Greater"
	case "Greater":
		return "Less"
	}
	return o
}
