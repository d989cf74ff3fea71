package bot

import (
	"fmt"
	"time"
)

// Date is a civil date with no time of day and no zone, such as a due date or
// a working day. The zero Date means "not set".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the civil date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// NewDate returns the normalised date y-m-d (so that day 32 rolls over).
func NewDate(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// ParseISODate reads a date written as 2006-01-02.
// It returns an EINVALID error for any other form.
func ParseISODate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, Errorf(EINVALID, "%q is not a date like 2026-11-28", s)
	}
	return DateOf(t), nil
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// In returns the instant at which d starts in loc: its midnight, or the
// first instant of the day when daylight saving skips midnight (At).
func (d Date) In(loc *time.Location) time.Time { return d.At(0, 0, loc) }

// At returns the instant of the clock time hh:mm on d in loc, in every zone
// and for both directions of a change of offset:
//   - a time that the zone skips (in a gap: 02:30 on a New York
//     spring-forward night, 00:30 on a Cairo one, 02:15 on a Lord Howe
//     night, whose gap is 30 minutes) moves forward by the size of the gap,
//     to 03:30, 01:30 and 02:45: the first instant after the chosen time;
//   - a time that happens twice (in an overlap, when clocks fall back) is
//     its first occurrence.
//
// time.Date alone leaves the instant in a gap unspecified: Go moves it
// forward in zones east of Greenwich and back in zones west of it.
func (d Date) At(hh, mm int, loc *time.Location) time.Time {
	wall := time.Date(d.Year, d.Month, d.Day, hh, mm, 0, 0, time.UTC)
	return localInstant(wall, loc)
}

// maxOffset bounds the offset of any zone from UTC, with room to spare
// (today's extremes are -12h and +14h; some historical local mean times
// go slightly beyond).
const maxOffset = 16 * time.Hour

// localInstant returns the first instant whose clock in loc reads wall (a
// wall-clock time given in UTC), or, when no instant does because wall falls
// in a gap, the instant that wall names with the offset in force before the
// gap, which the clock after the gap shows as wall plus the gap.
//
// It walks loc's periods of constant offset (Time.ZoneBounds) that can hold
// wall: each offset o gives the candidate wall-o, valid when it falls in o's
// period. The periods come in time order, so the first valid candidate is
// the earliest.
func localInstant(wall time.Time, loc *time.Location) time.Time {
	t := wall.Add(-maxOffset).In(loc)
	var prev time.Time // the previous period's candidate, past its end
	for {
		start, end := t.ZoneBounds()
		_, off := t.Zone()
		cand := wall.Add(-time.Duration(off) * time.Second)
		if cand.Before(start) && !prev.IsZero() {
			// wall lies after the previous period and before this one:
			// it is in the gap between them.
			return prev.In(loc)
		}
		if !cand.Before(start) && (end.IsZero() || cand.Before(end)) {
			return cand.In(loc)
		}
		prev = time.Time{}
		if !end.IsZero() && !cand.Before(end) {
			prev = cand
		}
		if end.IsZero() || end.After(wall.Add(maxOffset)) {
			break
		}
		t = end.In(loc)
	}
	// Unreachable with a consistent zone; fall back to Go's choice.
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), loc)
}

// AddDays returns d moved by n calendar days.
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Weekday()
}

// Before reports whether d comes before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d comes after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	default:
		return cmpInt(d.Day, e.Day)
	}
}

// DaysUntil returns the number of calendar days from d to e (negative when e
// is earlier).
func (d Date) DaysUntil(e Date) int {
	a := d.In(time.UTC)
	b := e.In(time.UTC)
	return int(b.Sub(a).Hours() / 24)
}

// String returns d as 2006-01-02, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Key returns d as yyyymmdd, for composite store keys that sort by date.
func (d Date) Key() string {
	return fmt.Sprintf("%04d%02d%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText writes d as 2006-01-02 (empty for the zero Date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads 2006-01-02, or an empty string as the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseISODate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
