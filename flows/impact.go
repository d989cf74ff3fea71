package flows

import (
	"errors"
	"slices"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/plan"
)

// planInput builds the scheduling engine's input from a project's tasks as
// the escalation ladder does (escPlanTasks: cancelled tasks left out, done
// work fixed at the day it was done), over the deployment's calendar. It
// also returns the tasks it used, by id.
func (s *Service) planInput(tx bot.Tx, p bot.Project) (plan.Input, map[uint64]bot.Task, error) {
	all, err := tx.Tasks(bot.TaskFilter{Project: p.ID})
	if err != nil {
		return plan.Input{}, nil, err
	}
	byID := make(map[uint64]bot.Task, len(all))
	for _, t := range all {
		if t.Status != bot.StatusCancelled {
			byID[t.ID] = t
		}
	}
	return plan.Input{
		Tasks: escPlanTasks(all, s.cfg.Location), Start: p.Start, Deadline: p.Deadline, Cal: s.cfg.Calendar,
		Today: bot.DateOf(s.cfg.Clock.Now().In(s.cfg.Location)),
	}, byID, nil
}

// impactOf computes what moving a task's due date to newDue does to its
// project's plan, as the plain data a change request keeps. A task outside
// any project has no plan: nothing else moves. A plan the engine cannot
// compute (a dependency cycle) gives an impact that says why.
func (s *Service) impactOf(r *req, t bot.Task, newDue bot.Date) (bot.ChangeImpact, map[uint64]bot.Task, error) {
	if t.Project == 0 {
		return bot.ChangeImpact{}, map[uint64]bot.Task{t.ID: t}, nil
	}
	p, err := r.tx.Project(t.Project)
	if err != nil {
		return bot.ChangeImpact{}, nil, err
	}
	in, byID, err := s.planInput(r.tx, p)
	if err != nil {
		return bot.ChangeImpact{}, nil, err
	}
	im, err := plan.ImpactOf(in, t.ID, newDue)
	var cycle *plan.CycleError
	if errors.As(err, &cycle) {
		return bot.ChangeImpact{Unplanned: r.l.F("the dependencies form a cycle (%s).", "任务依赖形成了循环（%s）。", cycle.Error())}, byID, nil
	} else if err != nil {
		return bot.ChangeImpact{}, nil, err
	}
	return bot.ChangeImpact{
		Moves: dateMoves(im.Moves, t.ID), Milestones: dateMoves(im.Milestones, t.ID),
		FinishFrom: im.FinishFrom, FinishTo: im.FinishTo, FinishDays: im.FinishDays,
		Deadline: p.Deadline, DeadlineMissed: im.DeadlineMissed,
		CriticalBefore: slices.Clone(im.CriticalBefore), CriticalAfter: slices.Clone(im.CriticalAfter),
		CriticalChanged: im.CriticalChanged,
	}, byID, nil
}

// dateMoves copies the engine's moves of other tasks than the changed one.
func dateMoves(ms []plan.Move, changed uint64) []bot.DateMove {
	var out []bot.DateMove
	for _, m := range ms {
		if m.Task == changed {
			continue
		}
		out = append(out, bot.DateMove{Task: m.Task, From: m.From, To: m.To, Days: m.Days})
	}
	return out
}
