// Package calendar knows which days are working days and which hours are
// working hours, and reads the dates, clock times and durations that people
// type into commands and operators write into the config.
//
// A Calendar starts from the configured working weekdays (Mon–Fri by default),
// takes away the public holidays and adds the make-up working days (调休) of
// the shipped PRC schedule and of the days that admins add at runtime. A year
// with no data is the plain configured week.
package calendar

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// shippedSchedule is the official PRC schedule; see data/cn.txt for its format.
//
//go:embed data/cn.txt
var shippedSchedule string

// Defaults of Config.
const (
	DefaultZone     = "Asia/Shanghai"
	DefaultDayStart = 9 * 60
	DefaultDayEnd   = 18 * 60
)

// Config sets up a Calendar. Zero fields take their defaults.
type Config struct {
	Location *time.Location // default zone for nil loc arguments; Asia/Shanghai
	Workdays []time.Weekday // the working weekdays; Mon–Fri
	DayStart int            // minutes after midnight; 9*60
	DayEnd   int            // minutes after midnight, up to 24*60; 18*60
}

// Validate checks a Config before it is used. It returns an EINVALID error
// when a weekday is out of range or the working day does not end after it
// starts within one day. Zero fields are valid: they take their defaults.
func (cfg Config) Validate() error {
	for _, w := range cfg.Workdays {
		if w < time.Sunday || w > time.Saturday {
			return bot.Errorf(bot.EINVALID, "calendar.workdays: %d is not a weekday", int(w))
		}
	}
	start, end := cfg.hours()
	if start < 0 || end > 24*60 || end <= start {
		return bot.Errorf(bot.EINVALID, "calendar.day_start and day_end: the working day must end after it starts, within one day (got %s–%s)",
			clockString(start), clockString(end))
	}
	return nil
}

// hours returns the working day's start and end with defaults applied.
func (cfg Config) hours() (start, end int) {
	start, end = cfg.DayStart, cfg.DayEnd
	if start == 0 {
		start = DefaultDayStart
	}
	if end == 0 {
		end = DefaultDayEnd
	}
	return start, end
}

// Day is a listed day: a holiday (Workday false) or a make-up working day
// (Workday true), with its name such as 国庆节 or 国庆节调休.
type Day struct {
	Date    bot.Date
	Workday bool
	Name    string
}

// Calendar answers working-day and working-hour questions. It is safe for
// concurrent use: admins add days while the scheduler reads.
type Calendar struct {
	loc        *time.Location
	workdays   [7]bool
	start, end int // minutes after midnight

	mu    sync.RWMutex
	days  map[bot.Date]Day
	years map[int]bool
	// version counts the changes to days (Version).
	version atomic.Uint64
}

// Version changes whenever a day is added to the calendar (Load,
// AddHoliday, AddWorkday), so that what was worked out from it (a
// project's plan) can be kept while it stands.
func (c *Calendar) Version() uint64 { return c.version.Load() }

// New returns a Calendar for cfg, loaded with the shipped PRC schedule. A
// Config that Validate refuses falls back to the default weekdays and hours,
// so callers should validate the config first. When the system has no zone
// database, the default zone is a fixed UTC+8, which is what Asia/Shanghai is.
func New(cfg Config) *Calendar {
	c := &Calendar{loc: cfg.Location, days: map[bot.Date]Day{}, years: map[int]bool{}}
	c.setWeek(cfg)
	if c.loc == nil {
		c.loc = defaultLocation()
	}
	if err := c.Load(strings.NewReader(shippedSchedule)); err != nil {
		// The shipped file is covered by tests, so this is a build defect.
		panic("calendar: shipped schedule: " + bot.ErrorMessage(err))
	}
	return c
}

// setWeek applies the working weekdays and hours of cfg, or the defaults
// where cfg is invalid.
func (c *Calendar) setWeek(cfg Config) {
	if cfg.Validate() != nil {
		cfg = Config{}
	}
	c.start, c.end = cfg.hours()
	week := cfg.Workdays
	if len(week) == 0 {
		week = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	}
	for _, w := range week {
		c.workdays[w] = true
	}
}

func defaultLocation() *time.Location {
	if loc, err := time.LoadLocation(DefaultZone); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// Location returns the calendar's default zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// zone returns loc, or the calendar's default zone when loc is nil.
func (c *Calendar) zone(loc *time.Location) *time.Location {
	if loc == nil {
		return c.loc
	}
	return loc
}

// AddHoliday makes d a day off with the given name, replacing what the
// shipped schedule or an earlier addition said about d. The zero Date is
// ignored.
func (c *Calendar) AddHoliday(d bot.Date, name string) {
	c.add(Day{Date: d, Workday: false, Name: name})
}

// AddWorkday makes d a make-up working day (调休) with the given name,
// replacing what the shipped schedule or an earlier addition said about d.
// The zero Date is ignored.
func (c *Calendar) AddWorkday(d bot.Date, name string) {
	c.add(Day{Date: d, Workday: true, Name: name})
}

func (c *Calendar) add(days ...Day) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range days {
		if d.Date.IsZero() {
			continue
		}
		c.days[d.Date] = d
		c.years[d.Date.Year] = true
	}
	c.version.Add(1)
}

// IsWorkday reports whether d is a working day.
func (c *Calendar) IsWorkday(d bot.Date) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.isWorkday(d)
}

// isWorkday is IsWorkday for callers that hold the lock.
func (c *Calendar) isWorkday(d bot.Date) bool {
	if day, ok := c.days[d]; ok {
		return day.Workday
	}
	return c.workdays[d.Weekday()]
}

// DayName returns the name of the holiday or make-up working day d, and
// whether d is such a listed day at all. The name may be empty when an admin
// gave none.
func (c *Calendar) DayName(d bot.Date) (name string, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	day, ok := c.days[d]
	return day.Name, ok
}

// HasData reports whether the shipped schedule or an admin lists any day of
// year. A year without data is the plain configured week, which the bot
// should tell an admin about.
func (c *Calendar) HasData(year int) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.years[year]
}

// Days returns every holiday and make-up working day of year, in date order.
func (c *Calendar) Days(year int) []Day {
	c.mu.RLock()
	var out []Day
	for d, day := range c.days {
		if d.Year == year {
			out = append(out, day)
		}
	}
	c.mu.RUnlock()
	slices.SortFunc(out, func(a, b Day) int { return a.Date.Compare(b.Date) })
	return out
}

// WorkdayLength returns the length of a working day, DayEnd minus DayStart,
// such as 9h.
func (c *Calendar) WorkdayLength() time.Duration {
	return time.Duration(c.end-c.start) * time.Minute
}

// Workdays returns the configured working weekdays, Monday first: the
// week of a year without data.
func (c *Calendar) Workdays() []time.Weekday {
	var out []time.Weekday
	for i := range 7 {
		if w := time.Weekday((i + 1) % 7); c.workdays[w] {
			out = append(out, w)
		}
	}
	return out
}
