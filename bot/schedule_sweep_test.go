package bot_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store/storetest"
)

// TestSweepAfterDowntime checks that a sweep job catches up a day of missed
// five-minute slots with one run and records no misses, while a panicking
// job is reported as an error and tried again on the next tick.
func TestSweepAfterDowntime(t *testing.T) {
	db := storetest.Open(t)
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := bot.NewFakeClock(start)
	runs, panics := 0, 0
	every := func(after time.Time) time.Time { return after.Truncate(5 * time.Minute).Add(5 * time.Minute) }
	sweep := bot.Job{Name: "sweep", Next: every, Sweep: true, Run: func(context.Context, time.Time) error { runs++; return nil }}
	faulty := bot.Job{Name: "faulty", Next: every, Run: func(context.Context, time.Time) error {
		panics++
		if panics == 1 {
			panic("defect")
		}
		return nil
	}}
	s := bot.NewScheduler(db, clock, slog.New(slog.NewTextHandler(io.Discard, nil)), sweep, faulty)
	ctx := context.Background()
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	_ = clock.Set(start.Add(24 * time.Hour))
	if err := s.Tick(ctx); err == nil || !strings.Contains(err.Error(), "panic: defect") || panics != 1 {
		t.Fatalf("first tick after a day: err %v, panics %d", err, panics)
	}
	if runs != 1 {
		t.Fatalf("the sweep ran %d times, want once", runs)
	}
	missed, err := s.Missed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range missed {
		if m.Job == "sweep" {
			t.Fatalf("a sweep recorded a miss: %+v", m)
		}
	}
	if err := s.Tick(ctx); err != nil || panics != 2 {
		t.Fatalf("the panicked slot was not tried again: %v, %d", err, panics)
	}
}
