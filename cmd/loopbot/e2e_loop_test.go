package main

import (
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestTwoWeeks runs two weeks of a small project on the fake clock: three
// people, four tasks with dependencies, daily check-ins, warnings and
// escalations, and the weekly review and summary. The KPIs of the first
// week's summary were computed by hand from this script (see kpiWeek48).
func TestTwoWeeks(t *testing.T) {
	ta := startApp(t, testConfig, "")
	week1Monday(t, ta)
	week1Tuesday(t, ta)
	week1Wednesday(t, ta)
	week1Thursday(t, ta)
	week1Friday(t, ta)
	weekend(t, ta)
	week2(t, ta)
}

// countCheckins counts the check-in cards of a person.
func countCheckins(ta *testApp, person string) int { return len(ta.cards("dm:"+person, "checkin")) }

func week1Monday(t *testing.T, ta *testApp) {
	ta.reply("alice", "alpha", "/project new Alpha due:2026-12-31")
	ta.reply("alice", "alpha", "/task new 需求分析 @bob due:2026-11-25")
	ta.reply("alice", "alpha", "/task new 系统设计 @carol due:2026-11-27 after:T1")
	ta.reply("alice", "alpha", "/task new 开发 @bob due:2026-12-04 after:T2")
	ta.reply("alice", "alpha", "/task new 周报模板 @carol due:2026-11-26")
	ta.reply("carol", "dm", "/settings checkin 10:00")
	for _, c := range ta.cards("dm:bob", "task_assigned") {
		ta.act("bob", c.ID, "accept", nil)
	}
	for _, c := range ta.cards("dm:carol", "task_assigned") {
		ta.act("carol", c.ID, "accept", nil)
	}

	// Check-ins come at each person's own time; alice has no task.
	ta.at("2026-11-23 09:29")
	if n := countCheckins(ta, "bob"); n != 0 {
		t.Fatalf("bob has %d check-in cards before 09:30", n)
	}
	ta.at("2026-11-23 09:30")
	bobCard := ta.lastCard("dm:bob", "checkin")
	if !hasInput(bobCard.Card, "progress.T1") || !hasInput(bobCard.Card, "status.T3") || countCheckins(ta, "carol") != 0 {
		t.Fatalf("09:30: bob's card %+v, carol has %d", bobCard.Card.Inputs, countCheckins(ta, "carol"))
	}
	ta.at("2026-11-23 10:00")
	if countCheckins(ta, "carol") != 1 || countCheckins(ta, "alice") != 0 || countCheckins(ta, "dave") != 0 {
		t.Fatalf("10:00: carol %d, alice %d, dave %d check-in cards", countCheckins(ta, "carol"), countCheckins(ta, "alice"), countCheckins(ta, "dave"))
	}
	// A wrong value is refused with a toast naming the field; nothing is saved.
	if ans := ta.act("bob", bobCard.ID, "submit", map[string]string{"progress.T1": "140"}); !strings.Contains(ans.Toast, "progress.T1") {
		t.Fatalf("bad progress: %+v", ans)
	}
	if ans := ta.act("bob", bobCard.ID, "submit", map[string]string{"hours.T1": "20", "hours.T3": "5"}); !strings.Contains(ans.Toast, "24") {
		t.Fatalf("too many hours: %+v", ans)
	}
	if tk := ta.task("T1"); tk.Progress != 0 {
		t.Fatalf("a refused check-in changed T1: %+v", tk)
	}
	ta.checkin("bob", "submit", map[string]string{"progress.T1": "40", "hours.T1": "3"})
	if tk := ta.task("T1"); tk.Progress != 40 {
		t.Fatalf("T1 after check-in = %+v", tk)
	}

	// One reminder, at 10:00 + 2h, for carol only.
	ta.at("2026-11-23 11:59")
	if n := len(ta.cards("dm:carol", "checkin_reminder")); n != 0 {
		t.Fatalf("carol reminded %d times before 12:00", n)
	}
	ta.at("2026-11-23 17:30")
	if n := len(ta.cards("dm:carol", "checkin_reminder")); n != 1 || len(ta.cards("dm:bob", "checkin_reminder")) != 0 {
		t.Fatalf("reminders: carol %d, bob %d", n, len(ta.cards("dm:bob", "checkin_reminder")))
	}
	digest := ta.lastCard("alpha", "daily_digest")
	if v := field(digest.Card, "已打卡"); v != "1/2" || !strings.Contains(field(digest.Card, "未打卡"), "Carol") || !strings.Contains(digest.Card.Text, "T1 需求分析: 0% → 40%") {
		t.Fatalf("Monday digest = %+v", digest.Card)
	}
}

func week1Tuesday(t *testing.T, ta *testApp) {
	ta.at("2026-11-24 10:05")
	ta.checkin("bob", "submit", map[string]string{"progress.T1": "80", "hours.T1": "4"})
	ta.checkin("carol", "submit", map[string]string{"progress.T2": "10", "status.T2": "at_risk", "hours.T2": "2", "progress.T4": "50", "hours.T4": "2"})
	ta.at("2026-11-24 10:30")
	ta.reply("carol", "dm", "/block T2 等待接口定义")

	// Blocked for 4 working hours: a blue card to carol at 14:30.
	ta.at("2026-11-24 14:29")
	if n := len(ta.cards("dm:carol", "escalation")); n != 0 {
		t.Fatalf("carol warned %d times before 14:30", n)
	}
	ta.at("2026-11-24 14:30")
	blocked := ta.lastCard("dm:carol", "escalation")
	if blocked.Card.Color != "blue" || blocked.Card.Refs["task"] != "T2" || !strings.Contains(blocked.Card.Title, "阻塞") {
		t.Fatalf("blocked warning = %+v", blocked.Card)
	}
	// Unblock resolves it, and the card changes in place.
	ta.at("2026-11-24 15:00")
	ta.reply("carol", "dm", "/unblock T2")
	if c := ta.card("dm:carol", blocked.ID); len(c.Card.Actions) != 0 || c.Card.Color != "green" || !strings.Contains(c.Card.Text, "已解决") {
		t.Fatalf("blocked warning after unblock = %+v", c.Card)
	}

	ta.at("2026-11-24 17:30")
	d := ta.lastCard("alpha", "daily_digest")
	for _, want := range []string{"T1 需求分析: 40% → 80%", "T2 系统设计: 0% → 10%", "T4 周报模板: 0% → 50%", "等待接口定义", "T2 系统设计 (Carol)"} {
		if !strings.Contains(d.Card.Text, want) {
			t.Errorf("Tuesday digest lacks %q:\n%s", want, d.Card.Text)
		}
	}
	if v := field(d.Card, "已打卡"); v != "2/2" {
		t.Errorf("Tuesday digest answered = %q", v)
	}
}

func week1Wednesday(t *testing.T, ta *testApp) {
	ta.at("2026-11-25 09:35")
	ta.checkin("bob", "nochange", nil)
	ta.at("2026-11-25 10:05")
	ta.checkin("carol", "submit", map[string]string{"progress.T2": "20", "hours.T2": "3", "progress.T4": "80", "hours.T4": "1"})
	ta.at("2026-11-25 10:30")
	ta.reply("carol", "dm", "/done T4")
	ta.act("alice", ta.lastCard("dm:alice", "acceptance").ID, "verify", nil)
	// T1 is due today: overdue once the working day ends, but the first
	// warning waits for bob's working hours.
	ta.at("2026-11-25 23:00")
	for _, c := range ta.cards("dm:bob", "escalation") {
		t.Fatalf("bob warned outside working hours: %+v", c.Card)
	}
}

func week1Thursday(t *testing.T, ta *testApp) {
	ta.at("2026-11-26 09:00")
	warnings := ta.cards("dm:bob", "escalation")
	if len(warnings) != 2 {
		t.Fatalf("Thursday 09:00 bob has %d warnings, want overdue T1 and stale T3", len(warnings))
	}
	overdue, stale := warnings[0], warnings[1]
	if overdue.Card.Refs["task"] != "T1" {
		overdue, stale = stale, overdue
	}
	if overdue.Card.Refs["task"] != "T1" || !strings.Contains(overdue.Card.Title, "逾期") || stale.Card.Refs["task"] != "T3" || !strings.Contains(stale.Card.Title, "无进展") {
		t.Fatalf("warnings: %+v / %+v", overdue.Card, stale.Card)
	}
	ta.at("2026-11-26 09:35")
	ta.checkin("bob", "submit", map[string]string{"progress.T1": "90", "hours.T1": "4"})
	ta.at("2026-11-26 10:05")
	ta.checkin("carol", "submit", map[string]string{"progress.T2": "30", "hours.T2": "4"})
	// A progress change resolves stale, in place.
	ta.at("2026-11-26 11:00")
	ta.reply("bob", "dm", "/progress T3 10")
	if c := ta.card("dm:bob", stale.ID); len(c.Card.Actions) != 0 || c.Card.Color != "green" {
		t.Fatalf("stale warning after progress = %+v", c.Card)
	}
	// Yellow after one working day from the first warning: Thu 18:00 is
	// outside working hours, so alice gets it on Friday at 09:00.
	ta.at("2026-11-26 23:00")
	if n := len(ta.cards("dm:alice", "escalation")); n != 0 {
		t.Fatalf("alice has %d escalations on Thursday", n)
	}
}

func week1Friday(t *testing.T, ta *testApp) {
	ta.at("2026-11-27 09:00")
	yellow := ta.cards("dm:alice", "escalation")
	if len(yellow) != 1 || yellow[0].Card.Color != "yellow" || yellow[0].Card.Refs["task"] != "T1" {
		t.Fatalf("Friday 09:00 alice's escalations = %+v", yellow)
	}
	// Acknowledge holds the ladder until the task changes.
	ans := ta.act("alice", yellow[0].ID, "ack", nil)
	if ans.Card == nil || !strings.Contains(ans.Card.Text, "已知悉") {
		t.Fatalf("ack = %+v", ans)
	}
	ta.at("2026-11-27 09:35")
	ta.checkin("bob", "nochange", nil)
	// Carol does not answer today. The review prompt comes at 16:00.
	ta.at("2026-11-27 15:59")
	if n := len(ta.cards("dm:bob", "review_prompt")); n != 0 {
		t.Fatalf("review prompt before 16:00: %d", n)
	}
	ta.at("2026-11-27 16:00")
	for person, cause := range map[string]string{"alice": "external", "bob": "technical", "carol": "technical"} {
		prompts := ta.cards("dm:"+person, "review_prompt")
		if len(prompts) != 1 {
			t.Fatalf("%s has %d review prompts", person, len(prompts))
		}
		ans := ta.act(person, prompts[0].ID, "submit", map[string]string{"cause": cause, "slipped": "接口定义晚了", "next_week": "开发"})
		if ans.Card == nil || len(ans.Card.Actions) != 0 {
			t.Fatalf("%s review = %+v", person, ans)
		}
	}
	if n := len(ta.cards("dm:dave", "review_prompt")); n != 0 {
		t.Fatalf("dave is in no project but got %d review prompts", n)
	}
}

func weekend(t *testing.T, ta *testApp) {
	ta.at("2026-11-27 23:00")
	before := map[string]int{}
	for _, chat := range []string{"dm:alice", "dm:bob", "dm:carol", "alpha"} {
		before[chat] = len(ta.chat(chat))
	}
	ta.at("2026-11-29 23:00")
	for chat, n := range before {
		if got := len(ta.chat(chat)); got != n {
			t.Errorf("%s got %d messages over the weekend", chat, got-n)
		}
	}
}

// kpiWeek48 are the fields of the first week's summary, computed by hand:
//   - planned: T1 (11-25), T4 (11-26), T2 (11-27) are due in the week; only
//     T4 was done (Wed) → 3 → 1, and 1 of 1 completed on time;
//   - overdue at the week's end: T1 (2 working days: Thu, Fri) and T2 (0);
//   - check-ins: bob asked 5, answered 5; carol asked 5 (Mon–Fri), answered
//     Tue, Wed, Thu → 8/10; alice had no task and was not asked;
//   - hours: bob 3 + 4 + 4, carol 4 + 4 + 4 → 23;
//   - warnings opened: T2 blocked (Tue 14:30), T1 overdue and T3 stale
//     (Wed 18:00), T2 due soon (Thu 18:00), T2 overdue (Fri 18:00) → 5;
//     resolved: T2 blocked after 0.5 h, T3 stale after 2 h, T2 due soon
//     after 9 h → 3, 3.8 h on average;
//   - causes: technical 2, external 1; due next week: T3; last week: empty.
var kpiWeek48 = map[string]string{
	"计划 → 完成": "3 → 1 ↑1",
	"按时完成率":   "100%（1/1）",
	"逾期":      "2 项，共逾期 2 个工作日 ↑2",
	"打卡参与":    "80%（8/10）",
	"工时":      "23 ↑23",
	"督办":      "新增 5，解决 3，平均 3.8 小时解决",
}

func week2(t *testing.T, ta *testApp) {
	ta.at("2026-11-30 09:00")
	for _, chat := range []string{"dm:alice", "alpha"} {
		sum := ta.lastCard(chat, "review_summary")
		for label, want := range kpiWeek48 {
			if got := field(sum.Card, label); got != want {
				t.Errorf("%s summary %s = %q, want %q", chat, label, got, want)
			}
		}
		if !strings.Contains(sum.Card.Text, "技术难点: 2\n- 外部依赖: 1") || !strings.Contains(sum.Card.Text, "T3 开发") {
			t.Errorf("%s summary text:\n%s", chat, sum.Card.Text)
		}
		if sum.Card.Chart == nil || sum.Card.Chart.Type != "burnup" || len(sum.Card.Chart.Series) != 2 {
			t.Errorf("%s summary chart = %+v", chat, sum.Card.Chart)
		}
	}
	// T2's due-soon warning (Fri 09:00) was superseded when T2 became
	// overdue at Fri 18:00: grey, not a green "resolved".
	dueSoon := 0
	for _, c := range ta.cards("dm:carol", "escalation") {
		if !strings.Contains(c.Card.Title, "即将到期") {
			continue
		}
		dueSoon++
		if c.Card.Color != "grey" || !strings.Contains(c.Card.Text, "已转为逾期") {
			t.Errorf("superseded due-soon card = %+v", c.Card)
		}
	}
	if dueSoon != 1 {
		t.Errorf("carol got %d due-soon warnings for T2, want 1", dueSoon)
	}
	// The acknowledged T1 did not reach the group.
	if n := len(ta.cards("alpha", "group_warning")); n != 0 {
		t.Fatalf("acknowledged warning reached the group: %d", n)
	}
	// A change releases the acknowledgement: red at the next check.
	ta.at("2026-11-30 10:00")
	ta.reply("bob", "dm", "/progress T1 95")
	ta.at("2026-11-30 10:05")
	red := ta.cards("alpha", "group_warning")
	if len(red) != 1 || red[0].Card.Color != "red" || !strings.Contains(red[0].Card.Text, "T1 需求分析") || !strings.Contains(red[0].Card.Text, "影响后续：T2 系统设计") {
		t.Fatalf("group warning after the change = %+v", red)
	}
	week2Rest(t, ta, red[0])
}

func week2Rest(t *testing.T, ta *testApp, red chatMessage) {
	// Done resolves overdue: the blue, yellow and red cards change in place.
	ta.at("2026-11-30 11:00")
	ta.reply("bob", "dm", "/done T1")
	blue := ta.cards("dm:bob", "escalation")[0]
	yellow := ta.cards("dm:alice", "escalation")[0]
	for _, c := range []chatMessage{ta.card("dm:bob", blue.ID), ta.card("dm:alice", yellow.ID)} {
		if len(c.Card.Actions) != 0 || c.Card.Color != "green" {
			t.Errorf("T1 warning after done = %+v", c.Card)
		}
	}
	if c := ta.card("alpha", red.ID); !strings.Contains(c.Card.Text, "✅") || c.Card.Color != "green" {
		t.Errorf("group warning after done = %+v", c.Card)
	}
	ta.reply("alice", "alpha", "/task new 部署脚本 @bob due:2026-12-01")
	ta.reply("alice", "alpha", "/task new 测试用例 @carol due:2026-12-01")
	ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
	ta.act("carol", ta.lastCard("dm:carol", "task_assigned").ID, "accept", nil)
	ta.checkin("bob", "nochange", nil)
	week2Tuesday(t, ta)
	week2Later(t, ta)
}

func week2Tuesday(t *testing.T, ta *testApp) {
	// Carol left Friday's and Monday's check-ins unanswered: missed_checkins.
	ta.at("2026-12-01 09:00")
	var missed chatMessage
	for _, c := range ta.cards("dm:carol", "escalation") {
		if strings.Contains(c.Card.Title, "未打卡") {
			missed = c
		}
	}
	if missed.ID == "" || len(ta.cards("dm:alice", "escalation")) != 2 {
		t.Fatalf("Tuesday 09:00: missed check-ins warning %+v, alice's escalations %d", missed.Card, len(ta.cards("dm:alice", "escalation")))
	}
	// T2's yellow card reached alice; she snoozes it for a working day.
	yellow := ta.lastCard("dm:alice", "escalation")
	if yellow.Card.Refs["task"] != "T2" || yellow.Card.Color != "yellow" {
		t.Fatalf("T2 yellow = %+v", yellow.Card)
	}
	ta.at("2026-12-01 09:10")
	if ans := ta.act("alice", yellow.ID, "snooze", map[string]string{"duration": "1d"}); !strings.Contains(ans.Toast, "12-02 09:10") {
		t.Fatalf("snooze = %+v", ans)
	}
	ta.checkin("bob", "nochange", nil)
	ta.at("2026-12-01 10:05")
	ta.checkin("carol", "nochange", nil)
	if c := ta.card("dm:carol", missed.ID); len(c.Card.Actions) != 0 || c.Card.Color != "green" {
		t.Fatalf("missed check-ins warning after answering = %+v", c.Card)
	}
	// The red warning for T2 was due at Tue 18:00, so on Wednesday at
	// 09:00; the snooze holds it until 09:10.
	ta.at("2026-12-02 09:05")
	if n := countGroupWarnings(ta, "T2 系统设计"); n != 0 {
		t.Fatalf("T2 reached the group while snoozed")
	}
	ta.at("2026-12-02 09:10")
	if n := countGroupWarnings(ta, "T2 系统设计"); n != 1 {
		t.Fatalf("T2 group warnings after the snooze = %d", n)
	}
	ta.checkin("bob", "nochange", nil)
	ta.at("2026-12-02 10:05")
	ta.checkin("carol", "nochange", nil)
}

// countGroupWarnings counts the group warnings that name a task (not as a
// task it holds up).
func countGroupWarnings(ta *testApp, task string) int {
	n := 0
	for _, c := range ta.cards("alpha", "group_warning") {
		if strings.Contains(c.Card.Text, "**"+task+"**") {
			n++
		}
	}
	return n
}

func week2Later(t *testing.T, ta *testApp) {
	for _, day := range []string{"2026-12-03", "2026-12-04"} {
		ta.at(day + " 09:35")
		ta.checkin("bob", "nochange", nil)
		ta.at(day + " 10:05")
		ta.checkin("carol", "nochange", nil)
	}
	// Friday 09:00: T5 and T6 reached red together, and T2 is repeated once
	// a day: one card for all three.
	cards := ta.cards("alpha", "group_warning")
	last := cards[len(cards)-1]
	for _, want := range []string{"**T2 系统设计**", "**T5 部署脚本**", "**T6 测试用例**"} {
		if !strings.Contains(last.Card.Text, want) {
			t.Errorf("Friday's group warning lacks %s:\n%s", want, last.Card.Text)
		}
	}
	if n := countGroupWarnings(ta, "T2 系统设计"); n != 3 {
		t.Errorf("T2 was in %d group warnings Wed–Fri, want one a day", n)
	}
	ta.at("2026-12-04 16:00")
	if n := len(ta.cards("dm:bob", "review_prompt")); n != 2 {
		t.Errorf("bob has %d review prompts after two Fridays", n)
	}
	ta.at("2026-12-07 09:00")
	if sum := ta.lastCard("dm:alice", "review_summary"); !strings.Contains(sum.Card.Title, "2026-W49") {
		t.Errorf("second summary = %s", sum.Card.Title)
	}
	// Two working weeks: ten check-in cards each, and not one more.
	for _, p := range []string{"bob", "carol"} {
		if n := countCheckins(ta, p); n != 10 {
			t.Errorf("%s got %d check-in cards in two weeks, want 10", p, n)
		}
	}
}

func hasInput(c *bot.Card, name string) bool {
	for _, in := range c.Inputs {
		if in.Name == name {
			return true
		}
	}
	return false
}

func field(c *bot.Card, label string) string {
	for _, f := range c.Fields {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}
