package main

import (
	"strings"
	"testing"
	"time"
)

// TestDigestCountsEveryAnswerOnce: each daily digest reports what happened
// since the one before, by the time of the answer, so that Dave in New York,
// whose day falls between two digests in Shanghai, is in exactly one
// (issue 6, item 5); and a digest lists the overdue tasks instead of saying
// that nothing happened (item 11).
func TestDigestCountsEveryAnswerOnce(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-12-31")
	ta.reply("alice", "alpha", "/task new 支付对接 @dave due:2026-12-31")
	ta.reply("alice", "alpha", "/task new 测试计划 @carol due:2026-11-23")
	for _, who := range []string{"bob", "dave", "carol"} {
		ta.act(who, ta.lastCard("dm:"+who, "task_assigned").ID, "accept", nil)
	}
	ta.reply("dave", "dm", "/settings timezone America/New_York")
	ta.at("2026-11-23 09:30")
	ta.checkin("bob", "submit", map[string]string{"progress.T1": "20"})

	// Monday 17:30 in Shanghai: Dave's Monday has not begun in New York.
	ta.at("2026-11-23 17:30")
	mon := ta.lastCard("alpha", "daily_digest")
	if v := field(mon.Card, "已打卡"); v != "1/2" || !strings.Contains(mon.Card.Text, "T1 接口文档: 0% → 20%") {
		t.Fatalf("Monday digest = %q %q", v, mon.Card.Text)
	}

	// Dave answers at 09:45 in New York, 22:45 in Shanghai.
	ny := mustZone("America/New_York")
	ta.setClock(time.Date(2026, 11, 23, 9, 45, 0, 0, ny))
	ta.checkin("dave", "submit", map[string]string{"progress.T2": "40", "status.T2": "blocked", "note.T2": "waiting for API key"})

	ta.at("2026-11-24 17:30")
	tue := ta.lastCard("alpha", "daily_digest")
	if tue.ID == mon.ID {
		t.Fatal("no digest on Tuesday")
	}
	for _, want := range []string{"T2 支付对接: 0% → 40%", "T2 支付对接: waiting for API key"} {
		if !strings.Contains(tue.Card.Text, want) {
			t.Errorf("Tuesday digest lacks %q:\n%s", want, tue.Card.Text)
		}
	}
	if strings.Contains(tue.Card.Text, "T1 接口文档: 0% → 20%") {
		t.Errorf("Tuesday digest repeats Monday's progress:\n%s", tue.Card.Text)
	}
	// Dave's answer, and Bob and Carol asked on Tuesday (neither answered).
	if v := field(tue.Card, "已打卡"); v != "1/3" {
		t.Errorf("Tuesday digest answered = %q, want 1/3 (Dave)", v)
	}
	if v := field(tue.Card, "未打卡"); strings.Contains(v, "Dave") {
		t.Errorf("Tuesday digest lists Dave as not answered: %q", v)
	}

	// Bob answers Tuesday's card late, after Tuesday's digest: his answer
	// and its progress are in Wednesday's digest, and only there.
	ta.at("2026-11-24 19:00")
	ta.checkin("bob", "submit", map[string]string{"progress.T1": "50"})

	// Wednesday: T3 is overdue since Monday.
	ta.at("2026-11-25 17:30")
	wed := ta.lastCard("alpha", "daily_digest")
	if wed.ID == tue.ID {
		t.Fatal("no digest on Wednesday")
	}
	for _, gone := range []string{"0% → 40%", "waiting for API key", "没有进度变化"} {
		if strings.Contains(wed.Card.Text, gone) {
			t.Errorf("Wednesday digest says %q:\n%s", gone, wed.Card.Text)
		}
	}
	if !strings.Contains(wed.Card.Text, "T1 接口文档: 20% → 50%") {
		t.Errorf("Wednesday digest lacks Bob's late answer:\n%s", wed.Card.Text)
	}
	if !strings.Contains(wed.Card.Text, "已逾期") || !strings.Contains(wed.Card.Text, "T3 测试计划（Carol，截止") || !strings.Contains(wed.Card.Text, "逾期 2 个工作日") {
		t.Errorf("Wednesday digest does not list T3 as overdue:\n%s", wed.Card.Text)
	}
	// Bob's late Tuesday answer; Dave's Tuesday card (22:30 Tuesday in
	// Shanghai), Bob's and Carol's Wednesday cards, none answered.
	if v, missing := field(wed.Card, "已打卡"), field(wed.Card, "未打卡"); v != "1/4" || !strings.Contains(missing, "Dave") {
		t.Errorf("Wednesday digest answered = %q, not answered %q", v, missing)
	}

	// Thursday: nothing of Tuesday's or Wednesday's again.
	ta.at("2026-11-26 17:30")
	thu := ta.lastCard("alpha", "daily_digest")
	if thu.ID == wed.ID {
		t.Fatal("no digest on Thursday")
	}
	for _, gone := range []string{"0% → 40%", "waiting for API key", "20% → 50%", "没有进度变化"} {
		if strings.Contains(thu.Card.Text, gone) {
			t.Errorf("Thursday digest says %q:\n%s", gone, thu.Card.Text)
		}
	}
}
