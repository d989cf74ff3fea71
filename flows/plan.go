package flows

import (
	"errors"
	"slices"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
	"github.com/loopbot/loopbot/plan"
)

// maxGanttBars is the most bars the plan card's Gantt chart draws.
const maxGanttBars = 60

// planTask is a task as the planner sees it. Done work is fixed at the day
// it was marked done, in loc.
func planTask(t bot.Task, loc *time.Location) plan.Task {
	pt := plan.Task{ID: t.ID, Parent: t.Parent, After: t.DependsOn, Start: t.PlannedStart, Due: t.Due,
		Estimate: t.EstimateDays, Milestone: t.Milestone, Progress: t.Progress, Title: t.Title}
	if t.Status == bot.StatusDone || t.Status == bot.StatusVerified {
		pt.Done = true
		if !t.DoneAt.IsZero() {
			pt.Finished = bot.DateOf(t.DoneAt.In(loc))
		}
	}
	return pt
}

// planned is a project's plan with the tasks it was computed from.
type planned struct {
	plan  *plan.Plan
	tasks map[uint64]bot.Task
	// rolled is the rolled-up progress of each summary task.
	rolled map[uint64]int
}

// projectPlan computes the plan of a project's tasks, cancelled ones left
// out, as of today in loc. A cycle in the stored links (from an import, or
// data older than the check) is a *plan.CycleError.
func (s *Service) projectPlan(tx bot.Tx, p bot.Project, today bot.Date, loc *time.Location) (planned, error) {
	all, err := tx.Tasks(bot.TaskFilter{Project: p.ID})
	if err != nil {
		return planned{}, err
	}
	in := plan.Input{Start: p.Start, Today: today, Deadline: p.Deadline, Cal: s.cfg.Calendar}
	out := planned{tasks: map[uint64]bot.Task{}}
	for _, t := range all {
		if t.Status == bot.StatusCancelled {
			continue
		}
		out.tasks[t.ID] = t
		in.Tasks = append(in.Tasks, planTask(t, loc))
	}
	if in.Start.IsZero() {
		in.Start = bot.DateOf(p.CreatedAt.In(loc))
	}
	out.rolled = plan.Rollup(in.Tasks, s.cfg.Calendar)
	out.plan, err = plan.Compute(in)
	return out, err
}

// planCmd runs /plan <P>: the critical path, the milestones, each open
// task's slack and the projected finish against the deadline, on a card
// with a Gantt chart.
func (s *Service) planCmd(r *req, cmd command.Command) error {
	p, err := s.planProject(r, cmd)
	if err != nil {
		return err
	}
	pl, err := s.projectPlan(r.tx, p, bot.DateOf(r.now), s.loc(r.me))
	var cyc *plan.CycleError
	if errors.As(err, &cyc) {
		return invalid(r, "The plan of %s has a cycle: %s. Break it with /task edit <T> after:… or parent:….",
			"%s 的计划中有循环：%s。请用 /任务 修改 <T> 依赖:… 或 父任务:… 打破它。", p.Code(), cyc.Error())
	} else if err != nil {
		return err
	}
	_, err = s.sendCard(r.tx, r.ev.Chat, "", "", cards.Plan(r.l, s.planInfo(p, pl)))
	return err
}

// planProject finds the project of /plan: its argument, else the group's
// project. Its managers (and admins) see the plan.
func (s *Service) planProject(r *req, cmd command.Command) (bot.Project, error) {
	var p bot.Project
	var err error
	if len(cmd.Args) > 0 {
		p, err = s.loadProject(r, cmd.Args[0])
	} else if r.ev.Chat.DM {
		return p, badUsage(r, "plan", r.l.T("Which project? Give its id, such as P1.", "哪个项目？请写项目编号，如 P1。"))
	} else if p, err = r.tx.ProjectByGroup(r.ev.Chat); bot.ErrorCode(err) == bot.ENOTFOUND {
		return p, badUsage(r, "plan", r.l.T("This group has no project; give its id, such as P1.", "本群没有绑定项目，请写项目编号，如 P1。"))
	}
	if err != nil {
		return p, err
	}
	if !r.manages(p) {
		return p, forbidden(r, "Only the managers of %s see its plan.", "只有 %s 的经理可以查看它的计划。", p.Code())
	}
	return p, nil
}

// planInfo turns a computed plan into what the plan card shows.
func (s *Service) planInfo(p bot.Project, pl planned) cards.PlanInfo {
	in := cards.PlanInfo{Project: p, Finish: pl.plan.Finish, Projected: pl.plan.Projected, Deadline: p.Deadline}
	for _, id := range pl.plan.Critical {
		in.Critical = append(in.Critical, pl.tasks[id])
	}
	if !p.Deadline.IsZero() && !in.Projected.IsZero() {
		in.Late = s.cfg.Calendar.WorkdaysBetween(p.Deadline, in.Projected)
	}
	for _, id := range planOrder(pl) {
		t, sl := pl.tasks[id], pl.plan.Slots[id]
		if t.Milestone {
			in.Milestones = append(in.Milestones, cards.PlanMilestone{Task: t, Finish: sl.Finish, Projected: sl.Projected,
				Late: max(s.cfg.Calendar.WorkdaysBetween(sl.Finish, sl.Projected), 0), Done: sl.Done})
		}
		if t.Status.Open() && !sl.Summary {
			in.Slack = append(in.Slack, cards.PlanSlack{Task: t, Slack: sl.TotalSlack, Critical: sl.Critical})
		}
		if len(in.Bars) < maxGanttBars {
			in.Bars = append(in.Bars, ganttBar(t, sl, s.rolledProgress(pl, id)))
		}
	}
	slices.SortStableFunc(in.Milestones, func(a, b cards.PlanMilestone) int { return a.Finish.Compare(b.Finish) })
	slices.SortStableFunc(in.Slack, func(a, b cards.PlanSlack) int { return a.Slack - b.Slack })
	return in
}

// planOrder is the plan's task order, or the tasks by id when the plan
// gives none.
func planOrder(pl planned) []uint64 {
	if len(pl.plan.Order) > 0 {
		return pl.plan.Order
	}
	ids := make([]uint64, 0, len(pl.tasks))
	for id := range pl.tasks {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// ganttBar is one task's bar: from its earliest start to its committed
// finish (a done task: its actual one).
func ganttBar(t bot.Task, sl plan.Slot, progress int) bot.Bar {
	b := bot.Bar{Task: t.Code(), Label: t.Title, Start: sl.ES, Finish: sl.Finish, Progress: progress,
		Critical: sl.Critical, Milestone: t.Milestone, Done: sl.Done}
	if b.Milestone {
		b.Start = b.Finish
	}
	if b.Finish.Before(b.Start) {
		b.Finish = b.Start
	}
	return b
}

// rolledProgress is a task's progress, rolled up from its sub-tasks when it
// has any.
func (s *Service) rolledProgress(pl planned, id uint64) int {
	if p, ok := pl.rolled[id]; ok {
		return p
	}
	return pl.tasks[id].Progress
}

// subtree returns root and its sub-tasks at every level, cancelled ones
// left out, read through the sub-task index.
func subtree(tx bot.Tx, root bot.Task) ([]bot.Task, error) {
	out := []bot.Task{root}
	seen := map[uint64]bool{root.ID: true}
	for i := 0; i < len(out); i++ {
		kids, err := tx.Tasks(bot.TaskFilter{Parent: out[i].ID})
		if err != nil {
			return nil, err
		}
		for _, k := range kids {
			if !seen[k.ID] && k.Status != bot.StatusCancelled {
				seen[k.ID] = true
				out = append(out, k)
			}
		}
	}
	return out, nil
}

// taskRollup rolls a summary task's figures up from its sub-tasks: the
// progress weighted by estimate (plan.Rollup) and the span of their
// schedule, from the earliest start to the latest committed finish, in the
// plan of its project (of the task and its sub-tasks for a task without a
// project). It returns nil for a task without sub-tasks.
func (s *Service) taskRollup(tx bot.Tx, t bot.Task, today bot.Date, loc *time.Location) (*cards.Rollup, error) {
	tree, err := subtree(tx, t)
	if err != nil || len(tree) == 1 {
		return nil, err
	}
	ru := &cards.Rollup{Progress: plan.Rollup(planTasks(tree, loc), s.cfg.Calendar)[t.ID]}
	in := plan.Input{Tasks: planTasks(tree, loc), Today: today, Start: today, Cal: s.cfg.Calendar}
	if t.Project != 0 {
		p, err := tx.Project(t.Project)
		if err != nil {
			return nil, err
		}
		all, err := tx.Tasks(bot.TaskFilter{Project: p.ID})
		if err != nil {
			return nil, err
		}
		all = slices.DeleteFunc(all, func(x bot.Task) bool { return x.Status == bot.StatusCancelled })
		in.Tasks, in.Start, in.Deadline = planTasks(all, loc), p.Start, p.Deadline
		if in.Start.IsZero() {
			in.Start = bot.DateOf(p.CreatedAt.In(loc))
		}
	}
	// A plan that cannot be computed (a cycle in older data) leaves the
	// span out; the progress still rolls up.
	pl, err := plan.Compute(in)
	for _, x := range tree[1:] {
		if x.Parent != t.ID {
			continue
		}
		ru.Children++
		if err != nil {
			continue
		}
		sl := pl.Slots[x.ID]
		if ru.Start.IsZero() || sl.ES.Before(ru.Start) {
			ru.Start = sl.ES
		}
		ru.Finish = maxDate(ru.Finish, sl.Finish)
	}
	return ru, nil
}

// planTasks is planTask of each task.
func planTasks(tasks []bot.Task, loc *time.Location) []plan.Task {
	out := make([]plan.Task, len(tasks))
	for i, t := range tasks {
		out[i] = planTask(t, loc)
	}
	return out
}

// summaryIDs returns the rolled-up progress of the tasks among tasks that
// have sub-tasks, by id.
func summaryIDs(tx bot.Tx, tasks []bot.Task, cal plan.Calendar) (map[uint64]int, error) {
	out := map[uint64]int{}
	for _, t := range tasks {
		tree, err := subtree(tx, t)
		if err != nil {
			return nil, err
		}
		if len(tree) > 1 {
			out[t.ID] = plan.Rollup(planTasks(tree, time.UTC), cal)[t.ID]
		}
	}
	return out, nil
}

// isSummary reports whether t has sub-tasks that are not cancelled (the
// sub-task index): a WBS summary task, whose progress and dates roll up from
// them. It is not checked in, and the rules that read its own progress
// (due_soon, stale) leave it to its sub-tasks.
func isSummary(tx bot.Tx, t bot.Task) (bool, error) {
	kids, err := tx.Tasks(bot.TaskFilter{Parent: t.ID})
	return slices.ContainsFunc(kids, func(k bot.Task) bool { return k.Status != bot.StatusCancelled }), err
}

func maxDate(a, b bot.Date) bot.Date {
	if b.After(a) {
		return b
	}
	return a
}
