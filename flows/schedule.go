package flows

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
)

// Weekly is a weekday and a clock time, such as Friday 16:00.
type Weekly struct {
	Day    time.Weekday
	Minute int
}

// Schedule holds the times and thresholds of the loop (SPEC §8). Clock
// times are minutes after midnight in each person's own zone.
type Schedule struct {
	CheckinAt   int
	RemindAfter calendar.Span
	Cutoff      int
	DigestAt    int

	CheckEvery         time.Duration
	UnacceptedAfter    calendar.Span
	DueSoonWithin      calendar.Span
	DueSoonBelow       int
	BlockedAfter       calendar.Span
	StaleAfter         calendar.Span
	MissedCheckins     int
	ToManagerAfter     calendar.Span
	ToGroupAfter       calendar.Span
	CriticalPathFactor float64
	// GroupUpdatesFor is how long after it is sent a group warning is
	// still drawn again when a task it lists resolves or is superseded;
	// 0: for as long as its card is kept. An older warning keeps what it
	// showed: the newer ones list what is still open.
	GroupUpdatesFor time.Duration

	ReviewPrompt  Weekly
	ReviewSummary Weekly
}

// DefaultSchedule returns the defaults of SPEC §8.
func DefaultSchedule() Schedule {
	span := func(s string) calendar.Span {
		sp, _ := calendar.ParseSpan(s)
		return sp
	}
	return Schedule{
		CheckinAt: 9*60 + 30, RemindAfter: span("2h"), Cutoff: 18 * 60, DigestAt: 17*60 + 30,
		CheckEvery: 5 * time.Minute, UnacceptedAfter: span("1wd"), DueSoonWithin: span("1wd"), DueSoonBelow: 80,
		BlockedAfter: span("4wh"), StaleAfter: span("3wd"), MissedCheckins: 2,
		ToManagerAfter: span("1wd"), ToGroupAfter: span("2wd"), CriticalPathFactor: 2,
		GroupUpdatesFor: 7 * 24 * time.Hour,
		ReviewPrompt:    Weekly{Day: time.Friday, Minute: 16 * 60},
		ReviewSummary:   Weekly{Day: time.Monday, Minute: 9 * 60},
	}
}

// Jobs returns the scheduled jobs of the loop: check-ins, reminders, the
// digest, the escalation rules, the review prompt, the weekly summary, the
// warning about a year without holiday data, the risk review and, with a
// platform directory (Config.Directories), the directory's lookups.
func (s *Service) Jobs() []bot.Job {
	jobs := []bot.Job{s.checkinJob(), s.reminderJob(), s.digestJob(), s.escalationJob(), s.reviewJob(), s.summaryJob(), s.holidayDataJob(), s.riskReviewJob()}
	if len(s.cfg.Directories) > 0 {
		jobs = append(jobs, s.directoryJob())
	}
	return jobs
}

// nextAt returns the first instant after `after` at which a clock time
// falls on a working day in loc. On a day when daylight saving skips the
// time, the instant moves forward by the gap; on a day when the time happens
// twice, only the first counts.
func (s *Service) nextAt(after time.Time, loc *time.Location, minute int) time.Time {
	d := bot.DateOf(after.In(loc))
	for range 800 {
		t := d.At(minute/60, minute%60, loc)
		if t.After(after) && s.cfg.Calendar.IsWorkday(d) {
			return t
		}
		d = d.AddDays(1)
	}
	return time.Time{}
}

// zoneMinute is a clock time in a zone that some people share.
type zoneMinute struct {
	loc    *time.Location
	minute int
}

// checkinTimes returns the distinct check-in times of everyone, with their
// zones, and always the default one, so that a person who arrives later with
// the default settings adds nothing. The list is read once and kept until a
// /settings change commits (forgetCheckinTimes), because the scheduler asks
// for it several times every tick.
func (s *Service) checkinTimes() ([]zoneMinute, error) {
	s.times.Lock()
	defer s.times.Unlock()
	if s.times.list != nil {
		return s.times.list, nil
	}
	var people []bot.Person
	err := s.cfg.Store.View(context.Background(), func(tx bot.Tx) (err error) {
		people, err = tx.People()
		return err
	})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	list := []zoneMinute{}
	add := func(zm zoneMinute) {
		if key := zm.loc.String() + "/" + strconv.Itoa(zm.minute); !seen[key] {
			seen[key] = true
			list = append(list, zm)
		}
	}
	add(zoneMinute{loc: s.cfg.Location, minute: s.cfg.Schedule.CheckinAt})
	for _, p := range people {
		add(zoneMinute{loc: s.loc(p), minute: s.checkinMinute(p)})
	}
	s.times.list = list
	return list, nil
}

// forgetCheckinTimes drops the kept check-in times once the transaction of
// ctx commits.
func (s *Service) forgetCheckinTimes(ctx context.Context) {
	bot.AfterCommit(ctx, func() {
		s.times.Lock()
		s.times.list = nil
		s.times.Unlock()
	})
}

// nextOf returns the earliest of fn over the check-in times, or a minute
// from now when the store cannot be read (the scheduler then asks again).
func (s *Service) nextOf(after time.Time, fn func(zoneMinute) time.Time) time.Time {
	times, err := s.checkinTimes()
	if err != nil {
		s.logger.Error("reading check-in times failed", slog.Any("error", err))
		return after.Add(time.Minute)
	}
	var best time.Time
	for _, zm := range times {
		if t := fn(zm); !t.IsZero() && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	return best
}

// checkinMinute returns a person's check-in time.
func (s *Service) checkinMinute(p bot.Person) int {
	if p.CheckinAt != "" {
		if h, m, err := calendar.ParseClock(p.CheckinAt); err == nil {
			return h*60 + m
		}
	}
	return s.cfg.Schedule.CheckinAt
}

// update runs fn in a write transaction and wakes the outbox afterwards.
func (s *Service) update(ctx context.Context, fn func(tx bot.Tx) error) error {
	err := s.cfg.Store.Update(ctx, fn)
	if err == nil && s.cfg.Kick != nil {
		s.cfg.Kick()
	}
	return err
}

// txSteps tells batches what to do around each transaction; every field is
// optional.
type txSteps struct {
	// begin is called first in each transaction and returns the Tx the
	// steps use (a cache over it, say). continued tells that no other
	// transaction committed since the job's previous one (bot.TxVersion),
	// so that what the job read then is still what the store holds, but
	// for its own writes.
	begin func(tx bot.Tx, continued bool) bot.Tx
	// end is called last in each transaction, with the Tx begin
	// returned, to finish what the steps left for it.
	end func(tx bot.Tx) error
	// pending estimates how long end will take in tx as the steps left it.
	// The steps stop once that and the time they took reach twice
	// Config.TxBudget: end gathers the work of several steps (drawing a
	// card once for all of them), and the transaction stays short.
	pending func(tx bot.Tx) time.Duration
	// committed is called after the transaction that ran steps [from, to)
	// committed.
	committed func(from, to int)
	// budget, when not zero, is the transaction budget instead of
	// Config.TxBudget: for steps whose commit costs much besides them
	// (long cards written).
	budget time.Duration
}

// batches runs step(tx, i) for i from 0 to n-1 in write transactions that
// each commit once they have run for Config.TxBudget (wall time; at least
// one step each), or sooner by what b.pending says b.end has left to do,
// so that a job over many subjects never holds the writer for long
// whatever a step costs, and a click waits behind one short transaction at
// most. Each step must be idempotent and complete with b.end, which runs
// last in the same transaction (its card, record and outbox item commit
// together), so that a crash between two transactions leaves every subject
// either done or not, and the job's next run does the rest without
// doubling anything. A step's error rolls back its transaction and ends
// the job.
func (s *Service) batches(ctx context.Context, n int, b txSteps, step func(tx bot.Tx, i int) error) error {
	var next uint64 // the data version the next transaction sees if no other commits
	budget := s.cfg.TxBudget
	if b.budget > 0 {
		budget = b.budget
	}
	for done := 0; done < n; {
		end := done
		err := s.update(ctx, func(tx bot.Tx) error {
			t0 := time.Now()
			v, known := txVersion(tx)
			continued := known && done > 0 && v == next
			raw := tx
			if b.begin != nil {
				tx = b.begin(tx, continued)
			}
			for end = done; end < n; {
				if err := step(tx, end); err != nil {
					return err
				}
				end++
				took := time.Since(t0)
				if took >= budget || b.pending != nil && took+b.pending(tx) >= 2*budget {
					break
				}
			}
			if b.end != nil {
				if err := b.end(tx); err != nil {
					return err
				}
			}
			next, _ = txVersion(raw) // what this transaction commits
			return nil
		})
		if err != nil {
			return err
		}
		if b.committed != nil {
			b.committed(done, end)
		}
		done = end
	}
	return nil
}

// openProjects returns the projects that are not closed, as a read
// transaction sees them.
func (s *Service) openProjects(ctx context.Context) ([]bot.Project, error) {
	var projects []bot.Project
	err := s.cfg.Store.View(ctx, func(tx bot.Tx) (err error) {
		projects, err = tx.Projects()
		return err
	})
	return slices.DeleteFunc(projects, func(p bot.Project) bool { return p.Closed }), err
}

// eachOpenProject runs fn for every open project, each in its own short
// transaction, so that a job over many projects never holds the writer for
// long. fn must be idempotent per project (a marker, a review record): after
// a failure, the scheduler's next run does the projects that are left.
func (s *Service) eachOpenProject(ctx context.Context, fn func(tx bot.Tx, p bot.Project) error) error {
	projects, err := s.openProjects(ctx)
	if err != nil {
		return err
	}
	for _, p := range projects {
		err := s.update(ctx, func(tx bot.Tx) error {
			p, err := tx.Project(p.ID)
			if err != nil || p.Closed {
				return err
			}
			return fn(tx, p)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
