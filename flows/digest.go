package flows

import (
	"context"
	"slices"
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
// the cut-off. It is idempotent.
func (s *Service) RunReminders(ctx context.Context) error {
	now := s.cfg.Clock.Now()
	return s.update(ctx, func(tx bot.Tx) error {
		people, err := tx.People()
		if err != nil {
			return err
		}
		for _, p := range people {
			if err := s.remind(tx, p, now); err != nil {
				return err
			}
		}
		return nil
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
// working day of the slot. A project with no member asked that day gets
// nothing. A marker in the store keeps it to one digest a day.
func (s *Service) RunDigest(ctx context.Context, slot time.Time) error {
	day := bot.DateOf(slot.In(s.cfg.Location))
	return s.eachOpenProject(ctx, func(tx bot.Tx, p bot.Project) error { return s.digestProject(tx, p, day) })
}

func (s *Service) digestProject(tx bot.Tx, p bot.Project, day bot.Date) error {
	marker := "digest/" + p.Code() + "/" + day.String()
	dests := s.groupDests(tx, p, "")
	if len(dests) == 0 {
		return nil
	} else if _, err := tx.Meta(marker); err == nil {
		return nil
	}
	d, err := s.digestOf(tx, p, day)
	if err != nil || d.Asked == 0 {
		return err
	}
	for _, g := range dests {
		if _, err := s.sendGroupCard(tx, p, g, "digest/"+p.Code(), cards.DailyDigest(s.cfg.Lang, d)); err != nil {
			return err
		}
	}
	return tx.PutMeta(marker, []byte(day.String()))
}

// digestOf counts who was asked and who answered among the project's
// members, and lists today's progress changes, new blockers and risks.
func (s *Service) digestOf(tx bot.Tx, p bot.Project, day bot.Date) (cards.Digest, error) {
	d := cards.Digest{Project: p, Day: day}
	prompts, err := tx.Prompts(day)
	if err != nil {
		return d, err
	}
	for _, pr := range prompts {
		if !p.IsMember(pr.Person) {
			continue
		}
		d.Asked++
		if !pr.Answered.IsZero() {
			d.Answered++
		} else {
			d.Missing = append(d.Missing, s.person(tx, pr.Person).DisplayName())
		}
		if err := s.risks(tx, p, pr.Person, day, &d); err != nil {
			return d, err
		}
	}
	return d, s.dayChanges(tx, p, day, &d)
}

// risks lists the tasks of the project a person called at risk today.
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

// dayChanges reads the day's audit log for the project's progress changes
// and new blockers.
func (s *Service) dayChanges(tx bot.Tx, p bot.Project, day bot.Date, d *cards.Digest) error {
	loc := s.cfg.Location
	events, err := tx.Audit(day.In(loc), day.AddDays(1).In(loc))
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

func (s *Service) taskTitle(tx bot.Tx, id uint64) string {
	t, err := tx.Task(id)
	if err != nil {
		return bot.TaskCode(id)
	}
	return t.Code() + " " + t.Title
}
