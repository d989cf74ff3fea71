// Package importer reads a project plan from a CSV or XLSX file, as teams
// keep them in Excel, and checks it: the columns (id, title, assignee,
// planned start, due, estimate, depends on, parent, milestone, with Chinese
// or English headers), each cell, the ids that rows refer to, and
// dependency cycles. Every problem names its row and column. It knows
// nothing of the store: flows matches the assignees and the project and
// writes the tasks.
package importer

import (
	"bytes"
	"fmt"
	"strings"
)

// Limits of an imported file.
const (
	// MaxFileSize is the largest file read, in bytes.
	MaxFileSize = 10 << 20
	// MaxRows is the most rows a plan may have, the header included.
	MaxRows = 10000
	// maxCell is the longest cell kept, in bytes; longer ones are cut (and
	// then refused by the field's own check).
	maxCell = 8 << 10
	// maxColumns is the most columns read.
	maxColumns = 256
)

// Formats of a file.
const (
	CSV  = "csv"
	XLSX = "xlsx"
)

// Table is a decoded file: its rows of text cells, as a spreadsheet shows
// them. Empty rows are left out.
type Table struct {
	Format string // CSV or XLSX
	Sheet  string // the worksheet read, for XLSX
	Rows   []Row
}

// Row is one row of a file.
type Row struct {
	// Num is the row's number as a spreadsheet shows it: 1 for the first
	// line or row of the file.
	Num   int
	Cells []string
}

// Cell returns the row's cell at column i, or "" past its end.
func (r Row) Cell(i int) string {
	if i < 0 || i >= len(r.Cells) {
		return ""
	}
	return r.Cells[i]
}

func (r Row) empty() bool {
	for _, c := range r.Cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// FileError is a file that cannot be read at all: too big, not CSV or
// XLSX, damaged. Its message names the file's problem.
type FileError struct{ Message string }

func (e *FileError) Error() string { return e.Message }

func fileErrorf(format string, args ...any) error {
	return &FileError{Message: fmt.Sprintf(format, args...)}
}

// zipMagic starts every XLSX file (a ZIP archive).
var zipMagic = []byte("PK\x03\x04")

// oleMagic starts the old binary .xls format (OLE2 compound file).
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// Decode reads a plan file: XLSX when data is a ZIP archive (whatever its
// name), otherwise CSV (see DecodeCSV). name is only for messages. It
// returns a *FileError for a file it cannot read.
func Decode(name string, data []byte) (Table, error) {
	switch {
	case len(data) > MaxFileSize:
		return Table{}, fileErrorf("%s is larger than %d MiB", name, MaxFileSize>>20)
	case len(bytes.TrimSpace(data)) == 0:
		return Table{}, fileErrorf("%s is empty", name)
	case bytes.HasPrefix(data, zipMagic):
		return DecodeXLSX(data)
	case bytes.HasPrefix(data, oleMagic):
		return Table{}, fileErrorf("%s is an old .xls workbook (or encrypted); save it as .xlsx or CSV", name)
	}
	return DecodeCSV(data)
}

// keep adds a decoded row to t unless it is empty, and reports whether the
// table is still within MaxRows.
func (t *Table) keep(num int, cells []string) error {
	if len(cells) > maxColumns {
		cells = cells[:maxColumns]
	}
	for i, c := range cells {
		if len(c) > maxCell {
			cells[i] = c[:maxCell]
		}
	}
	row := Row{Num: num, Cells: cells}
	if row.empty() {
		return nil
	}
	if num > MaxRows {
		return fileErrorf("the file has more than %d rows; split the plan", MaxRows)
	}
	t.Rows = append(t.Rows, row)
	return nil
}
