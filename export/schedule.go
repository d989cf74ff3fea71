package export

import (
	"math"
	"slices"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/plan"
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
// cancelled, by start then id: each project's plan (plan.Compute over the
// working-day calendar: earliest start, committed finish, critical path).
// A project whose plan cannot be computed (a dependency cycle) gets each
// task on its own dates (planStart).
func (s *snapshot) schedule() []bar {
	byProject := map[uint64][]bot.Task{}
	for _, t := range s.tasks {
		if t.Status != bot.StatusCancelled {
			byProject[t.Project] = append(byProject[t.Project], t)
		}
	}
	var out []bar
	for pid, tasks := range byProject {
		slots := s.planOf(pid, tasks)
		for _, t := range tasks {
			b := bar{task: t}
			if sl, ok := slots[t.ID]; ok {
				b.start, b.finish, b.critical = sl.ES, sl.Finish, sl.Critical
				if b.finish.Before(b.start) {
					b.finish = b.start
				}
				if t.Milestone {
					b.start = b.finish
				}
			} else {
				b.start, b.finish = s.planStart(t)
			}
			b.days = s.workdays(b.start, b.finish)
			out = append(out, b)
		}
	}
	slices.SortStableFunc(out, func(a, b bar) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return int(a.task.ID) - int(b.task.ID)
	})
	return out
}

// planOf computes the plan of one project's tasks; nil when it cannot.
func (s *snapshot) planOf(pid uint64, tasks []bot.Task) map[uint64]plan.Slot {
	in := plan.Input{Today: s.today, Cal: s}
	for _, p := range s.projects {
		if p.ID == pid {
			in.Start, in.Deadline = p.Start, p.Deadline
			if in.Start.IsZero() {
				in.Start = bot.DateOf(p.CreatedAt.In(s.loc()))
			}
		}
	}
	for _, t := range tasks {
		pt := plan.Task{ID: t.ID, Parent: t.Parent, After: t.DependsOn, Start: t.PlannedStart, Due: t.Due, Estimate: t.EstimateDays,
			Milestone: t.Milestone, Progress: t.Progress, Title: t.Title,
			Done: t.Status == bot.StatusDone || t.Status == bot.StatusVerified}
		if pt.Done && !t.DoneAt.IsZero() {
			pt.Finished = bot.DateOf(t.DoneAt.In(s.loc()))
		}
		in.Tasks = append(in.Tasks, pt)
	}
	p, err := plan.Compute(in)
	if err != nil {
		return nil
	}
	return p.Slots
}

// planStart returns a task's own dates, without the plan: its planned
// start, else as many working days before its due date as its estimate,
// else the day it was created; its due date, or when it was done if it has
// none.
func (s *snapshot) planStart(t bot.Task) (start, finish bot.Date) {
	finish = t.Due
	if finish.IsZero() && !t.DoneAt.IsZero() {
		finish = bot.DateOf(t.DoneAt.In(s.loc()))
	}
	start = t.PlannedStart
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
	return start, finish
}

// IsWorkday makes the snapshot the plan's calendar.
func (s *snapshot) IsWorkday(d bot.Date) bool { return s.workday(d) }

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
