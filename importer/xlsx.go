package importer

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Limits on what an XLSX file may unzip to, so that a small file that
// unpacks to gigabytes (a zip bomb) is refused.
const (
	unzipLimit    = 256 << 20
	unzipXMLLimit = 128 << 20
)

// DecodeXLSX reads the plan's worksheet of an XLSX workbook: the first
// visible sheet whose first row names known columns, else the first visible
// sheet. Cells read as their value, not as formatted: numbers in full
// ("2.5"), and a number whose cell has a date format (a real Excel date) as
// its date, 2026-11-28, with the workbook's 1900 or 1904 date system. It
// returns a *FileError for a file it cannot read (not a workbook, damaged,
// encrypted).
func DecodeXLSX(data []byte) (Table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: unzipLimit, UnzipXMLSizeLimit: unzipXMLLimit})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookFileFormat) {
			return Table{}, fileErrorf("the file is not an XLSX workbook")
		}
		return Table{}, fileErrorf("the XLSX workbook cannot be read (damaged or password-protected?): %v", err)
	}
	defer f.Close()
	x := xlsxReader{f: f, styles: map[int]bool{}}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		x.date1904 = *props.Date1904
	}
	sheets := x.visibleSheets()
	if len(sheets) == 0 {
		return Table{}, fileErrorf("the workbook has no visible worksheet")
	}
	var first Table
	for i, sheet := range sheets {
		t, err := x.sheet(sheet)
		if err != nil {
			return Table{}, err
		}
		if i == 0 {
			first = t
		}
		if len(t.Rows) > 0 && knownHeader(t.Rows[0]) {
			return t, nil
		}
	}
	return first, nil
}

type xlsxReader struct {
	f        *excelize.File
	date1904 bool
	styles   map[int]bool // style index → whether it formats a date
}

func (x *xlsxReader) visibleSheets() []string {
	var out []string
	for _, name := range x.f.GetSheetList() {
		if visible, err := x.f.GetSheetVisible(name); err == nil && visible {
			out = append(out, name)
		}
	}
	return out
}

// sheet reads a worksheet row by row, so that a sheet with more than
// MaxRows rows is refused before it is all in memory.
func (x *xlsxReader) sheet(name string) (Table, error) {
	rows, err := x.f.Rows(name)
	if err != nil {
		return Table{}, fileErrorf("the worksheet %q cannot be read: %v", name, err)
	}
	defer rows.Close()
	t := Table{Format: XLSX, Sheet: name}
	for num := 1; rows.Next(); num++ {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return Table{}, fileErrorf("the worksheet %q cannot be read: %v", name, err)
		}
		for j, c := range cells {
			if j < maxColumns {
				cells[j] = x.cell(name, j+1, num, c)
			}
		}
		if err := t.keep(num, cells); err != nil {
			return Table{}, fileErrorf("the worksheet %q has more than %d rows; split the plan", name, MaxRows)
		}
	}
	if err := rows.Error(); err != nil {
		return Table{}, fileErrorf("the worksheet %q cannot be read: %v", name, err)
	}
	return t, nil
}

// cell returns a cell's text: a date-formatted number as its ISO date, and
// anything else as stored.
func (x *xlsxReader) cell(sheet string, col, row int, raw string) string {
	serial, err := strconv.ParseFloat(raw, 64)
	if err != nil || serial < 1 || serial > 2958465 { // 9999-12-31
		return raw
	}
	ref, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		return raw
	}
	style, err := x.f.GetCellStyle(sheet, ref)
	if err != nil || !x.isDateStyle(style) {
		return raw
	}
	t, err := excelize.ExcelDateToTime(serial, x.date1904)
	if err != nil {
		return raw
	}
	return t.Format("2006-01-02")
}

func (x *xlsxReader) isDateStyle(idx int) bool {
	if date, ok := x.styles[idx]; ok {
		return date
	}
	date := false
	if s, err := x.f.GetStyle(idx); err == nil && s != nil {
		code := ""
		if s.CustomNumFmt != nil {
			code = *s.CustomNumFmt
		}
		date = isDateFormat(s.NumFmt, code)
	}
	x.styles[idx] = date
	return date
}

// builtinDateFormats are the built-in number formats (ECMA-376 Part 1,
// 18.8.30 numFmt) that show a date: 14–17 and 22, and the East Asian ones
// that are dates in zh-CN (27–31, 36, 50–54, 57, 58).
var builtinDateFormats = []int{14, 15, 16, 17, 22, 27, 28, 29, 30, 31, 36, 50, 51, 52, 53, 54, 57, 58}

// isDateFormat reports whether a number format shows a date: a built-in
// date format, or a custom code with a year or day part (y, d) outside its
// quoted literals, [colour] and [$-locale] brackets and \ escapes.
func isDateFormat(id int, code string) bool {
	if code == "" {
		return slices.Contains(builtinDateFormats, id)
	}
	var b strings.Builder
	quoted, bracket, escaped := false, false, false
	for _, c := range code {
		switch {
		case escaped:
			escaped = false
		case c == '\\' && !quoted:
			escaped = true
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '[':
			bracket = true
		case c == ']':
			bracket = false
		case !bracket:
			b.WriteRune(c)
		}
	}
	plain := strings.ToLower(b.String())
	return strings.ContainsAny(plain, "yd")
}
