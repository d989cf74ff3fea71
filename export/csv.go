package export

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// bom is the UTF-8 byte order mark that makes Excel read a CSV file as
// UTF-8, so that Chinese text is not garbled.
const bom = "\ufeff"

// writeCSV writes a zip holding one CSV file per table: UTF-8 with a BOM,
// RFC 4180 (quoted as needed, CRLF line ends), a header row first.
func (e *Exporter) writeCSV(ctx context.Context, w io.Writer, req Request) error {
	zw := zip.NewWriter(w)
	err := e.Store.View(bot.LongRead(ctx), func(tx bot.Tx) error {
		s, err := e.load(tx, req)
		if err != nil {
			return err
		}
		for _, t := range tables() {
			if err := s.writeCSVFile(ctx, zw, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	return nil
}

func (s *snapshot) writeCSVFile(ctx context.Context, zw *zip.Writer, t table) error {
	f, err := zw.CreateHeader(&zip.FileHeader{Name: t.file, Method: zip.Deflate, Modified: s.e.now()})
	if err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	if _, err := io.WriteString(f, bom); err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	cw := csv.NewWriter(f)
	cw.UseCRLF = true
	head := make([]string, len(t.cols))
	for i, c := range t.cols {
		head[i] = c.head
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	rec := make([]string, len(t.cols))
	n := 0
	err = t.each(s, func(row []any) error {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for i, v := range row {
			rec[i] = s.csvValue(v)
		}
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	return nil
}

// csvValue writes a cell as text: dates as 2006-01-02, times as
// 2006-01-02 15:04:05 in the exporter's zone, yes/no, numbers without
// exponents. Text that a spreadsheet would take for a formula (=, +, -, @
// first) gets a leading apostrophe, so that opening the file runs nothing.
func (s *snapshot) csvValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if x != "" && strings.ContainsRune("=+-@\t\r", rune(x[0])) {
			return "'" + x
		}
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case percent:
		if x < 0 {
			return ""
		}
		return strconv.Itoa(int(x))
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case bot.Date:
		if x.IsZero() {
			return ""
		}
		return x.String()
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.In(s.loc()).Format(time.DateTime)
	}
	return fmt.Sprint(v)
}
