package flows

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// The escalation check looks only at what changed since the last check and
// at what a rule may fire for by now (bot.DueTx), so that its work follows
// what happens, not what exists. The first check after a start looks at
// everything once and files every task and person for the moment one of
// their rules may next change (a new config, a calendar edited while the
// service was down); so does the first after an admin edits the calendar.
// Filing is early, never late: a subject looked at too soon is filed again,
// so the checks open and resolve the same warnings at the same slots as a
// check of everything would.

// dueIndex tells whether the due index is complete: built is the
// generation that the last check of everything filed, and gen goes up when
// the calendar changes.
type dueIndex struct {
	gen, built atomic.Int64
}

// fullCheck returns the current generation, and whether the next check must
// look at everything.
func (d *dueIndex) fullCheck() (int64, bool) {
	gen := d.gen.Load()
	return gen, d.built.Load() != gen
}

// invalidate makes the next check look at everything.
func (d *dueIndex) invalidate() { d.gen.Add(1) }

// checkRules opens an escalation for every rule that fires and resolves
// those that no longer do: over everything when full, else over the
// subjects due.
func (s *Service) checkRules(tx bot.Tx, now time.Time, full bool) error {
	if full {
		return s.checkAll(tx, now)
	}
	subjects, _, err := tx.TakeDue(now, math.MaxInt)
	if err != nil {
		return err
	}
	taskIDs := map[uint64]bool{}
	people := map[bot.PersonID]bool{}
	addTasks := func(f bot.TaskFilter) error {
		f.OpenOnly = true
		tasks, err := tx.Tasks(f)
		for _, t := range tasks {
			taskIDs[t.ID] = true
		}
		return err
	}
	for _, subj := range subjects {
		switch {
		case strings.HasPrefix(subj, bot.DueTaskPrefix):
			if id, err := strconv.ParseUint(strings.TrimPrefix(subj, bot.DueTaskPrefix), 10, 64); err == nil {
				taskIDs[id] = true
			}
		case strings.HasPrefix(subj, bot.DueCheckinsPrefix):
			people[bot.PersonID(strings.TrimPrefix(subj, bot.DueCheckinsPrefix))] = true
		case strings.HasPrefix(subj, bot.DuePersonPrefix):
			p := bot.PersonID(strings.TrimPrefix(subj, bot.DuePersonPrefix))
			people[p] = true
			if err := addTasks(bot.TaskFilter{Assignee: p}); err != nil {
				return err
			}
		case strings.HasPrefix(subj, bot.DueProjectPrefix):
			if id, err := strconv.ParseUint(strings.TrimPrefix(subj, bot.DueProjectPrefix), 10, 64); err == nil {
				if err := addTasks(bot.TaskFilter{Project: id}); err != nil {
					return err
				}
			}
		}
	}
	// Whether a person with an open missed_checkins warning still has work
	// changes with the day: they are looked at every time.
	open, err := tx.OpenEscalations()
	if err != nil {
		return err
	}
	for _, e := range open {
		if e.Rule == bot.RuleMissedCheckins {
			people[e.Person] = true
		}
	}
	// In the order a check of everything takes: tasks by id, then people by
	// id, so that escalations get the same ids.
	ids := make([]uint64, 0, len(taskIDs))
	for id := range taskIDs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		t, err := tx.Task(id)
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			continue
		} else if err != nil {
			return err
		}
		if !t.Status.Open() {
			continue // as a check of everything, which reads open tasks only
		}
		if err := s.checkTask(tx, t, now); err != nil {
			return err
		}
		if err := tx.SetDue(bot.DueTaskPrefix+strconv.FormatUint(t.ID, 10), s.nextTaskCheck(tx, t, now)); err != nil {
			return err
		}
	}
	ps := make([]bot.PersonID, 0, len(people))
	for p := range people {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	for _, id := range ps {
		p, err := tx.Person(id)
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			continue
		} else if err != nil {
			return err
		}
		if err := s.checkPerson(tx, p, now); err != nil {
			return err
		}
	}
	return nil
}

// checkAll is the check of everything: every open task and every person,
// each filed again for its next moment.
func (s *Service) checkAll(tx bot.Tx, now time.Time) error {
	// Forget what was filed: everything is filed anew below.
	if _, _, err := tx.TakeDue(bot.DueNever, math.MaxInt); err != nil {
		return err
	}
	tasks, err := tx.Tasks(bot.TaskFilter{OpenOnly: true})
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if err := s.checkTask(tx, t, now); err != nil {
			return err
		}
		if err := tx.SetDue(bot.DueTaskPrefix+strconv.FormatUint(t.ID, 10), s.nextTaskCheck(tx, t, now)); err != nil {
			return err
		}
	}
	people, err := tx.People()
	if err != nil {
		return err
	}
	for _, p := range people {
		if err := s.checkPerson(tx, p, now); err != nil {
			return err
		}
	}
	return nil
}

// checkPerson checks a person's missed check-ins and files them for the
// next cut-off of a prompt of theirs.
func (s *Service) checkPerson(tx bot.Tx, p bot.Person, now time.Time) error {
	if err := s.checkMissed(tx, p, now); err != nil {
		return err
	}
	next := bot.DueNever
	today := bot.DateOf(now.In(s.loc(p)))
	prompts, err := tx.PersonPrompts(p.ID, today.AddDays(-31), today.AddDays(1))
	if err != nil {
		return err
	}
	for _, pr := range prompts {
		if pr.Cutoff.After(now) && pr.Cutoff.Before(next) {
			next = pr.Cutoff
		}
	}
	return tx.SetDue(bot.DueCheckinsPrefix+string(p.ID), next)
}

// nextTaskCheck returns the first moment after now at which one of the task
// rules may change for t as it stands (fires), or bot.DueNever.
func (s *Service) nextTaskCheck(tx bot.Tx, t bot.Task, now time.Time) time.Time {
	if !t.Status.Open() || s.projectClosed(tx, t.Project) {
		return bot.DueNever
	}
	sc, cal := s.cfg.Schedule, s.cfg.Calendar
	loc := s.loc(s.person(tx, t.Assignee))
	next := bot.DueNever
	consider := func(at time.Time) {
		if at.After(now) && at.Before(next) {
			next = at
		}
	}
	if !t.Due.IsZero() {
		end := cal.DayEnd(t.Due, loc)
		consider(end) // overdue starts, due_soon ends
		if t.Progress < sc.DueSoonBelow && now.Before(end) {
			// due_soon starts at the first second T with
			// DueSoonWithin.After(T) >= end; After never goes back as T
			// grows, so a search finds it.
			soon := func(at time.Time) bool { return !sc.DueSoonWithin.After(cal, at, loc).Before(end) }
			if lo, hi := now.Unix(), end.Unix(); !soon(now) && soon(time.Unix(hi, 0)) {
				// soon(lo) is false, soon(hi) true.
				for hi-lo > 1 {
					mid := lo + (hi-lo)/2
					if soon(time.Unix(mid, 0)) {
						hi = mid
					} else {
						lo = mid
					}
				}
				consider(time.Unix(hi, 0))
			}
		}
	}
	switch t.Status {
	case bot.StatusBlocked:
		consider(sc.BlockedAfter.After(cal, t.StatusAt, loc))
	case bot.StatusAccepted:
		since := t.ProgressAt
		if t.StatusAt.After(since) {
			since = t.StatusAt
		}
		consider(sc.StaleAfter.After(cal, since, loc))
	case bot.StatusAssigned:
		consider(sc.UnacceptedAfter.After(cal, t.StatusAt, loc))
	}
	return next
}
