package plan

import (
	"time"

	"github.com/loopbot/loopbot/bot"
)

// maxIdleDays bounds a run of non-working days: a calendar that shows none
// for ten years is refused rather than searched for ever.
const maxIdleDays = 3660

// errNoWorkdays is raised (as a panic, recovered by Compute) when the
// calendar shows no working day for maxIdleDays days in a row.
var errNoWorkdays = bot.Errorf(bot.EINVALID, "plan: the calendar has no working day in ten years")

// noWorkdays is the panic value behind errNoWorkdays.
type noWorkdays struct{}

// index numbers the working days from an origin, so that the passes add and
// compare plain integers and ask the calendar about each date once.
//
// Working day i is days[i]. A boundary b is an instant between working days:
// the start of days[b], which is also the end of days[b-1]. A task of
// duration d that starts at boundary s ends at boundary s+d.
type index struct {
	cal    Calendar
	origin bot.Date
	days   []bot.Date // the working days from origin, in order
	// cum[k] is the number of working days in [origin, origin+k): the
	// boundary at the start of calendar day k.
	cum  []int32
	next bot.Date // the first calendar day not yet looked at
	off0 int64    // epoch day of origin
}

func newIndex(cal Calendar, origin bot.Date) *index {
	return &index{cal: cal, origin: origin, next: origin, cum: []int32{0}, off0: epochDay(origin)}
}

// grow looks at one more calendar day.
func (x *index) grow() {
	idle := 0
	for {
		if len(x.cum) > maxSpanDays {
			panic(noSpan{})
		}
		d := x.next
		x.next = nextDay(d)
		n := x.cum[len(x.cum)-1]
		if x.cal.IsWorkday(d) {
			x.days = append(x.days, d)
			x.cum = append(x.cum, n+1)
			return
		}
		x.cum = append(x.cum, n)
		if idle++; idle > maxIdleDays {
			panic(noWorkdays{})
		}
	}
}

// day returns working day i (i ≥ 0), extending the index as needed.
func (x *index) day(i int32) bot.Date {
	if i < 0 {
		i = 0
	}
	for int(i) >= len(x.days) {
		x.grow()
	}
	return x.days[i]
}

// at returns the boundary at the start of calendar day k after origin.
func (x *index) at(k int64) int32 {
	if k <= 0 {
		return 0
	}
	for k >= int64(len(x.cum)) {
		x.grow()
	}
	return x.cum[k]
}

// startOf returns the boundary at the start of d: the number of the first
// working day on or after d.
func (x *index) startOf(d bot.Date) int32 { return x.at(epochDay(d) - x.off0) }

// endOf returns the boundary at the end of d: the number of the first
// working day after d.
func (x *index) endOf(d bot.Date) int32 { return x.at(epochDay(d) - x.off0 + 1) }

// startDate is the working day that starts at boundary b.
func (x *index) startDate(b int32) bot.Date { return x.day(b) }

// endDate is the working day that ends at boundary b: the last one before it.
func (x *index) endDate(b int32) bot.Date { return x.day(b - 1) }

// pointDate is the date of an instant with no duration (a milestone) at
// boundary b: the working day that ends there when end is set (the work
// before it ended there), else the working day that starts there (nothing
// before it: it is at its own or the project's start).
func (x *index) pointDate(b int32, end bool) bot.Date {
	if end {
		return x.day(b - 1)
	}
	return x.day(b)
}

// epochDay returns the number of days from 1970-01-01 to d, with the
// proleptic Gregorian calendar (days_from_civil, H. Hinnant). Out-of-range
// months or days are normalised the way time.Date does.
func epochDay(d bot.Date) int64 {
	if d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 28 && d.Day > daysIn(d.Year, d.Month) {
		d = bot.DateOf(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC))
	}
	y, m := int64(d.Year), int64(d.Month)
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + int64(d.Day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// nextDay returns the calendar day after d (a normalised date).
func nextDay(d bot.Date) bot.Date {
	if d.Day < 28 || d.Day < daysIn(d.Year, d.Month) {
		d.Day++
		return d
	}
	if d.Month == 12 {
		return bot.Date{Year: d.Year + 1, Month: 1, Day: 1}
	}
	return bot.Date{Year: d.Year, Month: d.Month + 1, Day: 1}
}

func daysIn(y int, m time.Month) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// weekdays is the calendar of Compute when Input.Cal is nil: Monday to
// Friday, no holidays.
type weekdays struct{}

func (weekdays) IsWorkday(d bot.Date) bool {
	w := d.Weekday()
	return w != time.Saturday && w != time.Sunday
}

// workdaysBetween counts the working days in (a, b], negative when b is
// before a, as calendar.WorkdaysBetween does.
func workdaysBetween(cal Calendar, a, b bot.Date) int {
	if b.Before(a) {
		return -workdaysBetween(cal, b, a)
	}
	n := 0
	for d := nextDay(a); !d.After(b); d = nextDay(d) {
		if cal.IsWorkday(d) {
			n++
		}
	}
	return n
}
