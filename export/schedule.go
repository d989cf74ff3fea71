package export

import (
	"maps"
	"slices"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/flows"
)

// bar is one task's row of the Gantt: its start and finish in the plan,
// its working days, and whether it is on the critical path.
type bar struct {
	task          bot.Task
	start, finish bot.Date
	days          int
	progress      int
	critical      bool
}

// schedule returns the Gantt bars of the exported tasks that are not
// cancelled, by start then id: each project's plan (flows.GanttSchedule,
// from which the board and its PNG chart are drawn too: earliest start to
// committed finish, the critical path). It is computed once per export.
func (s *snapshot) schedule() []bar {
	if s.bars == nil {
		s.bars = s.computeSchedule()
	}
	return s.bars
}

func (s *snapshot) computeSchedule() []bar {
	out := []bar{}
	byProject := map[uint64][]bot.Task{}
	for _, t := range s.tasks {
		byProject[t.Project] = append(byProject[t.Project], t)
	}
	ids := slices.Sorted(maps.Keys(byProject))
	for _, pid := range ids {
		p := bot.Project{ID: pid}
		for _, q := range s.projects {
			if q.ID == pid {
				p = q
			}
		}
		for _, g := range flows.GanttSchedule(p, byProject[pid], s.today, s, s.loc()) {
			out = append(out, bar{task: g.Task, start: g.Start, finish: g.Finish, days: s.workdays(g.Start, g.Finish),
				progress: g.Progress, critical: g.Critical})
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

// summary computes project p's weekly summary for the export's span: the
// ISO week that holds To when no From was given.
func (s *snapshot) summary(p bot.Project) (cards.Summary, error) {
	if s.e.Summary == nil {
		return cards.Summary{Project: p}, nil
	}
	return s.e.Summary(s.tx, p, s.req.From, s.to)
}

func (s *snapshot) loc() *time.Location { return s.e.loc() }
