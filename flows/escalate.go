package flows

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/cards"
)

// escCardPrefix indexes the cards that show an escalation, as meta keys
// esc_card/<escalation id>/<card id>, so that resolving it updates them all.
const escCardPrefix = "esc_card/"

func (s *Service) escalationJob() bot.Job {
	every := s.cfg.Schedule.CheckEvery
	return bot.Job{
		Name:  "escalation",
		Next:  func(after time.Time) time.Time { return after.Truncate(every).Add(every) },
		Grace: func(slot time.Time) time.Time { return slot.Add(every) },
		Run:   func(ctx context.Context, _ time.Time) error { return s.RunEscalations(ctx) },
		Sweep: true,
	}
}

// taskRules are the rules of a task, the worst first. A task has one open
// escalation at a time, for the first of them that fires: its warning
// lists every other rule that applies (escInfo), and a rule that a worse
// one overtakes is closed as superseded, its cards greyed with the rule
// that leads now. So an overdue task with no progress gets one warning and
// one ladder, not an overdue and a stale card climbing side by side; and
// SPEC §4.3's "at most one open escalation for each rule" holds a fortiori.
var taskRules = []string{bot.RuleOverdue, bot.RuleBlocked, bot.RuleUnaccepted, bot.RuleStale, bot.RuleDueSoon}

// leadRule returns the worst rule that fires for a task now, or "".
func (s *Service) leadRule(tx bot.Tx, t bot.Task, now time.Time) string {
	for _, rule := range taskRules {
		if s.fires(tx, t, rule, now) {
			return rule
		}
	}
	return ""
}

// alsoRules returns the rules other than rule that fire for a task now,
// the worst first.
func (s *Service) alsoRules(tx bot.Tx, t bot.Task, rule string, now time.Time) []string {
	var also []string
	for _, r := range taskRules {
		if r != rule && s.fires(tx, t, r, now) {
			also = append(also, r)
		}
	}
	return also
}

// checkTask opens the escalation of the task's lead rule, and closes the
// others: resolved when their rule no longer fires, superseded when a worse
// rule leads.
func (s *Service) checkTask(tx bot.Tx, t bot.Task, now time.Time) error {
	lead := s.leadRule(tx, t, now)
	for _, rule := range taskRules {
		e, err := tx.OpenEscalation(t.Code(), rule)
		switch {
		case err != nil && bot.ErrorCode(err) != bot.ENOTFOUND:
			return err
		case err == nil && rule != lead:
			if err := s.close(tx, e, "", now, lead); err != nil {
				return err
			}
		case err != nil && rule == lead:
			if err := s.open(tx, bot.Escalation{Rule: rule, Task: t.ID, Project: t.Project, Person: t.Assignee}, now); err != nil {
				return err
			}
		case err == nil && !e.WarnedAt.IsZero():
			// The lead's cards list every rule that applies: when that
			// set changes, they are drawn again.
			if also := s.alsoRules(tx, t, rule, now); !slices.Equal(also, e.Also) {
				e.Also = also
				if err := tx.PutEscalation(e); err != nil {
					return err
				}
				if err := s.redrawEscCards(tx, e, now); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// escCards returns the cards that show escalation e and are still kept
// (a card past bot.Retention.OpenCards is gone), the newest first. With
// newestGroup, of the group warnings that list e only the newest: an
// escalation listed again each day is in a group warning a day, and what
// changes while it stays open (the rules that apply) is drawn in the
// warning people read now, not in every older one (issue 7); its
// resolution is drawn in all of them.
//
// A group warning whose link says it is one is not read: it comes back
// as a stub (its id and kind only), for refreshEscCard and redrawEscCards
// to queue its line (queueGroupRedraw); flushGroupRedraws reads it, and
// skips it when it is gone. A group warning sent Schedule.GroupUpdatesFor
// or longer before now is left out: it keeps what it showed, and the
// newer warnings list what is still open (its link says when it was sent;
// one written before links did counts as recent).
func (s *Service) escCards(tx bot.Tx, e bot.Escalation, newestGroup bool, now time.Time) ([]bot.CardRecord, error) {
	links, err := tx.MetaPrefix(escCardPrefix + strconv.FormatUint(e.ID, 10) + "/")
	if err != nil {
		return nil, err
	}
	type link struct {
		card uint64
		kind string
	}
	ls := make([]link, 0, len(links))
	for key, v := range links {
		id, err := strconv.ParseUint(key[strings.LastIndexByte(key, '/')+1:], 10, 64)
		if err == nil {
			ls = append(ls, link{id, string(v)})
		}
	}
	slices.SortFunc(ls, func(a, b link) int { return cmp.Compare(b.card, a.card) })
	var out []bot.CardRecord
	group := false // the newest group warning was taken
	window := s.cfg.Schedule.GroupUpdatesFor
	for _, l := range ls {
		kind, sent := parseEscLink(l.kind)
		if kind == escLinkGroup && (newestGroup && group || window > 0 && !sent.IsZero() && !now.Before(sent.Add(window))) {
			continue // not even read: a group warning can have hundreds of lines
		}
		if kind == escLinkGroup {
			// Its line is drawn later (queueGroupRedraw), which
			// reads it then.
			group = true
			out = append(out, bot.CardRecord{ID: l.card, Card: bot.Card{Kind: bot.CardGroupWarning}})
			continue
		}
		rec, err := tx.Card(l.card)
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		if rec.Card.Kind == bot.CardGroupWarning {
			if newestGroup && group {
				continue
			}
			group = true
		}
		out = append(out, rec)
	}
	return out, nil
}

// The values of the esc_card links: what kind of card each is, so that
// the older group warnings need not be read to be told apart. A link
// written before they were has none.
const (
	escLinkDM    = "d" // a blue or yellow card in a direct chat
	escLinkGroup = "g" // a group warning, followed by when it was sent (groupLink)
)

// groupLink is the value of a group warning's esc_card link: "g" and the
// Unix seconds it was sent, such as "g1795600000".
func groupLink(sent time.Time) []byte {
	return strconv.AppendInt([]byte(escLinkGroup), sent.Unix(), 10)
}

// parseEscLink splits an esc_card link's value into its kind (escLinkDM,
// escLinkGroup or "") and, for a group warning, when it was sent (zero when
// the link does not say: a link written before they did).
func parseEscLink(v string) (kind string, sent time.Time) {
	if v == "" || v[0] != escLinkGroup[0] {
		return v, time.Time{}
	}
	if secs, err := strconv.ParseInt(v[1:], 10, 64); err == nil {
		sent = time.Unix(secs, 0)
	}
	return escLinkGroup, sent
}

// redrawEscCards draws the cards of an open escalation again, each for its
// reader: the blue one to the assignee, the yellow one to the manager, the
// newest group warning that lists it.
func (s *Service) redrawEscCards(tx bot.Tx, e bot.Escalation, now time.Time) error {
	recs, err := s.escCards(tx, e, true, now)
	if err != nil || len(recs) == 0 {
		return err
	}
	tx = cachedProjects(tx)
	var (
		info  cards.EscInfo // what every card of e shows, read once
		known bool
	)
	for _, rec := range recs {
		rd := s.readerOf(tx, rec)
		var c bot.Card
		switch rec.Card.Kind {
		case bot.CardGroupWarning:
			if err := queueGroupRedraw(tx, rec.ID, e.ID); err != nil {
				return err
			}
			continue
		case bot.CardEscalation:
			if rec.Card.Finished() {
				continue
			}
			if !known {
				var err error
				if info, err = s.escInfo(tx, e, now); err != nil {
					return err
				}
				known = true
			}
			in := info
			in.Loc = rd.loc
			switch {
			case rec.Card.Color != bot.ColorYellow:
				c = cards.EscalationBlue(rd.Lang, in)
			case e.AcknowledgedAt.IsZero():
				c = cards.EscalationYellow(rd.Lang, in)
			default:
				c = ackedCard(rd.Lang, cards.EscalationYellow(rd.Lang, in), s.person(tx, e.AcknowledgedBy), e.AcknowledgedAt.In(rd.loc))
			}
		default:
			continue
		}
		if _, err := s.updateCard(tx, rec, c); err != nil {
			return err
		}
	}
	return nil
}

// fires reports whether a rule holds for a task now.
func (s *Service) fires(tx bot.Tx, t bot.Task, rule string, now time.Time) bool {
	if !t.Status.Open() || s.projectClosed(tx, t.Project) {
		return false
	}
	sc, cal := s.cfg.Schedule, s.cfg.Calendar
	loc := s.loc(s.person(tx, t.Assignee))
	overdue := !t.Due.IsZero() && !now.Before(cal.DayEnd(t.Due, loc))
	switch rule {
	case bot.RuleOverdue:
		return overdue
	case bot.RuleDueSoon:
		return !overdue && !t.Due.IsZero() && t.Progress < sc.DueSoonBelow && !sc.DueSoonWithin.After(cal, now, loc).Before(cal.DayEnd(t.Due, loc)) &&
			!s.isSummaryTask(tx, t)
	case bot.RuleBlocked:
		return t.Status == bot.StatusBlocked && !now.Before(sc.BlockedAfter.After(cal, t.StatusAt, loc))
	case bot.RuleStale:
		since := t.ProgressAt
		if t.StatusAt.After(since) {
			since = t.StatusAt
		}
		return t.Status == bot.StatusAccepted && !now.Before(sc.StaleAfter.After(cal, since, loc)) && !s.isSummaryTask(tx, t)
	case bot.RuleUnaccepted:
		return t.Status == bot.StatusAssigned && !now.Before(sc.UnacceptedAfter.After(cal, t.StatusAt, loc))
	}
	return false
}

// checkMissed opens a missed_checkins escalation when a person with open
// tasks left the last N check-ins (whose cut-off passed) unanswered, and
// resolves it once they have no open task left.
//
// A run of missed check-ins is evidence once: after a missed_checkins
// escalation of the person is resolved, a new one needs a check-in sent
// after that resolution, and missed, to open (issue 6, item 1). Check-in
// cards only go to people with open tasks, so that check-in is new
// evidence by itself; without it, the old misses would reopen the warning
// every check_every while the person has no task.
//
// prompts are the person's latest check-in prompts, oldest first, as
// checkPerson read them (latestPrompts): the last N whose cut-off passed,
// when the last 31 days have that many, and every later one.
func (s *Service) checkMissed(tx bot.Tx, p bot.Person, prompts []bot.Prompt, now time.Time) error {
	n := s.cfg.Schedule.MissedCheckins
	if n <= 0 {
		return nil
	}
	// Whether they have open tasks at all: a person whose open tasks are
	// all summary tasks gets no check-in card, so misses no check-in.
	// Read last, as the other conditions are cheaper and most people
	// answer (at 10,000 people, reading everyone's tasks was a third of
	// the check after the morning's fan-out).
	hasOpen := func() (bool, error) {
		open, err := s.openTasks(tx, p.ID)
		return len(open) > 0, err
	}
	e, err := tx.OpenEscalation(string(p.ID), bot.RuleMissedCheckins)
	if err == nil {
		if has, err := hasOpen(); err != nil || has {
			return err
		}
		return s.resolve(tx, e, "", now)
	} else if bot.ErrorCode(err) != bot.ENOTFOUND {
		return err
	}
	// Those whose cut-off passed (a later day's has not).
	prompts = slices.DeleteFunc(slices.Clone(prompts), func(pr bot.Prompt) bool { return now.Before(pr.Cutoff) })
	if len(prompts) < n {
		return nil
	}
	for _, pr := range prompts[len(prompts)-n:] {
		if !pr.Answered.IsZero() || p.OnLeave(pr.Day) {
			return nil
		}
	}
	seen, err := s.missedSeen(tx, p.ID)
	if err != nil || !prompts[len(prompts)-1].SentAt.After(seen) {
		return err
	}
	if has, err := hasOpen(); err != nil || !has {
		return err
	}
	return s.open(tx, bot.Escalation{Rule: bot.RuleMissedCheckins, Person: p.ID}, now)
}

// missedSeenKey is the meta key that holds when a person's last
// missed_checkins escalation was resolved (RFC 3339): the check-ins sent
// before it were counted already.
func missedSeenKey(p bot.PersonID) string { return "missed_seen/" + string(p) }

// missedSeen returns when a person's last missed_checkins escalation was
// resolved, or the zero time.
func (s *Service) missedSeen(tx bot.Tx, p bot.PersonID) (time.Time, error) {
	raw, err := tx.Meta(missedSeenKey(p))
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, err
	}
	var t time.Time
	if err := t.UnmarshalText(raw); err != nil {
		return time.Time{}, fmt.Errorf("flows: %s holds %q: %w", missedSeenKey(p), raw, err)
	}
	return t, nil
}

// resolveMissedCheckins resolves a person's missed_checkins escalation
// once they answer.
func (s *Service) resolveMissedCheckins(tx bot.Tx, p bot.PersonID) error {
	e, err := tx.OpenEscalation(string(p), bot.RuleMissedCheckins)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	return s.resolve(tx, e, p, s.cfg.Clock.Now())
}

func (s *Service) open(tx bot.Tx, e bot.Escalation, now time.Time) error {
	id, err := tx.NextEscalationID()
	if err != nil {
		return err
	}
	e.ID, e.OpenedAt, e.Level = id, now, bot.LevelAssignee
	if err := tx.PutEscalation(e); err != nil {
		return err
	}
	return tx.AppendAudit(bot.AuditEvent{Time: now, Kind: "escalation_opened", Project: e.Project, Task: e.Task, Note: e.Code() + " " + e.Rule})
}

// resolve closes an escalation and turns its cards into "resolved".
func (s *Service) resolve(tx bot.Tx, e bot.Escalation, by bot.PersonID, now time.Time) error {
	return s.close(tx, e, by, now, "")
}

// close ends an escalation: resolved, or superseded when lead, a worse
// rule of its task, fires now (its cards then say so in grey).
func (s *Service) close(tx bot.Tx, e bot.Escalation, by bot.PersonID, now time.Time, lead string) error {
	if lead != "" && slices.Index(taskRules, lead) > slices.Index(taskRules, e.Rule) {
		lead = ""
	}
	e.ResolvedAt, e.ResolvedBy = now, by
	if err := tx.PutEscalation(e); err != nil {
		return err
	}
	if e.Rule == bot.RuleMissedCheckins {
		raw, _ := now.MarshalText()
		if err := tx.PutMeta(missedSeenKey(e.Person), raw); err != nil {
			return err
		}
	}
	if err := tx.AppendAudit(bot.AuditEvent{Time: now, Actor: by, Kind: "escalation_resolved", Project: e.Project, Task: e.Task, Note: e.Code() + " " + e.Rule}); err != nil {
		return err
	}
	return s.refreshEscCards(tx, e, now, lead)
}

// refreshEscCards updates every card that shows an escalation.
func (s *Service) refreshEscCards(tx bot.Tx, e bot.Escalation, now time.Time, lead string) error {
	recs, err := s.escCards(tx, e, false, now)
	if err != nil || len(recs) == 0 {
		return err
	}
	for _, rec := range recs {
		if err := s.refreshEscCard(tx, rec, e, now, lead); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) refreshEscCard(tx bot.Tx, rec bot.CardRecord, e bot.Escalation, now time.Time, lead string) error {
	if rec.Card.Kind == bot.CardGroupWarning {
		return queueGroupRedraw(tx, rec.ID, e.ID)
	}
	rd := s.readerOf(tx, rec)
	// An escalation resolves once, so each of its cards is finished here
	// once, even a card that never had buttons.
	state, color := rd.T("Resolved", "已解决")+" · "+rd.Stamp(now.In(rd.loc)), bot.ColorGreen
	switch {
	case lead != "":
		state, color = rd.Superseded(lead)+" · "+rd.Stamp(now.In(rd.loc)), bot.ColorGrey
	case e.ResolvedBy != "":
		state = rd.State(rd.T("Resolved", "已解决"), s.person(tx, e.ResolvedBy), now)
	}
	_, err := s.updateCard(tx, rec, cards.Finish(rec.Card, color, state))
	return err
}

// projectClosed reports whether a task's project is closed: its tasks are
// neither checked in nor escalated any more.
// isSummaryTask reports whether t has sub-tasks, for the rules that read a
// task's own progress: a summary task's progress rolls up from its
// sub-tasks, which those rules watch instead. A read error counts as no.
func (s *Service) isSummaryTask(tx bot.Tx, t bot.Task) bool {
	sum, err := isSummary(tx, t)
	if err != nil {
		s.logger.Warn("read the sub-tasks of a task", slog.String("task", t.Code()), slog.Any("error", err))
	}
	return sum
}

func (s *Service) projectClosed(tx bot.Tx, id uint64) bool {
	if id == 0 {
		return false
	}
	p, err := tx.Project(id)
	return err == nil && p.Closed
}

// available reports whether a person may get a warning now: a working day
// and working hours in their zone, and not on leave.
func (s *Service) available(p bot.Person, now time.Time) bool {
	loc := s.loc(p)
	return s.cfg.Calendar.IsWorkingTime(now, loc) && !p.OnLeave(bot.DateOf(now.In(loc)))
}

// climb sends the first warning, or moves an escalation up the ladder when
// its working-time clock has run, unless it is acknowledged or snoozed.
// Escalations due a group warning are collected by project.
func (s *Service) climb(tx bot.Tx, e bot.Escalation, now time.Time, groups map[uint64][]bot.Escalation) error {
	assignee := s.readPerson(tx, e.Person)
	if e.WarnedAt.IsZero() {
		if !s.available(assignee, now) {
			return nil
		}
		return s.warn(tx, e, now)
	}
	if e.Rule == bot.RuleDueSoon || !e.AcknowledgedAt.IsZero() || now.Before(e.SnoozedUntil) {
		return nil
	}
	loc := s.loc(assignee)
	switch {
	case e.Level == bot.LevelAssignee && (!e.Extension.IsZero() || s.stepDue(tx, e, s.cfg.Schedule.ToManagerAfter, loc, now)):
		// An extension request goes to the manager without waiting.
		return s.toManager(tx, e, now)
	case e.Level == bot.LevelManager && s.stepDue(tx, e, s.cfg.Schedule.ToGroupAfter, loc, now),
		e.Level == bot.LevelGroup:
		if e.Project != 0 && s.cfg.Calendar.IsWorkingTime(now, s.cfg.Location) && e.GroupWarnedOn != bot.DateOf(now.In(s.cfg.Location)) {
			groups[e.Project] = append(groups[e.Project], e)
		}
	}
	return nil
}

// stepDue reports whether a ladder step of the given span after the first
// warning is due at now, in working time; critical_path_factor times sooner
// for a task on its project's critical path. The plan is only looked at in
// between, when the step is due for a critical task but not for another.
func (s *Service) stepDue(tx bot.Tx, e bot.Escalation, span calendar.Span, loc *time.Location, now time.Time) bool {
	_, due := s.stepNext(tx, e, span, loc, now)
	return due
}

// criticalRecheck is how often an escalation whose ladder step is due for
// a critical task but not for another is looked at again: whether its task
// is critical changes with its project's other tasks and with the day.
const criticalRecheck = time.Hour

// stepNext reports whether a ladder step is due at now (stepDue), and when
// it is not, the moment to look again: when it falls due for a critical
// task, then when it does for any; in between, every criticalRecheck while
// the project has a critical path.
func (s *Service) stepNext(tx bot.Tx, e bot.Escalation, span calendar.Span, loc *time.Location, now time.Time) (time.Time, bool) {
	cal := s.cfg.Calendar
	due := span.After(cal, e.WarnedAt, loc)
	f := s.cfg.Schedule.CriticalPathFactor
	if !now.Before(due) || f <= 1 {
		return due, !now.Before(due)
	}
	full := cal.WorkingTime(e.WarnedAt, due, loc)
	fast := cal.AddWorkingTime(e.WarnedAt, time.Duration(float64(full)/f), loc)
	switch {
	case now.Before(fast):
		return fast, false
	case s.onCriticalPath(tx, e, now):
		return now, true
	case !s.hasCriticalPath(tx, e, now):
		// No task of the project waits for another: none is critical
		// until one does, and that change has the project's tasks, and
		// so their escalations, looked at again (the store files it).
		return due, false
	}
	if next := now.Add(criticalRecheck); next.Before(due) {
		return next, false
	}
	return due, false
}

// warn sends the blue card to the assignee.
func (s *Service) warn(tx bot.Tx, e bot.Escalation, now time.Time) error {
	in, err := s.escInfo(tx, e, now)
	if err != nil {
		return err
	}
	p := s.person(tx, e.Person)
	rec, err := s.sendDM(tx, p.ID, "esc/"+e.Code(), cards.EscalationBlue(s.lang(p), in))
	if err != nil {
		return err
	}
	e.WarnedAt, e.Also = now, in.Also
	if err := tx.PutEscalation(e); err != nil {
		return err
	}
	return tx.PutMeta(escCardKey(e, rec.ID), []byte(escLinkDM))
}

func escCardKey(e bot.Escalation, card uint64) string {
	return escCardPrefix + strconv.FormatUint(e.ID, 10) + "/" + strconv.FormatUint(card, 10)
}

// toManager sends the yellow card to the task's manager, when they are
// available; with no manager at all the ladder skips to the group.
func (s *Service) toManager(tx bot.Tx, e bot.Escalation, now time.Time) error {
	// Whether the manager is there first: after hours, every escalation
	// due to its manager comes here at each check, and what its card shows
	// takes reading its task, project and plan.
	if m := s.escManagerID(tx, e); m != "" && !s.available(s.readPerson(tx, m), now) {
		return nil
	}
	in, err := s.escInfo(tx, e, now)
	if err != nil {
		return err
	}
	if in.Manager.ID != "" {
		if !s.available(in.Manager, now) {
			return nil
		}
		in.Loc = s.loc(in.Manager)
		rec, err := s.sendDM(tx, in.Manager.ID, "esc/"+e.Code(), cards.EscalationYellow(s.lang(in.Manager), in))
		if err != nil {
			return err
		}
		if err := tx.PutMeta(escCardKey(e, rec.ID), []byte(escLinkDM)); err != nil {
			return err
		}
	}
	e.Level, e.EscalatedAt, e.Also = bot.LevelManager, now, in.Also
	return tx.PutEscalation(e)
}

// escInfo loads what an escalation card shows.
func (s *Service) escInfo(tx bot.Tx, e bot.Escalation, now time.Time) (cards.EscInfo, error) {
	in := cards.EscInfo{Esc: e}
	if e.Task == 0 {
		p := s.person(tx, e.Person)
		in.Task = cards.TaskInfo{Assignee: p}
		in.Manager = s.person(tx, p.Manager)
		if p.Manager == "" {
			in.Manager = bot.Person{}
		}
		return in, nil
	}
	t, err := tx.Task(e.Task)
	if err != nil {
		return in, err
	}
	if in.Task, err = s.taskInfo(tx, t); err != nil {
		return in, err
	}
	if e.Open() {
		in.Also = s.alsoRules(tx, t, e.Rule, now)
	}
	in.Loc = s.loc(in.Task.Assignee)
	if !t.Due.IsZero() {
		today := bot.DateOf(now.In(s.loc(in.Task.Assignee)))
		in.DaysLate = max(0, s.cfg.Calendar.WorkdaysBetween(t.Due, today))
	}
	if m := s.managerOf(tx, t); m != "" {
		in.Manager = s.person(tx, m)
	}
	if t.Project == 0 {
		return in, nil
	}
	pp, err := s.escalationPlan(tx, t.Project, bot.DateOf(now.In(s.cfg.Location)))
	if err != nil {
		return in, err
	}
	in.Downstream = pp.dependants(t.ID)
	if m, d, ok := pp.feeds(t.ID); ok {
		in.Feeds, in.FeedsOn = &m, d
	}
	if pp.plan != nil {
		in.Critical, in.Projected = pp.plan.Slots[t.ID].Critical, pp.plan.Projected
	}
	return in, nil
}

// managerOf returns the person escalations of a task go to (SPEC §1).
func (s *Service) managerOf(tx bot.Tx, t bot.Task) bot.PersonID {
	var p *bot.Project
	if t.Project != 0 {
		if proj, err := tx.Project(t.Project); err == nil {
			p = &proj
		}
	}
	if m := t.Manager(p); m != "" {
		return m
	}
	return s.person(tx, t.Assignee).Manager
}

// sendGroupWarnings sends each project's group one red card for all its
// tasks due a group warning. A task already named in a group warning today
// waits until tomorrow, whatever rule brings it back.
func (s *Service) sendGroupWarnings(tx bot.Tx, groups map[uint64][]bot.Escalation, warned map[uint64]bool, now time.Time) error {
	ids := make([]uint64, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, pid := range ids {
		escs := slices.DeleteFunc(groups[pid], func(e bot.Escalation) bool { return warned[e.Task] })
		if len(escs) == 0 {
			continue
		}
		if err := s.groupWarning(tx, pid, escs, now); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) groupWarning(tx bot.Tx, pid uint64, escs []bot.Escalation, now time.Time) error {
	p, err := tx.Project(pid)
	if err != nil {
		return err
	}
	codes := make([]string, len(escs))
	today := bot.DateOf(now.In(s.cfg.Location))
	for i := range escs {
		if escs[i].Level != bot.LevelGroup {
			escs[i].EscalatedAt = now
		}
		escs[i].Level, escs[i].GroupWarnedOn = bot.LevelGroup, today
		if err := tx.PutEscalation(escs[i]); err != nil {
			return err
		}
		codes[i] = strconv.FormatUint(escs[i].ID, 10)
	}
	list := strings.Join(codes, ",")
	c, err := s.groupCard(tx, list, s.cfg.Lang)
	if err != nil {
		return err
	}
	for _, g := range s.groupDests(tx, p, "") {
		rec, err := s.sendGroupCard(tx, p, g, "escgroup/"+p.Code(), c)
		if err != nil {
			return err
		}
		for _, e := range escs {
			if err := tx.PutMeta(escCardKey(e, rec.ID), groupLink(now)); err != nil {
				return err
			}
		}
	}
	return nil
}

// groupCardLines draws group warning rec again after escalations es, some
// of its lines, changed: those lines only, the others as the warning
// showed them, so that an answer resolving one task of a hundred redraws
// one line of each warning that named it, not the hundred (issue 7); the
// card's text is split and joined once for all of es. The whole card is
// drawn again when rec does not have the shape cards.GroupWarning gives
// (one line an escalation, in the order of its "escalations" ref) or does
// not list one of es.
//
// memo keeps what the next card can use again; the caller passes the same
// one for every card it draws in a transaction.
func (s *Service) groupCardLines(tx bot.Tx, rec bot.CardRecord, es []bot.Escalation, now time.Time, memo *groupMemo) (bot.Card, error) {
	list := rec.Card.Refs["escalations"]
	rd := s.readerOf(tx, rec)
	ids := strings.Split(list, ",")
	open := cards.GroupLinesOpen(rec.Card)
	if len(open) != len(ids) {
		return s.groupCard(tx, list, rd.Lang)
	}
	index := make(map[string]int, len(ids))
	for j, id := range ids {
		index[id] = j
	}
	tx = cachedProjects(tx)
	items := make(map[int]cards.GroupItem, len(es))
	var p *bot.Project
	for _, e := range es {
		i, ok := index[strconv.FormatUint(e.ID, 10)]
		if !ok {
			return s.groupCard(tx, list, rd.Lang)
		}
		in, ok := memo.ins[e.ID]
		if !ok {
			var err error
			if in, err = s.escInfo(tx, e, now); err != nil {
				return bot.Card{}, err
			}
			if memo.ins == nil {
				memo.ins = map[uint64]cards.EscInfo{}
			}
			memo.ins[e.ID] = in
		}
		in.Loc = s.cfg.Location
		if in.Task.Project == nil {
			return s.groupCard(tx, list, rd.Lang)
		}
		p = in.Task.Project
		open[i] = e.Open()
		items[i] = cards.GroupItem{Infos: []cards.EscInfo{in}, Resolved: !e.Open()}
	}
	if p == nil {
		return rec.Card, nil
	}
	projected, err := s.groupProjected(tx, p.ID, ids, open, now, memo)
	if err != nil {
		return bot.Card{}, err
	}
	deadline := ""
	if !p.Deadline.IsZero() {
		deadline = rd.Date(p.Deadline)
	}
	c, ok := cards.RedrawGroupLines(rd.Lang, rec.Card, *p, items, projected, deadline)
	if !ok {
		return s.groupCard(tx, list, rd.Lang)
	}
	return c, nil
}

// groupDrawCost is the least that FlushGroupRedraws reckons drawing a
// group warning of a few hundred lines again and writing it takes (read,
// redraw, JSON, DEFLATE), so that its transactions end sooner when many
// wait (txSteps.pending); it learns what cards really take
// (learnDrawCost): several milliseconds at 1,000 people in BenchmarkMonth.
const groupDrawCost = 2 * time.Millisecond

// groupLineCost is about how long drawing one changed line of a group
// warning takes besides its card (its escalation's task, people and rules:
// escInfo, once a transaction), for the same estimate: a card can have
// hundreds of lines changed at once, after a morning's answers or a check.
const groupLineCost = 30 * time.Microsecond

// flushGroupRedraws draws the group warning lines that tx collected
// (groupRedraws) again, each card once with all its changed lines, from
// the escalations as they are now; a card no longer kept is skipped, and
// so is a line whose escalation cannot be read (logged), so that one bad
// record does not hold up the others' redraws for ever.
func (s *Service) flushGroupRedraws(tx bot.Tx, now time.Time) error {
	c, ok := tx.(*projectCache)
	if !ok || c.redraws == nil || len(c.redraws.cards) == 0 {
		return nil
	}
	g := c.redraws
	c.redraws = &groupRedraws{}
	if c.memo == nil {
		c.memo = &groupMemo{escs: map[uint64]bot.Escalation{}}
	}
	memo, escs := c.memo, c.memo.escs
	for _, id := range g.cards {
		rec, err := tx.Card(id)
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			continue
		} else if err != nil {
			return err
		}
		if rec.Card.Kind != bot.CardGroupWarning {
			continue
		}
		var es []bot.Escalation
		for _, eid := range g.escs[id] {
			e, ok := escs[eid]
			if !ok {
				if e, err = tx.Escalation(eid); err != nil {
					s.logger.Warn("redraw a group warning line", slog.Uint64("card", id), slog.Uint64("escalation", eid), slog.Any("error", err))
					continue
				}
				escs[eid] = e
			}
			es = append(es, e)
		}
		if len(es) == 0 {
			continue
		}
		drawn, err := s.groupCardLines(tx, rec, es, now, memo)
		if err != nil {
			return err
		}
		if _, err := s.updateCard(tx, rec, drawn); err != nil {
			return err
		}
	}
	return nil
}

// groupMemo is what the redraws of the group warnings of a flush share
// (groupCardLines), while no other transaction commits.
type groupMemo struct {
	escs  map[uint64]bot.Escalation // by id, as last read
	ins   map[uint64]cards.EscInfo  // by escalation id
	tasks map[uint64]uint64         // escalation id → task id
}

// groupProjected returns the projected finish a group warning's footer
// shows: the project's, while one of its open lines (ids, open) holds up
// other work (as cards.GroupWarning); zero otherwise or when the project
// is not planned.
func (s *Service) groupProjected(tx bot.Tx, pid uint64, ids []string, open []bool, now time.Time, memo *groupMemo) (bot.Date, error) {
	pp, err := s.escalationPlan(tx, pid, bot.DateOf(now.In(s.cfg.Location)))
	if err != nil || pp.plan == nil {
		return bot.Date{}, err
	}
	for j, code := range ids {
		if !open[j] {
			continue
		}
		id, err := strconv.ParseUint(code, 10, 64)
		if err != nil {
			return bot.Date{}, fmt.Errorf("flows: group card lists %q", code)
		}
		task, ok := memo.tasks[id]
		if !ok {
			e, err := tx.Escalation(id)
			if err != nil {
				return bot.Date{}, err
			}
			if memo.tasks == nil {
				memo.tasks = map[uint64]uint64{}
			}
			task, memo.tasks[id] = e.Task, e.Task
		}
		if pp.holdsUp(task) {
			return pp.plan.Projected, nil
		}
	}
	return bot.Date{}, nil
}

// groupCard renders a group warning from its escalation ids ("1,2,3"),
// one line a task: its open rules, or all of them once resolved.
func (s *Service) groupCard(tx bot.Tx, list string, l cards.Lang) (bot.Card, error) {
	// Its lines are of one project: its plan is made once, not once a
	// line.
	tx = cachedProjects(tx)
	type rules struct{ open, all []cards.EscInfo }
	var order []uint64
	byTask := map[uint64]*rules{}
	var p bot.Project
	now := s.cfg.Clock.Now()
	for _, code := range strings.Split(list, ",") {
		id, err := strconv.ParseUint(code, 10, 64)
		if err != nil {
			return bot.Card{}, fmt.Errorf("flows: group card lists %q", list)
		}
		e, err := tx.Escalation(id)
		if err != nil {
			return bot.Card{}, err
		}
		in, err := s.escInfo(tx, e, now)
		if err != nil {
			return bot.Card{}, err
		}
		in.Loc = s.cfg.Location
		if in.Task.Project != nil {
			p = *in.Task.Project
		}
		r, ok := byTask[e.Task]
		if !ok {
			r = &rules{}
			byTask[e.Task] = r
			order = append(order, e.Task)
		}
		r.all = append(r.all, in)
		if e.Open() {
			r.open = append(r.open, in)
		}
	}
	items := make([]cards.GroupItem, len(order))
	for i, task := range order {
		r := byTask[task]
		items[i] = cards.GroupItem{Infos: r.open, Resolved: len(r.open) == 0}
		if items[i].Resolved {
			items[i].Infos = r.all
		}
	}
	deadline := ""
	if !p.Deadline.IsZero() {
		deadline = l.Date(p.Deadline)
	}
	c := cards.GroupWarning(l, p, items, deadline)
	c.Refs["escalations"] = list
	return c, nil
}
