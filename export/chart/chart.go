// Package chart draws the charts of cards and reports as PNG images, for the
// platforms that cannot draw a chart themselves and for the Markdown weekly
// report: the burn-up (a line chart), bar charts such as the check-in
// participation, and the Gantt overview. It is pure Go (fogleman/gg over
// golang.org/x/image's OpenType fonts); Chinese labels need a CJK font on the
// system or in the config (see Fonts).
package chart

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/fogleman/gg"

	"github.com/loopbot/loopbot/bot"
)

// ErrEmpty is returned for a chart with nothing to draw: no labels or no
// values, or a Gantt chart without bars.
var ErrEmpty = errors.New("chart: nothing to draw")

// Options size a drawing. The zero value gives a 960×480 px line or bar chart
// and a Gantt chart 960 px wide with a row per task, without a today line.
type Options struct {
	Width, Height int
	// Today draws a dashed "today" line on a Gantt chart (zero: none).
	Today bot.Date
}

// Text is a label as drawn and the box it was drawn in.
type Text struct {
	S   string
	Box image.Rectangle
}

// Drawing is a rendered chart and where its labels went.
type Drawing struct {
	Image image.Image
	Texts []Text
}

// Colours, as the playground and Feishu draw them.
var (
	colBackground = color.RGBA{0xff, 0xff, 0xff, 0xff}
	colText       = color.RGBA{0x1f, 0x23, 0x29, 0xff}
	colTick       = color.RGBA{0x64, 0x6a, 0x73, 0xff}
	colGrid       = color.RGBA{0xe5, 0xe6, 0xeb, 0xff}
	colAxis       = color.RGBA{0x8f, 0x95, 0x9e, 0xff}
	colBlue       = color.RGBA{0x33, 0x70, 0xff, 0xff}
	colGreen      = color.RGBA{0x34, 0xc7, 0x24, 0xff}
	colRed        = color.RGBA{0xf5, 0x4a, 0x45, 0xff}
	colOrange     = color.RGBA{0xf5, 0xa6, 0x23, 0xff}
	seriesColors  = []color.RGBA{colAxis, colBlue, colGreen, colOrange, colRed, {0x7f, 0x3b, 0xf5, 0xff}}
)

// PNG draws ch and writes it to w as a PNG image. Types "burnup",
// "burndown" and "line" are line charts, "bar" and "pareto" bar charts, and
// "gantt" the Gantt overview of ch.Bars. It returns ErrEmpty for a chart with
// nothing to draw and an error for an unknown type.
func PNG(w io.Writer, ch bot.Chart, fonts *Fonts, opt Options) error {
	d, err := Draw(ch, fonts, opt)
	if err != nil {
		return err
	}
	return png.Encode(w, d.Image)
}

// Draw renders ch as PNG does, and tells where each label went.
func Draw(ch bot.Chart, fonts *Fonts, opt Options) (*Drawing, error) {
	c := &canvas{p: fonts.painter()}
	switch strings.ToLower(ch.Type) {
	case "burnup", "burndown", "line", "":
		return c.series(ch, opt, false)
	case "bar", "pareto":
		return c.series(ch, opt, true)
	case "gantt":
		return c.gantt(ch, opt)
	}
	return nil, fmt.Errorf("chart: unknown chart type %q", ch.Type)
}

// canvas is one drawing in progress.
type canvas struct {
	dc    *gg.Context
	p     *painter
	texts []Text
}

func (c *canvas) start(w, h int) {
	c.dc = gg.NewContext(w, h)
	c.dc.SetColor(colBackground)
	c.dc.Clear()
}

func (c *canvas) done() *Drawing {
	return &Drawing{Image: c.dc.Image(), Texts: c.texts}
}

// text draws s of size px anchored at (x, y): ax 0 left, 0.5 centre, 1 right;
// ay 0 top, 0.5 middle, 1 baseline-ish bottom. It records the box.
func (c *canvas) text(s string, size, x, y, ax, ay float64, col color.Color) float64 {
	if s == "" {
		return 0
	}
	face := c.p.face(size)
	defer face.Close()
	c.dc.SetFontFace(face)
	c.dc.SetColor(col)
	w, _ := c.dc.MeasureString(s)
	h := size
	left, top := x-w*ax, y-h*ay
	// gg puts the baseline at y; the ascent of these fonts is about 0.88 em.
	c.dc.DrawString(s, left, top+h*0.88)
	c.texts = append(c.texts, Text{S: s, Box: image.Rect(int(left), int(top), int(math.Ceil(left+w)), int(math.Ceil(top+h*1.1)))})
	return w
}

// measure returns the width of s at size px.
func (c *canvas) measure(s string, size float64) float64 {
	face := c.p.face(size)
	defer face.Close()
	c.dc.SetFontFace(face)
	w, _ := c.dc.MeasureString(s)
	return w
}

// niceMax gives a round top for an axis of four steps, as the playground does.
func niceMax(v float64) float64 {
	if !(v > 0) {
		return 4
	}
	step := v / 4
	p := math.Pow(10, math.Floor(math.Log10(step)))
	for _, f := range []float64{1, 2, 2.5, 3, 5, 10} {
		if f*p >= step {
			return 4 * f * p
		}
	}
	return 40 * p
}

func fmtNum(v float64) string {
	if math.Abs(v-math.Round(v)) < 1e-9 {
		return fmt.Sprintf("%d", int64(math.Round(v)))
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// finite returns the finite values of ch's series, and whether it has one.
func finite(ch bot.Chart) (lo, hi float64, ok bool) {
	lo, hi = 0, 0
	for _, s := range ch.Series {
		for i, v := range s.Values {
			if i >= len(ch.Labels) || math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			lo, hi, ok = min(lo, v), max(hi, v), true
		}
	}
	return lo, hi, ok
}

// series draws a line chart, or a bar chart with bars set: title, legend, a
// y axis of four steps from min(0, lowest) to a round top, and x labels.
func (c *canvas) series(ch bot.Chart, opt Options, bars bool) (*Drawing, error) {
	lo, hi, ok := finite(ch)
	if len(ch.Labels) == 0 || !ok {
		return nil, ErrEmpty
	}
	W, H := size(opt, 960, 480)
	c.start(W, H)
	const padL, padR, padB = 64.0, 24.0, 48.0
	top := 20.0
	if title := c.p.label(ch.Title, ""); title != "" {
		c.text(title, 22, padL, top, 0, 0, colText)
		top += 34
	}
	colors := make([]color.RGBA, len(ch.Series))
	for i := range ch.Series {
		// As in the playground: several lines start with the plan in grey;
		// a single line, and bars, start with blue.
		k := i
		if bars || len(ch.Series) == 1 {
			k = i + 1
		}
		colors[i] = seriesColors[k%len(seriesColors)]
	}
	top = c.legend(ch.Series, colors, padL, top) + 12
	hi = niceMax(hi)
	plotT, plotB := top, float64(H)-padB
	y := func(v float64) float64 { return plotT + (plotB-plotT)*(1-(v-lo)/(hi-lo)) }
	for k := 0; k <= 4; k++ {
		v := lo + (hi-lo)*float64(k)/4
		c.dc.SetColor(colGrid)
		if k == 0 {
			c.dc.SetColor(colAxis)
		}
		c.dc.SetLineWidth(1)
		c.dc.DrawLine(padL, y(v), float64(W)-padR, y(v))
		c.dc.Stroke()
		c.text(fmtNum(v), 14, padL-8, y(v), 1, 0.5, colTick)
	}
	n := len(ch.Labels)
	var x func(i int) float64
	if bars {
		band := (float64(W) - padR - padL) / float64(n)
		x = func(i int) float64 { return padL + band*(float64(i)+0.5) }
		c.bars(ch, colors, x, y, band, lo)
	} else {
		x = func(i int) float64 {
			if n == 1 {
				return (padL + float64(W) - padR) / 2
			}
			return padL + 12 + (float64(W)-padR-padL-24)*float64(i)/float64(n-1)
		}
		c.lines(ch, colors, x, y)
	}
	every := max(1, (n+7)/8)
	for i, l := range ch.Labels {
		if i%every != 0 && i != n-1 {
			continue
		}
		c.text(c.p.label(l, fmt.Sprintf("#%d", i+1)), 14, x(i), plotB+10, 0.5, 0, colTick)
	}
	return c.done(), nil
}

// legend draws a swatch and name per series from (x, y) and returns the y
// below it.
func (c *canvas) legend(series []bot.Series, colors []color.RGBA, x, y float64) float64 {
	for i, s := range series {
		name := c.p.label(s.Name, fmt.Sprintf("#%d", i+1))
		c.dc.SetColor(colors[i])
		c.dc.DrawRoundedRectangle(x, y+3, 14, 14, 3)
		c.dc.Fill()
		x += 20 + c.text(name, 16, x+20, y, 0, 0, colText) + 24
	}
	return y + 22
}

func (c *canvas) lines(ch bot.Chart, colors []color.RGBA, x func(int) float64, y func(float64) float64) {
	for si, s := range ch.Series {
		c.dc.SetColor(colors[si])
		c.dc.SetLineWidth(3)
		if si == 0 && len(ch.Series) > 1 {
			c.dc.SetDash(10, 8)
		}
		pen := false
		for i, v := range s.Values {
			if i >= len(ch.Labels) || math.IsNaN(v) || math.IsInf(v, 0) {
				pen = false
				continue
			}
			if pen {
				c.dc.LineTo(x(i), y(v))
			} else {
				c.dc.MoveTo(x(i), y(v))
			}
			pen = true
		}
		c.dc.Stroke()
		c.dc.SetDash()
		for i, v := range s.Values {
			if i >= len(ch.Labels) || math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			c.dc.DrawCircle(x(i), y(v), 4)
			c.dc.SetColor(colBackground)
			c.dc.FillPreserve()
			c.dc.SetColor(colors[si])
			c.dc.SetLineWidth(2)
			c.dc.Stroke()
		}
	}
}

func (c *canvas) bars(ch bot.Chart, colors []color.RGBA, x func(int) float64, y func(float64) float64, band, lo float64) {
	bw := min(40, band*0.7/float64(len(ch.Series)))
	for si, s := range ch.Series {
		c.dc.SetColor(colors[si])
		for i, v := range s.Values {
			if i >= len(ch.Labels) || math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			x0 := x(i) - bw*float64(len(ch.Series))/2 + bw*float64(si)
			y0, y1 := y(math.Max(v, 0)), y(math.Min(v, 0))
			c.dc.DrawRoundedRectangle(x0, y0, math.Max(1, bw-3), math.Max(1, y1-y0), 2)
			c.dc.Fill()
		}
	}
}

func size(opt Options, w, h int) (int, int) {
	if opt.Width > 0 {
		w = min(opt.Width, 4000)
	}
	if opt.Height > 0 {
		h = min(opt.Height, 4000)
	}
	return max(w, 240), max(h, 160)
}
