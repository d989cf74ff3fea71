package calendar

import (
	"regexp"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// dayWords are the named days, as offsets from today.
var dayWords = map[string]int{
	"today": 0, "今天": 0, "今日": 0,
	"tomorrow": 1, "tmr": 1, "明天": 1, "明日": 1,
	"后天": 2, "大后天": 3,
	"yesterday": -1, "昨天": -1, "前天": -2,
}

// eomWords name the last day of the current month.
var eomWords = map[string]bool{"eom": true, "end of month": true, "月底": true, "月末": true, "本月底": true, "本月末": true}

// keywordDate reads today, 明天, eom, 月底 and the like.
func keywordDate(s string, today bot.Date, _ *Calendar) (bot.Date, bool, error) {
	if n, ok := dayWords[s]; ok {
		return today.AddDays(n), false, nil
	}
	if eomWords[s] {
		// Day 0 of next month is the last day of this one.
		return bot.NewDate(today.Year, today.Month+1, 0), false, nil
	}
	return bot.Date{}, false, errNoMatch
}

var reRelative = regexp.MustCompile(`^([+-]?)(\d{1,6}|[一二两三四五六七八九十])(wd|d|w|个工作日|工作日|天|个星期|星期|个礼拜|礼拜|周)(?:后|以后|之后)?$`)

// cnCounts are the Chinese numerals that relative dates may use.
var cnCounts = map[string]int{"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}

// relativeDate reads +3d, -3d, +2w, 2周后, 3wd and 3个工作日. Working days
// count from today on c (the default calendar when c is nil).
func relativeDate(s string, today bot.Date, c *Calendar) (bot.Date, bool, error) {
	m := reRelative.FindStringSubmatch(compact(s))
	if m == nil {
		return bot.Date{}, false, errNoMatch
	}
	n, ok := cnCounts[m[2]]
	if !ok {
		n = atoi(m[2])
	}
	if m[1] == "-" {
		n = -n
	}
	switch unit := m[3]; {
	case unit == "wd" || strings.HasSuffix(unit, "工作日"):
		return addWorkdays(today, n, c)
	case unit == "d" || unit == "天":
		return addDays(today, n)
	default:
		return addDays(today, 7*n)
	}
}

func addDays(today bot.Date, n int) (bot.Date, bool, error) {
	if n > maxDays || n < -maxDays {
		return bot.Date{}, false, errTooFar
	}
	return today.AddDays(n), false, nil
}

func addWorkdays(today bot.Date, n int, c *Calendar) (bot.Date, bool, error) {
	if n > maxWorkdays || n < -maxWorkdays {
		return bot.Date{}, false, errTooFar
	}
	if c == nil {
		c = New(Config{})
	}
	return c.AddWorkdays(today, n), false, nil
}

var fullDateForms = []*regexp.Regexp{
	regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`),
	regexp.MustCompile(`^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$`),
	regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`),
}

// fullDate reads 2026-11-28, 2026/11/28, 2026年11月28日 and 20261128.
func fullDate(s string, _ bot.Date, _ *Calendar) (bot.Date, bool, error) {
	s = compact(s)
	for _, re := range fullDateForms {
		if m := re.FindStringSubmatch(s); m != nil {
			d, err := validDate(atoi(m[1]), atoi(m[2]), atoi(m[3]))
			return d, false, err
		}
	}
	return bot.Date{}, false, errNoMatch
}

var monthDayForms = []*regexp.Regexp{
	regexp.MustCompile(`^(\d{1,2})[-/.](\d{1,2})$`),
	regexp.MustCompile(`^(\d{1,2})月(\d{1,2})[日号]?$`),
}

// monthDayDate reads 11-28, 11/28 and 11月28日, in the year that puts the
// date closest to today.
func monthDayDate(s string, today bot.Date, _ *Calendar) (bot.Date, bool, error) {
	s = compact(s)
	for _, re := range monthDayForms {
		if m := re.FindStringSubmatch(s); m != nil {
			d, err := closestYear(atoi(m[1]), atoi(m[2]), today)
			return d, true, err
		}
	}
	return bot.Date{}, false, errNoMatch
}

// closestYear returns month m, day d of last year, this year or next year,
// whichever is closest to today; a tie goes to the later date. It returns
// errNoSuchDay when none of the three years has that day.
func closestYear(m, d int, today bot.Date) (bot.Date, error) {
	var best bot.Date
	bestDist := -1
	for y := today.Year - 1; y <= today.Year+1; y++ {
		nd, err := validDate(y, m, d)
		if err != nil {
			continue
		}
		dist := today.DaysUntil(nd)
		if dist < 0 {
			dist = -dist
		}
		if bestDist < 0 || dist <= bestDist {
			best, bestDist = nd, dist
		}
	}
	if bestDist < 0 {
		return bot.Date{}, errNoSuchDay
	}
	return best, nil
}

// nearestDay marks a bare weekday: today or the next such day. Other week
// references are offsets in ISO weeks from the current one.
const nearestDay = -100

var enWeekRefs = map[string]int{"this": 0, "next": 1, "last": -1}

var cnWeekRefs = []struct {
	prefix string
	weeks  int
}{
	{"下个", 1}, {"下", 1}, {"这个", 0}, {"这", 0}, {"本", 0}, {"上个", -1}, {"上", -1}, {"", nearestDay},
}

// weekdayDate reads fri, this fri, next mon, 周五, 本周五, 下周一, 下星期一 and
// the like.
func weekdayDate(s string, today bot.Date, _ *Calendar) (bot.Date, bool, error) {
	weeks, w, ok := englishWeekday(s)
	if !ok {
		weeks, w, ok = chineseWeekday(compact(s))
	}
	if !ok {
		return bot.Date{}, false, errNoMatch
	}
	if weeks == nearestDay {
		return today.AddDays((int(w) - int(today.Weekday()) + 7) % 7), false, nil
	}
	monday := today.AddDays(-isoIndex(today.Weekday()))
	return monday.AddDays(7*weeks + isoIndex(w)), false, nil
}

// isoIndex numbers the days of an ISO week: Monday 0 to Sunday 6.
func isoIndex(w time.Weekday) int { return (int(w) + 6) % 7 }

func englishWeekday(s string) (weeks int, w time.Weekday, ok bool) {
	f := strings.Fields(s)
	weeks = nearestDay
	if len(f) == 2 {
		if weeks, ok = enWeekRefs[f[0]]; !ok {
			return 0, 0, false
		}
		f = f[1:]
	}
	if len(f) != 1 {
		return 0, 0, false
	}
	w, ok = weekdayNames[f[0]]
	return weeks, w, ok
}

func chineseWeekday(s string) (weeks int, w time.Weekday, ok bool) {
	for _, ref := range cnWeekRefs {
		if rest, found := strings.CutPrefix(s, ref.prefix); found {
			if w, ok := cnWeekday(rest); ok {
				return ref.weeks, w, true
			}
		}
	}
	return 0, 0, false
}
