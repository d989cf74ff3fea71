package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// septemberConfig is the test playground with the fake clock on Monday
// 2026-09-21, before the National Day holiday (Oct 1–7, with Saturday
// Oct 10 a make-up working day).
var septemberConfig = strings.Replace(testConfig, "2026-11-23T09:00:00+08:00", "2026-09-21T09:00:00+08:00", 1)

// planApollo makes alice's project P1 (deadline Mon Oct 12) with a small
// network, each task accepted:
//
//	T1 设计 carol 4d, due Thu 09-24
//	T2 开发 dave  3d after T1, due Wed 09-30  (critical)
//	T3 测试 bob   2d after T2, due Fri 10-09  (critical)
//	T4 文档 carol 1d after T1, due Mon 09-28  (4 working days of slack)
func planApollo(ta *testApp) {
	ta.tb.Helper()
	ta.reply("alice", "alpha", "/project new Apollo due:2026-10-12")
	for _, line := range []string{
		"/task new 设计 @carol due:2026-09-24 est:4d",
		"/task new 开发 @dave due:2026-09-30 est:3d after:T1",
		"/task new 测试 @bob due:2026-10-09 est:2d after:T2",
		"/task new 文档 @carol due:2026-09-28 est:1d after:T1",
	} {
		ta.reply("alice", "alpha", line)
	}
	for task, who := range map[string]string{"T1": "carol", "T2": "dave", "T3": "bob", "T4": "carol"} {
		ta.reply(who, "dm", "/accept "+task)
	}
}

// TestChangeRequestEndToEnd: Carol asks to move T4, which has slack, by 4
// working days across the National Day holiday: nothing else moves, the
// card says the deadline is not affected, and Alice approves it as text.
// Then Dave asks for the same slip of T2, on the critical path: Alice sees
// T3 and the project finish move by as many working days, past the
// deadline, approves with the button, and Bob, whose T3 moves, is told.
func TestChangeRequestEndToEnd(t *testing.T) {
	ta := startApp(t, septemberConfig, "")
	planApollo(ta)

	carolBefore := len(ta.chat("dm:carol"))
	ta.reply("carol", "dm", "/延期 T4 10-09 评审排期")
	card := ta.lastCard("dm:alice", "change_request")
	text := card.Card.Title + "\n" + playText(card.Card)
	for _, want := range []string{"变更申请 C1 · T4 文档", "2026-09-28 周一 → 2026-10-09 周五（+4 个工作日）", "没有其他任务受影响",
		"项目完成日期不变（2026-10-09 周五），不影响截止日期 2026-10-12 周一"} {
		if !strings.Contains(text, want) {
			t.Errorf("the slack card lacks %q:\n%s", want, text)
		}
	}
	if card.Card.Color != "yellow" {
		t.Errorf("the slack card is %s", card.Card.Color)
	}
	if got := ta.reply("alice", "dm", "/批准 C1"); !strings.Contains(got, "T4") {
		t.Errorf("/批准 C1: %q", got)
	}
	if c := ta.card("dm:alice", card.ID); len(c.Card.Actions) != 0 || !strings.Contains(c.Card.Text, "已批准") {
		t.Errorf("the card after /批准 C1: %+v", c.Card)
	}
	if tk := ta.task("T4"); tk.Due != "2026-10-09" || tk.BaselineDue != "2026-09-28" {
		t.Errorf("T4 after /批准 C1: %+v", tk)
	}
	if news := ta.chat("dm:carol")[carolBefore:]; len(news) != 3 || !strings.Contains(news[2].Text, "C1") {
		// Carol's command, its answer, and the approval.
		t.Errorf("Carol got %+v", news)
	}

	reply := ta.reply("dave", "dm", "/due T2 2026-10-12 接口晚到")
	for _, want := range []string{"C2", "Alice", "+4 个工作日"} {
		if !strings.Contains(reply, want) {
			t.Errorf("Dave's reply lacks %q:\n%s", want, reply)
		}
	}
	if tk := ta.task("T2"); tk.Due != "2026-09-30" {
		t.Fatalf("a request moved T2 to %s", tk.Due)
	}
	card = ta.lastCard("dm:alice", "change_request")
	text = playText(card.Card)
	for _, want := range []string{
		"2026-09-30 周三 → 2026-10-12 周一（+4 个工作日）", "接口晚到",
		"T3 测试：2026-10-09 周五 → 2026-10-14 周三（+4 个工作日）",
		"项目完成日期：2026-10-09 周五 → 2026-10-14 周三（+4 个工作日）",
		"项目将错过截止日期 2026-10-12 周一",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Alice's card lacks %q:\n%s", want, text)
		}
	}
	if names := actionNames(card.Card); !slices.Equal(names, []string{"approve", "reject"}) || card.Card.Color != "red" {
		t.Errorf("card %s with %v", card.Card.Color, names)
	}
	bobBefore := len(ta.chat("dm:bob"))

	ans := ta.act("alice", card.ID, "approve", nil)
	if ans.Card == nil || len(ans.Card.Actions) != 0 || !strings.Contains(ans.Card.Text, "已批准") {
		t.Fatalf("approve: %+v", ans)
	}
	if t2, t3 := ta.task("T2"), ta.task("T3"); t2.Due != "2026-10-12" || t2.BaselineDue != "2026-09-30" || t3.Due != "2026-10-14" || t3.BaselineDue != "2026-10-09" {
		t.Errorf("after approval T2 %+v, T3 %+v", t2, t3)
	}
	if t4 := ta.task("T4"); t4.Due != "2026-10-09" {
		t.Errorf("T4, off the critical path, moved to %s", t4.Due)
	}
	told := ta.chat("dm:bob")[bobBefore:]
	if len(told) != 1 || !strings.Contains(told[0].Text, "T3「测试」：截止日期改为 2026-10-14 周三（原为 2026-10-09 周五，+4 个工作日）") {
		t.Errorf("Bob was told %+v", told)
	}
	if got := ta.act("alice", card.ID, "approve", nil); got.Toast == "" || ta.task("T2").Due != "2026-10-12" {
		t.Errorf("second click: %+v", got)
	}
	list := ta.reply("bob", "alpha", "/changes P1")
	for _, want := range []string{"C1", "C2", "已批准", "顺延 T3"} {
		if !strings.Contains(list, want) {
			t.Errorf("/changes lacks %q:\n%s", want, list)
		}
	}
}

// playText is a card's fields and text as the playground shows them.
func playText(c *bot.Card) string {
	var b strings.Builder
	for _, f := range c.Fields {
		b.WriteString(f.Label + ": " + f.Value + "\n")
	}
	b.WriteString(bot.MarkdownPlain(c.Text))
	return b.String()
}

// changeC1 has Bob ask to move T1 by two days (with T2 after it); Alice
// gets the change request card.
func changeC1(ta *testApp) (string, string) {
	assignT1(ta)
	ta.reply("alice", "alpha", "/task new 联调 @carol due:2026-12-01 est:2d after:T1")
	ta.reply("bob", "dm", "/accept T1")
	ta.reply("carol", "dm", "/accept T2")
	ta.reply("bob", "dm", "/due T1 2026-12-01 接口晚到")
	return "dm:alice", ta.lastCard("dm:alice", "change_request").ID
}
