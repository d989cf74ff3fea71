package calendar

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// DateForms lists the date forms that ParseDate reads. Error messages and
// help texts show it.
const DateForms = "2026-11-28, 2026/11/28, 2026年11月28日, 11-28, 11/28, 11月28日, " +
	"today/今天, tomorrow/明天, 后天, 大后天, fri/周五/星期五 (today or the next one 最近的一个), " +
	"this fri/本周五, next mon/下周一, +3d/3天后, +2w/2周后, 3wd/3个工作日 (working days 工作日), eom/月底"

// The years that a date may fall in, and how far a relative date may reach.
const (
	minYear     = 1970
	maxYear     = 2999
	maxDays     = 3660 // about ten years
	maxWorkdays = 2600 // about ten years of working days
)

// Reasons why a date is refused, turned into messages by dateError.
var (
	errNoMatch   = errors.New("not a date")
	errNoSuchDay = errors.New("no such day")
	errTooFar    = errors.New("too far")
)

// A dateParser reads one family of forms from normalized text. It returns
// errNoMatch when the text is not of its family, and reports whether the
// text left out the year.
type dateParser func(s string, today bot.Date, c *Calendar) (d bot.Date, yearless bool, err error)

// dateParsers are tried in order; the families do not overlap.
var dateParsers = []dateParser{keywordDate, relativeDate, fullDate, monthDayDate, weekdayDate}

// ParseDate reads a date in one of the forms of DateForms, relative to now in
// now's zone, the person's own. A month and day without a year take the year
// that puts the date closest to today, so in November 01-05 is next January.
// Weekdays alone mean today or the next such day; "this" and 本/这 mean the
// current ISO week (Mon–Sun), "next" and 下 the week after. Working-day forms
// (3wd, 3个工作日) count on c. Dates in the past are allowed. It returns an
// EINVALID error that names s and lists DateForms for text it cannot read,
// for dates that do not exist (02-30), and for years before 1970 or after 2999.
func ParseDate(s string, now time.Time, c *Calendar) (bot.Date, error) {
	d, _, err := parseDate(s, now, c)
	return d, err
}

// ParseDueDate is ParseDate for due dates: it also refuses, with an EINVALID
// error that names s and lists DateForms, a date before today.
func ParseDueDate(s string, now time.Time, c *Calendar) (bot.Date, error) {
	d, err := ParseDate(s, now, c)
	if err != nil {
		return bot.Date{}, err
	}
	if today := bot.DateOf(now); d.Before(today) {
		q := quote(s)
		return bot.Date{}, formsError(
			fmt.Sprintf("%s is %s, which is in the past; a due date must be today (%s) or later.", q, d, today),
			fmt.Sprintf("%s（%s）已经过去，截止日期须为今天（%s）或以后。", q, d, today))
	}
	return d, nil
}

func parseDate(input string, now time.Time, c *Calendar) (bot.Date, bool, error) {
	if len(input) > 4*maxInput {
		return bot.Date{}, false, dateError(input, errNoMatch)
	}
	s, today := normalize(input), bot.DateOf(now)
	for _, parse := range dateParsers {
		d, yearless, err := parse(s, today, c)
		if err == errNoMatch {
			continue
		}
		if err == nil && (d.Year < minYear || d.Year > maxYear) {
			err = errTooFar
		}
		if err != nil {
			return bot.Date{}, false, dateError(input, err)
		}
		return d, yearless, nil
	}
	return bot.Date{}, false, dateError(input, errNoMatch)
}

// dateError turns a reason from a dateParser into a user-facing error.
func dateError(input string, reason error) error {
	q := quote(input)
	switch reason {
	case errNoSuchDay:
		return formsError(q+" is not a real date.", q+" 这一天不存在。")
	case errTooFar:
		return formsError(q+" is too far from today.", q+" 离今天太远了。")
	}
	return formsError("Cannot read the date "+q+".", "无法识别日期 "+q+"。")
}

// formsError returns a bilingual EINVALID error: the line in the reader's
// language and the accepted forms.
func formsError(en, zh string) error {
	return bot.Bilingual(bot.EINVALID, en+"\nAccepted forms: "+DateForms, zh+"\n可用格式: "+DateForms)
}

// rangeSeps separate the two dates of a range.
var rangeSeps = []string{"..", "~", "至", "到"}

// ParseDateRange reads "<date>..<date>" (also with ~, 至 or 到 between), or a
// single date, which is then both from and to. When the second date leaves
// out the year and would come before the first, it moves to the next year if
// that gives a range of at most half a year, so that 12-30..01-03 spans New
// Year. It returns the EINVALID errors of
// ParseDate, and one when to is still before from.
func ParseDateRange(s string, now time.Time, c *Calendar) (from, to bot.Date, err error) {
	if len(s) > 8*maxInput {
		return from, to, dateError(s, errNoMatch)
	}
	a, b, ok := cutRange(normalize(s))
	if !ok {
		from, err = ParseDate(s, now, c)
		return from, from, err
	}
	if from, _, err = parseDate(a, now, c); err != nil {
		return bot.Date{}, bot.Date{}, err
	}
	to, yearless, err := parseDate(b, now, c)
	if err != nil {
		return bot.Date{}, bot.Date{}, err
	}
	if to.Before(from) && yearless {
		to = wrapYear(from, to)
	}
	if to.Before(from) {
		q := quote(s)
		return bot.Date{}, bot.Date{}, formsError(q+" ends before it starts.", q+" 的结束日期早于开始日期。")
	}
	return from, to, nil
}

func cutRange(s string) (a, b string, ok bool) {
	for _, sep := range rangeSeps {
		if a, b, ok = strings.Cut(s, sep); ok {
			return a, b, true
		}
	}
	return s, "", false
}

// wrapYear returns to a year later when that makes from..to at most half a
// year long, as in 12-30..01-03 read in early July; otherwise to is kept, and
// a reversed range such as 11-27..11-23 stays an error.
func wrapYear(from, to bot.Date) bot.Date {
	next, err := validDate(to.Year+1, int(to.Month), to.Day)
	if err != nil || from.DaysUntil(next) > 183 {
		return to
	}
	return next
}

// validDate returns y-m-d, or errNoSuchDay when there is no such day.
func validDate(y, m, d int) (bot.Date, error) {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return bot.Date{}, errNoSuchDay
	}
	nd := bot.NewDate(y, time.Month(m), d)
	if nd.Day != d {
		return bot.Date{}, errNoSuchDay
	}
	return nd, nil
}

func compact(s string) string { return strings.ReplaceAll(s, " ", "") }

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// AbsoluteDateForms lists the forms that ParseAbsoluteDate reads.
const AbsoluteDateForms = "2026-11-28, 2026/11/28, 2026.11.28, 2026年11月28日, 20261128"

// ParseAbsoluteDate reads a date that names its year, in the full-date forms
// of ParseDate (AbsoluteDateForms), for text that has no "today" to count
// from, such as an imported file. A time of day after the date
// ("2026/11/28 0:00", "2026-11-28T00:00:00Z", as spreadsheets write
// date-times) is ignored. It returns a bilingual EINVALID error that names s
// for any other text, for a day that does not exist (2026-02-30) and for
// years before 1970 or after 2999.
func ParseAbsoluteDate(s string) (bot.Date, error) {
	q := quote(s)
	if len(s) > 4*maxInput {
		return bot.Date{}, absoluteError(q)
	}
	d, _, err := fullDate(stripClock(normalize(s)), bot.Date{}, nil)
	switch {
	case err == errNoSuchDay:
		return bot.Date{}, bot.Bilingual(bot.EINVALID, q+" is not a real date.", q+" 这一天不存在。")
	case err != nil:
		return bot.Date{}, absoluteError(q)
	case d.Year < minYear || d.Year > maxYear:
		return bot.Date{}, bot.Bilingual(bot.EINVALID, q+" is not a date between 1970 and 2999.", q+" 不在 1970 到 2999 年之间。")
	}
	return d, nil
}

func absoluteError(q string) error {
	return bot.Bilingual(bot.EINVALID, q+" is not a date; write a full date such as "+AbsoluteDateForms+".",
		q+" 不是日期，请写完整日期，如 "+AbsoluteDateForms+"。")
}

// reClockSuffix is a time of day after a date: " 0:00", " 09:30:00",
// "T00:00:00Z", "T08:00:00+08:00".
var reClockSuffix = regexp.MustCompile(`(?:[ t])\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?$`)

func stripClock(s string) string { return reClockSuffix.ReplaceAllString(s, "") }
