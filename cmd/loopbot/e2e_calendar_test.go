package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests of this file run the working-day calendar of SPEC §5 (the 2026
// PRC schedule) through the playground: check-ins, warnings and the weekly
// review on holidays and make-up working days.

// timedMessage is a chat message with its time.
type timedMessage = chatMessage

// day returns the Shanghai date of the message, "2026-10-08".
func (m timedMessage) day() string { return m.Time.In(shanghai).Format(time.DateOnly) }

// wall returns the Shanghai wall time of the message, "2026-10-08 09:00".
func (m timedMessage) wall() string { return m.Time.In(shanghai).Format("2006-01-02 15:04") }

// timedCards returns the bot's cards of a kind in a chat, oldest first.
func (ta *testApp) timedCards(chat, kind string) []timedMessage {
	ta.tb.Helper()
	var out []timedMessage
	for _, m := range ta.chat(chat) {
		if m.From == "bot" && m.Card != nil && m.Card.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

// configStartingAt returns testConfig with the fake clock starting at an
// RFC 3339 instant.
func configStartingAt(tb testing.TB, start string) string {
	tb.Helper()
	const old = `fake_clock_start = "2026-11-23T09:00:00+08:00"`
	if !strings.Contains(testConfig, old) {
		tb.Fatalf("testConfig no longer has %s", old)
	}
	return strings.Replace(testConfig, old, `fake_clock_start = "`+start+`"`, 1)
}

// shanghaiDays returns the dates from..to (inclusive), "2026-10-01".
func shanghaiDays(tb testing.TB, from, to string) []string {
	tb.Helper()
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil {
		tb.Fatalf("days %s..%s: %v %v", from, to, err1, err2)
	}
	var out []string
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// playgroundChats are every chat of testConfig.
var playgroundChats = []string{"dm:alice", "dm:bob", "dm:carol", "dm:dave", "alpha"}

// answerTodaysCheckin answers a person's check-in card of a day, if they
// got one and it is still open, with a new progress for one task. It
// reports whether there was a card.
func answerTodaysCheckin(ta *testApp, person, day, task string, progress int) bool {
	ta.tb.Helper()
	for _, c := range ta.timedCards("dm:"+person, "checkin") {
		if c.Card.Refs["checkin"] != day || len(c.Card.Actions) == 0 {
			continue
		}
		ans := ta.act(person, c.ID, "submit", map[string]string{"progress." + task: strconv.Itoa(progress), "hours." + task: "2"})
		if ans.Card == nil || len(ans.Card.Actions) != 0 {
			ta.tb.Fatalf("%s's check-in of %s: %+v", person, day, ans)
		}
		return true
	}
	return false
}

// TestNationalDay runs a project across the 2026 National Day holiday
// (Oct 1–7 off, Sat Oct 10 a make-up working day): check-in cards come on
// working days only, nobody hears from the bot during the holiday, and the
// warning of a task that fell due the day before waits for Oct 8.
func TestNationalDay(t *testing.T) {
	ta := startApp(t, configStartingAt(t, "2026-09-30T08:00:00+08:00"), "")
	ta.reply("alice", "alpha", "/project new Alpha due:2026-12-31")
	ta.reply("alice", "alpha", "/task new 节前交付 @bob due:2026-09-30")
	ta.reply("alice", "alpha", "/task new 节后开发 @bob due:2026-10-30")
	for _, c := range ta.cards("dm:bob", "task_assigned") {
		ta.act("bob", c.ID, "accept", nil)
	}

	// Day by day to Sunday Oct 11, bob answering each card he gets.
	progress := 0
	for _, day := range shanghaiDays(t, "2026-09-30", "2026-10-11") {
		ta.at(day + " 09:35")
		if answerTodaysCheckin(ta, "bob", day, "T2", progress+5) {
			progress += 5
		}
		ta.at(day + " 23:00")
	}

	var got []string
	for _, c := range ta.timedCards("dm:bob", "checkin") {
		got = append(got, c.day())
		if c.Card.Refs["checkin"] != c.day() {
			t.Errorf("check-in card sent %s is for %s", c.wall(), c.Card.Refs["checkin"])
		}
		if !strings.HasSuffix(c.wall(), " 09:30") {
			t.Errorf("check-in card at %s, want 09:30", c.wall())
		}
	}
	if want := []string{"2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"}; !slices.Equal(got, want) {
		t.Errorf("bob's check-in cards came on %v, want %v (Oct 1–7 and Sunday Oct 11 are off, Sat Oct 10 is a make-up working day)", got, want)
	}

	// Nothing at all from the bot, to anyone, on a day off.
	off := append(shanghaiDays(t, "2026-10-01", "2026-10-07"), "2026-10-11")
	for _, chat := range playgroundChats {
		for _, m := range ta.chat(chat) {
			if m.From == "bot" && slices.Contains(off, m.day()) {
				t.Errorf("%s: the bot wrote on the day off %s: %s", chat, m.wall(), describe(m))
			}
		}
	}

	// T1 was overdue from Wed Sep 30 18:00: the first (blue) warning waits
	// for bob's next working hours, Thu Oct 8 09:00.
	overdue := taskWarnings(ta, "dm:bob", "T1", "逾期")
	if len(overdue) == 0 {
		t.Fatalf("bob never got the overdue warning of T1")
	}
	if first := overdue[0]; first.wall() != "2026-10-08 09:00" || first.Card.Color != "blue" {
		t.Errorf("first overdue warning of T1: %s %s, want blue at 2026-10-08 09:00", first.wall(), first.Card.Color)
	}
	// The ladder counts working time only: yellow to alice one working day
	// after it opened (Thu Oct 8 18:00, outside working hours, so Fri
	// 09:00), red in the group two working days after (Fri 18:00, so the
	// make-up Saturday at 09:00).
	if yellow := taskWarnings(ta, "dm:alice", "T1", ""); len(yellow) == 0 || yellow[0].wall() != "2026-10-09 09:00" || yellow[0].Card.Color != "yellow" {
		t.Errorf("alice's escalations of T1 = %v, want yellow at 2026-10-09 09:00", walls(yellow))
	}
	var red []timedMessage
	for _, c := range ta.timedCards("alpha", "group_warning") {
		if strings.Contains(c.Card.Text, "**T1 节前交付**") {
			red = append(red, c)
		}
	}
	if len(red) == 0 || red[0].wall() != "2026-10-10 09:00" {
		t.Errorf("group warnings of T1 = %v, want the first at 2026-10-10 09:00", walls(red))
	}
}

// taskWarnings returns the escalation cards about a task in a chat whose
// title contains a word ("" for any), oldest first.
func taskWarnings(ta *testApp, chat, task, word string) []timedMessage {
	ta.tb.Helper()
	var out []timedMessage
	for _, c := range ta.timedCards(chat, "escalation") {
		if c.Card.Refs["task"] == task && strings.Contains(c.Card.Title, word) {
			out = append(out, c)
		}
	}
	return out
}

func walls(msgs []timedMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.wall() + " " + describe(m)
	}
	return out
}

func describe(m timedMessage) string {
	if m.Card != nil {
		return fmt.Sprintf("%s card %q (%s)", m.Card.Kind, m.Card.Title, m.Card.Color)
	}
	return fmt.Sprintf("text %q", m.Text)
}

// TestReviewMovedByHolidays runs three weeks around the Mid-Autumn and
// National Day holidays: the review prompt (Friday 16:00) moves to the last
// working day of its week, and the weekly summary (Monday 09:00) to the
// first.
func TestReviewMovedByHolidays(t *testing.T) {
	ta := startApp(t, configStartingAt(t, "2026-09-21T08:00:00+08:00"), "")
	ta.reply("alice", "alpha", "/project new Alpha due:2026-12-31")
	ta.reply("alice", "alpha", "/project members P1 add @bob @carol")
	for _, day := range shanghaiDays(t, "2026-09-21", "2026-10-11") {
		ta.at(day + " 23:00")
	}

	prompts := map[string][]string{}
	for _, person := range []string{"alice", "bob", "carol"} {
		for _, c := range ta.timedCards("dm:"+person, "review_prompt") {
			prompts[person] = append(prompts[person], c.wall())
		}
	}
	want := []string{
		"2026-09-24 16:00", // Fri Sep 25 is the Mid-Autumn holiday: Thursday
		"2026-09-30 16:00", // Oct 1 and 2 are National Day: Wednesday
		"2026-10-09 16:00", // an ordinary Friday (Sat Oct 10 works, but Friday is the day)
	}
	for _, person := range []string{"alice", "bob", "carol"} {
		if !slices.Equal(prompts[person], want) {
			t.Errorf("%s's review prompts came at %v, want %v", person, prompts[person], want)
		}
	}
	if n := len(ta.timedCards("dm:dave", "review_prompt")); n != 0 {
		t.Errorf("dave is in no project but got %d review prompts", n)
	}

	// The summaries of weeks 39 and 40: Monday Sep 28, and Thursday Oct 8
	// because Oct 5–7 are off. (The one of Sep 21 covers the week before the
	// project began, and is not checked.)
	for _, chat := range []string{"dm:alice", "alpha"} {
		var got []string
		for _, c := range ta.timedCards(chat, "review_summary") {
			if c.day() != "2026-09-21" {
				got = append(got, c.wall()+" "+summaryWeek(c.Card.Title))
			}
		}
		if want := []string{"2026-09-28 09:00 2026-W39", "2026-10-08 09:00 2026-W40"}; !slices.Equal(got, want) {
			t.Errorf("%s: weekly summaries %v, want %v", chat, got, want)
		}
	}
}

// summaryWeek returns the ISO week named in a summary's title.
func summaryWeek(title string) string {
	if i := strings.Index(title, "2026-W"); i >= 0 && i+8 <= len(title) {
		return title[i : i+8]
	}
	return title
}
