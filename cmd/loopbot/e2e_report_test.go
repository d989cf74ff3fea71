package main

import (
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestReportPeriods covers /report: on a Monday before the new week has any
// data it shows the week that just ended, says so, and agrees with that
// week's summary; month is the calendar month; a period it does not know is
// refused with the accepted forms.
func TestReportPeriods(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha acceptance:off")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-11-25")
	ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
	ta.at("2026-11-23 09:30")
	ta.checkin("bob", "submit", map[string]string{"progress.T1": "50", "hours.T1": "3"})
	ta.at("2026-11-24 10:00")
	ta.reply("bob", "dm", "/done T1")

	// Monday 09:05: the weekly summary of W48 went out at 09:00; W49 has
	// nothing yet.
	ta.at("2026-11-30 09:05")
	weekly := ta.lastCard("alpha", "review_summary").Card
	if !strings.Contains(weekly.Title, "2026-W48") {
		t.Fatalf("weekly summary = %q", weekly.Title)
	}
	report := ta.newCard("alice", "alpha", "/report")
	if report.Title != weekly.Title || !strings.Contains(report.Text, "本周尚无数据") || !strings.Contains(report.Text, "2026-W48") {
		t.Errorf("/report on Monday morning = %q\n%s\nwant last week, W48, and a line that says so", report.Title, report.Text)
	}
	if !sameFields(report.Fields, weekly.Fields) {
		t.Errorf("/report of W48 = %+v\nthe weekly summary of W48 = %+v", report.Fields, weekly.Fields)
	}

	month := ta.newCard("alice", "alpha", "/report P1 month")
	if month.Title != "月报 · Alpha · 2026-11" {
		t.Errorf("/report P1 month title = %q, want the calendar month", month.Title)
	}
	if got := field(&month, "期间"); got != "2026-11-01 周日 – 2026-11-30 周一" {
		t.Errorf("month period = %q", got)
	}
	// All the project's work so far was in W48: the month's figures are
	// that week's.
	for _, label := range []string{"计划 → 完成", "按时完成率", "逾期", "打卡参与", "工时"} {
		if w, m := strings.Fields(field(weekly, label))[0], strings.Fields(field(&month, label))[0]; w != m {
			t.Errorf("%s: month %q, but its only week says %q", label, field(&month, label), field(weekly, label))
		}
	}
	if got := field(&month, "工时"); !strings.HasPrefix(got, "3") {
		t.Errorf("month hours = %q, want bob's 3", got)
	}

	for _, bad := range []string{"/report P1 year", "/report year", "/report P1 week P2", "/report P1 月 上周"} {
		before := len(ta.cards("alpha", "review_summary"))
		got := ta.reply("alice", "alpha", bad)
		if !strings.HasPrefix(got, "⚠️") || !strings.Contains(got, "week") || !strings.Contains(got, "month") {
			t.Errorf("%s: reply %q, want a refusal that gives week and month", bad, got)
		}
		if len(ta.cards("alpha", "review_summary")) != before {
			t.Errorf("%s: a report card was sent anyway", bad)
		}
	}

	// Once the new week has data, /report is this week so far.
	ta.at("2026-11-30 10:00")
	ta.reply("alice", "alpha", "/task new 联调 @bob due:2026-12-04")
	now := ta.newCard("alice", "alpha", "/report")
	if !strings.Contains(now.Title, "2026-W49") || strings.Contains(now.Text, "尚无数据") ||
		field(&now, "期间") != "2026-11-30 周一 – 2026-11-30 周一（截至目前）" {
		t.Errorf("/report once W49 has data = %q, %q, %q", now.Title, field(&now, "期间"), now.Text)
	}
}

// newCard sends a command and returns the one card it answers with.
func (ta *testApp) newCard(from, chat, text string) bot.Card {
	ta.tb.Helper()
	for _, m := range ta.say(from, chat, text) {
		if m.From == "bot" && m.Card != nil {
			return *m.Card
		}
	}
	ta.tb.Fatalf("%s: no card answers %q", from, text)
	return bot.Card{}
}

func sameFields(a, b []bot.Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
