package bot_test

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store/storetest"
)

var shanghai = time.FixedZone("CST", 8*3600)

// at returns a time on 2026-09-21 (a Monday) in Shanghai.
func at(hour, minute int) time.Time {
	return time.Date(2026, 9, 21, hour, minute, 0, 0, shanghai)
}

// runLog records the runs of jobs, with the clock's time at each.
type runLog struct {
	mu    sync.Mutex
	clock bot.Clock
	runs  []jobRun
}

type jobRun struct {
	job       string
	slot, now time.Time
}

func (l *runLog) record(job string, slot time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.runs = append(l.runs, jobRun{job: job, slot: slot, now: l.clock.Now()})
}

func (l *runLog) get() []jobRun {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]jobRun(nil), l.runs...)
}

// hourly returns a job that runs at the given minute of every hour, with the
// given grace.
func hourly(name string, minute int, grace time.Duration, log *runLog) bot.Job {
	return bot.Job{
		Name: name,
		Next: func(after time.Time) time.Time {
			slot := after.Truncate(time.Hour).Add(time.Duration(minute) * time.Minute)
			if !slot.After(after) {
				slot = slot.Add(time.Hour)
			}
			return slot
		},
		Grace: func(slot time.Time) time.Time { return slot.Add(grace) },
		Run: func(ctx context.Context, slot time.Time) error {
			log.record(name, slot)
			return nil
		},
	}
}

// daily returns a check-in-like job at hh:mm every day in loc, that may run
// until the cut-off at 18:00 of the same day.
func daily(name string, hour, minute int, loc *time.Location, log *runLog) bot.Job {
	return bot.Job{
		Name: name,
		Next: func(after time.Time) time.Time {
			a := after.In(loc)
			slot := time.Date(a.Year(), a.Month(), a.Day(), hour, minute, 0, 0, loc)
			if !slot.After(after) {
				slot = time.Date(a.Year(), a.Month(), a.Day()+1, hour, minute, 0, 0, loc)
			}
			return slot
		},
		Grace: func(slot time.Time) time.Time {
			s := slot.In(loc)
			return time.Date(s.Year(), s.Month(), s.Day(), 18, 0, 0, 0, loc)
		},
		Run: func(ctx context.Context, slot time.Time) error {
			log.record(name, slot)
			return nil
		},
	}
}

// setClock moves the fake clock forward or fails the test.
func setClock(tb testing.TB, clock *bot.FakeClock, t time.Time) {
	tb.Helper()
	if err := clock.Set(t); err != nil {
		tb.Fatalf("set clock: %v", err)
	}
}

func tick(tb testing.TB, s *bot.Scheduler) {
	tb.Helper()
	if err := s.Tick(context.Background()); err != nil {
		tb.Fatalf("tick: %v", err)
	}
}

func missed(tb testing.TB, s *bot.Scheduler) []bot.Miss {
	tb.Helper()
	m, err := s.Missed(context.Background())
	if err != nil {
		tb.Fatalf("missed: %v", err)
	}
	return m
}

// TestSchedulerFirstTickStartsNow checks that a new deployment does not
// catch up from the epoch, and then runs the next slot.
func TestSchedulerFirstTickStartsNow(t *testing.T) {
	st := storetest.Open(t)
	clock := bot.NewFakeClock(at(10, 45))
	log := &runLog{clock: clock}
	s := bot.NewScheduler(st, clock, nil, hourly("check", 0, time.Hour, log))

	tick(t, s)
	if runs := log.get(); len(runs) != 0 {
		t.Fatalf("first tick ran %v, want nothing", runs)
	}
	next, err := s.NextDue()
	if err != nil || !next.Equal(at(11, 0)) {
		t.Fatalf("NextDue = %s, %v; want 11:00", next, err)
	}
	setClock(t, clock, at(11, 0))
	tick(t, s)
	if runs := log.get(); len(runs) != 1 || !runs[0].slot.Equal(at(11, 0)) {
		t.Errorf("runs %v, want the 11:00 slot", runs)
	}
	if m := missed(t, s); len(m) != 0 {
		t.Errorf("misses %v, want none", m)
	}
}

// TestSchedulerCatchUpAcrossJobs jumps over several slots of two jobs: each
// job runs once, with its latest slot, in time order across the jobs, and
// the earlier slots are recorded as missed.
func TestSchedulerCatchUpAcrossJobs(t *testing.T) {
	st := storetest.Open(t)
	clock := bot.NewFakeClock(at(8, 0))
	log := &runLog{clock: clock}
	s := bot.NewScheduler(st, clock, nil,
		hourly("half", 30, 24*time.Hour, log),
		hourly("full", 0, 24*time.Hour, log))
	tick(t, s)

	setClock(t, clock, at(10, 45))
	tick(t, s)

	var got []string
	for _, r := range log.get() {
		got = append(got, r.job+"@"+r.slot.Format("15:04"))
	}
	if want := []string{"full@10:00", "half@10:30"}; !reflect.DeepEqual(got, want) {
		t.Errorf("runs %v, want %v", got, want)
	}
	var misses []string
	for _, m := range missed(t, s) {
		misses = append(misses, m.Job+"@"+m.Slot.In(shanghai).Format("15:04"))
		if !m.RecordedAt.Equal(at(10, 45)) {
			t.Errorf("miss %v recorded at %s, want 10:45", m, m.RecordedAt)
		}
	}
	if want := []string{"half@08:30", "full@09:00", "half@09:30"}; !reflect.DeepEqual(misses, want) {
		t.Errorf("misses %v, want %v", misses, want)
	}
}

// TestSchedulerRestartWithinGrace restarts after a slot was missed but
// while it is still within grace: it runs once, and never again after
// another restart.
func TestSchedulerRestartWithinGrace(t *testing.T) {
	st := storetest.Open(t)
	clock := bot.NewFakeClock(at(8, 0))
	log := &runLog{clock: clock}
	job := daily("checkin", 9, 30, shanghai, log)
	tick(t, bot.NewScheduler(st, clock, nil, job))

	setClock(t, clock, at(11, 0))
	for range 3 {
		tick(t, bot.NewScheduler(st, clock, nil, job))
	}

	if runs := log.get(); len(runs) != 1 || !runs[0].slot.Equal(at(9, 30)) {
		t.Errorf("runs %v, want the 09:30 slot once", runs)
	}
	if m := missed(t, bot.NewScheduler(st, clock, nil, job)); len(m) != 0 {
		t.Errorf("misses %v, want none", m)
	}
}

// TestSchedulerRestartAfterGrace restarts after the cut-off: the slot does
// not run, and is recorded as missed.
func TestSchedulerRestartAfterGrace(t *testing.T) {
	st := storetest.Open(t)
	clock := bot.NewFakeClock(at(8, 0))
	log := &runLog{clock: clock}
	job := daily("checkin", 9, 30, shanghai, log)
	tick(t, bot.NewScheduler(st, clock, nil, job))

	setClock(t, clock, at(18, 1))
	s := bot.NewScheduler(st, clock, nil, job)
	tick(t, s)
	tick(t, s)

	if runs := log.get(); len(runs) != 0 {
		t.Errorf("runs %v after the cut-off, want none", runs)
	}
	want := []bot.Miss{{Job: "checkin", Slot: at(9, 30), RecordedAt: at(18, 1)}}
	got := missed(t, s)
	if len(got) != 1 || got[0].Job != want[0].Job || !got[0].Slot.Equal(want[0].Slot) ||
		!got[0].RecordedAt.Equal(want[0].RecordedAt) {
		t.Errorf("misses %v, want %v", got, want)
	}
}

// TestSchedulerRetriesFailedRun fails a run once: the slot stays due and
// runs again on the next tick, and only then is done.
func TestSchedulerRetriesFailedRun(t *testing.T) {
	st := storetest.Open(t)
	clock := bot.NewFakeClock(at(8, 0))
	var slots []time.Time
	job := bot.Job{
		Name:  "digest",
		Next:  hourly("", 30, 0, nil).Next,
		Grace: func(slot time.Time) time.Time { return slot.Add(time.Hour) },
		Run: func(ctx context.Context, slot time.Time) error {
			slots = append(slots, slot)
			if len(slots) == 1 {
				return errors.New("store unavailable")
			}
			return nil
		},
	}
	s := bot.NewScheduler(st, clock, nil, job)
	tick(t, s)
	setClock(t, clock, at(8, 31))

	if err := s.Tick(context.Background()); err == nil {
		t.Fatal("tick with a failing run reported no error")
	}
	if next, _ := s.NextDue(); !next.Equal(at(8, 30)) {
		t.Errorf("after the failure NextDue = %s, want the failed 08:30 slot", next)
	}
	tick(t, s)
	tick(t, s)
	if len(slots) != 2 || !slots[0].Equal(at(8, 30)) || !slots[1].Equal(at(8, 30)) {
		t.Errorf("runs %v, want 08:30 twice (failed, then retried)", slots)
	}
}

// TestSchedulerAdvanceTo moves a fake clock over a morning: every slot runs
// at its own time, in order, and each is settled before the next.
func TestSchedulerAdvanceTo(t *testing.T) {
	st := storetest.Open(t)
	clock := bot.NewFakeClock(at(8, 0))
	log := &runLog{clock: clock}
	s := bot.NewScheduler(st, clock, nil,
		daily("checkin", 9, 30, shanghai, log),
		hourly("check", 0, time.Minute, log))
	var settled []string
	settle := func(ctx context.Context) error {
		runs := log.get()
		settled = append(settled, clock.Now().Format("15:04")+"/"+strconv.Itoa(len(runs)))
		return nil
	}

	if err := s.AdvanceTo(context.Background(), clock, at(11, 10), nil, settle); err != nil {
		t.Fatalf("advance: %v", err)
	}

	var got []string
	for _, r := range log.get() {
		if !r.now.Equal(r.slot) {
			t.Errorf("%s@%s ran with the clock at %s", r.job, r.slot, r.now)
		}
		got = append(got, r.job+"@"+r.slot.Format("15:04"))
	}
	if want := []string{"check@09:00", "checkin@09:30", "check@10:00", "check@11:00"}; !reflect.DeepEqual(got, want) {
		t.Errorf("runs %v, want %v", got, want)
	}
	if want := []string{"08:00/0", "09:00/1", "09:30/2", "10:00/3", "11:00/4", "11:10/4"}; !reflect.DeepEqual(settled, want) {
		t.Errorf("settled at %v, want %v", settled, want)
	}
	if !clock.Now().Equal(at(11, 10)) {
		t.Errorf("clock at %s, want 11:10", clock.Now())
	}
	if m := missed(t, s); len(m) != 0 {
		t.Errorf("misses %v, want none", m)
	}
}

// TestSchedulerAdvanceBackwards refuses to move the clock back.
func TestSchedulerAdvanceBackwards(t *testing.T) {
	st := storetest.Open(t)
	clock := bot.NewFakeClock(at(8, 0))
	s := bot.NewScheduler(st, clock, nil, hourly("check", 0, time.Minute, &runLog{clock: clock}))
	err := s.AdvanceTo(context.Background(), clock, at(7, 0), nil, nil)
	if bot.ErrorCode(err) != bot.ECONFLICT || !clock.Now().Equal(at(8, 0)) {
		t.Errorf("advance backwards = %v with the clock at %s, want ECONFLICT at 08:00", err, clock.Now())
	}
}

// TestSchedulerDaylightSaving runs a daily 09:30 job for a person in New
// York over the spring change: one run a day, at 09:30 local time.
func TestSchedulerDaylightSaving(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	st := storetest.Open(t)
	clock := bot.NewFakeClock(time.Date(2026, 3, 7, 8, 0, 0, 0, ny))
	log := &runLog{clock: clock}
	s := bot.NewScheduler(st, clock, nil, daily("checkin", 9, 30, ny, log))
	if err := s.AdvanceTo(context.Background(), clock, time.Date(2026, 3, 10, 12, 0, 0, 0, ny), nil, nil); err != nil {
		t.Fatalf("advance: %v", err)
	}
	var got []string
	for _, r := range log.get() {
		got = append(got, r.slot.In(ny).Format("01-02 15:04"))
	}
	if want := []string{"03-07 09:30", "03-08 09:30", "03-09 09:30", "03-10 09:30"}; !reflect.DeepEqual(got, want) {
		t.Errorf("runs %v, want %v", got, want)
	}
}

// TestSchedulerRunLoop checks that the real-time loop runs a slot that
// fell due when it is kicked, and stops with its context.
func TestSchedulerRunLoop(t *testing.T) {
	st := storetest.Open(t)
	clock := bot.NewFakeClock(at(8, 0))
	ran := make(chan time.Time, 1)
	job := bot.Job{
		Name: "check",
		Next: hourly("", 0, 0, nil).Next,
		Run: func(ctx context.Context, slot time.Time) error {
			ran <- slot
			return nil
		},
	}
	s := bot.NewScheduler(st, clock, nil, job)
	tick(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()

	setClock(t, clock, at(9, 0))
	s.Kick()
	if slot := <-ran; !slot.Equal(at(9, 0)) {
		t.Errorf("ran %s, want 09:00", slot)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
