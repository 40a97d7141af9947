package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/internal/testserver"
	"github.com/crdtkit/crdtkit/itc"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
)

// result is what one in-process run of the command produced.
type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

func (r result) want(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	return r
}

func marshal(t *testing.T, s crdt.State) []byte {
	t.Helper()
	b, err := payload.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeFile writes the payload of s, with a final newline as editors
// leave it, to a new file in dir.
func writeFile(t *testing.T, dir, name string, s crdt.State) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, append(marshal(t, s), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fixture is three replicas of a shopping list: a and b are concurrent, c
// has seen a (and added to it).
type fixture struct {
	a, b, c *sets.ORSet[string]
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	a, b := sets.NewORSet[string]("alice"), sets.NewORSet[string]("bob")
	for _, err := range []error{a.Add("milk"), a.Add("eggs"), b.Add("bread"), b.Add("milk")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	c := a.Clone()
	if err := c.Add("tea"); err != nil {
		t.Fatal(err)
	}
	if !c.Remove("eggs") {
		t.Fatal("eggs not removed")
	}
	return fixture{a, b, c}
}

func TestHelp(t *testing.T) {
	r := run(t, "", "help").want(t, ExitOK)
	if len(helpOrder) != len(commands) {
		t.Errorf("help lists %d commands, there are %d", len(helpOrder), len(commands))
	}
	for _, c := range commands {
		if !strings.Contains(r.stdout, "\t"+c.name) {
			t.Errorf("help does not list %s:\n%s", c.name, r.stdout)
		}
		h := run(t, "", "help", c.name).want(t, ExitOK)
		if !strings.HasPrefix(h.stdout, "usage: crdtkit "+c.name+" ") {
			t.Errorf("help %s: %q", c.name, h.stdout)
		}
		if dash := run(t, "", c.name, "-h").want(t, ExitOK); dash.stdout != h.stdout {
			t.Errorf("%s -h differs from help %s:\n%s\n%s", c.name, c.name, dash.stdout, h.stdout)
		}
	}
	if r := run(t, "", "validate", "-h").want(t, ExitOK); !strings.Contains(r.stdout, "-canonical") {
		t.Errorf("validate -h does not describe its flag:\n%s", r.stdout)
	}
	run(t, "").want(t, ExitUsage)
	if r := run(t, "", "frobnicate").want(t, ExitUsage); !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("stderr: %q", r.stderr)
	}
	run(t, "", "help", "frobnicate").want(t, ExitUsage)
	if r := run(t, "", "validate", "-bogus").want(t, ExitUsage); !strings.Contains(r.stderr, "-bogus") {
		t.Errorf("stderr: %q", r.stderr)
	}
	if r := run(t, "", "merge", "only-one.json").want(t, ExitUsage); !strings.Contains(r.stderr, "at least two") {
		t.Errorf("stderr: %q", r.stderr)
	}
	run(t, "", "diff", "a").want(t, ExitUsage)
	run(t, "", "get", "bolt:x").want(t, ExitUsage)
	run(t, "", "itc").want(t, ExitUsage)
	run(t, "", "itc", "paint").want(t, ExitUsage)
	run(t, "", "itc", "convert", "-to", "xml", "{1; 0}").want(t, ExitUsage)
	if r := run(t, "", "itc", "convert", "{1; 0}", "-to", "json").want(t, ExitUsage); !strings.Contains(r.stderr, "flags go before the stamps") {
		t.Errorf("stderr: %q", r.stderr)
	}
	if r := run(t, "", "itc", "convert", "{1;", "0}").want(t, ExitUsage); !strings.Contains(r.stderr, "quote a text stamp") {
		t.Errorf("stderr: %q", r.stderr)
	}
	run(t, "", "merge", "-", "-").want(t, ExitUsage)
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t)
	path := writeFile(t, dir, "c.json", f.c)
	r := run(t, "", "inspect", path).want(t, ExitOK)
	data, _ := os.ReadFile(path)
	wantValue, _ := json.Marshal(f.c.Value())
	for _, line := range []string{
		"type:      sets.ORSet[string]",
		"version:   1",
		"size:      " + itoa(len(data)) + " bytes",
		"canonical: yes",
		"value:     " + string(wantValue),
	} {
		if !strings.Contains(r.stdout, line+"\n") {
			t.Errorf("inspect output lacks %q:\n%s", line, r.stdout)
		}
	}
	// The tree shows every element of the state.
	for _, e := range f.c.Value() {
		if !strings.Contains(r.stdout, `"e":"`+e+`"`) {
			t.Errorf("the tree does not show element %s:\n%s", e, r.stdout)
		}
	}
	if strings.Contains(r.stdout, `"eggs"`) {
		t.Errorf("the tree shows the removed element:\n%s", r.stdout)
	}

	// The same from standard input, spaced out: valid, not canonical.
	var spaced bytes.Buffer
	if err := json.Indent(&spaced, data, "", "  "); err != nil {
		t.Fatal(err)
	}
	r = run(t, spaced.String(), "inspect").want(t, ExitOK)
	if !strings.Contains(r.stdout, "file:      <stdin>") ||
		!strings.Contains(r.stdout, "canonical: no (the canonical form has "+itoa(len(data)-1)+" bytes)") {
		t.Errorf("inspect of indented input:\n%s", r.stdout)
	}

	// An invalid payload is shown as far as possible, then the error.
	bad := `{"state":{"counts":[{"n":0,"r":"a"}]},"type":"counters.GCounter","version":1}`
	r = run(t, bad, "inspect", "-").want(t, ExitNegative)
	if !strings.Contains(r.stdout, "type:      counters.GCounter") || !strings.Contains(r.stdout, "invalid:   ") ||
		!strings.Contains(r.stdout, "state.counts[0].n") {
		t.Errorf("inspect of an invalid payload:\n%s", r.stdout)
	}

	// A missing file is an error naming it.
	r = run(t, "", "inspect", filepath.Join(dir, "nope.json")).want(t, ExitNegative)
	if !strings.Contains(r.stderr, "nope.json") {
		t.Errorf("stderr: %q", r.stderr)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestInspectNestedValue(t *testing.T) {
	// A map's value is shown through its values' own Value.
	m := compound.NewMap[string]("a", counters.NewPNCounter)
	if err := m.Update("go", func(c *counters.PNCounter) error { return c.Inc(3) }); err != nil {
		t.Fatal(err)
	}
	if err := m.Update("rust", func(c *counters.PNCounter) error { return c.Dec(2) }); err != nil {
		t.Fatal(err)
	}
	r := run(t, string(marshal(t, m)), "inspect").want(t, ExitOK)
	if !strings.Contains(r.stdout, `value:     {"go":3,"rust":-2}`+"\n") {
		t.Errorf("inspect of a map:\n%s", r.stdout)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t)
	good := writeFile(t, dir, "good.json", f.a)
	g := counters.NewGCounter("a")
	if err := g.Inc(2); err != nil {
		t.Fatal(err)
	}
	good2 := writeFile(t, dir, "counter.json", g)
	r := run(t, "", "validate", good, good2).want(t, ExitOK)
	if r.stdout != good+": ok sets.ORSet[string]\n"+good2+": ok counters.GCounter\n" {
		t.Errorf("validate:\n%s", r.stdout)
	}

	cases := []struct{ name, data, field string }{
		{"zero.json", `{"state":{"counts":[{"n":0,"r":"a"}]},"type":"counters.GCounter","version":1}`, "state.counts[0].n"},
		{"unknown.json", `{"state":{"counts":[],"extra":1},"type":"counters.GCounter","version":1}`, "state.extra"},
		{"dup.json", `{"state":{"elements":["x","x"]},"type":"sets.GSet[string]","version":1}`, "state.elements[1]"},
	}
	for _, c := range cases {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, []byte(c.data), 0o644); err != nil {
			t.Fatal(err)
		}
		// The reason must be the decoder's own error for this payload.
		_, decErr := payload.Unmarshal([]byte(c.data), "x")
		var fe *payload.FieldError
		if !errors.As(decErr, &fe) || fe.Field != c.field {
			t.Fatalf("%s: the decoder says %v; the test expects field %s", c.name, decErr, c.field)
		}
		r := run(t, "", "validate", good, path).want(t, ExitNegative)
		want := good + ": ok sets.ORSet[string]\n" + path + ": invalid\n  field:  " + c.field + "\n  reason: " + fe.Err.Error() + "\n"
		if r.stdout != want {
			t.Errorf("validate %s:\n%s\nwant:\n%s", c.name, r.stdout, want)
		}
	}

	// Not JSON at all: invalid, with no field.
	r = run(t, "not json", "validate").want(t, ExitNegative)
	if !strings.HasPrefix(r.stdout, "<stdin>: invalid\n") {
		t.Errorf("validate of garbage:\n%s", r.stdout)
	}

	// -canonical rejects a valid payload whose bytes are not canonical.
	data, _ := os.ReadFile(good)
	var spaced bytes.Buffer
	if err := json.Indent(&spaced, data, "", " "); err != nil {
		t.Fatal(err)
	}
	run(t, spaced.String(), "validate").want(t, ExitOK)
	run(t, spaced.String(), "validate", "-canonical").want(t, ExitNegative)
	run(t, "", "validate", "-canonical", good).want(t, ExitOK)
}

func TestMerge(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t)
	pa, pb, pc := writeFile(t, dir, "a.json", f.a), writeFile(t, dir, "b.json", f.b), writeFile(t, dir, "c.json", f.c)

	want := f.a.Clone()
	for _, o := range []*sets.ORSet[string]{f.b, f.c} {
		if err := want.Merge(o); err != nil {
			t.Fatal(err)
		}
	}
	wantOut := string(marshal(t, want)) + "\n"
	for _, args := range [][]string{{pa, pb, pc}, {pc, pb, pa}, {pb, pa, pc, pa}} {
		r := run(t, "", append([]string{"merge"}, args...)...).want(t, ExitOK)
		if r.stdout != wantOut {
			t.Errorf("merge %v:\n%s\nwant:\n%s", args, r.stdout, wantOut)
		}
	}
	// One input from standard input.
	data, _ := os.ReadFile(pb)
	if r := run(t, string(data), "merge", pa, "-", pc).want(t, ExitOK); r.stdout != wantOut {
		t.Errorf("merge with stdin:\n%s", r.stdout)
	}
	// Different types: an error naming both.
	g := writeFile(t, dir, "g.json", counters.NewGCounter("a"))
	r := run(t, "", "merge", pa, g).want(t, ExitNegative)
	if !strings.Contains(r.stderr, "counters.GCounter") || !strings.Contains(r.stderr, "sets.ORSet[string]") {
		t.Errorf("stderr: %q", r.stderr)
	}
}

func TestDiff(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t)
	pa, pb, pc := writeFile(t, dir, "a.json", f.a), writeFile(t, dir, "b.json", f.b), writeFile(t, dir, "c.json", f.c)

	r := run(t, "", "diff", pa, pa).want(t, ExitOK)
	if !strings.HasSuffix(r.stdout, "A and B are equal.\n") || !strings.Contains(r.stdout, "state:\n  (no difference)\n") {
		t.Errorf("diff of equal payloads:\n%s", r.stdout)
	}

	// c has seen a, removed eggs and added tea: c contains a.
	r = run(t, "", "diff", pc, pa).want(t, ExitNegative)
	for _, line := range []string{
		`  only in A  element "tea"`,
		`  only in B  element "eggs"`,
		`  only in B  elements[e="eggs"]: `,
		`  only in A  elements[e="tea"]: `,
		"A contains B: merging B into A changes nothing.",
	} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("diff c a lacks %q:\n%s", line, r.stdout)
		}
	}
	r = run(t, "", "diff", pa, pc).want(t, ExitNegative)
	if !strings.Contains(r.stdout, "B contains A: merging A into B changes nothing.") {
		t.Errorf("diff a c:\n%s", r.stdout)
	}

	// a and b are concurrent; both hold milk, with different dots.
	r = run(t, "", "diff", pa, pb).want(t, ExitNegative)
	for _, line := range []string{
		`  only in A  element "eggs"`,
		`  only in B  element "bread"`,
		`  only in A  elements[e="milk"].dots[r="alice"]: `,
		`  only in B  elements[e="milk"].dots[r="bob"]: `,
		"Neither contains the other",
	} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("diff a b lacks %q:\n%s", line, r.stdout)
		}
	}
	if strings.Contains(r.stdout, `element "milk"`) {
		t.Errorf("milk is in both values:\n%s", r.stdout)
	}
}

func TestDiffMapKeys(t *testing.T) {
	a := compound.NewMap[string]("a", counters.NewPNCounter)
	inc := func(m *compound.Map[string, *counters.PNCounter], k string, n uint64) {
		t.Helper()
		if err := m.Update(k, func(c *counters.PNCounter) error { return c.Inc(n) }); err != nil {
			t.Fatal(err)
		}
	}
	inc(a, "go", 1)
	b := a.Clone()
	inc(b, "go", 2)
	inc(b, "zig", 1)
	dir := t.TempDir()
	r := run(t, "", "diff", writeFile(t, dir, "a.json", a), writeFile(t, dir, "b.json", b)).want(t, ExitNegative)
	for _, line := range []string{
		"  changed    go: A 1, B 3",
		"  only in B  zig: 1",
		"B contains A",
	} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("diff of maps lacks %q:\n%s", line, r.stdout)
		}
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	testserver.StopAll()
	os.Exit(code)
}

func TestStore(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t)
	pa, pb := writeFile(t, dir, "a.json", f.a), writeFile(t, dir, "b.json", f.b)
	g := writeFile(t, dir, "g.json", counters.NewGCounter("x"))
	merged, err := crdt.Merge(f.a, f.b)
	if err != nil {
		t.Fatal(err)
	}
	wantMerged := string(marshal(t, merged)) + "\n"

	stores := []struct {
		name  string
		url   func(t *testing.T) string
		local string // the file or directory of a local store
	}{
		{"bolt", func(*testing.T) string { return "bolt:" + filepath.Join(dir, "crdt.db") }, filepath.Join(dir, "crdt.db")},
		{"dir", func(*testing.T) string { return "dir:" + filepath.Join(dir, "records") }, filepath.Join(dir, "records")},
		{"postgres", func(t *testing.T) string { return testserver.Postgres(t) }, ""},
		{"redis", func(t *testing.T) string { return testserver.Redis(t) }, ""},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			url := st.url(t)
			if st.local != "" {
				// ls and get do not create a store that is not there.
				r := run(t, "", "ls", url).want(t, ExitNegative)
				if !strings.Contains(r.stderr, "no such store") {
					t.Errorf("stderr: %q", r.stderr)
				}
				run(t, "", "get", url, "k").want(t, ExitNegative)
				if _, err := os.Stat(st.local); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("ls created the store: %v", err)
				}
			}
			// Servers may be shared (CRDTKIT_POSTGRES_URL): keys of this
			// run only.
			p := "crdtkit-cli-test/" + strconv.FormatInt(time.Now().UnixNano(), 36) + "/"
			shopping := p + "lists/shopping"

			first := run(t, "", "merge-write", url, shopping, pa).want(t, ExitOK)
			if first.stdout != string(marshal(t, f.a))+"\n" {
				t.Errorf("first merge-write printed:\n%s", first.stdout)
			}
			data, _ := os.ReadFile(pb)
			if r := run(t, string(data), "merge-write", url, shopping).want(t, ExitOK); r.stdout != wantMerged {
				t.Errorf("second merge-write printed:\n%s\nwant:\n%s", r.stdout, wantMerged)
			}
			run(t, "", "merge-write", url, shopping, pb).want(t, ExitOK) // idempotent
			run(t, "", "merge-write", url, p+"counters/visits", g).want(t, ExitOK)

			if r := run(t, "", "get", url, shopping).want(t, ExitOK); r.stdout != wantMerged {
				t.Errorf("get:\n%s\nwant:\n%s", r.stdout, wantMerged)
			}
			if r := run(t, "", "ls", url, p).want(t, ExitOK); r.stdout != p+"counters/visits\n"+shopping+"\n" {
				t.Errorf("ls:\n%s", r.stdout)
			}
			if r := run(t, "", "ls", url, p+"lists/").want(t, ExitOK); r.stdout != shopping+"\n" {
				t.Errorf("ls lists/:\n%s", r.stdout)
			}
			r := run(t, "", "ls", "-l", url, p+"lists/").want(t, ExitOK)
			if want := shopping + "\tsets.ORSet[string]\t" + itoa(len(wantMerged)-1) + "\n"; r.stdout != want {
				t.Errorf("ls -l:\n%q\nwant\n%q", r.stdout, want)
			}

			// A payload of another type is refused and changes nothing.
			r = run(t, "", "merge-write", url, shopping, g).want(t, ExitNegative)
			if r.stderr == "" {
				t.Error("no error for a merge-write of another type")
			}
			if r := run(t, "", "get", url, shopping).want(t, ExitOK); r.stdout != wantMerged {
				t.Errorf("the refused merge-write changed the record:\n%s", r.stdout)
			}
			// So is an invalid payload.
			run(t, `{"state":{},"type":"sets.ORSet[string]","version":1}`, "merge-write", url, shopping).want(t, ExitNegative)

			r = run(t, "", "get", url, p+"lists/none").want(t, ExitNegative)
			if !strings.Contains(r.stderr, "not found") {
				t.Errorf("get of a missing key: %q", r.stderr)
			}
		})
	}
}

func TestLsCorruptRecord(t *testing.T) {
	dir := t.TempDir()
	url := "dir:" + filepath.Join(dir, "records")
	f := newFixture(t)
	run(t, "", "merge-write", url, "good", writeFile(t, dir, "a.json", f.a)).want(t, ExitOK)
	// A record written behind the store's back, in dirstore's layout of
	// one <key>.json file per key.
	if err := os.WriteFile(filepath.Join(dir, "records", "bad.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "", "ls", url).want(t, ExitOK); r.stdout != "bad\ngood\n" {
		t.Skipf("dirstore's layout is not what this test writes behind its back; ls lists %q", r.stdout)
	}
	r := run(t, "", "ls", "-l", url).want(t, ExitNegative)
	lines := strings.Split(r.stdout, "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "bad\t(error: ") || !strings.HasPrefix(lines[1], "good\tsets.ORSet[string]\t") {
		t.Errorf("ls -l:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "1 of 2 records do not decode") {
		t.Errorf("stderr: %q", r.stderr)
	}
}

func TestITCConvert(t *testing.T) {
	s := itc.NewStamp()
	a, b := s.Fork()
	a, _ = a.Event()
	b, _ = b.Event()
	b, c := b.Fork()
	c, _ = c.Event()
	bc, err := b.Join(c)
	if err != nil {
		t.Fatal(err)
	}
	stamp, _ := bc.Event()
	text := stamp.String()
	js, _ := stamp.MarshalJSON()
	bin, _ := stamp.MarshalBinary()
	cmp, _ := stamp.MarshalCompact()
	all := "text:    " + text + "\njson:    " + string(js) + "\nbinary:  " + hex.EncodeToString(bin) + "\ncompact: " + hex.EncodeToString(cmp) + "\n"

	inputs := map[string]string{
		"text": text, "json": string(js), "binary": hex.EncodeToString(bin), "compact": hex.EncodeToString(cmp),
	}
	for from, in := range inputs {
		// Recognised, and named.
		if r := run(t, "", "itc", "convert", in).want(t, ExitOK); r.stdout != all {
			t.Errorf("convert %s:\n%s\nwant:\n%s", from, r.stdout, all)
		}
		if r := run(t, in, "itc", "convert", "-from", from, "-to", "text").want(t, ExitOK); r.stdout != text+"\n" {
			t.Errorf("convert -from %s -to text: %q", from, r.stdout)
		}
	}
	// Hex with spaces, as libitc's docs print it.
	var sp []string
	for i := 0; i < len(bin); i++ {
		sp = append(sp, hex.EncodeToString(bin[i:i+1]))
	}
	if r := run(t, "", "itc", "convert", "-to", "json", strings.Join(sp, " ")).want(t, ExitOK); r.stdout != string(js)+"\n" {
		t.Errorf("spaced hex: %q", r.stdout)
	}
	// Raw bytes in and out.
	if r := run(t, string(bin), "itc", "convert", "-raw", "-to", "compact").want(t, ExitOK); r.stdout != string(cmp) {
		t.Errorf("raw: %x, want %x", r.stdout, cmp)
	}
	// Rejections.
	r := run(t, "", "itc", "convert", "{(1, 1); 0}").want(t, ExitNegative) // not normal form
	if !strings.Contains(r.stderr, "itc") {
		t.Errorf("stderr: %q", r.stderr)
	}
	run(t, "", "itc", "convert", "zz").want(t, ExitNegative)
	run(t, "", "itc", "convert", "-from", "binary", "8990").want(t, ExitNegative)
}

func TestITCCompare(t *testing.T) {
	a, b := itc.NewStamp().Fork()
	a1, _ := a.Event()
	b1, _ := b.Event()
	j, _ := a1.Join(b1)
	cases := []struct {
		x, y itc.Stamp
	}{{a, a1}, {a1, a}, {a1, b1}, {j, j}, {a1, j}}
	for _, c := range cases {
		want := c.x.Compare(c.y).String()
		r := run(t, "", "itc", "compare", c.x.String(), c.y.String()).want(t, ExitOK)
		if !strings.HasPrefix(r.stdout, want+": ") {
			t.Errorf("compare %v %v: %q, want %s", c.x, c.y, r.stdout, want)
		}
	}
	run(t, "", "itc", "compare", a.String()).want(t, ExitUsage)
}

// svgDoc is the part of the picture the test reads.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	Title   string   `xml:"title"`
	Rects   []struct {
		Class  string  `xml:"class,attr"`
		N      string  `xml:"data-n,attr"`
		X      float64 `xml:"x,attr"`
		Y      float64 `xml:"y,attr"`
		Width  float64 `xml:"width,attr"`
		Height float64 `xml:"height,attr"`
	} `xml:"rect"`
	Lines []struct {
		Class string  `xml:"class,attr"`
		Y1    float64 `xml:"y1,attr"`
	} `xml:"line"`
}

func TestITCSVG(t *testing.T) {
	// {((1, 0), (0, 1)); (1, (0, 2, 0), 3)}: four id leaves, two owned; the
	// event's highest point is 1 + 3 = 4 over the right half.
	const stamp = "{((1, 0), (0, 1)); (1, (0, 2, 0), 3)}"
	if _, err := itc.ParseStamp(stamp); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", "itc", "svg", stamp).want(t, ExitOK)
	var doc svgDoc
	if err := xml.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, r.stdout)
	}
	if doc.Title != "ITC stamp "+stamp {
		t.Errorf("title %q", doc.Title)
	}
	var leaves, owned int
	var ownedWidth float64
	blocks := map[string]float64{} // counter -> height
	var top, base float64 = 1e9, 0
	for _, l := range doc.Lines {
		if l.Class == "baseline" {
			base = l.Y1
		}
	}
	var widths []float64
	for _, rc := range doc.Rects {
		switch rc.Class {
		case "id-leaf", "id-leaf owned":
			leaves++
			if rc.Class == "id-leaf owned" {
				owned++
				ownedWidth += rc.Width
			}
		case "event-block":
			blocks[rc.N] = rc.Height
			widths = append(widths, rc.Width)
			top = min(top, rc.Y)
		}
	}
	if leaves != 4 || owned != 2 {
		t.Errorf("%d id leaves, %d owned; want 4 and 2", leaves, owned)
	}
	if ownedWidth != svgPlot/2 { // (1, 0) of the left half and (0, 1) of the right: a quarter each
		t.Errorf("owned width %v, want %v", ownedWidth, svgPlot/2)
	}
	// Blocks: 1 over everything, 2 over the left quarter... of the left
	// half, 3 over the right half; heights proportional to counters.
	if len(blocks) != 3 {
		t.Fatalf("event blocks %v, want counters 1, 2, 3", blocks)
	}
	unit := blocks["1"]
	if blocks["2"] != 2*unit || blocks["3"] != 3*unit {
		t.Errorf("block heights %v not proportional to the counters", blocks)
	}
	slices.Sort(widths)
	if want := []float64{svgPlot / 4, svgPlot / 2, svgPlot}; !slices.Equal(widths, want) {
		t.Errorf("block widths %v, want %v", widths, want)
	}
	if base-top != svgEventH {
		t.Errorf("the highest point is %v above the baseline, want the full height %d", base-top, svgEventH)
	}

	// From standard input, and the seed (no event block at all).
	r = run(t, "{1; 0}", "itc", "svg").want(t, ExitOK)
	if err := xml.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.stdout, "event-block") || strings.Count(r.stdout, `class="id-leaf owned"`) != 1 {
		t.Errorf("svg of the seed:\n%s", r.stdout)
	}
}

// TestRunWritesNothingUnasked checks that help goes to stdout and usage
// errors to stderr.
func TestRunWritesNothingUnasked(t *testing.T) {
	var out bytes.Buffer
	if code := Run(context.Background(), []string{"help"}, strings.NewReader(""), &out, io.Discard); code != 0 || out.Len() == 0 {
		t.Fatalf("help: %d, %q", code, out.String())
	}
	var errOut bytes.Buffer
	if code := Run(context.Background(), []string{"nope"}, strings.NewReader(""), io.Discard, &errOut); code != ExitUsage || errOut.Len() == 0 {
		t.Fatalf("unknown command: %d, %q", code, errOut.String())
	}
}
