package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var newYork = mustZone("America/New_York")

// TestDaylightSaving gives dave, who works from New York, a check-in time
// that daylight saving skips (02:30 on 2026-03-08) or repeats (01:30 on
// 2026-11-01), on Sundays made working days: he gets exactly one card that
// day, and his ordinary one on Monday (SPEC §5: a daylight-saving change
// neither skips nor doubles a run).
func TestDaylightSaving(t *testing.T) {
	cases := []struct {
		name    string
		start   string // the fake clock's start, RFC 3339
		sunday  string // the Sunday made a working day
		checkin string // dave's check-in time
		until   string // New York wall time the test runs to
		// cards are dave's check-in cards: New York wall time, offset and
		// the day they ask about.
		cards []string
	}{
		{
			// 02:00 EST jumps to 03:00 EDT: 02:30 does not exist that
			// night, so the card comes once the clock passes it, at 03:30
			// EDT. Saturday 03-07 is no working day.
			name: "spring forward", start: "2026-03-07T12:00:00-05:00", sunday: "2026-03-08", checkin: "02:30", until: "2026-03-09 12:00",
			cards: []string{"2026-03-08 03:30 -0400 for 2026-03-08", "2026-03-09 02:30 -0400 for 2026-03-09"},
		},
		{
			// 02:00 EDT falls back to 01:00 EST: 01:30 happens twice, and
			// the card comes once, at the first.
			name: "fall back", start: "2026-10-31T12:00:00-04:00", sunday: "2026-11-01", checkin: "01:30", until: "2026-11-02 12:00",
			cards: []string{"2026-11-01 01:30 -0400 for 2026-11-01", "2026-11-02 01:30 -0500 for 2026-11-02"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := strings.Replace(configStartingAt(t, tc.start), "id = \"dave\"\nname = \"Dave\"\n", "id = \"dave\"\nname = \"Dave\"\ntimezone = \"America/New_York\"\n", 1)
			if !strings.Contains(cfg, "America/New_York") {
				t.Fatal("could not give dave a time zone in the config")
			}
			ta := startApp(t, cfg, "")
			if got := ta.reply("alice", "dm", "/workday add "+tc.sunday); !strings.Contains(got, "📅") {
				t.Fatalf("/workday add %s: %q", tc.sunday, got)
			}
			ta.reply("alice", "alpha", "/project new DST")
			ta.reply("alice", "alpha", "/task new 跨时区联调 @dave due:2026-12-18")
			ta.act("dave", ta.lastCard("dm:dave", "task_assigned").ID, "accept", nil)
			if got := ta.reply("dave", "dm", "/settings checkin "+tc.checkin); !strings.Contains(got, tc.checkin) || !strings.Contains(got, "America/New_York") {
				t.Fatalf("/settings checkin %s: %q", tc.checkin, got)
			}

			// Every 30 minutes of New York time up to the end; dave answers
			// each card he gets.
			until, err := time.ParseInLocation("2006-01-02 15:04", tc.until, newYork)
			if err != nil {
				t.Fatal(err)
			}
			start, _ := time.Parse(time.RFC3339, tc.start)
			for at := start.Add(30 * time.Minute); !at.After(until); at = at.Add(30 * time.Minute) {
				ta.setClock(at)
				for _, c := range ta.timedCards("dm:dave", "checkin") {
					if len(c.Card.Actions) != 0 {
						ta.act("dave", c.ID, "nochange", nil)
					}
				}
			}

			var got []string
			for _, c := range ta.timedCards("dm:dave", "checkin") {
				got = append(got, c.Time.In(newYork).Format("2006-01-02 15:04 -0700")+" for "+c.Card.Refs["checkin"])
			}
			if !slices.Equal(got, tc.cards) {
				t.Errorf("dave's check-in cards (New York time) %v, want %v", got, tc.cards)
			}
		})
	}
}

// TestDaylightSavingCairo runs the loop in Cairo, where clocks jump from
// 00:00 to 01:00 on Friday 2026-04-24, with check-ins at 00:30: bob gets
// exactly one card on each working day, Friday's at 01:30 (the first
// instant after 00:30 moved forward by the gap), and Friday has its
// reminder and its digest like any other day.
func TestDaylightSavingCairo(t *testing.T) {
	cairo := mustZone("Africa/Cairo")
	cfg := configStartingAt(t, "2026-04-22T00:00:00+02:00") + "\n[calendar]\ntimezone = \"Africa/Cairo\"\n[checkin]\nat = \"00:30\"\n"
	ta := startApp(t, cfg, "")
	ta.reply("alice", "alpha", "/project new Cairo")
	ta.reply("alice", "alpha", "/task new 夜班巡检 @bob due:2026-05-29")
	ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
	until := time.Date(2026, 4, 28, 23, 0, 0, 0, cairo)
	ta.setClock(until)

	local := func(msgs []chatMessage) []string {
		var out []string
		for _, m := range msgs {
			out = append(out, m.Time.In(cairo).Format("01-02 15:04 -0700"))
		}
		return out
	}
	wantCards := []string{"04-22 00:30 +0200", "04-23 00:30 +0200", "04-24 01:30 +0300", "04-27 00:30 +0300", "04-28 00:30 +0300"}
	if got := local(ta.timedCards("dm:bob", "checkin")); !slices.Equal(got, wantCards) {
		t.Errorf("bob's check-in cards (Cairo time) %v, want %v", got, wantCards)
	}
	wantReminders := []string{"04-22 02:30 +0200", "04-23 02:30 +0200", "04-24 03:30 +0300", "04-27 02:30 +0300", "04-28 02:30 +0300"}
	if got := local(ta.timedCards("dm:bob", "checkin_reminder")); !slices.Equal(got, wantReminders) {
		t.Errorf("bob's reminders (Cairo time) %v, want %v", got, wantReminders)
	}
	wantDigests := []string{"04-22 17:30 +0200", "04-23 17:30 +0200", "04-24 17:30 +0300", "04-27 17:30 +0300", "04-28 17:30 +0300"}
	if got := local(ta.timedCards("alpha", "daily_digest")); !slices.Equal(got, wantDigests) {
		t.Errorf("the group's digests (Cairo time) %v, want %v", got, wantDigests)
	}
}
