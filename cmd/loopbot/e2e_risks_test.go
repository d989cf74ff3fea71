package main

import (
	"strings"
	"testing"
)

// TestRisksAndWorkloadTwoWeeks runs a project for two weeks through the
// playground API with the fake clock, and checks the open risks and the
// workload in both weekly summaries, with the figures worked out by hand
// below (README "Workload": an estimate spread evenly over the working days
// of the task's span, from the day it was created to its due date).
//
// Calendar: no PRC holiday falls in these weeks, so the admin adds one on
// Wednesday 12-02. Carol takes leave on Thursday 12-03, Dave on 12-10 and
// 12-11.
//
// Tasks (project P1, acceptance off):
//
//	T1 carol, created Mon 11-23, due Fri 12-04, est 6d.
//	   Span: 11-23..11-27 (5), 11-30, 12-01, 12-03, 12-04 (4; 12-02 off) = 9.
//	T2 carol, created 11-23, due Tue 12-01, no est: one day per working day.
//	   Span: 11-23..11-27 (5), 11-30, 12-01 (2) = 7, so 7 days of work.
//	T3 dave, created 11-23, due Fri 12-11, est 3d.
//	   Span: W48 5 + W49 4 + W50 12-07..12-11 5 = 14.
//	T4 dave, due 11-25, est 1d: done on 11-24, counts nothing.
//	T5 carol, created Tue 12-01, due Wed 12-09, est 4d.
//	   Span: 12-01, 12-03, 12-04, 12-07, 12-08, 12-09 = 6.
//	T6 dave, created Thu 12-03, due Wed 12-09, est 4d.
//	   Span: 12-03, 12-04, 12-07, 12-08, 12-09 = 5.
//
// Summary of W48, sent Mon 11-30 09:00, shows the workload of W49
// (11-30..12-06: working days 11-30, 12-01, 12-03, 12-04 = 4):
//
//	Carol: available 4 − leave 12-03 = 3.
//	       T1 6 × 4/9 = 2.667, T2 7 × 2/7 = 2 → 4.667 → "4.7" > 3: ⚠️.
//	Dave:  available 4. T3 3 × 4/14 = 0.857 → "0.9".
//
// Summary of W49, sent Mon 12-07 09:00, shows the workload of W50
// (12-07..12-13: 5 working days). T1 and T2 are done by then.
//
//	Dave:  available 5 − leave 12-10, 12-11 = 3.
//	       T3 3 × 5/14 = 1.071, T6 4 × 3/5 = 2.4 → 3.471 → "3.5" > 3: ⚠️.
//	Carol: available 5. T5 4 × 3/6 = 2 → "2".
//
// Risks: R1 (carol, high, T1), R2 (dave, medium), R3 (low, closed on 11-26),
// and in week two R4 (carol, high, T5); R1 goes to medium on 12-01. R2 is
// never touched: on Monday 12-07 at 09:30, 14 days after it was added,
// Dave is asked about it, once.
func TestRisksAndWorkloadTwoWeeks(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("bob", "alpha", "/project new Alpha acceptance:off")
	ta.reply("bob", "alpha", "/project members P1 add @carol @dave")
	ta.reply("alice", "dm", "/holiday add 2026-12-02 公司活动日")
	ta.reply("bob", "alpha", "/task new 接口开发 @carol due:2026-12-04 est:6d")
	ta.reply("bob", "alpha", "/task new 联调测试 @carol due:2026-12-01")
	ta.reply("bob", "alpha", "/task new 用户文档 @dave due:2026-12-11 est:3d")
	ta.reply("bob", "alpha", "/task new 部署脚本 @dave due:2026-11-25 est:1d")
	for _, c := range []string{"carol T1", "carol T2", "dave T3", "dave T4"} {
		who, task, _ := strings.Cut(c, " ")
		ta.reply(who, "dm", "/accept "+task)
	}
	wantHas(t, "R1", ta.reply("carol", "alpha", "/risk add P1 第三方接口文档不全 impact:high task:T1"), "R1", "影响 高")
	wantHas(t, "R2", ta.reply("bob", "alpha", "/风险 新增 P1 测试环境资源紧张 负责人:@dave"), "R2", "负责人 Dave")
	ta.reply("carol", "dm", "/leave 2026-12-03")

	ta.at("2026-11-24 10:00")
	ta.reply("dave", "dm", "/done T4")
	ta.reply("dave", "alpha", "/risk add P1 需求可能变更 impact:low")
	ta.at("2026-11-26 10:00")
	wantHas(t, "close R3", ta.reply("bob", "alpha", "/risk close R3 需求已冻结"), "已关闭风险 R3")
	if got := ta.reply("carol", "alpha", "/risk close R2 不归我管"); !strings.Contains(got, "只有 R2 的负责人或 P1 的经理") {
		t.Errorf("carol closing dave's risk: %q", got)
	}

	// Friday's review card lists the open risks, worst first.
	ta.at("2026-11-27 16:05")
	review := ta.lastCard("dm:carol", "review_prompt").Card
	risks := field(review, "项目未关闭的风险（2）")
	wantHas(t, "review card", risks, "🔴 R1 [高] 第三方接口文档不全 · 负责人 Carol · T1", "🟡 R2 [中] 测试环境资源紧张 · 负责人 Dave")

	// Monday 11-30: the summary of W48, with W49's workload.
	ta.at("2026-11-30 09:05")
	sum := ta.lastCard("alpha", "review_summary").Card
	if !strings.Contains(sum.Title, "2026-W48") {
		t.Fatalf("summary %q", sum.Title)
	}
	wantHas(t, "W48 summary", sum.Text,
		"**未关闭的风险（2）**\n- 🔴 R1 [高] 第三方接口文档不全 · 负责人 Carol · T1\n- 🟡 R2 [中] 测试环境资源紧张 · 负责人 Dave\n",
		"**2026-W49 工作负荷（11-30 至 12-06），计划 / 可用工作日**\n- ⚠️ Carol：4.7 / 3 天\n- Dave：0.9 / 4 天\n1 人超负荷。")
	if strings.Contains(sum.Text, "R3") {
		t.Errorf("the closed R3 is in the summary")
	}
	if owner := ta.lastCard("dm:bob", "review_summary").Card; owner.Text != sum.Text {
		t.Errorf("the owner's summary differs from the group's:\n%s\n%s", owner.Text, sum.Text)
	}
	wantHas(t, "/workload", ta.reply("carol", "dm", "/workload P1"), "- ⚠️ Carol：4.7 / 3 天 (T1 2.7, T2 2)", "- Dave：0.9 / 4 天 (T3 0.9)")

	// Week two.
	ta.at("2026-12-01 10:00")
	ta.reply("carol", "dm", "/done T2")
	ta.reply("bob", "alpha", "/task new 性能优化 @carol due:2026-12-09 est:4d")
	ta.reply("carol", "dm", "/accept T5")
	ta.reply("carol", "alpha", "/risk add P1 性能指标未明确 impact:high task:T5")
	wantHas(t, "update R1", ta.reply("carol", "alpha", "/risk update R1 impact:medium"), "已更新风险 R1", "影响 中")
	ta.at("2026-12-03 10:00")
	ta.reply("bob", "alpha", "/task new 数据迁移 @dave due:2026-12-09 est:4d")
	ta.reply("dave", "dm", "/accept T6")
	ta.reply("dave", "dm", "/leave 2026-12-10..2026-12-11")
	wantHas(t, "/workload next", ta.reply("dave", "dm", "/workload P1 next"),
		"- ⚠️ Dave：3.5 / 3 天 (T3 1.1, T6 2.4)", "- Carol：2 / 5 天 (T5 2)")
	ta.at("2026-12-04 10:00")
	ta.reply("carol", "dm", "/done T1")

	ta.at("2026-12-07 09:05")
	sum = ta.lastCard("alpha", "review_summary").Card
	if !strings.Contains(sum.Title, "2026-W49") {
		t.Fatalf("summary %q", sum.Title)
	}
	wantHas(t, "W49 summary", sum.Text,
		"**未关闭的风险（3）**\n- 🔴 R4 [高] 性能指标未明确 · 负责人 Carol · T5\n- 🟡 R1 [中] 第三方接口文档不全 · 负责人 Carol · T1\n- 🟡 R2 [中] 测试环境资源紧张 · 负责人 Dave\n",
		"**2026-W50 工作负荷（12-07 至 12-13），计划 / 可用工作日**\n- ⚠️ Dave：3.5 / 3 天\n- Carol：2 / 5 天\n1 人超负荷。")
	if len(ta.cardsTitled("dm:dave", "R2")) != 0 {
		t.Fatalf("R2 raised before its two weeks were up")
	}

	// 09:30: R2, untouched since 11-23, is raised to Dave, once; R1 and R4
	// were reviewed lately.
	ta.at("2026-12-07 09:35")
	raised := ta.cardsTitled("dm:dave", "R2")
	if len(raised) != 1 || !strings.Contains(raised[0].Card.Text, "测试环境资源紧张") || !strings.Contains(raised[0].Card.Text, "自 2026-11-23 起未复核") {
		t.Fatalf("dave's R2 cards: %+v", raised)
	}
	if n := len(ta.cardsTitled("dm:carol", "风险待复核")); n != 0 {
		t.Errorf("carol was asked about %d risks", n)
	}
	ta.at("2026-12-09 09:35")
	if n := len(ta.cardsTitled("dm:dave", "R2")); n != 1 {
		t.Errorf("R2 raised %d times", n)
	}
	wantHas(t, "/risks", ta.reply("dave", "alpha", "/风险清单 P1"), "R2 [中] 测试环境资源紧张 · 负责人 Dave · 16 天前复核 ⏰ 待复核",
		"已关闭（1）", "R3 需求可能变更 · 11-26 由 Bob 关闭：需求已冻结")
}

// wantHas fails unless every part is in s.
func wantHas(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s: %q\nlacks %q", what, s, p)
		}
	}
}

// cardsTitled returns the cards of a chat whose title holds a text.
func (ta *testApp) cardsTitled(chat, part string) []chatMessage {
	ta.tb.Helper()
	var out []chatMessage
	for _, m := range ta.chat(chat) {
		if m.Card != nil && strings.Contains(m.Card.Title, part) {
			out = append(out, m)
		}
	}
	return out
}
