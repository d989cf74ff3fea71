package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// The byte order marks that Excel and Notepad write.
var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// DecodeCSV reads a CSV file as Excel and WPS save it: UTF-8 with or without
// a byte order mark ("CSV UTF-8"), UTF-16 with its mark ("Unicode text"), or,
// when the bytes are not UTF-8, GB18030, which covers GBK and GB2312 (what
// "CSV" saves on a Chinese Windows). The separator is a comma, a tab or a
// semicolon, whichever the first line has most of. Row numbers are those a
// spreadsheet shows: a blank line is a row, a quoted cell with line breaks
// is one. It returns a *FileError for a file it cannot read.
func DecodeCSV(data []byte) (Table, error) {
	text, err := csvText(data)
	if err != nil {
		return Table{}, err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = separator(text)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	t := Table{Format: CSV}
	num, nextLine := 0, 1
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return t, nil
		} else if err != nil {
			return Table{}, fileErrorf("the CSV file cannot be read: %v", err)
		}
		line, _ := r.FieldPos(0)
		num += 1 + max(line-nextLine, 0) // blank lines that csv skipped are rows too
		last := len(rec) - 1
		lastLine, _ := r.FieldPos(last)
		nextLine = lastLine + strings.Count(rec[last], "\n") + 1
		if err := t.keep(num, rec); err != nil {
			return Table{}, err
		}
	}
}

// csvText decodes the file's bytes to UTF-8 text.
func csvText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		return validText(data[len(bomUTF8):])
	case bytes.HasPrefix(data, bomUTF16LE), bytes.HasPrefix(data, bomUTF16BE):
		// The decoder reads the mark to choose the byte order, and drops it.
		b, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return "", fileErrorf("the file starts like UTF-16 text but cannot be decoded: %v", err)
		}
		return validText(b)
	case utf8.Valid(data):
		return validText(data)
	}
	b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return "", fileErrorf("the file is neither UTF-8 nor GBK/GB18030 text; save it as CSV UTF-8 or XLSX")
	}
	return validText(b)
}

func validText(b []byte) (string, error) {
	if bytes.IndexByte(b, 0) >= 0 {
		return "", fileErrorf("the file is not text (it has NUL bytes); save it as CSV UTF-8 or XLSX")
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

// separator returns the comma, tab or semicolon that the first line has
// most of (outside quotes), and a comma when it has none.
func separator(text string) rune {
	counts := map[rune]int{}
	quoted := false
	for _, c := range text {
		if c == '"' {
			quoted = !quoted
		} else if (c == '\n' || c == '\r') && !quoted {
			break
		} else if !quoted && (c == ',' || c == '\t' || c == ';') {
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{'\t', ';'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}
