package export

import (
	"math"
	"slices"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
)

// bar is one task's row of the Gantt: its planned start and finish, its
// working days, and whether it is on the critical path.
type bar struct {
	task          bot.Task
	start, finish bot.Date
	days          int
	critical      bool
}

// schedule returns the Gantt bars of the exported tasks that are not
// cancelled, by start then id. A task starts at its planned start, else as
// many working days before its due date as its estimate, else on the day it
// was created; it finishes on its due date, or when it was done if it has
// none.
func (s *snapshot) schedule() []bar {
	var out []bar
	for _, t := range s.tasks {
		if t.Status == bot.StatusCancelled {
			continue
		}
		finish := t.Due
		if finish.IsZero() && !t.DoneAt.IsZero() {
			finish = bot.DateOf(t.DoneAt.In(s.loc()))
		}
		start := t.PlannedStart
		if start.IsZero() && !finish.IsZero() && t.EstimateDays > 0 {
			start = s.backWorkdays(finish, int(math.Ceil(t.EstimateDays))-1)
		}
		if start.IsZero() {
			start = bot.DateOf(t.CreatedAt.In(s.loc()))
		}
		if finish.IsZero() || finish.Before(start) {
			finish = start
		}
		if t.Milestone {
			start = finish
		}
		out = append(out, bar{task: t, start: start, finish: finish, days: s.workdays(start, finish)})
	}
	slices.SortStableFunc(out, func(a, b bar) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return int(a.task.ID) - int(b.task.ID)
	})
	return out
}

// workday reports whether d is a working day (Monday to Friday without a
// calendar).
func (s *snapshot) workday(d bot.Date) bool {
	if s.e.Calendar == nil {
		return d.Weekday() >= 1 && d.Weekday() <= 5
	}
	return s.e.Calendar.IsWorkday(d)
}

// workdays counts the working days from a to b, both included.
func (s *snapshot) workdays(a, b bot.Date) int {
	n := 0
	for d := a; !d.After(b) && n < 10000; d = d.AddDays(1) {
		if s.workday(d) {
			n++
		}
	}
	return n
}

// backWorkdays returns the day n working days before d (d itself for 0).
func (s *snapshot) backWorkdays(d bot.Date, n int) bot.Date {
	for i := 0; n > 0 && i < 10000; i++ {
		d = d.AddDays(-1)
		if s.workday(d) {
			n--
		}
	}
	return d
}

// summary computes project p's weekly summary for the export's span: the
// ISO week that holds To when no From was given.
func (s *snapshot) summary(p bot.Project) (cards.Summary, error) {
	if s.e.Summary == nil {
		return cards.Summary{Project: p}, nil
	}
	return s.e.Summary(s.tx, p, s.req.From, s.to)
}

func (s *snapshot) loc() *time.Location { return s.e.loc() }
