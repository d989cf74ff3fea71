package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// planTask is the plan fields of a task in the admin API.
type planTaskAPI struct {
	Title        string   `json:"title"`
	Due          string   `json:"due"`
	BaselineDue  string   `json:"baseline_due"`
	PlannedStart string   `json:"planned_start"`
	Estimate     float64  `json:"estimate_days"`
	DependsOn    []string `json:"depends_on"`
	Parent       string   `json:"parent"`
	Priority     string   `json:"priority"`
	Milestone    bool     `json:"milestone"`
}

func (ta *testApp) planTask(id string) planTaskAPI {
	ta.tb.Helper()
	var raw json.RawMessage
	if code := ta.call("GET", "/api/v1/tasks/"+id, nil, &raw); code != 200 {
		ta.tb.Fatalf("task %s: status %d", id, code)
	}
	var t planTaskAPI
	if err := json.Unmarshal(raw, &t); err != nil {
		ta.tb.Fatalf("task %s: %v", id, err)
	}
	return t
}

// wantReply asserts that a command's answer contains every want.
func wantReply(t *testing.T, ta *testApp, from, chat, text string, want ...string) string {
	t.Helper()
	got := ta.reply(from, chat, text)
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q\nanswer lacks %q", text, got, w)
		}
	}
	return got
}

// TestTaskEdit changes each plan field with /task edit, and checks the
// permissions, the refusal of cycles with the cycle shown, bad values with
// the right form, the history and the task's open cards.
func TestTaskEdit(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha due:2026-12-31")
	ta.reply("alice", "alpha", "/task new 设计 @carol due:11-27 est:3d")        // T1
	ta.reply("alice", "alpha", "/task new 开发 @carol due:12-04 after:T1")      // T2
	ta.reply("alice", "alpha", "/task new 测试 @dave due:12-09 after:T2")       // T3
	ta.reply("alice", "alpha", "/task new 阶段一 @alice due:12-09 milestone:no") // T4
	card := ta.lastCard("dm:carol", "task_assigned")                          // T2's

	// Every field at once, by the assigner.
	got := wantReply(t, ta, "alice", "alpha", "/任务 修改 T2 标题:后端开发 截止:12-07 开始:11-30 估时:4d 优先级:high",
		"已修改 T2", "标题 开发 → 后端开发", "T2 的截止日期已改为 2026-12-07 周一（原为 2026-12-04 周五，+1 个工作日），记录为 C1", "影响分析", "计划开始 无 → 2026-11-30 周一",
		"估时 无 → 4 个工作日", "优先级 普通 → 高")
	if strings.Contains(got, "前置任务") {
		t.Errorf("an unchanged field is listed: %q", got)
	}
	tk := ta.planTask("T2")
	if tk.Title != "后端开发" || tk.Due != "2026-12-07" || tk.BaselineDue != "2026-12-04" || tk.PlannedStart != "2026-11-30" ||
		tk.Estimate != 4 || tk.Priority != "high" || !slices.Equal(tk.DependsOn, []string{"T1"}) {
		t.Errorf("T2 after the edit = %+v", tk)
	}
	// The assignee is told, and her open assignment card shows the new
	// title and date and still works.
	if n := countText(ta.chat("dm:carol"), "修改了 T2"); n != 1 {
		t.Errorf("carol was told %d times", n)
	}
	now := ta.card("dm:carol", card.ID)
	if !strings.Contains(now.Card.Title, "后端开发") || !slices.ContainsFunc(now.Card.Fields, func(f bot.Field) bool { return strings.Contains(f.Value, "2026-12-07") }) {
		t.Errorf("the assignment card was not redrawn: %+v", now.Card)
	}
	if ans := ta.act("carol", card.ID, "accept", nil); ans.Card == nil || len(ans.Card.Actions) != 0 || ta.task("T2").Status != "accepted" {
		t.Errorf("accept on the redrawn card: %+v", ans)
	}
	// The history keeps each change, old → new.
	show := ta.say("alice", "alpha", "/任务 查看 T2")
	detail := show[len(show)-1].Card
	for _, w := range []string{"标题 开发 → 后端开发", "截止日期 2026-12-04 周五 → 2026-12-07 周一", "估时 无 → 4 个工作日"} {
		if !strings.Contains(detail.Text, w) {
			t.Errorf("T2's history lacks %q:\n%s", w, detail.Text)
		}
	}

	t.Run("after and parent, and cycles", func(t *testing.T) {
		before := ta.state()
		wantReply(t, ta, "alice", "alpha", "/task edit T1 after:T3", "T1 → T2 → T3 → T1", "循环")
		wantReply(t, ta, "alice", "alpha", "/task edit T1 after:T1", "T1")
		if ta.state() != before {
			t.Error("a refused cycle changed something")
		}
		wantReply(t, ta, "alice", "alpha", "/task edit T3 after:T1,T2", "前置任务 T2 → T1,T2")
		wantReply(t, ta, "alice", "alpha", "/task edit T3 after:none", "前置任务 T1,T2 → 无")
		if d := ta.planTask("T3").DependsOn; len(d) != 0 {
			t.Errorf("after:none left %v", d)
		}
		wantReply(t, ta, "alice", "alpha", "/task edit T1 parent:T4", "父任务 无 → T4")
		wantReply(t, ta, "alice", "alpha", "/task edit T2 parent:T4", "父任务 无 → T4")
		// A parent cycle, and a child that waits for its own parent.
		wantReply(t, ta, "alice", "alpha", "/task edit T4 parent:T1", "T1 → T4 → T1")
		got := wantReply(t, ta, "alice", "alpha", "/task edit T1 after:T4", "循环")
		if !strings.Contains(got, "T4") || !strings.Contains(got, "T1 →") {
			t.Errorf("the cycle is not shown: %q", got)
		}
		wantReply(t, ta, "alice", "alpha", "/task new 子任务 @carol parent:T4 after:T4", "循环", "T4")
		// T3 waits for the summary T4, so for T1 under it: T1 cannot wait
		// for T3.
		ta.reply("alice", "alpha", "/task edit T3 after:T4")
		wantReply(t, ta, "alice", "alpha", "/task edit T1 after:T3", "循环", "T3")
		ta.reply("alice", "alpha", "/task edit T3 after:none")
		if ta.planTask("T4").Parent != "" || ta.planTask("T1").Parent != "T4" {
			t.Errorf("T4 = %+v, T1 = %+v", ta.planTask("T4"), ta.planTask("T1"))
		}
	})

	t.Run("roll-up", func(t *testing.T) {
		// T1 (3 days, 50%) and T2 (4 days, 0%) under T4: (3×50 + 4×0) / 7 = 21%.
		ta.reply("carol", "dm", "/progress T1 50")
		show := ta.say("alice", "alpha", "/task show T4")
		detail := show[len(show)-1].Card
		if !slices.ContainsFunc(detail.Fields, func(f bot.Field) bool {
			return f.Label == "进度" && strings.HasPrefix(f.Value, "21%（由 2 个子任务按估时加权汇总）")
		}) {
			t.Errorf("T4's roll-up: %+v", detail.Fields)
		}
		// The span starts with T1 (today, 11-23) and ends with T2's due date.
		if !slices.ContainsFunc(detail.Fields, func(f bot.Field) bool {
			return f.Label == "子任务跨度" && f.Value == "2026-11-23 周一 → 2026-12-07 周一"
		}) {
			t.Errorf("T4's span: %+v", detail.Fields)
		}
		wantReply(t, ta, "alice", "alpha", "/tasks P1", "T4 阶段一 · Alice · 截止 2026-12-09 周三 · Σ 21%", "T1 设计 · Carol · 截止 2026-11-27 周五 · 50%")
		// A summary task is not a row of its assignee's check-in.
		ta.reply("alice", "dm", "/task new 自己的事 due:12-01")
		ta.say("alice", "dm", "/checkin")
		ci := ta.lastCard("dm:alice", "checkin")
		if strings.Contains(ci.Card.Text, "T4") || !strings.Contains(ci.Card.Text, "T5") {
			t.Errorf("alice's check-in:\n%s", ci.Card.Text)
		}
	})

	t.Run("milestones", func(t *testing.T) {
		wantReply(t, ta, "alice", "alpha", "/task edit T3 milestone:yes", "◆ T3", "里程碑 否 → ◆ 是")
		wantReply(t, ta, "alice", "alpha", "/tasks P1", "◆ T3 测试")
		show := ta.say("alice", "alpha", "/task show T3")
		if c := show[len(show)-1].Card; !strings.HasPrefix(c.Title, "◆ T3 · 测试") {
			t.Errorf("task show title %q", c.Title)
		}
		ta.reply("alice", "alpha", "/task new 上线 @dave due:12-10 milestone:是")
		if !ta.planTask("T6").Milestone || !strings.HasPrefix(ta.lastCard("dm:dave", "task_assigned").Card.Title, "新任务 ◆ T6") {
			t.Errorf("T6 = %+v, card %q", ta.planTask("T6"), ta.lastCard("dm:dave", "task_assigned").Card.Title)
		}
	})

	t.Run("permissions", func(t *testing.T) {
		before := ta.state()
		// The assignee, who does not manage the task: a due date goes
		// through /due; other fields are the managers'.
		wantReply(t, ta, "carol", "dm", "/task edit T1 due:12-10", "/延期")
		wantReply(t, ta, "carol", "dm", "/task edit T1 title:改名", "只有 T1 的指派人、项目经理或管理员")
		wantReply(t, ta, "dave", "dm", "/task edit T1 est:2d", "只有 T1 的指派人、项目经理或管理员")
		if ta.state() != before {
			t.Error("a refused edit changed something")
		}
		// Carol's own task in P1: she plans it, but a new due date is a
		// change request to the project's owner.
		ta.reply("carol", "alpha", "/task new 自查 due:12-01") // T7
		wantReply(t, ta, "carol", "alpha", "/task edit T7 est:2d", "估时 无 → 2 个工作日")
		wantReply(t, ta, "carol", "alpha", "/task edit T7 due:12-03", "/延期 T7 12-03 <原因>")
		if ta.task("T7").Due != "2026-12-01" {
			t.Errorf("carol moved her own due date: %+v", ta.task("T7"))
		}
		// While her request waits, the project's owner decides it before
		// setting another date (C1 is Alice's own edit of T2's due date).
		ta.reply("carol", "alpha", "/due T7 12-03 自查范围扩大")
		wantReply(t, ta, "alice", "alpha", "/task edit T7 due:12-04", "C2", "/批准 C2")
		if ta.task("T7").Due != "2026-12-01" {
			t.Errorf("T7 moved while C2 waits: %+v", ta.task("T7"))
		}
		before = ta.state()
		// bob is a manager by role but not of P1.
		wantReply(t, ta, "bob", "dm", "/task edit T1 prio:low", "只有 T1 的指派人")
		ta.reply("alice", "alpha", "/project members P1 add @bob manager")
		wantReply(t, ta, "bob", "dm", "/task edit T1 prio:low", "优先级 普通 → 低")
	})

	t.Run("bad values", func(t *testing.T) {
		before := ta.state()
		for _, tc := range []struct{ cmd, want string }{
			{"/task edit T1 due:2026-11-01", "已经过去"},
			{"/task edit T1 due:someday", "someday"},
			{"/task edit T1 est:lots", "不是有效估时"},
			{"/task edit T1 milestone:maybe", "不是 yes 或 no"},
			{"/task edit T1 prio:urgent", "不是优先级"},
			{"/task edit T1 after:X9", "不是任务编号"},
			{"/task edit T1 after:T99", "没有任务 T99"},
			{"/task edit T1 parent:T99", "没有任务 T99"},
			{"/task edit T1 start:12-30 due:12-01", "计划开始 2026-12-30 周三 晚于截止日期"},
			{"/task edit T1 start:11-20", "start：2026-11-20 周五 已经过去"},
			{"/task edit T1", "/任务 修改 <T> [标题:<文字>]"},
			{"/task edit T1 shiny", "键:值"},
			{"/task edit T1 project:P1", "project: 不是 /task edit 的选项"},
			{"/task edit T99 prio:low", "没有任务 T99"},
			{"/task edit T1 title:" + strings.Repeat("长", 201), "标题超过了 200 个字符"},
		} {
			wantReply(t, ta, "alice", "dm", tc.cmd, tc.want)
		}
		if ta.state() != before {
			t.Error("a refused edit changed something")
		}
		wantReply(t, ta, "alice", "dm", "/task edit T1 est:3d", "T1 已是这些值，没有变化")
	})
}

// TestPlanCard plans a small network by hand and checks the /plan card:
// today is Monday 11-23, the project starts today and is due Wednesday
// 12-02.
//
//	T1 设计 3d            11-23 → 11-25   critical
//	T2 开发 2d after T1   11-26 → 11-27   critical
//	T3 文档 1d after T1   11-26 → 11-26   slack 1: T4 waits for T2 anyway
//	T4 联调 5d after T2,T3 11-30 → 12-04  critical
//	T5 ◆ 上线 after T4    12-04           critical
//
// The plan ends on Friday 12-04, two working days after the deadline.
func TestPlanCard(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha due:12-02")
	ta.reply("alice", "alpha", "/task new 设计 @carol est:3d due:11-25")
	ta.reply("alice", "alpha", "/task new 开发 @carol est:2d after:T1 due:11-27")
	ta.reply("alice", "alpha", "/task new 文档 @dave est:1d after:T1 due:11-26")
	ta.reply("alice", "alpha", "/task new 联调 @dave est:5d after:T2,T3 due:12-04")
	ta.reply("alice", "alpha", "/task new 上线 @alice after:T4 milestone:yes due:12-04")

	msgs := ta.say("alice", "alpha", "/计划 P1")
	if len(msgs) == 0 || msgs[len(msgs)-1].Card == nil {
		t.Fatalf("no plan card: %+v", msgs)
	}
	c := msgs[len(msgs)-1].Card
	if c.Kind != "plan" || c.Color != "red" || c.Refs["project"] != "P1" {
		t.Errorf("card = %s %s %v", c.Kind, c.Color, c.Refs)
	}
	for _, w := range []string{
		"预计完工 12-04 周五，比截止日晚 2 个工作日（截止 12-02 周三）",
		"**关键路径**\nT1 → T2 → T4 → T5\n- T1 设计 · 截止 11-25 周三\n- T2 开发",
		"- ◆ T5 上线 · 截止 12-04 周五",
		"**里程碑**\n- ◆ T5 上线 · 预计 12-04 周五（计划 12-04 周五）",
		"- T1 设计：0（关键）", "- T3 文档：1\n", "- T4 联调：0（关键）",
	} {
		if !strings.Contains(c.Text+"\n", w) {
			t.Errorf("plan card lacks %q:\n%s", w, c.Text)
		}
	}
	if c.Chart == nil || c.Chart.Type != "gantt" || len(c.Chart.Bars) != 5 {
		t.Fatalf("chart = %+v", c.Chart)
	}
	bars := map[string]bot.Bar{}
	for _, b := range c.Chart.Bars {
		bars[b.Task] = b
	}
	for code, want := range map[string]bot.Bar{
		"T1": {Start: bot.NewDate(2026, 11, 23), Finish: bot.NewDate(2026, 11, 25), Critical: true},
		"T2": {Start: bot.NewDate(2026, 11, 26), Finish: bot.NewDate(2026, 11, 27), Critical: true},
		"T3": {Start: bot.NewDate(2026, 11, 26), Finish: bot.NewDate(2026, 11, 26)},
		"T4": {Start: bot.NewDate(2026, 11, 30), Finish: bot.NewDate(2026, 12, 4), Critical: true},
		"T5": {Start: bot.NewDate(2026, 12, 4), Finish: bot.NewDate(2026, 12, 4), Critical: true, Milestone: true},
	} {
		b := bars[code]
		if b.Start != want.Start || b.Finish != want.Finish || b.Critical != want.Critical || b.Milestone != want.Milestone {
			t.Errorf("bar %s = %+v, want %+v", code, b, want)
		}
	}

	// Progress moves the projection: T1 at 30% after two of its three days
	// runs late, and so does everything after it.
	ta.at("2026-11-24 10:00")
	ta.reply("carol", "dm", "/progress T1 30")
	ta.reply("alice", "dm", "/settings lang en")
	msgs = ta.say("alice", "dm", "/plan P1")
	c = msgs[len(msgs)-1].Card
	// T1: 30% in 2 days is 15% a day, so 70% takes ⌈4.7⌉ = 5 days from
	// today, to Mon 11-30; T2 then ends Wed 12-02, T4 Wed 12-09.
	if !strings.Contains(c.Text, "Projected finish Wed 12-09, 5 working days after the deadline Wed 12-02") ||
		!strings.Contains(c.Text, "◆ T5 上线 · projected Wed 12-09, planned Fri 12-04: 3 working days late") {
		t.Errorf("English plan card:\n%s", c.Text)
	}
	if !strings.Contains(c.Text, "**Critical path**\nT1 → T2 → T4 → T5") || !strings.Contains(c.Text, "- T3 文档: 1") {
		t.Errorf("English plan card:\n%s", c.Text)
	}

	// Only the project's managers see the plan.
	wantReply(t, ta, "carol", "dm", "/plan P1", "只有 P1 的经理可以查看它的计划")
	wantReply(t, ta, "alice", "dm", "/plan", "Which project?")
	wantReply(t, ta, "alice", "dm", "/plan P9", "There is no project P9")
}
