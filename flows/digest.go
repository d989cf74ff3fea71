package flows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/cards"
)

// parseRange reads <date> or <date>..<date> in the caller's zone.
func parseRange(r *req, s *Service, arg string) (bot.Date, bot.Date, error) {
	return calendar.ParseDateRange(arg, r.now, s.cfg.Calendar)
}

func (s *Service) reminderJob() bot.Job {
	return bot.Job{
		Name: "checkin_reminder",
		Next: func(after time.Time) time.Time {
			return s.nextOf(after, func(zm zoneMinute) time.Time { return s.nextReminder(after, zm) })
		},
		Grace: func(slot time.Time) time.Time { return slot.Add(12 * time.Hour) },
		Run:   func(ctx context.Context, _ time.Time) error { return s.RunReminders(ctx) },
	}
}

// nextReminder returns the first reminder time after `after` for people
// who check in at zm.
func (s *Service) nextReminder(after time.Time, zm zoneMinute) time.Time {
	// The reminder of a check-in that starts before `after` may still be
	// ahead, so look from a day earlier.
	from := after.Add(-24 * time.Hour)
	for range 400 {
		at := s.nextAt(from, zm.loc, zm.minute)
		if at.IsZero() {
			return at
		}
		if t := s.cfg.Schedule.RemindAfter.After(s.cfg.Calendar, at, zm.loc); t.After(after) {
			return t
		}
		from = at
	}
	return time.Time{}
}

// RunReminders sends the one reminder of the day to everyone who was asked
// to check in, has not answered, and whose reminder time has come before
// the cut-off. It is idempotent, and commits in short transactions
// (Service.batches), so that it never holds the writer for long.
func (s *Service) RunReminders(ctx context.Context) error {
	now := s.cfg.Clock.Now()
	var ids []bot.PersonID
	err := s.cfg.Store.View(ctx, func(tx bot.Tx) error {
		people, err := tx.People()
		for _, p := range people {
			ids = append(ids, p.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.batches(ctx, len(ids), txSteps{}, func(tx bot.Tx, i int) error {
		p, err := tx.Person(ids[i])
		if err != nil {
			return err
		}
		return s.remind(tx, p, now)
	})
}

func (s *Service) remind(tx bot.Tx, p bot.Person, now time.Time) error {
	loc := s.loc(p)
	day := bot.DateOf(now.In(loc))
	pr, err := tx.Prompt(p.ID, day)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	at := s.checkinMinute(p)
	due := s.cfg.Schedule.RemindAfter.After(s.cfg.Calendar, day.At(at/60, at%60, loc), loc)
	if !pr.Answered.IsZero() || !pr.RemindedAt.IsZero() || p.OnLeave(day) || now.Before(due) || !now.Before(pr.Cutoff) {
		return nil
	}
	if _, err := s.sendDM(tx, p.ID, reminderKey(p.ID, day), cards.Reminder(s.lang(p), day)); err != nil {
		return err
	}
	pr.RemindedAt = now
	return tx.PutPrompt(pr)
}

func (s *Service) digestJob() bot.Job {
	return bot.Job{
		Name: "daily_digest",
		Next: func(after time.Time) time.Time {
			return s.nextAt(after, s.cfg.Location, s.cfg.Schedule.DigestAt)
		},
		Grace: func(slot time.Time) time.Time { return slot.Add(3 * time.Hour) },
		Run:   s.RunDigest,
	}
}

// RunDigest sends each open project's group the daily digest of the
// working day of the slot. A project with no member asked since its last
// digest gets nothing. A marker in the store keeps it to one digest a day.
//
// Each project's digest is made in a read transaction, which holds no
// lock, and sent in a short write transaction, which checks that nothing
// was committed in between (bot.TxVersion); if something was, it makes the
// digest again there, so what is sent is what the write transaction sees.
func (s *Service) RunDigest(ctx context.Context, slot time.Time) error {
	day := bot.DateOf(slot.In(s.cfg.Location))
	projects, err := s.openProjects(ctx)
	if err != nil {
		return err
	}
	for _, p := range projects {
		var (
			made    digestMade
			version uint64
			known   bool
		)
		err := s.cfg.Store.View(ctx, func(tx bot.Tx) error {
			version, known = txVersion(tx)
			p, err := tx.Project(p.ID)
			if err != nil || p.Closed {
				return err
			}
			made, err = s.makeDigest(tx, p, day, s.cfg.Clock.Now())
			return err
		})
		if err != nil {
			return err
		}
		if known && made.done {
			continue
		}
		err = s.update(ctx, func(tx bot.Tx) error {
			if v, ok := txVersion(tx); !known || !ok || v != version {
				p, err := tx.Project(p.ID)
				if err != nil || p.Closed {
					return err
				}
				if made, err = s.makeDigest(tx, p, day, s.cfg.Clock.Now()); err != nil {
					return err
				}
			}
			return s.sendDigest(tx, made)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// txVersion returns the version of the committed state that tx sees, when
// the store tells it (bot.TxVersion).
func txVersion(tx bot.Tx) (uint64, bool) {
	if v, ok := tx.(bot.TxVersion); ok {
		return v.Version(), true
	}
	return 0, false
}

// digestSeenKey is the meta key that holds when a project's last daily
// digest was made (RFC 3339): the next one reports from there.
func digestSeenKey(p bot.Project) string { return "digest_seen/" + p.Code() }

// digestMade is a project's daily digest, made and not yet sent.
type digestMade struct {
	skip  bool // nothing to send: done, or nobody asked
	done  bool // nothing to send ever: no group, or sent already
	p     bot.Project
	day   bot.Date
	now   time.Time
	dests []groupDest
	d     cards.Digest
}

// makeDigest makes a project's digest of a day as of now, reading only.
func (s *Service) makeDigest(tx bot.Tx, p bot.Project, day bot.Date, now time.Time) (digestMade, error) {
	m := digestMade{skip: true, done: true, p: p, day: day, now: now}
	m.dests = s.groupDests(tx, p, "")
	if len(m.dests) == 0 {
		return m, nil
	} else if _, err := tx.Meta(digestMarker(p, day)); err == nil {
		return m, nil
	}
	m.done = false
	since, err := s.digestSince(tx, p)
	if err != nil {
		return m, err
	}
	m.d, err = s.digestOf(tx, p, day, since, now)
	m.skip = m.d.Asked == 0
	return m, err
}

// digestMarker is the meta key that marks a project's digest of a day sent.
func digestMarker(p bot.Project, day bot.Date) string {
	return "digest/" + p.Code() + "/" + day.String()
}

// sendDigest sends a made digest to the project's groups and marks it sent.
func (s *Service) sendDigest(tx bot.Tx, m digestMade) error {
	if m.skip {
		return nil
	}
	for _, g := range m.dests {
		if _, err := s.sendGroupCard(tx, m.p, g, "digest/"+m.p.Code(), cards.DailyDigest(s.cfg.Lang, m.d)); err != nil {
			return err
		}
	}
	if err := tx.PutMeta(digestMarker(m.p, m.day), []byte(m.day.String())); err != nil {
		return err
	}
	raw, _ := m.now.MarshalText()
	return tx.PutMeta(digestSeenKey(m.p), raw)
}

// digestSince returns when the project's last digest was made: from its
// digest_seen key, else from the newest day marker of a store written
// before that key existed (that day at digest_at), else when the project
// was created.
func (s *Service) digestSince(tx bot.Tx, p bot.Project) (time.Time, error) {
	raw, err := tx.Meta(digestSeenKey(p))
	if err == nil {
		var t time.Time
		if err := t.UnmarshalText(raw); err != nil {
			return t, fmt.Errorf("flows: %s holds %q: %w", digestSeenKey(p), raw, err)
		}
		return t, nil
	} else if bot.ErrorCode(err) != bot.ENOTFOUND {
		return time.Time{}, err
	}
	markers, err := tx.MetaPrefix("digest/" + p.Code() + "/")
	if err != nil {
		return time.Time{}, err
	}
	since := p.CreatedAt
	for key := range markers {
		if day, err := bot.ParseISODate(key[strings.LastIndexByte(key, '/')+1:]); err == nil {
			at := s.cfg.Schedule.DigestAt
			if t := day.At(at/60, at%60, s.cfg.Location); t.After(since) {
				since = t
			}
		}
	}
	return since, nil
}

// digestOf reports what happened in a project from since to now (since
// included, now not): a digest reports each answer, progress change and
// blocker once, whatever the zone of the person and the day they answered
// for. The members counted are those asked in that time, and those who
// answered in it a check-in asked before (a late answer); who did not
// answer is who was asked and has not yet. It also lists the project's
// overdue tasks and the tasks called at risk in the answers counted.
func (s *Service) digestOf(tx bot.Tx, p bot.Project, day bot.Date, since, now time.Time) (cards.Digest, error) {
	d := cards.Digest{Project: p, Day: day}
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(since) && t.Before(now) }
	// Prompts are kept by the day of the person's own zone, which may be
	// a day either side of the calendar's.
	from, to := bot.DateOf(since.In(s.cfg.Location)).AddDays(-1), bot.DateOf(now.In(s.cfg.Location)).AddDays(1)
	if from.Before(to.AddDays(-40)) {
		from = to.AddDays(-40)
	}
	// Each member's prompts of the range, taken as the days' prompts are
	// (day by day, people in id order), reading the members' only.
	var prompts []bot.Prompt
	for _, m := range projectPeople(p) {
		prs, err := tx.PersonPrompts(m, from, to)
		if err != nil {
			return d, err
		}
		prompts = append(prompts, prs...)
	}
	slices.SortFunc(prompts, func(a, b bot.Prompt) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		return strings.Compare(string(a.Person), string(b.Person))
	})
	for _, pr := range prompts {
		// A card sent by /checkin on a day without a prompt has no
		// sending time: it was asked when it was answered.
		sent := pr.SentAt
		if sent.IsZero() {
			sent = pr.Answered
		}
		if !in(sent) && !in(pr.Answered) {
			continue
		}
		d.Asked++
		if pr.Answered.IsZero() || !pr.Answered.Before(now) {
			d.Missing = append(d.Missing, s.person(tx, pr.Person).DisplayName())
			continue
		}
		d.Answered++
		if err := s.risks(tx, p, pr.Person, pr.Day, &d); err != nil {
			return d, err
		}
	}
	if err := s.overdue(tx, p, now, &d); err != nil {
		return d, err
	}
	return d, s.changes(tx, p, since, now, &d)
}

// risks lists the tasks of the project a person called at risk in their
// check-in of a day.
func (s *Service) risks(tx bot.Tx, p bot.Project, person bot.PersonID, day bot.Date, d *cards.Digest) error {
	ci, err := tx.CheckIn(person, day)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	for _, a := range ci.Answers {
		if a.Status != bot.AtRisk {
			continue
		}
		if t, err := tx.Task(a.Task); err == nil && t.Project == p.ID {
			d.AtRisk = append(d.AtRisk, t.Code()+" "+t.Title+" ("+s.person(tx, person).DisplayName()+")")
		}
	}
	return nil
}

// overdue lists the project's open tasks whose due day has ended, with
// their assignee and how many working days late they are.
func (s *Service) overdue(tx bot.Tx, p bot.Project, now time.Time, d *cards.Digest) error {
	tasks, err := tx.Tasks(bot.TaskFilter{Project: p.ID, OpenOnly: true})
	if err != nil {
		return err
	}
	l := s.cfg.Lang
	for _, t := range tasks {
		if !s.fires(tx, t, bot.RuleOverdue, now) {
			continue
		}
		who := s.person(tx, t.Assignee)
		late := max(0, s.cfg.Calendar.WorkdaysBetween(t.Due, bot.DateOf(now.In(s.loc(who)))))
		line := l.F("%s %s (%s, due %s, %d working days late)", "%s %s（%s，截止 %s，逾期 %d 个工作日）", t.Code(), t.Title, who.DisplayName(), l.Date(t.Due), late)
		if l == cards.EN && late == 1 {
			line = strings.Replace(line, "working days late", "working day late", 1)
		}
		d.Overdue = append(d.Overdue, line)
	}
	return nil
}

// changes reads the audit log from since to now for the project's
// progress changes and new blockers.
func (s *Service) changes(tx bot.Tx, p bot.Project, since, now time.Time, d *cards.Digest) error {
	events, err := tx.ProjectAudit(p.ID, since, now)
	if err != nil {
		return err
	}
	first := map[uint64]string{}
	last := map[uint64]string{}
	var order []uint64
	for _, e := range events {
		if e.Project != p.ID || e.Task == 0 {
			continue
		}
		switch {
		case e.Field == "progress":
			if _, ok := first[e.Task]; !ok {
				first[e.Task] = e.Old
				order = append(order, e.Task)
			}
			last[e.Task] = e.New
		case e.Field == "status" && e.New == string(bot.StatusBlocked):
			d.Blockers = append(d.Blockers, s.taskTitle(tx, e.Task)+": "+e.Note)
		}
	}
	for _, id := range order {
		if first[id] != last[id] {
			d.Progress = append(d.Progress, s.taskTitle(tx, id)+": "+first[id]+"% → "+last[id]+"%")
		}
	}
	slices.Sort(d.Missing)
	return nil
}

// projectPeople returns everyone who takes part in a project in any role
// (Project.IsMember), each once.
func projectPeople(p bot.Project) []bot.PersonID {
	out := slices.Concat([]bot.PersonID{p.Owner}, p.Managers, p.Members)
	slices.Sort(out)
	return slices.DeleteFunc(slices.Compact(out), func(id bot.PersonID) bool { return id == "" })
}

func (s *Service) taskTitle(tx bot.Tx, id uint64) string {
	t, err := tx.Task(id)
	if err != nil {
		return bot.TaskCode(id)
	}
	return t.Code() + " " + t.Title
}
