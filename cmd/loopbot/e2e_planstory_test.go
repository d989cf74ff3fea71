package main

import (
	"strings"
	"testing"
)

// octoberConfig is the test playground with the fake clock on Friday
// 2026-10-09, the day before the make-up working day (Sat Oct 10) that ends
// the National Day week, three days before the sample plan starts.
var octoberConfig = strings.Replace(testConfig, "2026-11-23T09:00:00+08:00", "2026-10-09T09:00:00+08:00", 1)

// TestPlanStoryEndToEnd is issue 12's story in one run: the 10-task sample
// plan (docs/plan-sample.csv) is imported, /plan shows its critical path,
// Bob slips T5 (which has slack) by two working days and the deadline does
// not move, and says so; Carol then asks for the same slip of T6, on the
// critical path: Alice sees every dependant move by two working days and
// the deadline missed, approves, and the dependants' assignees are told
// (Alice, whose milestone moves, is the one who approved it on the card).
//
// The plan worked out by hand (working days; T4 is the summary of T5–T7):
//
//	T1 需求分析 Bob   10-12 → 10-16 (5)       T6 前端页面 Carol 10-26 → 11-11 (13), after T3
//	T2 ◆需求评审 Alice 10-16, after T1         T7 联调 Dave  11-12 → 11-16 (3), after T5, T6
//	T3 系统设计 Carol 10-19 → 10-23, after T2  T8 测试 Carol 11-17 → 11-23 (5), after T7
//	T5 后端接口 Bob   10-26 → 11-06 (10)       T9 上线准备 Dave 11-24 → 11-25, after T8
//	                                            T10 ◆上线 Alice 11-25, after T9
//
// The project finishes on Wed 11-25, its deadline. T5 can finish as late as
// 11-11 (T7 starts 11-12), so it has 3 working days of slack; every other
// task has none, and the critical path is T1 → T2 → T3 → T6 → T7 → T8 →
// T9 → T10. Two more days on T6 (11-11 → 11-13) push T7 to 11-18, T8 to
// 11-25, T9 and T10 to 11-27: the project finishes 2 working days late.
func TestPlanStoryEndToEnd(t *testing.T) {
	ta := startApp(t, octoberConfig, "")
	ta.reply("alice", "alpha", "/project new Launch due:2026-11-25")
	if code, out := ta.postPlan("project=P1&apply=true", "text/csv", readFile(t, samplePlan)); code != 201 {
		t.Fatalf("import: %d %+v", code, out)
	}
	for task, who := range map[string]string{"T5": "bob", "T6": "carol", "T7": "dave", "T8": "carol"} {
		ta.reply(who, "dm", "/accept "+task)
	}

	msgs := ta.say("alice", "alpha", "/plan P1")
	if len(msgs) == 0 || msgs[len(msgs)-1].Card == nil || msgs[len(msgs)-1].Card.Kind != "plan" {
		t.Fatalf("no plan card: %+v", msgs)
	}
	plan := msgs[len(msgs)-1].Card.Text + "\n"
	for _, want := range []string{
		"T1 → T2 → T3 → T6 → T7 → T8 → T9 → T10\n",
		"- T5 后端接口：3\n",
		"- T6 前端页面：0（关键）",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan card lacks %q:\n%s", want, plan)
		}
	}

	// The slip within T5's slack: nothing else moves.
	bobReply := ta.reply("bob", "dm", "/due T5 11-10 接口联调环境晚到")
	slack := playText(ta.lastCard("dm:alice", "change_request").Card)
	for _, want := range []string{"+2 个工作日", "没有其他任务受影响", "项目完成日期不变", "不影响截止日期 2026-11-25 周三"} {
		if !strings.Contains(slack, want) {
			t.Errorf("the slack card lacks %q:\n%s", want, slack)
		}
	}
	if !strings.Contains(bobReply, "C1") {
		t.Errorf("Bob's reply: %q", bobReply)
	}
	ta.reply("alice", "dm", "/approve C1")
	if tk := ta.task("T7"); tk.Due != "2026-11-16" {
		t.Errorf("T5's slip within its slack moved T7 to %s", tk.Due)
	}

	// The same slip on the critical path.
	daveBefore := len(ta.chat("dm:dave"))
	ta.reply("carol", "dm", "/due T6 11-13 设计稿返工")
	card := ta.lastCard("dm:alice", "change_request")
	critical := playText(card.Card)
	for _, want := range []string{
		"2026-11-11 周三 → 2026-11-13 周五（+2 个工作日）",
		"T7 联调：2026-11-16 周一 → 2026-11-18 周三（+2 个工作日）",
		"T8 测试：2026-11-23 周一 → 2026-11-25 周三（+2 个工作日）",
		"T9 上线准备：2026-11-25 周三 → 2026-11-27 周五（+2 个工作日）",
		"项目完成日期：2026-11-25 周三 → 2026-11-27 周五（+2 个工作日）",
		"项目将错过截止日期 2026-11-25 周三",
	} {
		if !strings.Contains(critical, want) {
			t.Errorf("the critical card lacks %q:\n%s", want, critical)
		}
	}
	if ans := ta.act("alice", card.ID, "approve", nil); ans.Card == nil || len(ans.Card.Actions) != 0 {
		t.Fatalf("approve: %+v", ans)
	}
	for task, due := range map[string]string{"T6": "2026-11-13", "T7": "2026-11-18", "T8": "2026-11-25", "T9": "2026-11-27", "T10": "2026-11-27"} {
		if got := ta.task(task); got.Due != due {
			t.Errorf("%s due %s after approval, want %s", task, got.Due, due)
		}
	}
	// Dave's open assignment card of T9 (not yet accepted) is redrawn with
	// the new due date.
	due9 := ""
	for _, f := range ta.lastCard("dm:dave", "task_assigned").Card.Fields {
		if f.Label == "截止" {
			due9 = f.Value
		}
	}
	if !strings.HasPrefix(due9, "2026-11-27") {
		t.Errorf("T9's assignment card shows due %q after the approval, want 2026-11-27", due9)
	}
	told := ""
	for _, m := range ta.chat("dm:dave")[daveBefore:] {
		told += m.Text + "\n"
	}
	for _, want := range []string{"T7", "T9", "+2 个工作日"} {
		if !strings.Contains(told, want) {
			t.Errorf("Dave (T7, T9) was not told %q:\n%s", want, told)
		}
	}
	// Alice, who assigned herself the milestone T10, approved: the card she
	// clicked told her, and nothing more is sent to her.
	if !strings.Contains(critical, "T10 上线") {
		t.Errorf("the critical card does not name the milestone T10:\n%s", critical)
	}
}
