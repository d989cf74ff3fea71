package flows_test

import (
	"log/slog"
	"testing"
	"time"
	_ "time/tzdata" // the zones must load on machines without a zone database

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/flows"
	"github.com/loopbot/loopbot/store/storetest"
)

// scheduleZones change their offset in 2026 in every way: forward and back,
// at midnight (Cairo, Santiago, Havana, Beirut), by 30 minutes (Lord Howe),
// by two hours (Troll), east and west of Greenwich.
var scheduleZones = []string{
	"America/New_York", "Europe/Berlin", "Africa/Cairo", "America/Santiago", "America/Havana", "Asia/Beirut",
	"Australia/Lord_Howe", "Australia/Adelaide", "Pacific/Chatham", "Antarctica/Troll", "Africa/Casablanca",
	"America/St_Johns", "Asia/Shanghai",
}

// TestScheduleEveryZone runs the Next of the daily jobs (check-in, reminder,
// digest) and the weekly ones (review prompt, summary) through 2026 in each
// zone, with every day a working day and the clock times set inside the
// year's gaps and overlaps: each job runs exactly once a day (a week), at
// the chosen time, or, on a day that skips it, at the chosen time moved
// forward by the gap; a repeated time runs at its first occurrence.
func TestScheduleEveryZone(t *testing.T) {
	st := storetest.Open(t)
	for _, name := range scheduleZones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		cal := calendar.New(calendar.Config{Location: loc})
		for d := bot.NewDate(2026, 1, 1); d.Year == 2026; d = d.AddDays(1) {
			cal.AddWorkday(d, "")
		}
		for _, minute := range changeMinutes(loc) {
			sc := flows.DefaultSchedule()
			sc.CheckinAt, sc.DigestAt, sc.Cutoff = minute, minute, 24*60
			sc.ReviewPrompt = flows.Weekly{Day: time.Friday, Minute: minute}
			sc.ReviewSummary = flows.Weekly{Day: time.Wednesday, Minute: minute}
			sc.RemindAfter = calendar.Span{} // the reminder at the check-in time, to check its days
			s := flows.New(flows.Config{
				Clock: bot.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), Store: st, Location: loc, Schedule: sc,
				Calendar: cal, Signer: bot.NewSigner("s"), Logger: slog.New(slog.DiscardHandler),
			})
			for _, job := range s.Jobs() {
				want := map[string]int{"checkin": 1, "checkin_reminder": 1, "daily_digest": 1, "review_prompt": 7, "review_summary": 7}[job.Name]
				if want == 0 {
					continue
				}
				checkSlots(t, name, job, loc, minute, want)
			}
		}
	}
}

// changeMinutes returns clock times inside loc's 2026 gaps and overlaps,
// and 00:00 and 09:30.
func changeMinutes(loc *time.Location) []int {
	out := []int{0, 9*60 + 30}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for t := from; t.Year() == 2026; t = t.Add(15 * time.Minute) {
		_, a := t.In(loc).Zone()
		_, b := t.Add(15 * time.Minute).In(loc).Zone()
		if a != b {
			// The wall clock just after the change, and just before it
			// on the old offset: one is in the gap or the overlap.
			for _, at := range []time.Time{t.Add(15 * time.Minute).In(loc), t.Add(15*time.Minute - time.Second).In(loc)} {
				m := (at.Hour()*60 + at.Minute() + 15) % (24 * 60)
				if m%15 == 0 {
					out = append(out, m)
				}
			}
		}
	}
	return out
}

// checkSlots walks a job's slots through 2026 and checks that there is one
// every `every` days, each at minute on the local clock, or moved forward by
// exactly a gap that the zone has there, and never a second occurrence.
func checkSlots(t *testing.T, zone string, job bot.Job, loc *time.Location, minute, every int) {
	t.Helper()
	start := bot.NewDate(2026, 1, 5).In(loc)
	end := bot.NewDate(2026, 12, 28).In(loc)
	var days []bot.Date
	for at := job.Next(start); at.Before(end); at = job.Next(at) {
		if at.IsZero() {
			t.Fatalf("%s %s at %02d:%02d: no next slot", zone, job.Name, minute/60, minute%60)
		}
		l := at.In(loc)
		wall := l.Hour()*60 + l.Minute()
		day := bot.DateOf(l)
		if shift := (wall - minute + 24*60) % (24 * 60); shift != 0 {
			before := at.Add(-time.Duration(shift) * time.Minute)
			_, ob := before.In(loc).Zone()
			_, oa := l.Zone()
			if oa-ob != shift*60 {
				t.Errorf("%s %s at %02d:%02d: slot %s is %d minutes late, and no gap is that big", zone, job.Name, minute/60, minute%60, l.Format(time.RFC3339), shift)
			}
			if shift > wall {
				day = day.AddDays(-1) // moved past midnight: it is the day before's
			}
		}
		for back := 15 * time.Minute; back <= 3*time.Hour; back += 15 * time.Minute {
			if e := at.Add(-back).In(loc); bot.DateOf(e) == day && e.Hour()*60+e.Minute() == minute {
				t.Errorf("%s %s at %02d:%02d: slot %s is not the first occurrence (%s is)", zone, job.Name, minute/60, minute%60, l.Format(time.RFC3339), e.Format(time.RFC3339))
			}
		}
		if n := len(days); n > 0 && days[n-1].AddDays(every) != day {
			t.Errorf("%s %s at %02d:%02d: slot on %s after one on %s, want every %d days", zone, job.Name, minute/60, minute%60, day, days[n-1], every)
		}
		days = append(days, day)
	}
	if len(days) < 350/every {
		t.Errorf("%s %s at %02d:%02d: %d slots in 2026", zone, job.Name, minute/60, minute%60, len(days))
	}
}
