package calendar

import (
	"time"

	"github.com/loopbot/loopbot/bot"
)

// Working hours are read on the clock of a zone, loc, which is the person's
// own zone; a nil loc is the calendar's default zone. The working period of
// a working day d is [DayStart(d), DayEnd(d)). Days are listed by civil date,
// so a holiday is a holiday in every zone.

// DayStart returns the instant at which the working day d starts in loc, such
// as 09:00. On a daylight-saving day this is still 09:00 on the local clock.
func (c *Calendar) DayStart(d bot.Date, loc *time.Location) time.Time {
	return d.At(c.start/60, c.start%60, c.zone(loc))
}

// DayEnd returns the instant at which the working day d ends in loc, such as
// 18:00.
func (c *Calendar) DayEnd(d bot.Date, loc *time.Location) time.Time {
	return d.At(c.end/60, c.end%60, c.zone(loc))
}

// IsWorkingTime reports whether t falls within the working hours of a
// working day, on loc's clock.
func (c *Calendar) IsWorkingTime(t time.Time, loc *time.Location) bool {
	loc = c.zone(loc)
	d := bot.DateOf(t.In(loc))
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.isWorkday(d) && !t.Before(c.DayStart(d, loc)) && t.Before(c.DayEnd(d, loc))
}

// WorkingTime returns how much working time lies between from and to, on
// loc's clock. It is negative when to is before from.
func (c *Calendar) WorkingTime(from, to time.Time, loc *time.Location) time.Duration {
	if to.Before(from) {
		return -c.WorkingTime(to, from, loc)
	}
	loc = c.zone(loc)
	last := bot.DateOf(to.In(loc))
	c.mu.RLock()
	defer c.mu.RUnlock()
	var total time.Duration
	for d := bot.DateOf(from.In(loc)); !d.After(last); d = d.AddDays(1) {
		total += c.overlap(d, from, to, loc)
	}
	return total
}

// overlap returns how much of the working period of day d lies in [from, to).
func (c *Calendar) overlap(d bot.Date, from, to time.Time, loc *time.Location) time.Duration {
	if !c.isWorkday(d) {
		return 0
	}
	s, e := c.DayStart(d, loc), c.DayEnd(d, loc)
	if from.After(s) {
		s = from
	}
	if to.Before(e) {
		e = to
	}
	if !e.After(s) {
		return 0
	}
	return e.Sub(s)
}

// AddWorkingTime returns the instant at which d of working time has passed
// after from, on loc's clock. Counting starts at from, or at the start of the
// next working period when from is outside working hours. When d uses up a
// working day exactly, the answer is that day's end (18:00), not the next
// day's start. A negative d counts backwards from from in the same way.
func (c *Calendar) AddWorkingTime(from time.Time, d time.Duration, loc *time.Location) time.Time {
	loc = c.zone(loc)
	c.mu.RLock()
	defer c.mu.RUnlock()
	if d < 0 {
		return c.subWorkingTime(from, -d, loc)
	}
	for day := bot.DateOf(from.In(loc)); ; day = day.AddDays(1) {
		if !c.isWorkday(day) {
			continue
		}
		s, e := c.DayStart(day, loc), c.DayEnd(day, loc)
		if from.After(s) {
			s = from
		}
		if !s.Before(e) {
			continue
		}
		avail := e.Sub(s)
		if d <= avail {
			return s.Add(d)
		}
		d -= avail
	}
}

// subWorkingTime returns the latest instant t at or before from such that
// the working time between t and from is d.
func (c *Calendar) subWorkingTime(from time.Time, d time.Duration, loc *time.Location) time.Time {
	for day := bot.DateOf(from.In(loc)); ; day = day.AddDays(-1) {
		if !c.isWorkday(day) {
			continue
		}
		s, e := c.DayStart(day, loc), c.DayEnd(day, loc)
		if from.Before(e) {
			e = from
		}
		if !s.Before(e) {
			continue
		}
		avail := e.Sub(s)
		if d <= avail {
			return e.Add(-d)
		}
		d -= avail
	}
}

// NextWorkingTime returns t itself when it falls within working hours, and
// otherwise the start of the next working period, on loc's clock.
func (c *Calendar) NextWorkingTime(t time.Time, loc *time.Location) time.Time {
	return c.AddWorkingTime(t, 0, loc)
}
