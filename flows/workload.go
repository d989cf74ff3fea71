package flows

import (
	"cmp"
	"slices"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
)

// Workload (/workload, SPEC §3) compares, for each person with open tasks,
// the working days their tasks plan for an ISO week with the working days
// they have in it.
//
//   - Available days: the calendar's working days of the week (Monday to
//     Sunday, holidays off, make-up days on), less the person's /leave days.
//   - Planned days of a task: its working span runs from its planned start
//     (or, with none, the day it was created) through its due date, over the
//     calendar's working days. Its estimate (est:), or one day per working
//     day of the span when it has none, is spread evenly over that span, and
//     the week gets the share of its working days that fall in it. A span
//     with no working day puts the whole estimate (at least one day) on the
//     due date. Leave does not move work: it lowers what is available.
//   - Counted: open tasks (assigned, accepted, blocked) with a due date.
//     Done, verified, declined and cancelled tasks, milestones, tasks with
//     no due date, and WBS parents (their children carry the work) count
//     nothing; an overdue task's span has ended, so it counts nothing either.
//   - Over-allocated: planned above available; those people come first,
//     marked ⚠️, then the others by planned days, most first.

// workloadCmd runs /workload [<P>] [week|next].
func (s *Service) workloadCmd(r *req, cmd command.Command) error {
	next, pid, err := workloadArgs(r, cmd.Args)
	if err != nil {
		return err
	}
	scope, tasks, err := s.workloadScope(r, cmd, pid)
	if err != nil {
		return err
	}
	monday := weekOf(bot.DateOf(r.now))
	if next {
		monday = monday.AddDays(7)
	}
	w := s.workload(r.tx, tasks, monday)
	w.Scope = scope
	return s.reply(r, cards.WorkloadText(r.l, w))
}

// workloadArgs reads the arguments of /workload: a project id and week
// (本周) or next (下周), in any order, each at most once.
func workloadArgs(r *req, args []string) (next bool, project string, err error) {
	seenWeek := false
	for _, a := range args {
		switch strings.ToLower(a) {
		case "week", "this", "本周", "周":
			if seenWeek {
				return false, "", badUsage(r, "workload", r.l.T("Give the week once.", "周只需写一次。"))
			}
			seenWeek = true
		case "next", "下周":
			if seenWeek {
				return false, "", badUsage(r, "workload", r.l.T("Give the week once.", "周只需写一次。"))
			}
			seenWeek, next = true, true
		default:
			if _, ok := command.ParseProjectID(a); ok {
				if project != "" {
					return false, "", badUsage(r, "workload", r.l.T("Give one project id.", "请只写一个项目编号。"))
				}
				project = a
				continue
			}
			return false, "", badUsage(r, "workload", r.l.F("%q is neither a project id nor week or next.",
				"“%s”既不是项目编号，也不是 本周 或 下周。", a))
		}
	}
	return next, project, nil
}

// workloadScope returns the open tasks /workload counts and what they are:
// the named project's, else the group's project's, else those of every open
// project the caller takes part in and their own (an admin's: all).
func (s *Service) workloadScope(r *req, cmd command.Command, pid string) (string, []bot.Task, error) {
	var p bot.Project
	var err error
	ok := pid != ""
	if ok {
		p, err = s.loadProject(r, pid)
	} else {
		p, ok, err = s.projectOf(r, cmd)
	}
	if err != nil {
		return "", nil, err
	}
	if ok {
		if !r.inProject(p) {
			return "", nil, forbidden(r, "You are not a member of %s.", "你不是 %s 的成员。", p.Code())
		}
		tasks, err := r.tx.Tasks(bot.TaskFilter{Project: p.ID, OpenOnly: true})
		return p.Code() + " " + p.Name, tasks, err
	}
	all, err := r.tx.Tasks(bot.TaskFilter{OpenOnly: true})
	if err != nil {
		return "", nil, err
	}
	projects, err := r.tx.Projects()
	if err != nil {
		return "", nil, err
	}
	visible := map[uint64]bool{}
	for _, p := range projects {
		visible[p.ID] = !p.Closed && r.inProject(p)
	}
	tasks := slices.DeleteFunc(all, func(t bot.Task) bool {
		return !(t.Assignee == r.me.ID || visible[t.Project] || (r.me.IsAdmin() && t.Project == 0))
	})
	scope := r.l.T("your projects", "你参与的项目")
	if r.me.IsAdmin() {
		scope = r.l.T("all projects", "全部项目")
	}
	return scope, tasks, nil
}

// workload computes the week that starts on monday for the assignees of
// tasks (see the rules above).
func (s *Service) workload(tx bot.Tx, tasks []bot.Task, monday bot.Date) cards.Workload {
	parents := map[uint64]bool{}
	for _, t := range tasks {
		if t.Parent != 0 {
			parents[t.Parent] = true
		}
	}
	rows := map[bot.PersonID]*cards.Load{}
	var order []bot.PersonID
	for _, t := range tasks {
		if !t.Status.Open() || t.Assignee == "" {
			continue
		}
		row, ok := rows[t.Assignee]
		if !ok {
			p := s.person(tx, t.Assignee)
			row = &cards.Load{Person: p, Available: s.availableDays(p, monday)}
			rows[t.Assignee], order = row, append(order, t.Assignee)
		}
		if t.Milestone || parents[t.ID] || t.Due.IsZero() {
			continue
		}
		if d := s.plannedDays(t, monday); d > 0 {
			row.Planned += d
			row.Tasks = append(row.Tasks, cards.TaskLoad{Task: t, Days: d})
		}
	}
	w := cards.Workload{Week: bot.ISOWeek(monday), Monday: monday}
	for _, id := range order {
		w.Rows = append(w.Rows, *rows[id])
	}
	slices.SortStableFunc(w.Rows, func(a, b cards.Load) int {
		if a.Over() != b.Over() {
			if a.Over() {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(b.Planned, a.Planned), cmp.Compare(a.Person.DisplayName(), b.Person.DisplayName()))
	})
	return w
}

// availableDays counts the working days of the week that starts on monday
// on which the person is not on leave.
func (s *Service) availableDays(p bot.Person, monday bot.Date) int {
	n := 0
	for d := monday; d.Before(monday.AddDays(7)); d = d.AddDays(1) {
		if s.cfg.Calendar.IsWorkday(d) && !p.OnLeave(d) {
			n++
		}
	}
	return n
}

// maxSpanDays bounds the walk over a task's span, so that a task planned
// over decades costs no more than three years' worth of days.
const maxSpanDays = 3 * 366

// plannedDays returns the working days a task plans for the week that
// starts on monday (see the rules above).
func (s *Service) plannedDays(t bot.Task, monday bot.Date) float64 {
	start := t.PlannedStart
	if start.IsZero() {
		start = bot.DateOf(t.CreatedAt.In(s.cfg.Location))
	}
	if start.After(t.Due) {
		start = t.Due
	}
	if start.DaysUntil(t.Due) > maxSpanDays {
		start = t.Due.AddDays(-maxSpanDays)
	}
	end := monday.AddDays(7)
	span, inWeek := 0, 0
	for d := start; !d.After(t.Due); d = d.AddDays(1) {
		if s.cfg.Calendar.IsWorkday(d) {
			span++
			if !d.Before(monday) && d.Before(end) {
				inWeek++
			}
		}
	}
	est := t.EstimateDays
	if span == 0 {
		if t.Due.Before(monday) || !t.Due.Before(end) {
			return 0
		}
		return max(est, 1)
	}
	if est <= 0 {
		est = float64(span)
	}
	return est * float64(inWeek) / float64(span)
}
