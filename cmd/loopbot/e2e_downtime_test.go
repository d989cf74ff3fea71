package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store"
)

// setStoredClock sets the fake clock kept in a stopped app's store, as if
// the service had been down until then. The text is RFC 3339, as the app
// writes it.
func setStoredClock(tb testing.TB, db string, to time.Time) {
	tb.Helper()
	s, err := store.Open(db, store.Options{})
	if err != nil {
		tb.Fatalf("open %s: %v", db, err)
	}
	raw, _ := to.MarshalText()
	err = s.Update(context.Background(), func(tx bot.Tx) error { return tx.PutMeta(fakeClockKey, raw) })
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatalf("set the clock in %s: %v", db, err)
	}
}

// TestDowntime stops the service before Monday's 09:30 check-in and starts
// it again later (SPEC §5): a check-in still within its grace (until the
// 18:00 cut-off) is caught up once, at the start; one whose day has passed
// is recorded as missed and never sent.
func TestDowntime(t *testing.T) {
	cases := []struct {
		name    string
		restart string // Shanghai wall time the service comes back
		until   string // Shanghai wall time the test runs to
		// cards are the check-in cards bob gets: when, and for which day.
		cards  []string
		missed []string // the check-in slots recorded as missed
	}{
		{
			name: "within grace", restart: "2026-11-23 10:15", until: "2026-11-23 18:00",
			cards: []string{"2026-11-23 10:15 for 2026-11-23"},
		},
		{
			name: "over a whole day", restart: "2026-11-24 10:15", until: "2026-11-24 18:00",
			cards:  []string{"2026-11-24 10:15 for 2026-11-24"},
			missed: []string{"2026-11-23 09:30"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := configStartingAt(t, "2026-11-23T08:00:00+08:00")
			first := startApp(t, cfg, "")
			first.reply("alice", "alpha", "/project new Downtime")
			first.reply("alice", "alpha", "/task new 准备材料 @bob due:2026-12-18")
			first.act("bob", first.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
			first.at("2026-11-23 08:59")
			if n := len(first.timedCards("dm:bob", "checkin")); n != 0 {
				t.Fatalf("bob has %d check-in cards before 09:30", n)
			}
			first.stop()

			restart, err := time.ParseInLocation("2006-01-02 15:04", tc.restart, shanghai)
			if err != nil {
				t.Fatal(err)
			}
			setStoredClock(t, first.db, restart)
			second := startApp(t, cfg, first.db)
			check := func(when string) {
				t.Helper()
				var got []string
				for _, c := range second.timedCards("dm:bob", "checkin") {
					got = append(got, c.wall()+" for "+c.Card.Refs["checkin"])
				}
				if !slices.Equal(got, tc.cards) {
					t.Errorf("%s: bob's check-in cards %v, want %v", when, got, tc.cards)
				}
			}
			check("right after the restart")
			second.at(tc.until)
			check("at " + tc.until)

			misses, err := second.app.scheduler.Missed(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var missed []string
			for _, m := range misses {
				if m.Job == "checkin" {
					missed = append(missed, m.Slot.In(shanghai).Format("2006-01-02 15:04"))
				}
			}
			if !slices.Equal(missed, tc.missed) {
				t.Errorf("missed check-in slots %v, want %v (all misses: %+v)", missed, tc.missed, misses)
			}
		})
	}
}
