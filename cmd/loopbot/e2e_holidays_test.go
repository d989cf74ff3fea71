package main

import (
	"strings"
	"testing"
	"time"
)

// noDataNotices returns the notices about a year without holiday data in a
// person's direct chat.
func noDataNotices(ta *testApp, person string) []chatMessage {
	var out []chatMessage
	for _, m := range ta.timedCards("dm:"+person, "notice") {
		if strings.Contains(m.Card.Title, "节假日安排") || strings.Contains(m.Card.Title, "holiday schedule") {
			out = append(out, m)
		}
	}
	return out
}

// TestNoHolidayDataWarning moves the clock into December 2026 (2027 has no
// shipped schedule): alice, the admin, gets one notice that names 2027 and
// how to add it; bob, a manager, gets none. Through December, a restart and
// into 2027 there is no second one, and on Friday 2027-01-01, a plain
// Mon–Fri working day until data is added, bob gets his check-in card.
func TestNoHolidayDataWarning(t *testing.T) {
	first := startApp(t, configStartingAt(t, "2026-11-30T17:00:00+08:00"), "")
	first.reply("alice", "alpha", "/project new 跨年")
	first.reply("alice", "alpha", "/task new 年终盘点 @bob due:2027-01-29")
	first.act("bob", first.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
	if n := len(noDataNotices(first, "alice")); n != 0 {
		t.Fatalf("alice got %d notices in November 2026, which has data", n)
	}
	first.at("2026-12-01 10:00")
	notices := noDataNotices(first, "alice")
	if len(notices) != 1 {
		t.Fatalf("alice got %d notices about a year without holiday data on 12-01, want 1", len(notices))
	}
	text := notices[0].Card.Title + "\n" + notices[0].Card.Text
	for _, want := range []string{"2027", "/节假日 添加", "extra_holidays"} {
		if !strings.Contains(text, want) {
			t.Errorf("the notice does not say %q:\n%s", want, text)
		}
	}
	if got := notices[0].wall(); got != "2026-12-01 09:00" {
		t.Errorf("the notice came at %s, want at the start of the first working day of December", got)
	}
	if n := len(noDataNotices(first, "bob")); n != 0 {
		t.Errorf("bob, who is no admin, got %d notices", n)
	}
	first.at("2026-12-03 10:00")
	first.stop()

	// Down until New Year's Day: the start and the day bring no second
	// notice; 2027-01-01 is a Friday and, without data, a working day.
	setStoredClock(t, first.db, time.Date(2027, 1, 1, 8, 0, 0, 0, shanghai))
	second := startApp(t, testConfig, first.db)
	second.at("2027-01-01 10:00")
	if n := len(noDataNotices(second, "alice")); n != 1 {
		t.Errorf("alice has %d notices after the restart into 2027, want still 1", n)
	}
	got := second.timedCards("dm:bob", "checkin")
	if len(got) == 0 || got[len(got)-1].wall() != "2027-01-01 09:30" {
		t.Errorf("bob's check-in cards %v, want one on 2027-01-01 09:30 (a year without data is Mon–Fri)", walls(got))
	}
}

// TestNoHolidayDataWarningAtStart starts a new service in a year without
// data, and one in December: the admins are told at start, about the
// current year and about the next one.
func TestNoHolidayDataWarningAtStart(t *testing.T) {
	for _, tc := range []struct{ start, year string }{
		{"2027-03-08T10:00:00+08:00", "2027"},
		{"2026-12-20T22:00:00+08:00", "2027"},
	} {
		ta := startApp(t, configStartingAt(t, tc.start), "")
		notices := noDataNotices(ta, "alice")
		if len(notices) != 1 || !strings.Contains(notices[0].Card.Title, tc.year) {
			t.Errorf("start at %s: alice's notices %v, want one about %s", tc.start, walls(notices), tc.year)
		}
		if n := len(noDataNotices(ta, "carol")); n != 0 {
			t.Errorf("start at %s: carol, who is no admin, got %d notices", tc.start, n)
		}
	}
	// Shipped data for the current year, and not December: nothing.
	ta := startApp(t, configStartingAt(t, "2026-11-23T09:00:00+08:00"), "")
	if n := len(noDataNotices(ta, "alice")); n != 0 {
		t.Errorf("start in November 2026: alice got %d notices", n)
	}
}
