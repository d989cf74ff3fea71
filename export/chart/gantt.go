package chart

import (
	"fmt"
	"image/color"

	"github.com/loopbot/loopbot/bot"
)

// MaxGanttRows is the number of bars a Gantt chart draws; the rest are
// counted in a last row ("+12 more").
const MaxGanttRows = 60

var (
	colBlueLight  = color.RGBA{0xc7, 0xd7, 0xff, 0xff}
	colRedLight   = color.RGBA{0xfd, 0xd0, 0xcf, 0xff}
	colGreenLight = color.RGBA{0xc5, 0xef, 0xc0, 0xff}
	colMilestone  = color.RGBA{0x7f, 0x3b, 0xf5, 0xff}
)

// span returns the first and last day of the bars.
func span(bars []bot.Bar) (from, to bot.Date, ok bool) {
	for _, b := range bars {
		s, f := barDays(b)
		if f.IsZero() {
			continue
		}
		if !ok || s.Before(from) {
			from = s
		}
		if !ok || f.After(to) {
			to = f
		}
		ok = true
	}
	return from, to, ok
}

// barDays returns a bar's first and last day: a milestone, or a bar without
// a start, is its finish day; a finish before the start is the start day.
func barDays(b bot.Bar) (bot.Date, bot.Date) {
	s, f := b.Start, b.Finish
	if f.IsZero() {
		f = s
	}
	if s.IsZero() || b.Milestone {
		s = f
	}
	if f.Before(s) {
		f = s
	}
	return s, f
}

// gantt draws one row per bar over a day axis: the bar in blue, red on the
// critical path, green when done, darker over its progress; a milestone as a
// diamond on its day; and a dashed line at opt.Today.
func (c *canvas) gantt(ch bot.Chart, opt Options) (*Drawing, error) {
	from, to, ok := span(ch.Bars)
	if !ok {
		return nil, ErrEmpty
	}
	if !opt.Today.IsZero() && opt.Today.After(to) && from.DaysUntil(opt.Today) < 3*from.DaysUntil(to)+30 {
		to = opt.Today
	}
	bars := ch.Bars
	more := 0
	if len(bars) > MaxGanttRows {
		bars, more = bars[:MaxGanttRows], len(bars)-MaxGanttRows
	}
	const rowH, labelW, padR, padL = 30.0, 280.0, 24.0, 16.0
	rows := len(bars)
	if more > 0 {
		rows++
	}
	top := 20.0
	W, _ := size(opt, 960, 0)
	title := c.p.label(ch.Title, "")
	head := 20.0 + 30 + 26 // legend, date ticks
	if title != "" {
		head += 34
	}
	H := int(head + rowH*float64(rows) + 20)
	c.start(W, H)
	if title != "" {
		c.text(title, 22, padL, top, 0, 0, colText)
		top += 34
	}
	top = c.ganttLegend(padL, top) + 8
	days := from.DaysUntil(to) + 1
	x0, x1 := labelW, float64(W)-padR
	dayW := (x1 - x0) / float64(days)
	x := func(d bot.Date) float64 { return x0 + dayW*float64(from.DaysUntil(d)) }
	rowsT := top + 26
	c.ganttAxis(from, days, dayW, x, top, rowsT, float64(H)-20)
	for i, b := range bars {
		y := rowsT + rowH*float64(i)
		c.text(c.fit(c.p.label(b.Task+" "+b.Label, b.Task), 15, labelW-padL-12), 15, padL, y+rowH/2, 0, 0.5, colText)
		c.ganttBar(b, x, dayW, y, rowH)
	}
	if more > 0 {
		c.text(fmt.Sprintf("+%d more", more), 15, padL, rowsT+rowH*float64(len(bars))+rowH/2, 0, 0.5, colTick)
	}
	if !opt.Today.IsZero() && !opt.Today.Before(from) && !opt.Today.After(to) {
		tx := x(opt.Today) + dayW/2
		c.dc.SetColor(colRed)
		c.dc.SetLineWidth(1.5)
		c.dc.SetDash(6, 4)
		c.dc.DrawLine(tx, rowsT-4, tx, float64(H)-20)
		c.dc.Stroke()
		c.dc.SetDash()
	}
	return c.done(), nil
}

func (c *canvas) ganttLegend(x, y float64) float64 {
	items := []struct {
		name string
		col  color.Color
	}{
		{"planned 计划", colBlue}, {"critical 关键路径", colRed}, {"done 完成", colGreen}, {"milestone 里程碑", colMilestone},
	}
	for _, it := range items {
		c.dc.SetColor(it.col)
		c.dc.DrawRoundedRectangle(x, y+3, 14, 14, 3)
		c.dc.Fill()
		x += 20 + c.text(c.p.label(it.name, ""), 16, x+20, y, 0, 0, colText) + 24
	}
	return y + 22
}

// ganttAxis draws the date ticks above the rows and a light grid line at
// each, every day, week or several weeks so that ticks stay 56 px apart.
func (c *canvas) ganttAxis(from bot.Date, days int, dayW float64, x func(bot.Date) float64, top, gridT, gridB float64) {
	step := 1
	for _, s := range []int{1, 7, 14, 28, 56, 84, 182, 364} {
		step = s
		if dayW*float64(s) >= 56 {
			break
		}
	}
	first := from
	if step >= 7 {
		// Weekly ticks fall on Mondays.
		for first.Weekday() != 1 {
			first = first.AddDays(1)
		}
	}
	for d := first; from.DaysUntil(d) < days; d = d.AddDays(step) {
		c.dc.SetColor(colGrid)
		c.dc.SetLineWidth(1)
		c.dc.DrawLine(x(d), gridT-4, x(d), gridB)
		c.dc.Stroke()
		c.text(fmt.Sprintf("%02d-%02d", int(d.Month), d.Day), 13, x(d)+2, top, 0, 0, colTick)
	}
}

func (c *canvas) ganttBar(b bot.Bar, x func(bot.Date) float64, dayW, y, rowH float64) {
	s, f := barDays(b)
	if b.Milestone {
		cx, cy, r := x(f)+dayW/2, y+rowH/2, 9.0
		c.dc.SetColor(colMilestone)
		if b.Critical {
			c.dc.SetColor(colRed)
		}
		c.dc.MoveTo(cx, cy-r)
		c.dc.LineTo(cx+r, cy)
		c.dc.LineTo(cx, cy+r)
		c.dc.LineTo(cx-r, cy)
		c.dc.ClosePath()
		c.dc.Fill()
		return
	}
	light, solid := colBlueLight, colBlue
	switch {
	case b.Done:
		light, solid = colGreenLight, colGreen
	case b.Critical:
		light, solid = colRedLight, colRed
	}
	left, width := x(s)+1, dayW*float64(s.DaysUntil(f)+1)-2
	width = max(width, 3)
	c.dc.SetColor(light)
	c.dc.DrawRoundedRectangle(left, y+7, width, rowH-14, 3)
	c.dc.Fill()
	p := min(max(b.Progress, 0), 100)
	if b.Done {
		p = 100
	}
	if p > 0 {
		c.dc.SetColor(solid)
		c.dc.DrawRoundedRectangle(left, y+7, width*float64(p)/100, rowH-14, 3)
		c.dc.Fill()
	}
	if b.Critical && !b.Done {
		c.dc.SetColor(colRed)
		c.dc.SetLineWidth(1.5)
		c.dc.DrawRoundedRectangle(left, y+7, width, rowH-14, 3)
		c.dc.Stroke()
	}
}

// fit shortens s with "…" until it is at most w px wide at size px.
func (c *canvas) fit(s string, size, w float64) string {
	if c.measure(s, size) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 {
		r = r[:len(r)-1]
		if t := string(r) + "…"; c.measure(t, size) <= w {
			return t
		}
	}
	return string(r)
}
