package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"

	"github.com/crdtkit/crdtkit/itc"
)

// The picture: the stamp's text on top; the id as a binary tree whose
// leaves sit on a bar over the interval [0, 1), owned parts filled; the
// event as the paper draws it, stacked blocks over the interval, each node's
// counter a block as wide as its sub-interval, its children's blocks on top.
const (
	svgWidth   = 640
	svgMargin  = 20
	svgPlot    = svgWidth - 2*svgMargin
	svgBarH    = 16
	svgEventH  = 160
	svgMaxTree = 160 // the id tree's height at most
)

// node is an id or event tree read from itc's JSON form: a leaf (n) or a
// node with a value and two children.
type node struct {
	n    *big.Int
	l, r *node
}

func (t *node) leaf() bool { return t.l == nil }

// treeOf reads itc JSON (n, [l, r] for ids, [n, l, r] for events).
func treeOf(data []byte, event bool) (*node, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return toNode(v, event)
}

var errTree = errors.New("unexpected itc JSON")

func toNode(v any, event bool) (*node, error) {
	switch x := v.(type) {
	case json.Number:
		n, ok := new(big.Int).SetString(string(x), 10)
		if !ok {
			return nil, fmt.Errorf("%w: %s", errTree, x)
		}
		return &node{n: n}, nil
	case []any:
		want := 2
		if event {
			want = 3
		}
		if len(x) != want {
			return nil, fmt.Errorf("%w: %d elements", errTree, len(x))
		}
		t := &node{n: new(big.Int)}
		if event {
			c, err := toNode(x[0], false)
			if err != nil {
				return nil, err
			}
			t.n = c.n
			x = x[1:]
		}
		var err error
		if t.l, err = toNode(x[0], event); err != nil {
			return nil, err
		}
		if t.r, err = toNode(x[1], event); err != nil {
			return nil, err
		}
		return t, nil
	}
	return nil, fmt.Errorf("%w: %v", errTree, v)
}

func (t *node) depth() int {
	if t.leaf() {
		return 0
	}
	return 1 + max(t.l.depth(), t.r.depth())
}

// maxSum is the largest counter sum along a path from the root.
func (t *node) maxSum() *big.Int {
	if t.leaf() {
		return t.n
	}
	l, r := t.l.maxSum(), t.r.maxSum()
	if l.Cmp(r) < 0 {
		l = r
	}
	return new(big.Int).Add(t.n, l)
}

type svgWriter struct {
	w   *bufio.Writer
	err error
}

func (s *svgWriter) printf(format string, args ...any) {
	if s.err == nil {
		_, s.err = fmt.Fprintf(s.w, format, args...)
	}
}

func esc(s string) string {
	var b []byte
	w := &appendWriter{&b}
	_ = xml.EscapeText(w, []byte(s))
	return string(b)
}

type appendWriter struct{ b *[]byte }

func (a *appendWriter) Write(p []byte) (int, error) { *a.b = append(*a.b, p...); return len(p), nil }

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// writeSVG draws s.
func writeSVG(w io.Writer, s itc.Stamp) error {
	idJSON, err := s.IDComponent().MarshalJSON()
	if err != nil {
		return err
	}
	evJSON, err := s.EventComponent().MarshalJSON()
	if err != nil {
		return err
	}
	id, err := treeOf(idJSON, false)
	if err != nil {
		return err
	}
	ev, err := treeOf(evJSON, true)
	if err != nil {
		return err
	}

	levels := id.depth()
	levelH := 28.0
	if float64(levels)*levelH > svgMaxTree {
		levelH = svgMaxTree / float64(levels)
	}
	treeTop := 64.0
	barY := treeTop + float64(levels)*levelH + 8
	eventTop := barY + svgBarH + 44
	base := eventTop + svgEventH
	height := base + 28

	out := &svgWriter{w: bufio.NewWriter(w)}
	out.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%s" viewBox="0 0 %d %s" font-family="sans-serif" font-size="12">`+"\n",
		svgWidth, num(height), svgWidth, num(height))
	out.printf(`<title>ITC stamp %s</title>`+"\n", esc(s.String()))
	out.printf(`<rect class="background" width="%d" height="%s" fill="white"/>`+"\n", svgWidth, num(height))
	text := s.String()
	if len(text) > 96 {
		text = text[:93] + "..."
	}
	out.printf(`<text x="%d" y="22" font-family="monospace">%s</text>`+"\n", svgMargin, esc(text))
	out.printf(`<text x="%d" y="48" font-weight="bold">id %s</text>`+"\n", svgMargin, esc(abbreviateTree(s.IDComponent().String())))
	drawID(out, id, 0, 1, 0, treeTop, levelH, barY)
	out.printf(`<text x="%d" y="%s" text-anchor="middle">0</text>`+"\n", svgMargin, num(barY+svgBarH+14))
	out.printf(`<text x="%d" y="%s" text-anchor="middle">1</text>`+"\n", svgMargin+svgPlot, num(barY+svgBarH+14))

	out.printf(`<text x="%d" y="%s" font-weight="bold">event %s</text>`+"\n", svgMargin, num(eventTop-12), esc(abbreviateTree(s.EventComponent().String())))
	top := ev.maxSum()
	scale := 0.0
	if top.Sign() > 0 {
		f, _ := new(big.Float).SetInt(top).Float64()
		scale = svgEventH / f
	}
	drawEvent(out, ev, 0, 1, new(big.Int), base, scale)
	out.printf(`<line class="baseline" x1="%d" y1="%s" x2="%d" y2="%s" stroke="black"/>`+"\n", svgMargin, num(base), svgMargin+svgPlot, num(base))
	out.printf(`<text x="%d" y="%s">max %s</text>`+"\n", svgMargin, num(base+18), top)
	out.printf("</svg>\n")
	if out.err != nil {
		return out.err
	}
	return out.w.Flush()
}

func abbreviateTree(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

func xOf(f float64) float64 { return svgMargin + f*svgPlot }

// drawID draws the id (sub)tree over [a, b) at depth d: a node with lines to
// its children, and each leaf as a segment of the bar, filled if owned.
func drawID(out *svgWriter, t *node, a, b float64, d int, top, levelH, barY float64) {
	x := xOf((a + b) / 2)
	y := top + float64(d)*levelH
	if t.leaf() {
		owned := t.n.Sign() > 0
		fill, class := "white", "id-leaf"
		if owned {
			fill, class = "#2e8b57", "id-leaf owned"
		}
		out.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#bbb" stroke-dasharray="2,2"/>`+"\n", num(x), num(y), num(x), num(barY))
		out.printf(`<rect class="%s" x="%s" y="%s" width="%s" height="%d" fill="%s" stroke="black" stroke-width="0.5"/>`+"\n",
			class, num(xOf(a)), num(barY), num(xOf(b)-xOf(a)), svgBarH, fill)
		out.printf(`<circle class="id-node" cx="%s" cy="%s" r="3" fill="%s" stroke="black"/>`+"\n", num(x), num(y), fill)
		return
	}
	mid := (a + b) / 2
	for _, c := range []struct {
		t    *node
		a, b float64
	}{{t.l, a, mid}, {t.r, mid, b}} {
		out.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="black"/>`+"\n",
			num(x), num(y), num(xOf((c.a+c.b)/2)), num(y+levelH))
		drawID(out, c.t, c.a, c.b, d+1, top, levelH, barY)
	}
	out.printf(`<circle class="id-node" cx="%s" cy="%s" r="3" fill="black"/>`+"\n", num(x), num(y))
}

// drawEvent draws the event (sub)tree over [a, b) standing on height below
// (the sum of its ancestors' counters): its counter as a block, then its
// children on top.
func drawEvent(out *svgWriter, t *node, a, b float64, below *big.Int, base, scale float64) {
	h := new(big.Int).Add(below, t.n)
	if t.n.Sign() > 0 {
		y0 := yOf(below, base, scale)
		y1 := yOf(h, base, scale)
		x0, x1 := xOf(a), xOf(b)
		out.printf(`<rect class="event-block" data-n="%s" x="%s" y="%s" width="%s" height="%s" fill="#87ceeb" stroke="black" stroke-width="0.5"/>`+"\n",
			t.n, num(x0), num(y1), num(x1-x0), num(y0-y1))
		if x1-x0 >= 8*float64(len(t.n.String()))+4 && y0-y1 >= 14 {
			out.printf(`<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num((x0+x1)/2), num((y0+y1)/2+4), t.n)
		}
	}
	if t.leaf() {
		return
	}
	mid := (a + b) / 2
	drawEvent(out, t.l, a, mid, h, base, scale)
	drawEvent(out, t.r, mid, b, h, base, scale)
}

func yOf(v *big.Int, base, scale float64) float64 {
	f, _ := new(big.Float).SetInt(v).Float64()
	return base - f*scale
}
