package export

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/xuri/excelize/v2"
)

// maxGanttDays caps the day columns of the Gantt sheet (about 18 months).
const maxGanttDays = 550

// styles are the workbook's cell styles.
type styles struct {
	head, date, dateTime, pct, num           int
	overdue, atRisk, done                    int // conditional (dxf) styles
	offDay, bar, barDone, barLate, barMilest int
	offHead, dayHead                         int
}

// writeXLSX writes the workbook: one sheet per table, streamed row by row
// (excelize's StreamWriter keeps large sheets in temporary files, not in
// memory), each with a frozen header row, an autofilter, typed cells and
// column widths; the tasks sheet colours overdue, at-risk and done rows with
// conditional formats; the Gantt sheet fills each task's working days. The
// zip is compressed at flate.BestSpeed (newZipWriter).
func (e *Exporter) writeXLSX(ctx context.Context, w io.Writer, req Request, p *pacer) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("export: xlsx: %w", err)
	}
	err = e.Store.View(bot.LongRead(ctx), func(tx bot.Tx) error {
		s, err := e.load(tx, req)
		if err != nil {
			return err
		}
		s.pace = p
		for i, t := range tables() {
			if err := s.addSheet(ctx, f, st, i, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The first sheet is the active one already; SetActiveSheet would
	// read every streamed sheet back into memory. The zip goes straight to
	// w: excelize's WriteTo would first build the whole file in memory.
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return newZipWriter(w) })
	if _, err := f.WriteToBuffer(); err != nil {
		return fmt.Errorf("export: xlsx: %w", err)
	}
	return nil
}

func newStyles(f *excelize.File) (*styles, error) {
	var st styles
	var err error
	add := func(dst *int, s *excelize.Style) {
		if err == nil {
			*dst, err = f.NewStyle(s)
		}
	}
	addCond := func(dst *int, color string) {
		if err == nil {
			*dst, err = f.NewConditionalStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}})
		}
	}
	fill := func(color string) excelize.Fill {
		return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}
	}
	dateFmt, dtFmt := "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
	add(&st.head, &excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill("#D9E1F2"),
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	add(&st.date, &excelize.Style{CustomNumFmt: &dateFmt})
	add(&st.dateTime, &excelize.Style{CustomNumFmt: &dtFmt})
	add(&st.pct, &excelize.Style{NumFmt: 9})
	add(&st.num, &excelize.Style{NumFmt: 0})
	addCond(&st.overdue, "#F8CBAD")
	addCond(&st.atRisk, "#FFE699")
	addCond(&st.done, "#C6EFCE")
	dayFmt := "m/d"
	add(&st.offDay, &excelize.Style{Fill: fill("#D9D9D9")})
	add(&st.offHead, &excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill("#BFBFBF"), CustomNumFmt: &dayFmt,
		Alignment: &excelize.Alignment{TextRotation: 90, Horizontal: "center"}})
	add(&st.dayHead, &excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill("#D9E1F2"), CustomNumFmt: &dayFmt,
		Alignment: &excelize.Alignment{TextRotation: 90, Horizontal: "center"}})
	add(&st.bar, &excelize.Style{Fill: fill("#5B9BD5")})
	add(&st.barDone, &excelize.Style{Fill: fill("#70AD47")})
	add(&st.barLate, &excelize.Style{Fill: fill("#E06666")})
	add(&st.barMilest, &excelize.Style{Fill: fill("#FFC000"), Alignment: &excelize.Alignment{Horizontal: "center"}})
	return &st, err
}

// addSheet streams table t into the workbook as its i-th sheet. A table
// longer than a sheet's 1,048,576 rows goes on in sheets named "… (2)",
// "… (3)", each with its header.
func (s *snapshot) addSheet(ctx context.Context, f *excelize.File, st *styles, i int, t table) error {
	sw, err := newSheet(f, i, t.sheet)
	if err != nil {
		return err
	}
	if t.file == "gantt.csv" {
		return s.addGantt(f, sw, st, t)
	}
	if err := s.sheetHead(sw, st, t.cols, nil); err != nil {
		return err
	}
	name, part := t.sheet, 1
	row, cells := 1, make([]any, len(t.cols))
	err = t.each(s, func(vals []cell) error {
		if row%1024 == 0 {
			if err := s.yield(ctx); err != nil {
				return err
			}
		}
		if row == excelize.TotalRows {
			if err := s.sheetTail(f, sw, st, t, name, row); err != nil {
				return err
			}
			part++
			name = fmt.Sprintf("%s (%d)", t.sheet, part)
			var err error
			if sw, err = newSheet(f, 1, name); err != nil {
				return err
			}
			if err := s.sheetHead(sw, st, t.cols, nil); err != nil {
				return err
			}
			row = 1
		}
		row++
		for i, v := range vals {
			cells[i] = s.xlsxCell(st, v)
		}
		return sw.SetRow(cellName(1, row), cells)
	})
	if err != nil {
		return fmt.Errorf("export: xlsx: %s: %w", name, err)
	}
	return s.sheetTail(f, sw, st, t, name, row)
}

// newSheet adds a sheet (the first one renames the default Sheet1) and
// returns its stream writer.
func newSheet(f *excelize.File, i int, name string) (*excelize.StreamWriter, error) {
	if i == 0 {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return nil, fmt.Errorf("export: xlsx: %w", err)
		}
	} else if _, err := f.NewSheet(name); err != nil {
		return nil, fmt.Errorf("export: xlsx: %w", err)
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, fmt.Errorf("export: xlsx: %w", err)
	}
	return sw, nil
}

// sheetHead sets the widths, freezes the header row and writes it; extra
// are cells after the table's own columns (the Gantt's days).
func (s *snapshot) sheetHead(sw *excelize.StreamWriter, st *styles, cols []column, extra []any) error {
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return fmt.Errorf("export: xlsx: %w", err)
		}
	}
	if len(extra) > 0 {
		if err := sw.SetColWidth(len(cols)+1, len(cols)+len(extra), 3.2); err != nil {
			return fmt.Errorf("export: xlsx: %w", err)
		}
	}
	err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}})
	if err != nil {
		return fmt.Errorf("export: xlsx: %w", err)
	}
	head := make([]any, 0, len(cols)+len(extra))
	for _, c := range cols {
		head = append(head, excelize.Cell{StyleID: st.head, Value: c.head})
	}
	head = append(head, extra...)
	if err := sw.SetRow("A1", head, excelize.RowOpts{Height: 30}); err != nil {
		return fmt.Errorf("export: xlsx: %w", err)
	}
	return nil
}

// sheetTail adds the autofilter over the header and rows 2..last, the
// conditional colours of a table with a flag column, and flushes the sheet.
// The sheet's settings must be set before Flush, which writes them.
func (s *snapshot) sheetTail(f *excelize.File, sw *excelize.StreamWriter, st *styles, t table, sheet string, last int) error {
	lastCol := cellName(len(t.cols), max(last, 2))
	if err := f.AutoFilter(sheet, "A1:"+lastCol, nil); err != nil {
		return fmt.Errorf("export: xlsx: %w", err)
	}
	if t.flag >= 0 && last >= 2 {
		flagCol, _ := excelize.ColumnNumberToName(t.flag + 1)
		var rules []excelize.ConditionalFormatOptions
		for _, r := range []struct {
			flag  string
			style *int
		}{{flagOverdue, &st.overdue}, {flagAtRisk, &st.atRisk}, {flagDone, &st.done}} {
			rules = append(rules, excelize.ConditionalFormatOptions{Type: "formula", Format: r.style,
				Criteria: fmt.Sprintf(`$%s2="%s"`, flagCol, r.flag)})
		}
		if err := f.SetConditionalFormat(sheet, "A2:"+lastCol, rules); err != nil {
			return fmt.Errorf("export: xlsx: %w", err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("export: xlsx: %w", err)
	}
	return nil
}

// xlsxCell makes a typed cell: dates and times as date numbers with a date
// format (in the exporter's zone), percents as fractions with a % format,
// yes/no as booleans. A date's cell is made once (s.dateCells): a sheet
// of check-ins has a million of a few hundred days.
func (s *snapshot) xlsxCell(st *styles, c cell) any {
	switch c.typ {
	case kText:
		return c.s
	case kInt:
		return c.i
	case kNum:
		return c.f
	case kBool:
		return c.i != 0
	case kPct:
		return excelize.Cell{StyleID: st.pct, Value: float64(c.i) / 100}
	case kDate:
		if v, ok := s.dateCells[c.d]; ok {
			return v
		}
		v := any(excelize.Cell{StyleID: st.date, Value: time.Date(c.d.Year, c.d.Month, c.d.Day, 0, 0, 0, 0, time.UTC)})
		if s.dateCells == nil {
			s.dateCells = map[bot.Date]any{}
		}
		if len(s.dateCells) < 1<<16 {
			s.dateCells[c.d] = v
		}
		return v
	case kTime:
		l := c.t.In(s.loc())
		return excelize.Cell{StyleID: st.dateTime, Value: time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)}
	}
	return nil
}

// addGantt writes the Gantt sheet: the schedule's columns, then one narrow
// column per day from the first start to the last finish, its header the
// date, shaded grey on non-working days (weekends and holidays); each
// task's working days are filled: blue, green when done, red when overdue,
// and a milestone is a ◆ on its day.
func (s *snapshot) addGantt(f *excelize.File, sw *excelize.StreamWriter, st *styles, t table) error {
	bars := s.schedule()
	first, last := s.ganttSpan(bars)
	var days []bot.Date
	for d := first; !d.After(last) && len(days) < maxGanttDays; d = d.AddDays(1) {
		days = append(days, d)
	}
	work := make([]bool, len(days))
	extra := make([]any, len(days))
	for i, d := range days {
		work[i] = s.workday(d)
		style := st.dayHead
		if !work[i] {
			style = st.offHead
		}
		extra[i] = excelize.Cell{StyleID: style, Value: time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)}
	}
	if err := s.sheetHead(sw, st, t.cols, extra); err != nil {
		return err
	}
	row := 1
	cells := make([]any, len(t.cols)+len(days))
	err := t.each(s, func(vals []cell) error {
		b := bars[row-1]
		row++
		for i, v := range vals {
			cells[i] = s.xlsxCell(st, v)
		}
		fillStyle := st.bar
		switch s.flag(b.task) {
		case flagDone:
			fillStyle = st.barDone
		case flagOverdue:
			fillStyle = st.barLate
		}
		for i, d := range days {
			var c any
			switch {
			case b.task.Milestone && d == b.finish:
				c = excelize.Cell{StyleID: st.barMilest, Value: "◆"}
			case !d.Before(b.start) && !d.After(b.finish) && work[i]:
				c = excelize.Cell{StyleID: fillStyle}
			case !work[i]:
				c = excelize.Cell{StyleID: st.offDay}
			}
			cells[len(t.cols)+i] = c
		}
		return sw.SetRow(cellName(1, row), cells)
	})
	if err != nil {
		return fmt.Errorf("export: xlsx: %s: %w", t.sheet, err)
	}
	return s.sheetTail(f, sw, st, t, t.sheet, row)
}

// ganttSpan returns the first start and last finish of the bars (today
// when there are none).
func (s *snapshot) ganttSpan(bars []bar) (first, last bot.Date) {
	first, last = s.today, s.today
	for i, b := range bars {
		if i == 0 || b.start.Before(first) {
			first = b.start
		}
		if i == 0 || b.finish.After(last) {
			last = b.finish
		}
	}
	return first, last
}

func cellName(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col, row)
	return name
}
