package calendar

import "github.com/loopbot/loopbot/bot"

// NextWorkday returns the first working day strictly after d.
func (c *Calendar) NextWorkday(d bot.Date) bot.Date {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.step(d, 1)
}

// AddWorkdays returns the date n working days after d, or before d when n is
// negative. AddWorkdays(d, 0) is d, working day or not. For example, with
// the 2026 schedule AddWorkdays(2026-09-30, 3) is Saturday 2026-10-10, a
// make-up working day. It takes time in proportion to the distance.
func (c *Calendar) AddWorkdays(d bot.Date, n int) bot.Date {
	dir := 1
	if n < 0 {
		dir, n = -1, -n
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	for ; n > 0; n-- {
		d = c.step(d, dir)
	}
	return d
}

// step returns the nearest working day after d in the direction dir (+1 or
// -1). It always ends: the configured week has at least one working day, and
// only finitely many days are listed.
func (c *Calendar) step(d bot.Date, dir int) bot.Date {
	for d = d.AddDays(dir); !c.isWorkday(d); d = d.AddDays(dir) {
	}
	return d
}

// WorkdaysBetween counts the working days in (a, b]: after a, up to and
// including b. It is negative, -WorkdaysBetween(b, a), when b is before a.
func (c *Calendar) WorkdaysBetween(a, b bot.Date) int {
	if b.Before(a) {
		return -c.WorkdaysBetween(b, a)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for d := a.AddDays(1); !d.After(b); d = d.AddDays(1) {
		if c.isWorkday(d) {
			n++
		}
	}
	return n
}
