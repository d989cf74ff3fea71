package flows

import (
	"context"
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

// RunEscalations checks every rule of SPEC §4.3 against the tasks and
// people due (all of them after a start), opens and resolves escalations,
// and moves the open ones up the ladder, in short transactions.
func (s *Service) RunEscalations(ctx context.Context) error {
	now := s.cfg.Clock.Now()
	gen, full := s.due.fullCheck()
	st := &CheckStats{Full: full}
	peopleChanged, err := s.checkRules(ctx, now, full, st)
	if err != nil {
		return err
	}
	// The check of everything filed no escalation; a person's zone, leave
	// or manager moves when escalations waiting for them may climb.
	if err := s.climbAll(ctx, now, full || peopleChanged, st); err != nil {
		return err
	}
	s.lastCheck.Store(st)
	if full {
		s.due.built.Store(gen)
	}
	return nil
}

// CheckStats is what one escalation check (RunEscalations) looked at: the
// tasks and people whose rules it checked, the open escalations it looked
// at to climb, and the projects with escalations due a group warning;
// Full when it checked everything (after a start or a change to the
// rules).
type CheckStats struct {
	Tasks, People, Escalations, WarnProjects int
	Full                                     bool
}

// LastCheck returns what the latest escalation check that finished looked
// at; zero before the first.
func (s *Service) LastCheck() CheckStats {
	if st := s.lastCheck.Load(); st != nil {
		return *st
	}
	return CheckStats{}
}

// dueClearBatch is how many due index entries one transaction of the check
// of everything removes.
const dueClearBatch = 2000

// checkRules opens an escalation for every rule that fires and resolves
// those that no longer do: over everything when full, else over the
// subjects due; tasks by id, then people by id, as a check of everything
// takes them, so that escalations get the same ids. It reports whether a
// person changed.
func (s *Service) checkRules(ctx context.Context, now time.Time, full bool, st *CheckStats) (peopleChanged bool, err error) {
	var (
		ids      []uint64
		people   []bot.PersonID
		expanded []string // subjects whose tasks and people are looked at
	)
	if full {
		// Forget what was filed: everything is filed anew. (A crash
		// right after leaves an empty index, which the first check
		// after the restart fills again, as it checks everything.)
		// In short transactions, as the index holds a few entries for
		// each task and person; before the list of everything is read,
		// so that what changes meanwhile stays filed.
		for more := true; more; {
			err := s.update(ctx, func(tx bot.Tx) (err error) {
				_, more, err = tx.TakeDue(bot.DueNever, dueClearBatch)
				return err
			})
			if err != nil {
				return false, err
			}
		}
	}
	err = s.cfg.Store.View(ctx, func(tx bot.Tx) (err error) {
		ids, people, expanded, err = s.dueWork(tx, now, full)
		return err
	})
	if err != nil {
		return false, err
	}
	for _, subj := range expanded {
		peopleChanged = peopleChanged || strings.HasPrefix(subj, bot.DuePersonPrefix)
	}
	n := len(ids) + len(people)
	st.Tasks, st.People = len(ids), len(people)
	if n == 0 && len(expanded) == 0 && !full {
		return false, nil
	}
	// The group warning lines that change are queued, and drawn after
	// the check commits (FlushGroupRedraws), each card once for the whole
	// check and the events around it.
	rc := &runCache{}
	steps := txSteps{begin: rc.begin}
	err = s.batches(ctx, n, steps, func(tx bot.Tx, i int) error {
		if i < len(ids) {
			return s.checkTaskDue(tx, ids[i], now)
		}
		return s.checkPersonDue(tx, people[i-len(ids)], now)
	})
	if err != nil || len(expanded) == 0 {
		return peopleChanged, err
	}
	// The subjects that named others leave the index once those were
	// checked; a crash before leaves them due, to be expanded again.
	return peopleChanged, s.update(ctx, func(tx bot.Tx) error {
		for _, subj := range expanded {
			if err := tx.SetDue(subj, bot.DueNever); err != nil {
				return err
			}
		}
		return nil
	})
}

// dueWork returns the tasks and people to check: every open task and
// everyone when full, else those the due subjects name, with the subjects
// that named others (a person's tasks, a project's).
func (s *Service) dueWork(tx bot.Tx, now time.Time, full bool) ([]uint64, []bot.PersonID, []string, error) {
	taskIDs := map[uint64]bool{}
	people := map[bot.PersonID]bool{}
	var expanded []string
	addTasks := func(f bot.TaskFilter) error {
		f.OpenOnly = true
		tasks, err := tx.Tasks(f)
		for _, t := range tasks {
			taskIDs[t.ID] = true
		}
		return err
	}
	if full {
		if err := addTasks(bot.TaskFilter{}); err != nil {
			return nil, nil, nil, err
		}
		all, err := tx.People()
		if err != nil {
			return nil, nil, nil, err
		}
		for _, p := range all {
			people[p.ID] = true
		}
	} else {
		subjects, err := tx.DueSubjects(now)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, subj := range subjects {
			switch {
			case strings.HasPrefix(subj, bot.DueEscalationPrefix):
				// climbAll's.
			case strings.HasPrefix(subj, bot.DueTaskPrefix):
				if id, err := strconv.ParseUint(strings.TrimPrefix(subj, bot.DueTaskPrefix), 10, 64); err == nil {
					taskIDs[id] = true
				} else {
					expanded = append(expanded, subj)
				}
			case strings.HasPrefix(subj, bot.DueCheckinsPrefix):
				people[bot.PersonID(strings.TrimPrefix(subj, bot.DueCheckinsPrefix))] = true
			case strings.HasPrefix(subj, bot.DuePersonPrefix):
				expanded = append(expanded, subj)
				p := bot.PersonID(strings.TrimPrefix(subj, bot.DuePersonPrefix))
				people[p] = true
				if err := addTasks(bot.TaskFilter{Assignee: p}); err != nil {
					return nil, nil, nil, err
				}
			default:
				expanded = append(expanded, subj)
				if id, err := strconv.ParseUint(strings.TrimPrefix(subj, bot.DueProjectPrefix), 10, 64); err == nil {
					if err := addTasks(bot.TaskFilter{Project: id}); err != nil {
						return nil, nil, nil, err
					}
				}
			}
		}
	}
	ids := make([]uint64, 0, len(taskIDs))
	for id := range taskIDs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ps := make([]bot.PersonID, 0, len(people))
	for p := range people {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ids, ps, expanded, nil
}

// checkTaskDue checks an open task's rules and files it for the next
// moment one may change; a task that is gone or closed leaves the index
// (a check of everything reads open tasks only).
func (s *Service) checkTaskDue(tx bot.Tx, id uint64, now time.Time) error {
	subj := bot.DueTaskPrefix + strconv.FormatUint(id, 10)
	t, err := tx.Task(id)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return tx.SetDue(subj, bot.DueNever)
	} else if err != nil {
		return err
	}
	if !t.Status.Open() {
		return tx.SetDue(subj, bot.DueNever)
	}
	if err := s.checkTask(tx, t, now); err != nil {
		return err
	}
	// Its escalation climbs to the task's manager: the next climb looks
	// at it again, in case that changed.
	for _, rule := range taskRules {
		if e, err := tx.OpenEscalation(t.Code(), rule); err == nil {
			if err := tx.SetDue(bot.DueEscalation(e.ID), time.Time{}); err != nil {
				return err
			}
		} else if bot.ErrorCode(err) != bot.ENOTFOUND {
			return err
		}
	}
	return tx.SetDue(subj, s.nextTaskCheck(tx, t, now))
}

// checkPersonDue checks a person's missed check-ins (checkPerson); one who
// is gone leaves the index.
func (s *Service) checkPersonDue(tx bot.Tx, id bot.PersonID, now time.Time) error {
	p, err := tx.Person(id)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return tx.SetDue(bot.DueCheckinsPrefix+string(id), bot.DueNever)
	} else if err != nil {
		return err
	}
	return s.checkPerson(tx, p, now)
}

// climbAll moves the open escalations up the ladder in short transactions
// (Service.batches), and sends the day's group warnings last, a project's
// in one transaction (several share one while the budget allows). It
// looks at the escalations due in the index (bot.DueEscalationPrefix), or
// at every open one when all, and files each for the next moment it may
// climb (nextClimb).
func (s *Service) climbAll(ctx context.Context, now time.Time, all bool, st *CheckStats) error {
	var ids []uint64
	err := s.cfg.Store.View(ctx, func(tx bot.Tx) error {
		if all {
			open, err := tx.OpenEscalations()
			for _, e := range open {
				ids = append(ids, e.ID)
			}
			return err
		}
		subjects, err := tx.DueSubjects(now)
		for _, subj := range subjects {
			if rest, ok := strings.CutPrefix(subj, bot.DueEscalationPrefix); ok {
				if id, err := strconv.ParseUint(rest, 10, 64); err == nil {
					ids = append(ids, id)
				}
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	st.Escalations = len(ids)
	slices.Sort(ids)   // as the open list has them: group warnings list them so
	var order []uint64 // projects with escalations due a group warning
	groups := map[uint64][]uint64{}
	got := map[uint64][]bot.Escalation{}
	cache := new(runCache)
	begin := func(tx bot.Tx, continued bool) bot.Tx {
		clear(got)
		return cache.begin(tx, continued)
	}
	committed := func(int, int) { // got holds what the transaction collected, by id
		for pid, escs := range got {
			if _, ok := groups[pid]; !ok {
				order = append(order, pid)
			}
			for _, e := range escs {
				groups[pid] = append(groups[pid], e.ID)
			}
		}
	}
	err = s.batches(ctx, len(ids), txSteps{begin: begin, committed: committed}, func(tx bot.Tx, i int) error {
		e, err := tx.Escalation(ids[i])
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			return tx.SetDue(bot.DueEscalation(ids[i]), bot.DueNever)
		} else if err != nil {
			return err
		}
		if e.Open() && s.mayClimb(e, now) {
			if err := s.climb(tx, e, now, got); err != nil {
				return err
			}
			if e, err = tx.Escalation(e.ID); err != nil {
				return err
			}
		}
		return tx.SetDue(bot.DueEscalation(e.ID), s.nextClimb(tx, e, now))
	})
	if err != nil {
		return err
	}
	// Each project's group warning, by project id, is whole in one
	// transaction (cards, escalations, outbox): a crash between two leaves
	// the rest due, for the next check.
	today := bot.DateOf(now.In(s.cfg.Location))
	slices.Sort(order)
	st.WarnProjects = len(order)
	return s.batches(ctx, len(order), txSteps{begin: new(runCache).begin}, func(tx bot.Tx, i int) error {
		pid := order[i]
		// A task named in a group warning today, under any of its rules.
		warned := map[uint64]bool{}
		var due []bot.Escalation
		for _, id := range groups[pid] {
			e, err := tx.Escalation(id)
			if err != nil {
				return err
			}
			if !e.Open() {
				continue
			}
			due = append(due, e)
			if _, seen := warned[e.Task]; seen {
				continue
			}
			warned[e.Task] = false
			for _, rule := range taskRules {
				o, err := tx.OpenEscalation(bot.TaskCode(e.Task), rule)
				if err == nil && o.GroupWarnedOn == today {
					warned[e.Task] = true
				} else if err != nil && bot.ErrorCode(err) != bot.ENOTFOUND {
					return err
				}
			}
		}
		return s.sendGroupWarnings(tx, map[uint64][]bot.Escalation{pid: due}, warned, now)
	})
}

// mayClimb reports whether climb may do anything for an open escalation
// at now, from the escalation alone: not for one acknowledged, snoozed or
// of the due_soon rule once warned, nor for one at the manager or group
// level that had its group warning today, or outside working time. climb checks again in
// its transaction, so this only spares the runs the escalations that
// cannot move.
func (s *Service) mayClimb(e bot.Escalation, now time.Time) bool {
	switch {
	case e.WarnedAt.IsZero():
		return true
	case e.Rule == bot.RuleDueSoon || !e.AcknowledgedAt.IsZero() || now.Before(e.SnoozedUntil):
		return false
	case e.Level == bot.LevelGroup || e.Level == bot.LevelManager:
		// All climb does at these levels is collect a group warning.
		return e.Project != 0 && s.cfg.Calendar.IsWorkingTime(now, s.cfg.Location) && e.GroupWarnedOn != bot.DateOf(now.In(s.cfg.Location))
	}
	return true
}

// nextClimb returns the first moment after which climb may move an
// escalation as it stands, for the due index: bot.DueNever once it cannot
// climb again (resolved, acknowledged, a due_soon warning sent, a ladder
// without a group), now to look at it again at the next check. Early,
// never late: an escalation looked at too soon is filed again. A change to
// the escalation files it anew (the store does), and so do changes to its
// task (checkTaskDue) and to anyone (RunEscalations climbs all).
func (s *Service) nextClimb(tx bot.Tx, e bot.Escalation, now time.Time) time.Time {
	switch {
	case !e.Open():
		return bot.DueNever
	case e.WarnedAt.IsZero():
		return s.nextAvailable(s.readPerson(tx, e.Person), now)
	case e.Rule == bot.RuleDueSoon || !e.AcknowledgedAt.IsZero():
		return bot.DueNever
	case now.Before(e.SnoozedUntil):
		return e.SnoozedUntil
	}
	loc := s.loc(s.readPerson(tx, e.Person))
	switch e.Level {
	case bot.LevelAssignee:
		if e.Extension.IsZero() {
			if next, due := s.stepNext(tx, e, s.cfg.Schedule.ToManagerAfter, loc, now); !due {
				return next
			}
		}
		// Due to go to a manager who was not available.
		if m := s.escManagerID(tx, e); m != "" {
			return s.nextAvailable(s.readPerson(tx, m), now)
		}
		return now
	case bot.LevelManager:
		if e.Project == 0 {
			return bot.DueNever
		}
		if next, due := s.stepNext(tx, e, s.cfg.Schedule.ToGroupAfter, loc, now); !due {
			return next
		}
	case bot.LevelGroup:
		if e.Project == 0 {
			return bot.DueNever
		}
	default:
		return now
	}
	// A group warning a working day, on the deployment's clock.
	from := now
	if today := bot.DateOf(now.In(s.cfg.Location)); e.GroupWarnedOn == today {
		from = today.AddDays(1).In(s.cfg.Location)
	}
	return s.cfg.Calendar.NextWorkingTime(from, s.cfg.Location)
}

// nextAvailable returns now when p may get a warning now (available), and
// otherwise the start of their next working time that is not on leave.
func (s *Service) nextAvailable(p bot.Person, now time.Time) time.Time {
	if s.available(p, now) {
		return now
	}
	loc := s.loc(p)
	next := s.cfg.Calendar.NextWorkingTime(now, loc)
	// A year of leave at most: a person's leave is edited with their
	// record, which has everything looked at again.
	for range 366 {
		d := bot.DateOf(next.In(loc))
		if !p.OnLeave(d) {
			break
		}
		next = s.cfg.Calendar.NextWorkingTime(d.AddDays(1).In(loc), loc)
	}
	return next
}

// escManagerID returns the person an escalation goes to at the manager
// step, as escInfo finds them, or "" when it has none.
func (s *Service) escManagerID(tx bot.Tx, e bot.Escalation) bot.PersonID {
	if e.Task == 0 {
		return s.readPerson(tx, e.Person).Manager
	}
	t, err := tx.Task(e.Task)
	if err != nil {
		return ""
	}
	return s.managerOf(tx, t)
}

// checkPerson checks a person's missed check-ins and files them for the
// next cut-off of a prompt of theirs.
func (s *Service) checkPerson(tx bot.Tx, p bot.Person, now time.Time) error {
	// One read of the prompts for both: they are most of what a person's
	// check costs, once a day for everyone at the cut-off.
	prompts, err := s.latestPrompts(tx, p, now)
	if err != nil {
		return err
	}
	if err := s.checkMissed(tx, p, prompts, now); err != nil {
		return err
	}
	next := bot.DueNever
	for _, pr := range prompts {
		if pr.Cutoff.After(now) && pr.Cutoff.Before(next) {
			next = pr.Cutoff
		}
	}
	return tx.SetDue(bot.DueCheckinsPrefix+string(p.ID), next)
}

// latestPrompts returns what checkPerson looks at of a person's check-in
// prompts of the last 31 days (and tomorrow's), oldest first: the last
// missed_checkins (at least one) whose cut-off passed, when there are that
// many, and every later one. It reads them newest first, a few at a time,
// so that its cost does not grow with the days kept (issue 7).
func (s *Service) latestPrompts(tx bot.Tx, p bot.Person, now time.Time) ([]bot.Prompt, error) {
	today := bot.DateOf(now.In(s.loc(p)))
	need := max(s.cfg.Schedule.MissedCheckins, 1)
	for k := need + 2; ; k *= 2 {
		prompts, err := tx.LatestPrompts(p.ID, today.AddDays(-31), today.AddDays(1), k)
		if err != nil || len(prompts) < k {
			return prompts, err
		}
		passed := 0
		for _, pr := range prompts {
			if !now.Before(pr.Cutoff) {
				passed++
			}
		}
		if passed >= need {
			return prompts, nil
		}
	}
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
