package importer

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
)

// Limits of a row's values.
const (
	// MaxTitle is the longest title, in characters, as for /task new.
	MaxTitle = 200
	// MaxDescription is the longest description, in characters.
	MaxDescription = 4000
	maxRef         = 64
	maxEstimate    = 1000
)

// quote returns s quoted for a message, cut short when it is long.
func quote(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return strconv.Quote(s)
	}
	return strconv.Quote(string([]rune(s)[:max]) + "…")
}

// clean trims a cell and turns full-width ASCII into ASCII, as people
// typing with a Chinese input method write "３ｄ" or "Ａ１".
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		case r == '\u3000':
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// parseRef reads a row id: any text up to 64 characters without list
// separators, compared without case ("a1" is "A1"). An Excel number cell
// holding 3 may come as "3.0"; it reads as "3".
func parseRef(s string) (string, error) {
	s = clean(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && f >= 0 && f < 1e15 && strings.Contains(s, ".") {
		s = strconv.FormatFloat(f, 'f', -1, 64)
	}
	switch {
	case s == "":
		return "", fmt.Errorf("is empty; every row needs its own id (1, 2, A1…) that other rows can refer to")
	case utf8.RuneCountInString(s) > maxRef:
		return "", fmt.Errorf("%s is longer than %d characters", quote(s), maxRef)
	case strings.ContainsAny(s, refSeparators):
		return "", fmt.Errorf("%s has a list separator in it; an id is one word such as 3 or A1", quote(s))
	}
	return s, nil
}

// refSeparators split the ids of a depends-on cell.
const refSeparators = ",;、，；\n\t "

// parseRefs reads a depends-on cell: ids separated by commas, semicolons,
// 、 or spaces ("1, 2", "1、2", "A1 A2"). An MS Project predecessor with
// the finish-to-start type ("3FS") reads as 3; other types and lags are
// refused, since loopbot plans finish-to-start dependencies only.
func parseRefs(s string) ([]string, error) {
	var out []string
	for _, p := range strings.FieldsFunc(clean(s), func(r rune) bool { return strings.ContainsRune(refSeparators, r) }) {
		ref, err := stripFS(p)
		if err != nil {
			return nil, err
		}
		if ref, err = parseRef(ref); err != nil {
			return nil, err
		}
		out = append(out, ref)
	}
	return out, nil
}

// stripFS cuts an MS Project dependency type from a predecessor: "3FS" is
// 3; "3SS", "3FF", "3SF" and lags ("3FS+2d") are refused.
func stripFS(p string) (string, error) {
	up := strings.ToUpper(p)
	if i := strings.IndexAny(up, "+-"); i > 0 && (strings.HasSuffix(up[:i], "FS") || strings.HasSuffix(up[:i], "SS") ||
		strings.HasSuffix(up[:i], "FF") || strings.HasSuffix(up[:i], "SF")) {
		return "", fmt.Errorf("%s has a lag; only plain finish-to-start dependencies are supported", quote(p))
	}
	for _, kind := range []string{"SS", "FF", "SF"} {
		if len(up) > 2 && strings.HasSuffix(up, kind) {
			return "", fmt.Errorf("%s is a %s dependency; only finish-to-start (FS) dependencies are supported", quote(p), kind)
		}
	}
	if len(up) > 2 && strings.HasSuffix(up, "FS") {
		return p[:len(p)-2], nil
	}
	return p, nil
}

// parseDate reads an absolute date (calendar.ParseAbsoluteDate); an empty
// cell is no date.
func parseDate(s string) (bot.Date, error) {
	s = clean(s)
	if s == "" {
		return bot.Date{}, nil
	}
	d, err := calendar.ParseAbsoluteDate(s)
	var e *bot.Error
	if errors.As(err, &e) {
		return bot.Date{}, errors.New(strings.TrimSuffix(e.Message, "."))
	}
	return d, err
}

// estimateUnits are the suffixes of an estimate in working days.
var estimateUnits = []string{"个工作日", "工作日", "workdays", "workday", "days", "day", "wd", "d", "天", "日"}

// parseEstimate reads an estimate in working days: "3", "3d", "3wd",
// "2.5天", "3 个工作日"; empty is none. It allows 0 (a milestone) up to 1000.
func parseEstimate(s string) (float64, error) {
	s = clean(s)
	if s == "" {
		return 0, nil
	}
	num := strings.ToLower(strings.ReplaceAll(s, " ", ""))
	for _, u := range estimateUnits {
		if strings.HasSuffix(num, u) {
			num = strings.TrimSuffix(num, u)
			break
		}
	}
	f, ok := bot.ParseDecimal(num)
	if !ok || f > maxEstimate {
		return 0, fmt.Errorf("%s is not an estimate; write working days such as 3, 3d or 3天 (at most %d)", quote(s), maxEstimate)
	}
	return f, nil
}

// parseFlag reads a milestone cell: yes/no, y/n, true/false, 1/0, 是/否,
// ✓ √ ✔ x ×; empty is no.
func parseFlag(s string) (bool, error) {
	switch strings.ToLower(clean(s)) {
	case "", "no", "n", "false", "0", "否", "不是", "×", "✗", "✘", "-", "—":
		return false, nil
	case "yes", "y", "true", "1", "是", "✓", "√", "✔", "☑", "x", "◆", "milestone", "里程碑":
		return true, nil
	}
	return false, fmt.Errorf("%s is not yes or no; write yes/no, 是/否 or ✓", quote(clean(s)))
}

// parsePriority reads a priority as /task new does; empty is normal.
func parsePriority(s string) (string, error) {
	switch strings.ToLower(clean(s)) {
	case "", "normal", "n", "medium", "m", "中", "普通", "一般":
		return bot.PrioNormal, nil
	case "high", "h", "高", "紧急", "重要":
		return bot.PrioHigh, nil
	case "low", "l", "低":
		return bot.PrioLow, nil
	}
	return "", fmt.Errorf("%s is not a priority; write high, normal or low (高/普通/低)", quote(clean(s)))
}

// parseText reads a free-text cell up to max characters.
func parseText(s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n > max {
		return "", fmt.Errorf("is %d characters long; at most %d are allowed", n, max)
	}
	return s, nil
}
