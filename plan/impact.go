package plan

import (
	"slices"

	"github.com/loopbot/loopbot/bot"
)

// Move is a task whose scheduled Finish moves. Days is the working days it
// moves: later (+) or earlier (-), counted as the working days after From up
// to To.
type Move struct {
	Task     uint64
	From, To bot.Date
	Days     int
}

// Impact is what moving one task's due date does to the plan.
type Impact struct {
	Task uint64
	// Moves are the other tasks whose Finish moves (dependants, summary
	// tasks and milestones), in dependency order; Milestones those of them
	// that are milestones.
	Moves      []Move
	Milestones []Move
	// FinishFrom and FinishTo are the project finish before and after;
	// FinishDays the working days between them (+ later).
	FinishFrom, FinishTo bot.Date
	FinishDays           int
	// DeadlineMissed: the project then finishes after Input.Deadline.
	DeadlineMissed bool
	// The critical path before and after (Plan.Critical), and whether it
	// changes.
	CriticalBefore, CriticalAfter []uint64
	CriticalChanged               bool
	// Before and After are the two plans.
	Before, After *Plan
}

// ImpactOf plans in twice, as it is and with task's Due moved to newDue, and
// reports what moves. It returns an ENOTFOUND error when task is not in
// in.Tasks, and Compute's errors.
func ImpactOf(in Input, task uint64, newDue bot.Date) (Impact, error) {
	im := Impact{Task: task}
	k := slices.IndexFunc(in.Tasks, func(t Task) bool { return t.ID == task })
	if k < 0 {
		return im, bot.Bilingual(bot.ENOTFOUND, "plan: "+bot.TaskCode(task)+" is not in the plan", "计划中没有 "+bot.TaskCode(task))
	}
	before, err := Compute(in)
	if err != nil {
		return im, err
	}
	moved := in
	moved.Tasks = slices.Clone(in.Tasks)
	moved.Tasks[k].Due = newDue
	after, err := Compute(moved)
	if err != nil {
		return im, err
	}
	cal := in.Cal
	if cal == nil {
		cal = weekdays{}
	}
	for _, id := range after.Order {
		from, to := before.Slots[id].Finish, after.Slots[id].Finish
		if id == task || from == to {
			continue
		}
		m := Move{Task: id, From: from, To: to, Days: workdaysBetween(cal, from, to)}
		im.Moves = append(im.Moves, m)
		if after.Slots[id].Milestone {
			im.Milestones = append(im.Milestones, m)
		}
	}
	im.FinishFrom, im.FinishTo = before.Finish, after.Finish
	im.FinishDays = workdaysBetween(cal, before.Finish, after.Finish)
	im.DeadlineMissed = !in.Deadline.IsZero() && after.Finish.After(in.Deadline)
	im.CriticalBefore, im.CriticalAfter = before.Critical, after.Critical
	im.CriticalChanged = !slices.Equal(before.Critical, after.Critical)
	im.Before, im.After = before, after
	return im, nil
}
