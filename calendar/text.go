package calendar

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/loopbot/loopbot/bot"
)

// maxInput is the longest date, clock or span text that is read at all.
const maxInput = 64

// normalize trims s, lowercases it, turns full-width ASCII (２０２６／１１) and
// the ideographic space into plain ASCII, and collapses runs of spaces.
func normalize(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == '\u3000':
			r = ' '
		case r == '\u301C':
			r = '~'
		}
		return unicode.ToLower(r)
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// quote returns s quoted for an error message, cut short when it is long.
func quote(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return strconv.Quote(s)
	}
	return strconv.Quote(string([]rune(s)[:max]) + "…")
}

var reClock = regexp.MustCompile(`^(\d{1,2}):(\d{2})$`)

// ParseClock reads a clock time such as "09:30" or "9:30" (a full-width
// colon is fine). It returns an EINVALID error, naming the value, for any
// other text and for times outside 00:00–23:59.
func ParseClock(s string) (hour, min int, err error) {
	m := reClock.FindStringSubmatch(normalize(s))
	if m != nil {
		hour, _ = strconv.Atoi(m[1])
		min, _ = strconv.Atoi(m[2])
		if hour < 24 && min < 60 {
			return hour, min, nil
		}
	}
	return 0, 0, bot.Bilingual(bot.EINVALID, quote(s)+" is not a time of day like 09:30.", quote(s)+" 不是有效的时间，请写成 09:30 这样的格式。")
}

// clockString writes minutes after midnight as 15:04.
func clockString(min int) string {
	return fmt.Sprintf("%02d:%02d", min/60, min%60)
}

// weekdayNames maps English and Chinese weekday names to weekdays.
var weekdayNames = map[string]time.Weekday{
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "weds": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
	"sun": time.Sunday, "sunday": time.Sunday,
}

// cnDays maps the day character after 周, 星期 or 礼拜 to a weekday.
var cnDays = map[string]time.Weekday{
	"一": time.Monday, "二": time.Tuesday, "三": time.Wednesday, "四": time.Thursday,
	"五": time.Friday, "六": time.Saturday, "日": time.Sunday, "天": time.Sunday,
}

// cnWeek lists the words that introduce a Chinese weekday.
var cnWeek = []string{"星期", "礼拜", "周"}

// ParseWeekday reads a weekday such as "mon", "Monday", "周一", "星期一" or
// "礼拜天", as used by calendar.workdays and review.prompt_at. It returns an
// EINVALID error, naming the value, for anything else.
func ParseWeekday(s string) (time.Weekday, error) {
	n := normalize(s)
	if w, ok := weekdayNames[n]; ok {
		return w, nil
	}
	if w, ok := cnWeekday(strings.ReplaceAll(n, " ", "")); ok {
		return w, nil
	}
	return 0, bot.Bilingual(bot.EINVALID, quote(s)+" is not a weekday; use mon…sun or 周一…周日.", quote(s)+" 不是星期几，请写 mon…sun 或 周一…周日。")
}

// cnWeekday reads 周一, 星期一 or 礼拜一 (and 日/天 for Sunday).
func cnWeekday(s string) (time.Weekday, bool) {
	for _, w := range cnWeek {
		if rest, ok := strings.CutPrefix(s, w); ok {
			d, ok := cnDays[rest]
			return d, ok
		}
	}
	return 0, false
}
