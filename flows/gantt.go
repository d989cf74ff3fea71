package flows

import (
	"math"
	"slices"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/plan"
)

// GanttBar is one task's bar of a project's Gantt (GanttSchedule).
type GanttBar struct {
	Task          bot.Task
	Start, Finish bot.Date
	Critical      bool
	// Progress is the task's, rolled up from its sub-tasks for a summary
	// task (plan.Rollup), as the /plan card shows it.
	Progress int
}

// GanttSchedule returns the Gantt bars of a project's tasks, leaving out the
// cancelled ones, by start then id. Every Gantt (the board's, its PNG
// chart's and the workbook's sheet) is drawn from it. The bars follow the
// project's plan (plan.Compute over cal as of today, from the project's
// start, else the day it was created in loc): a task's bar runs from its
// earliest start (ES: after its predecessors, not before its planned start)
// to its committed finish (its due date, later when its work or its
// predecessors push it out; a done task's actual finish), and is critical
// on the critical path; a milestone is a bar of its finish day, as on the
// /plan card (ganttBar). When the plan cannot be computed (a dependency cycle, which only old data has),
// each task gets its own dates (ownDates) and none is critical.
func GanttSchedule(p bot.Project, tasks []bot.Task, today bot.Date, cal plan.Calendar, loc *time.Location) []GanttBar {
	if cal == nil {
		cal = weekdays{}
	}
	in := plan.Input{Today: today, Cal: cal, Start: p.Start, Deadline: p.Deadline}
	if in.Start.IsZero() {
		in.Start = bot.DateOf(p.CreatedAt.In(loc))
	}
	in.Tasks = escPlanTasks(tasks, loc)
	rolled := plan.Rollup(in.Tasks, cal)
	var slots map[uint64]plan.Slot
	if pl, err := plan.Compute(in); err == nil {
		slots = pl.Slots
	}
	out := []GanttBar{}
	for _, t := range tasks {
		if t.Status == bot.StatusCancelled {
			continue
		}
		b := GanttBar{Task: t, Progress: t.Progress}
		if p, ok := rolled[t.ID]; ok {
			b.Progress = p
		}
		if sl, ok := slots[t.ID]; ok {
			bb := ganttBar(t, sl, b.Progress)
			b.Start, b.Finish, b.Critical = bb.Start, bb.Finish, bb.Critical
		} else {
			b.Start, b.Finish = ownDates(t, cal, loc)
		}
		out = append(out, b)
	}
	slices.SortStableFunc(out, func(a, b GanttBar) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return int(a.Task.ID) - int(b.Task.ID)
	})
	return out
}

// ownDates returns a task's own dates, without the plan: its planned
// start, else as many working days before its due date as its estimate,
// else the day it was created; its due date, or when it was done if it has
// none.
func ownDates(t bot.Task, cal plan.Calendar, loc *time.Location) (start, finish bot.Date) {
	finish = t.Due
	if finish.IsZero() && !t.DoneAt.IsZero() {
		finish = bot.DateOf(t.DoneAt.In(loc))
	}
	start = t.PlannedStart
	if start.IsZero() && !finish.IsZero() && t.EstimateDays > 0 {
		start = finish
		for n, i := int(math.Ceil(t.EstimateDays))-1, 0; n > 0 && i < 10000; i++ {
			start = start.AddDays(-1)
			if cal.IsWorkday(start) {
				n--
			}
		}
	}
	if start.IsZero() {
		start = bot.DateOf(t.CreatedAt.In(loc))
	}
	if finish.IsZero() || finish.Before(start) {
		finish = start
	}
	if t.Milestone {
		start = finish
	}
	return start, finish
}

// weekdays is the calendar of Monday to Friday.
type weekdays struct{}

func (weekdays) IsWorkday(d bot.Date) bool {
	return d.Weekday() >= time.Monday && d.Weekday() <= time.Friday
}
