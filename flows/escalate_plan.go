package flows

import (
	"cmp"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/plan"
)

// escPlan is a project's schedule as the escalation ladder and its cards
// use it.
type escPlan struct {
	// plan is nil while no task of the project waits for another: without
	// dependencies the "critical path" is only the task due last, which is
	// no reason to escalate it sooner.
	plan  *plan.Plan
	tasks map[uint64]bot.Task
	// waiting[x] are the tasks whose After lists x.
	waiting map[uint64][]uint64
	kids    map[uint64][]uint64
}

// escPlanTasks turns a project's tasks into the planner's: all but the
// cancelled ones; done and verified work is fixed at the day it was marked
// done, in loc.
func escPlanTasks(tasks []bot.Task, loc *time.Location) []plan.Task {
	out := make([]plan.Task, 0, len(tasks))
	for _, t := range tasks {
		if t.Status == bot.StatusCancelled {
			continue
		}
		pt := plan.Task{ID: t.ID, Parent: t.Parent, After: t.DependsOn, Start: t.PlannedStart, Due: t.Due,
			Estimate: t.EstimateDays, Milestone: t.Milestone, Progress: t.Progress, Title: t.Title}
		if t.Status == bot.StatusDone || t.Status == bot.StatusVerified {
			pt.Done = true
			if !t.DoneAt.IsZero() {
				pt.Finished = bot.DateOf(t.DoneAt.In(loc))
			}
		}
		out = append(out, pt)
	}
	return out
}

// planCache keeps the projects' plans (escalationPlan) across
// transactions: each with the project's revision (bot.ProjectRevision) and
// the day it was made for, so that a plan is used again only while neither
// the project nor any of its tasks was written since, whoever wrote them.
// The escalation check looks at escalations of every project in each of
// its short transactions, and loading a project's tasks for each was a
// quarter of its time at 1,000 people (issue 7). A plan is read only once
// made, so goroutines share it.
type planCache struct {
	mu sync.Mutex
	m  map[uint64]cachedPlan
	// unlinked are the projects none of whose tasks waits for another, by
	// the links revision (bot.ProjectRevision.LinksRevision) they had: their
	// plan is empty whatever their tasks' progress, so it is not worked out
	// again from their tasks each time one of those is written.
	unlinked map[uint64]string
}

// planKey is what a plan was made from besides the tasks' records: the
// project's revision, the day, and the calendar's version (an admin can
// add a holiday).
type planKey struct {
	rev      string
	today    bot.Date
	calendar uint64
}

type cachedPlan struct {
	key planKey
	pp  *escPlan
}

// maxCachedPlans bounds planCache: past it, it starts afresh.
const maxCachedPlans = 4096

func (c *planCache) get(pid uint64, key planKey) (*escPlan, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[pid]
	if !ok || e.key != key {
		return nil, false
	}
	return e.pp, true
}

func (c *planCache) put(pid uint64, key planKey, pp *escPlan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedPlans {
		c.m = map[uint64]cachedPlan{}
	}
	c.m[pid] = cachedPlan{key, pp}
}

// isUnlinked reports whether project pid was found to have no task that
// waits for another at links revision links.
func (c *planCache) isUnlinked(pid uint64, links string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.unlinked[pid]
	return ok && l == links
}

// keepUnlinked notes that project pid has no task that waits for another
// at links revision links.
func (c *planCache) keepUnlinked(pid uint64, links string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.unlinked == nil || len(c.unlinked) >= maxCachedPlans {
		c.unlinked = map[uint64]string{}
	}
	c.unlinked[pid] = links
}

// noLinks is the plan of a project none of whose tasks waits for another:
// no critical path, no task held up, no milestone fed.
var noLinks = &escPlan{}

// projectRevisions returns tx's bot.ProjectRevision (through a
// projectCache), and false when tx cannot tell revisions.
func projectRevisions(tx bot.Tx) (bot.ProjectRevision, bool) {
	if c, ok := tx.(*projectCache); ok {
		tx = c.Tx
	}
	r, ok := tx.(bot.ProjectRevision)
	return r, ok
}

// escalationPlan plans a project as of today (in the default zone), once
// for as long as neither the project nor its tasks change (planCache; the
// run's projectCache keeps it for the transaction), and a project none of
// whose tasks waits for another once for as long as that stands. A project
// whose tasks form a cycle (refused when made, so only from old data) has
// no plan.
func (s *Service) escalationPlan(tx bot.Tx, pid uint64, today bot.Date) (*escPlan, error) {
	cache, _ := tx.(*projectCache)
	if pp, ok := cache.plan(pid); ok {
		return pp, nil
	}
	revs, known := projectRevisions(tx)
	var (
		rev, links string
		linksKnown bool
	)
	if known {
		var err error
		rev, err = revs.ProjectRevision(pid)
		known = err == nil
	}
	// The calendar's version is read before the plan is made: a holiday
	// added meanwhile leaves the plan under the older version.
	key := planKey{rev: rev, today: today, calendar: s.cfg.Calendar.Version()}
	if known {
		if pp, ok := s.plans.get(pid, key); ok {
			cache.keepPlan(pid, pp)
			return pp, nil
		}
		// The links revision only when the plan must be made otherwise.
		var err error
		links, err = revs.LinksRevision(pid)
		linksKnown = err == nil
		if linksKnown && s.plans.isUnlinked(pid, links) {
			cache.keepPlan(pid, noLinks)
			return noLinks, nil
		}
	}
	pp, err := s.makePlan(tx, pid, today)
	if err != nil {
		return nil, err
	}
	if known {
		s.plans.put(pid, key, pp)
		if linksKnown && len(pp.waiting) == 0 {
			s.plans.keepUnlinked(pid, links)
		}
	}
	cache.keepPlan(pid, pp)
	return pp, nil
}

// makePlan plans project pid as of today, from its tasks as tx sees them.
func (s *Service) makePlan(tx bot.Tx, pid uint64, today bot.Date) (*escPlan, error) {
	p, err := tx.Project(pid)
	if err != nil {
		return nil, err
	}
	tasks, err := tx.Tasks(bot.TaskFilter{Project: pid})
	if err != nil {
		return nil, err
	}
	pp := &escPlan{tasks: make(map[uint64]bot.Task, len(tasks)), waiting: map[uint64][]uint64{}, kids: map[uint64][]uint64{}}
	var first bot.Date // the day the first task was made: the start of a project without one
	for _, t := range tasks {
		if t.Status == bot.StatusCancelled {
			continue
		}
		pp.tasks[t.ID] = t
		if d := bot.DateOf(t.CreatedAt.In(s.cfg.Location)); first.IsZero() || d.Before(first) {
			first = d
		}
	}
	linked := false
	for _, t := range pp.tasks {
		for _, a := range t.DependsOn {
			if _, ok := pp.tasks[a]; ok && a != t.ID {
				pp.waiting[a] = append(pp.waiting[a], t.ID)
				linked = true
			}
		}
		if _, ok := pp.tasks[t.Parent]; ok {
			pp.kids[t.Parent] = append(pp.kids[t.Parent], t.ID)
		}
	}
	if linked {
		in := plan.Input{Tasks: escPlanTasks(tasks, s.cfg.Location), Start: cmp.Or(p.Start, first), Today: today,
			Deadline: p.Deadline, Cal: s.cfg.Calendar}
		if pp.plan, err = plan.Compute(in); err != nil {
			s.logger.Warn("project not planned", "project", p.Code(), slog.Any("error", err))
			pp.plan = nil
		}
	}
	return pp, nil
}

// onCriticalPath reports whether a task is on its project's critical path
// (see escPlan.plan for a project without dependencies).
func (s *Service) onCriticalPath(tx bot.Tx, e bot.Escalation, now time.Time) bool {
	if e.Task == 0 || e.Project == 0 {
		return false
	}
	pp, err := s.escalationPlan(tx, e.Project, bot.DateOf(now.In(s.cfg.Location)))
	if err != nil || pp.plan == nil {
		return false
	}
	return pp.plan.Slots[e.Task].Critical
}

// hasCriticalPath reports whether the project of an escalation's task has
// a critical path: tasks that wait for others.
func (s *Service) hasCriticalPath(tx bot.Tx, e bot.Escalation, now time.Time) bool {
	if e.Task == 0 || e.Project == 0 {
		return false
	}
	pp, err := s.escalationPlan(tx, e.Project, bot.DateOf(now.In(s.cfg.Location)))
	return err == nil && pp.plan != nil
}

// critical reports whether task id is on the critical path of a project
// with dependencies.
func (pp *escPlan) critical(id uint64) bool { return pp.plan != nil && pp.plan.Slots[id].Critical }

// holdsUp reports whether other open work waits for task id: a task after
// it, or a milestone it feeds (what a warning's "holds up" shows).
func (pp *escPlan) holdsUp(id uint64) bool {
	if len(pp.dependants(id)) > 0 {
		return true
	}
	_, _, feeds := pp.feeds(id)
	return feeds
}

// dependants returns the open tasks that wait for task id: those that come
// after it or after a summary task it is part of, in id order.
func (pp *escPlan) dependants(id uint64) []bot.Task {
	var out []bot.Task
	seen := map[uint64]bool{}
	for a, n := id, 0; n <= len(pp.tasks); n++ { // n bounds a parent cycle
		for _, w := range pp.waiting[a] {
			if t := pp.tasks[w]; !seen[w] && t.Status.Open() {
				seen[w] = true
				out = append(out, t)
			}
		}
		p, ok := pp.tasks[pp.tasks[a].Parent]
		if !ok {
			break
		}
		a = p.ID
	}
	slices.SortFunc(out, func(a, b bot.Task) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// feeds returns the open milestone nearest ahead of task id that waits for
// it, directly or down the network (through dependants, and into the
// children of a summary task that waits), and its planned date; ok false
// when there is none.
func (pp *escPlan) feeds(id uint64) (m bot.Task, date bot.Date, ok bool) {
	if pp.plan == nil {
		return m, date, false
	}
	seen := map[uint64]bool{id: true}
	queue := []uint64{id}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		next := pp.dependants(x)
		for _, k := range pp.kids[x] {
			if x != id { // a summary that waits: its children wait too
				next = append(next, pp.tasks[k])
			}
		}
		for _, t := range next {
			if seen[t.ID] {
				continue
			}
			seen[t.ID] = true
			queue = append(queue, t.ID)
			if !t.Milestone || !t.Status.Open() {
				continue
			}
			d := pp.plan.Slots[t.ID].Finish
			if !ok || d.Before(date) || d == date && t.ID < m.ID {
				m, date, ok = t, d, true
			}
		}
	}
	return m, date, ok
}
