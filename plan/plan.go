// Package plan schedules a project's tasks over the working-day calendar: the
// critical path method (CPM) with finish-to-start dependencies, planned
// starts, committed due dates, done work and WBS summary tasks, and the
// projected finish from progress and pace. It is pure: tasks in, plan out,
// no store and no clock (Input.Today is given).
//
// # Time
//
// Durations and slack are counted in working days of Input.Cal. A task of
// duration d that starts on working day S occupies S and the d-1 working days
// after it: its earliest start ES is S and its earliest finish EF is the d-th
// working day counted from S. A dependant starts on the working day after
// its predecessor's finish. A milestone has duration 0 and one date: the day
// the work before it ends, or, with nothing before it, its own start.
//
// # The schedule
//
// The forward pass gives each task:
//
//	ES     = max(planned Start, each predecessor's Finish + 1 working day),
//	         or the project Start for a task with neither
//	EF     = ES + Duration - 1 working day
//	Finish = max(Due, EF)    // the committed finish; a done task: Finished
//
// so a dependant moves only when its predecessor's Finish passes the day
// before its ES. The backward pass starts from the project's finish (the
// latest Finish) and gives LF = min(project finish, each open dependant's
// LS - 1 working day) and LS = LF - Duration + 1. TotalSlack is LF - Finish
// and FreeSlack is (earliest ES of the dependants) - 1 - Finish (the project
// finish for a task without dependants), both in working days; slack is
// measured on the committed Finish, so a task whose due date already takes up
// its room has no slack even though its work could finish earlier. A task is
// critical when its TotalSlack is 0 and it is not done.
//
// Done tasks are fixed at their actual finish (Finished, else Due, else
// Today) and have no slack; they are never critical. Their dependants are
// still scheduled after them.
//
// # WBS
//
// A task with children is a summary task: its dates span its children's (ES
// the earliest child ES, EF the latest child EF, Finish the latest child
// Finish or its own Due if later), its own Start, After and Due apply to all
// of its descendants, and a task that comes After it waits for all of them.
// Its Estimate, Done and Progress are not used for scheduling (see Rollup
// for its progress). A task may not depend on its own ancestor or
// descendant: that is reported as a cycle (T2 → T1 → T2 for a child T2 that
// comes After its parent T1), since the child would have to finish before
// the parent it is part of ends, and start after it.
//
// # Projection
//
// The projected finish of an open task is where it ends if the remaining
// work is done at the pace so far, starting no earlier than Today, its ES,
// or its predecessors' projected finishes:
//
//	start     = max(ES, Today, each predecessor's projected finish + 1 working day)
//	remaining = ⌈Duration × (100 - Progress) / 100⌉        before the task has run
//	remaining = ⌈elapsed × (100 - Progress) / Progress⌉    once it has (Progress > 0
//	            and Today is after its ES), with elapsed the working days from ES
//	            to Today inclusive: the pace so far, Progress/elapsed % a day
//	Projected = start + max(remaining, 1) - 1 working day    (a milestone: start)
//
// The project's Projected is the latest projected finish; a done task's
// projected finish is its actual finish.
package plan

import (
	"cmp"
	"math"
	"slices"

	"github.com/loopbot/loopbot/bot"
)

// Calendar says which days are working days. *calendar.Calendar implements it.
type Calendar interface{ IsWorkday(bot.Date) bool }

// Task is one task as the planner sees it. Cancelled tasks are left out by
// the caller; predecessors and parents not in the list are ignored.
type Task struct {
	ID     uint64
	Parent uint64   // the summary task it belongs to (0: none)
	After  []uint64 // finish-to-start predecessors
	// Start is the planned start: no earlier than (zero: none).
	Start bot.Date
	// Due is the current due date: the committed finish (zero: none).
	Due bot.Date
	// Estimate is the work in working days; 0 means the working days from
	// Start to Due when both are set, else 1. A fraction rounds up. A
	// milestone has 0. Duration gives the figure used.
	Estimate  float64
	Milestone bool
	// Done work is fixed at its actual finish, Finished (zero: Due, else
	// Today).
	Done     bool
	Finished bot.Date
	// Progress is 0-100, for the projected finish.
	Progress int
	// Title is only for messages.
	Title string
}

// Input is what Compute plans.
type Input struct {
	Tasks []Task
	// Start is the project start: the start of tasks with no predecessor and
	// no planned start. Zero: Today, else the earliest date in the input.
	Start bot.Date
	// Today is where projections start. Zero: Start.
	Today bot.Date
	// Deadline is the project deadline, for Plan.DeadlineSlack (zero: none).
	Deadline bot.Date
	// Cal is the working-day calendar; nil: Monday to Friday, no holidays.
	Cal Calendar
}

// Slot is the schedule of one task. Dates are working days; Duration and
// the slacks are counted in working days.
type Slot struct {
	ES, EF, LS, LF bot.Date
	// Finish is the committed finish, max(Due, EF) (a done task: its actual
	// finish); dependants start after it.
	Finish bot.Date
	// Projected is the projected finish from progress and pace (see the
	// package comment).
	Projected  bot.Date
	Duration   int
	TotalSlack int
	FreeSlack  int
	Critical   bool
	Milestone  bool
	Summary    bool // a WBS summary task, spanning its children
	Done       bool
	// Overrun: the work does not fit before the due date (EF is after Due).
	Overrun bool
	// Behind: the projected finish is after Finish.
	Behind bool
}

// Plan is the schedule of a project.
type Plan struct {
	Slots map[uint64]Slot
	// Critical lists the open critical tasks that carry work or are
	// milestones (not summary tasks), in dependency order: by ES, then
	// Finish, then predecessors first.
	Critical []uint64
	// Order lists every task in dependency order (a topological order; a
	// summary task at its start, before its children).
	Order []uint64
	// Finish is the project's finish (the latest Finish); Projected the
	// latest projected finish.
	Finish, Projected bot.Date
	// Deadline is Input.Deadline; DeadlineSlack the working days from Finish
	// to it: negative when the plan ends after the deadline, 0 without one.
	Deadline      bot.Date
	DeadlineSlack int
}

// Limits of a plan: a duration beyond maxDuration working days is taken as
// maxDuration, and a plan may span maxSpanDays calendar days.
const (
	maxDuration = 10000
	maxSpanDays = 100 * 366
)

// noSpan is the panic value when a plan runs past maxSpanDays.
type noSpan struct{}

// Compute plans in.Tasks. It returns a *CycleError when the dependencies or
// parents form a cycle, and an EINVALID error for a task id 0 or twice, a
// plan with no date at all to start from, or dates more than a century
// apart.
func Compute(in Input) (p *Plan, err error) {
	if in.Cal == nil {
		in.Cal = weekdays{}
	}
	g, err := build(in.Tasks, true)
	if err != nil {
		return nil, err
	}
	if len(in.Tasks) == 0 {
		return &Plan{Slots: map[uint64]Slot{}, Deadline: in.Deadline}, nil
	}
	if cyc := g.cycle(); cyc != nil {
		return nil, &CycleError{Path: cyc}
	}
	defer func() {
		switch r := recover(); r.(type) {
		case nil:
		case noWorkdays:
			p, err = nil, errNoWorkdays
		case noSpan:
			p, err = nil, bot.Bilingual(bot.EINVALID, "plan: the plan runs for more than a century", "计划跨度超过一百年")
		default:
			panic(r) // a defect: keep its value and stack
		}
	}()
	s, err := newSched(g, in)
	if err != nil {
		return nil, err
	}
	s.forward()
	s.backward()
	s.project()
	return s.result(), nil
}

// sched holds the passes over the nodes of a graph, as boundaries (see index).
type sched struct {
	g  *graph
	in Input
	x  *index
	// per node
	dur, floor, due, es, ef, fb, ls, lf, pfb []int32
	fixed                                    []bool
	// esEnd, fbEnd, pfbEnd: whether es, fb and pfb are the end of work (a
	// predecessor's finish, a due date) rather than a start (a planned or
	// project start, Today), for the date of a milestone there.
	esEnd, fbEnd, pfbEnd []bool
	// after holds, for the few milestones (and summary starts and ends)
	// that come right after work done on a day off, that day: they are
	// not reached before it.
	after        map[int32]bot.Date
	finished     []bot.Date // actual finish of a done task
	start, today int32      // boundaries of the project start and Today
	pf           int32      // the project finish boundary
}

func newSched(g *graph, in Input) (*sched, error) {
	if in.Start.IsZero() {
		in.Start = in.Today
	}
	lo, hi, ok := dateRange(in)
	if !ok {
		return nil, bot.Bilingual(bot.EINVALID, "plan: no date to start from: set the project start", "计划没有开始日期：请设置项目开始日期")
	}
	if lo.DaysUntil(hi) > maxSpanDays/2 {
		return nil, bot.Bilingual(bot.EINVALID, "plan: dates from "+lo.String()+" to "+hi.String()+" are more than 50 years apart",
			"计划日期从 "+lo.String()+" 到 "+hi.String()+"，相隔超过 50 年")
	}
	if in.Start.IsZero() {
		in.Start = lo
	}
	if in.Today.IsZero() {
		in.Today = in.Start
	}
	s := &sched{g: g, in: in, x: newIndex(in.Cal, lo.AddDays(-14))}
	n := g.nodes
	buf := make([]int32, 9*n)
	for i, p := range []*[]int32{&s.dur, &s.floor, &s.due, &s.es, &s.ef, &s.fb, &s.ls, &s.lf, &s.pfb} {
		*p = buf[i*n : (i+1)*n : (i+1)*n]
	}
	s.fixed = make([]bool, n)
	flags := make([]bool, 3*n)
	s.esEnd, s.fbEnd, s.pfbEnd = flags[:n:n], flags[n:2*n:2*n], flags[2*n:]
	s.finished = make([]bot.Date, n)
	s.start, s.today = s.x.startOf(in.Start), s.x.startOf(in.Today)
	for v := range n {
		s.setup(int32(v))
	}
	return s, nil
}

// dateRange returns the earliest and latest date of in, ok false when there
// is none.
func dateRange(in Input) (lo, hi bot.Date, ok bool) {
	see := func(d bot.Date) {
		if d.IsZero() {
			return
		}
		d = bot.NewDate(d.Year, d.Month, d.Day)
		if !ok || d.Before(lo) {
			lo = d
		}
		if !ok || d.After(hi) {
			hi = d
		}
		ok = true
	}
	see(in.Start)
	see(in.Today)
	see(in.Deadline)
	for i := range in.Tasks {
		t := &in.Tasks[i]
		see(t.Start)
		see(t.Due)
		see(t.Finished)
	}
	return lo, hi, ok
}

// setup fills a node's duration and constraints.
func (s *sched) setup(v int32) {
	g := s.g
	t := &g.tasks[g.taskOf[v]]
	s.floor[v], s.due[v], s.es[v] = -1, -1, -1
	switch g.kind[v] {
	case kindFinish: // a summary task's end: its Due only
		if !t.Due.IsZero() {
			s.due[v] = s.x.endOf(t.Due)
		}
		return
	case kindStart: // a summary task's start: its Start, After
	case kindTask:
		s.dur[v] = int32(Duration(*t, s.in.Cal))
		if !t.Due.IsZero() {
			s.due[v] = s.x.endOf(t.Due)
		}
		if t.Done {
			s.fixed[v] = true
			s.finished[v] = t.Finished
			if s.finished[v].IsZero() {
				s.finished[v] = cmp.Or(t.Due, s.in.Today)
			}
			s.fb[v] = s.x.endOf(s.finished[v])
		}
	}
	switch {
	case !t.Start.IsZero():
		s.floor[v] = s.x.startOf(t.Start)
	case g.indeg[v] == 0:
		s.floor[v] = s.start
	}
}

// forward is the forward pass: ES, EF and Finish of each node.
func (s *sched) forward() {
	g := s.g
	for _, v := range g.order {
		if s.fixed[v] {
			s.ef[v] = s.fb[v]
			s.es[v] = max(0, s.fb[v]-s.dur[v])
			s.fbEnd[v] = true
		} else {
			// On a tie a point is at its own start: "no earlier than S"
			// shows S, not the day before.
			if s.floor[v] >= s.es[v] {
				s.es[v], s.esEnd[v] = max(s.floor[v], 0), false
			}
			s.ef[v] = s.es[v] + s.dur[v]
			s.fb[v], s.fbEnd[v] = s.ef[v], s.dur[v] > 0 || s.esEnd[v]
			if s.due[v] > s.fb[v] {
				s.fb[v], s.fbEnd[v] = s.due[v], true
			}
		}
		if s.fb[v] > s.pf {
			s.pf = s.fb[v]
		}
		off := s.offDay(v)
		for _, w := range g.succ[g.off[v]:g.off[v+1]] {
			push(s.es, s.esEnd, w, s.fb[v], s.fbEnd[v])
			if !off.IsZero() && s.dur[w] == 0 && s.es[w] == s.fb[v] {
				if s.after == nil {
					s.after = map[int32]bot.Date{}
				}
				s.after[w] = maxDate(s.after[w], off)
			}
		}
	}
}

// backward is the backward pass from the project finish: LS and LF. Done
// dependants don't hold their predecessors back: their start is history.
func (s *sched) backward() {
	g := s.g
	for i := len(g.order) - 1; i >= 0; i-- {
		v := g.order[i]
		lf := s.pf
		for _, w := range g.succ[g.off[v]:g.off[v+1]] {
			if !s.fixed[w] {
				lf = min(lf, s.ls[w])
			}
		}
		s.lf[v], s.ls[v] = lf, lf-s.dur[v]
	}
}

// project is the projected pass (see the package comment).
func (s *sched) project() {
	g := s.g
	ps, end := s.pfb, s.pfbEnd
	for i := range ps {
		ps[i] = -1
	}
	for _, v := range g.order {
		switch {
		case s.fixed[v]:
			ps[v], end[v] = s.fb[v], true
		case g.kind[v] == kindFinish:
		default:
			if s.es[v] >= ps[v] {
				ps[v], end[v] = s.es[v], s.esEnd[v]
			}
			if g.kind[v] == kindTask && s.today >= ps[v] {
				ps[v], end[v] = s.today, false
			}
			if rem := s.remaining(v); rem > 0 {
				ps[v], end[v] = ps[v]+rem, true
			}
		}
		for _, w := range g.succ[g.off[v]:g.off[v+1]] {
			push(ps, end, w, ps[v], end[v])
		}
	}
}

// offDay returns the day off that node v ends on: a done task's Finished
// or a due date that is not a working day, or that of the work just before
// a point.
// Later working days need no note: a point whose boundary moves past it
// is after it anyway.
func (s *sched) offDay(v int32) bot.Date {
	if s.fixed[v] && !s.in.Cal.IsWorkday(s.finished[v]) {
		return s.finished[v]
	}
	if due := s.g.tasks[s.g.taskOf[v]].Due; !s.fixed[v] && s.due[v] == s.fb[v] && !s.in.Cal.IsWorkday(due) {
		return due // Finish is a due date on a day off
	}
	if s.dur[v] == 0 && s.fb[v] == s.es[v] && s.after != nil {
		return s.after[v]
	}
	return bot.Date{}
}

// push offers a dependant w the boundary b (end: the end of work) as its
// earliest start in at, ends: a later boundary wins, and on a tie the end
// of work.
func push(at []int32, ends []bool, w, b int32, end bool) {
	if b > at[w] {
		at[w], ends[w] = b, end
	} else if b == at[w] {
		ends[w] = ends[w] || end
	}
}

// remaining returns the working days of work left on an open task.
func (s *sched) remaining(v int32) int32 {
	if s.dur[v] == 0 {
		return 0
	}
	p := float64(min(max(s.g.tasks[s.g.taskOf[v]].Progress, 0), 100))
	rem := float64(s.dur[v]) * (100 - p) / 100
	if elapsed := s.x.endOf(s.in.Today) - s.es[v]; p > 0 && elapsed > 0 {
		rem = float64(elapsed) * (100 - p) / p
	}
	return int32(min(max(math.Ceil(rem), 1), maxDuration))
}

// result builds the Plan from the passes.
func (s *sched) result() *Plan {
	g := s.g
	p := &Plan{Slots: make(map[uint64]Slot, len(g.tasks)), Deadline: s.in.Deadline}
	slots := make([]Slot, len(g.tasks))
	var crit []int32
	p.Order = make([]uint64, 0, len(g.tasks))
	for pos, v := range g.order {
		i := g.taskOf[v]
		switch g.kind[v] {
		case kindStart:
			p.Order = append(p.Order, g.tasks[i].ID)
			continue
		case kindTask:
			p.Order = append(p.Order, g.tasks[i].ID)
			slots[i] = s.taskSlot(v)
			if slots[i].Critical {
				crit = append(crit, int32(pos))
			}
		case kindFinish:
			slots[i] = s.summarySlot(v, slots)
		}
		sl := slots[i]
		if sl.Finish.After(p.Finish) {
			p.Finish = sl.Finish
		}
		if sl.Projected.After(p.Projected) {
			p.Projected = sl.Projected
		}
		p.Slots[g.tasks[i].ID] = sl
	}
	slices.SortFunc(crit, func(a, b int32) int {
		va, vb := g.order[a], g.order[b]
		return cmp.Or(cmp.Compare(s.es[va], s.es[vb]), cmp.Compare(s.fb[va], s.fb[vb]), cmp.Compare(a, b))
	})
	p.Critical = make([]uint64, len(crit))
	for k, pos := range crit {
		p.Critical[k] = g.tasks[g.taskOf[g.order[pos]]].ID
	}
	if !p.Deadline.IsZero() && len(g.tasks) > 0 {
		p.DeadlineSlack = int(s.x.endOf(p.Deadline) - s.pf)
	}
	return p
}

// slack returns a node's total and free slack.
func (s *sched) slack(v int32) (total, free int) {
	if s.fixed[v] {
		return 0, 0
	}
	g := s.g
	next := s.pf
	for _, w := range g.succ[g.off[v]:g.off[v+1]] {
		if !s.fixed[w] {
			next = min(next, s.es[w])
		}
	}
	return int(s.lf[v] - s.fb[v]), int(max(next-s.fb[v], 0))
}

// taskSlot is the slot of a task that is not a summary.
func (s *sched) taskSlot(v int32) Slot {
	t := &s.g.tasks[s.g.taskOf[v]]
	x := s.x
	sl := Slot{Duration: int(s.dur[v]), Milestone: t.Milestone, Done: t.Done}
	if s.dur[v] == 0 {
		off := s.after[v]
		sl.ES = maxDate(x.pointDate(s.es[v], s.esEnd[v]), off)
		sl.EF = sl.ES
		sl.LS = maxDate(x.pointDate(s.lf[v], s.lf[v] != s.es[v] || s.esEnd[v]), off)
		sl.LF = sl.LS
		sl.Projected = maxDate(x.pointDate(s.pfb[v], s.pfbEnd[v]), off)
	} else {
		sl.ES, sl.EF = x.startDate(s.es[v]), x.endDate(s.ef[v])
		sl.LS, sl.LF = x.startDate(s.ls[v]), x.endDate(s.lf[v])
		sl.Projected = x.endDate(s.pfb[v])
	}
	sl.Finish = sl.EF
	if t.Due.After(sl.Finish) {
		sl.Finish = t.Due
	}
	if t.Done {
		sl.EF, sl.LF, sl.Finish, sl.Projected = s.finished[v], s.finished[v], s.finished[v], s.finished[v]
		sl.LS = sl.ES
	}
	sl.TotalSlack, sl.FreeSlack = s.slack(v)
	sl.Critical = !t.Done && sl.TotalSlack == 0
	sl.Overrun = !t.Due.IsZero() && sl.Finish.After(t.Due)
	sl.Behind = sl.Projected.After(sl.Finish)
	return sl
}

// summarySlot is the slot of a summary task, from its end node v and its
// children's slots.
func (s *sched) summarySlot(v int32, slots []Slot) Slot {
	g := s.g
	i := g.taskOf[v]
	t := &g.tasks[i]
	sl := Slot{Summary: true, Milestone: t.Milestone, Done: true}
	for k, c := range g.kids[g.kidOff[i]:g.kidOff[i+1]] {
		cs := slots[c]
		if k == 0 {
			sl.ES, sl.EF, sl.LS, sl.Finish, sl.Projected = cs.ES, cs.EF, cs.LS, cs.Finish, cs.Projected
		}
		sl.ES, sl.LS = minDate(sl.ES, cs.ES), minDate(sl.LS, cs.LS)
		sl.EF, sl.Finish, sl.Projected = maxDate(sl.EF, cs.EF), maxDate(sl.Finish, cs.Finish), maxDate(sl.Projected, cs.Projected)
		sl.Done = sl.Done && cs.Done
	}
	sl.Finish = maxDate(sl.Finish, t.Due)
	sl.LF = maxDate(s.x.endDate(s.lf[v]), sl.Finish)
	if sl.Done {
		sl.LF = sl.Finish
	}
	sl.Duration = int(s.x.endOf(sl.EF) - s.x.startOf(sl.ES))
	sl.TotalSlack, sl.FreeSlack = s.slack(v)
	sl.Critical = !sl.Done && sl.TotalSlack == 0
	sl.Overrun = !t.Due.IsZero() && sl.Finish.After(t.Due)
	sl.Behind = sl.Projected.After(sl.Finish)
	return sl
}

func minDate(a, b bot.Date) bot.Date {
	if b.Before(a) {
		return b
	}
	return a
}

func maxDate(a, b bot.Date) bot.Date {
	if b.After(a) {
		return b
	}
	return a
}

// Duration returns the working days that t takes (see Task.Estimate): 0 for
// a milestone; ⌈Estimate⌉ when it is positive; else the working days from
// Start to Due inclusive when both are set (at least 1); else 1. It is at
// most 10,000.
func Duration(t Task, cal Calendar) int {
	switch {
	case t.Milestone:
		return 0
	case t.Estimate > 0:
		return int(min(math.Ceil(t.Estimate), maxDuration))
	case !t.Start.IsZero() && !t.Due.IsZero() && !t.Due.Before(t.Start):
		if cal == nil {
			cal = weekdays{}
		}
		if t.Start.DaysUntil(t.Due) > 2*maxDuration {
			return maxDuration
		}
		n := workdaysBetween(cal, t.Start.AddDays(-1), t.Due)
		return min(max(n, 1), maxDuration)
	}
	return 1
}
