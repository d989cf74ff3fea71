package main

import (
	"strings"

	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/flows"
)

// schedule turns the validated [checkin], [escalation] and [review]
// sections into the flows' schedule. LoadConfig checked every value, so a
// parse error here cannot happen; the defaults stand in if one did.
func schedule(c Config) flows.Schedule {
	s := flows.DefaultSchedule()
	minutes := func(v string, def int) int {
		if h, m, err := calendar.ParseClock(v); err == nil {
			return h*60 + m
		}
		return def
	}
	span := func(v string, def calendar.Span) calendar.Span {
		if sp, err := calendar.ParseSpan(v); err == nil {
			return sp
		}
		return def
	}
	weekly := func(v string, def flows.Weekly) flows.Weekly {
		day, clock, ok := strings.Cut(strings.TrimSpace(v), " ")
		wd, known := configWeekday(day)
		if !ok || !known {
			return def
		}
		return flows.Weekly{Day: wd, Minute: minutes(strings.TrimSpace(clock), def.Minute)}
	}
	s.CheckinAt = minutes(c.Checkin.At, s.CheckinAt)
	s.RemindAfter = span(c.Checkin.RemindAfter, s.RemindAfter)
	s.Cutoff = minutes(c.Checkin.Cutoff, s.Cutoff)
	s.DigestAt = minutes(c.Checkin.DigestAt, s.DigestAt)
	e := c.Escalation
	if every, ok := span(e.CheckEvery, calendar.Span{}).Duration(); ok && every > 0 {
		s.CheckEvery = every
	}
	s.UnacceptedAfter = span(e.UnacceptedAfter, s.UnacceptedAfter)
	s.DueSoonWithin = span(e.DueSoonWithin, s.DueSoonWithin)
	s.DueSoonBelow = e.DueSoonBelow
	s.BlockedAfter = span(e.BlockedAfter, s.BlockedAfter)
	s.StaleAfter = span(e.StaleAfter, s.StaleAfter)
	s.MissedCheckins = e.MissedCheckins
	s.ToManagerAfter = span(e.ToManagerAfter, s.ToManagerAfter)
	s.ToGroupAfter = span(e.ToGroupAfter, s.ToGroupAfter)
	s.CriticalPathFactor = e.CriticalPathFactor
	s.GroupUpdatesFor = keepFor(e.GroupUpdatesFor) // "0" or a plain duration, as retention's windows
	s.ReviewPrompt = weekly(c.Review.PromptAt, s.ReviewPrompt)
	s.ReviewSummary = weekly(c.Review.SummaryAt, s.ReviewSummary)
	return s
}
