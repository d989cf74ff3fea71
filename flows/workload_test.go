package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// workloadRig is P1 (owner bob; members carol and dave) on Monday
// 2026-09-21, the week of the Mid-Autumn holiday: Friday 09-25 to Sunday
// 09-27 are off, and the National Day holiday takes 10-01 to 10-07. Carol
// takes leave on Wednesday 09-23.
//
// Tasks, all created on 09-21, so that their spans start then:
//   - T1 carol, due Thu 09-24, est 3d: span 09-21..09-24, 4 working days.
//   - T2 carol, due Wed 09-30, no estimate: span 21 22 23 24 | 28 29 30, 7
//     working days, so 7 days of work, one a day.
//   - T3 dave, due Fri 10-09, est 2d: span 21–24 (4), 28–30 (3), 10-08 and
//     10-09 (2): 9 working days.
//   - T4 dave, est 5d, done: counts nothing.
//   - T5 bob, est 5d, cancelled: counts nothing, and bob has no other task.
func workloadRig(t *testing.T) *rig {
	t.Helper()
	r := newRig(t, time.Date(2026, 9, 21, 1, 0, 0, 0, time.UTC)) // 09:00 in Shanghai
	r.say("bob", "/project new Alpha")
	r.say("bob", "/project members P1 add @carol @dave")
	r.say("bob", "/task new API @carol project:P1 due:2026-09-24 est:3d")
	r.say("bob", "/task new Docs @carol project:P1 due:2026-09-30")
	r.say("bob", "/task new Tests @dave project:P1 due:2026-10-09 est:2d")
	r.say("bob", "/task new Spike @dave project:P1 due:2026-09-22 est:5d")
	r.say("bob", "/task new Budget @bob project:P1 due:2026-09-24 est:5d")
	r.say("dave", "/accept T4")
	r.say("dave", "/done T4")
	r.say("bob", "/cancel T5 not needed")
	r.say("carol", "/leave 2026-09-23")
	return r
}

func TestWorkload(t *testing.T) {
	r := workloadRig(t)
	// This week (09-21..09-27): 4 working days (Mon–Thu); carol has 3, on
	// leave on Wednesday.
	//   carol: T1 3 × 4/4 = 3; T2 7 × 4/7 = 4; planned 7 > 3: over-allocated.
	//   dave:  T3 2 × 4/9 = 0.888… → 0.9 of 4.
	got := r.say("bob", "/workload P1")
	wantIn(t, "this week", got, "工作负荷 · P1 Alpha · 2026-W39（09-21 至 09-27）",
		"- ⚠️ Carol：7 / 3 天 (T1 3, T2 4)", "- Dave：0.9 / 4 天 (T3 0.9)", "1 人超负荷")
	if strings.Index(got, "Carol") > strings.Index(got, "Dave") || strings.Contains(got, "Bob") || strings.Contains(got, "T4") {
		t.Errorf("order or scope wrong: %q", got)
	}
	// Next week (09-28..10-04): 3 working days (Mon–Wed), National Day after.
	//   carol: T1 has ended; T2 7 × 3/7 = 3, of 3: full, not over.
	//   dave:  T3 2 × 3/9 = 0.666… → 0.7 of 3.
	got = r.say("carol", "/负荷 P1 下周")
	wantIn(t, "next week", got, "2026-W40（09-28 至 10-04）", "- Carol：3 / 3 天 (T2 3)", "- Dave：0.7 / 3 天 (T3 0.7)")
	if strings.Contains(got, "⚠️") || strings.Contains(got, "超负荷") {
		t.Errorf("nobody is over next week: %q", got)
	}
	// Without a project, in a direct chat: the caller's projects.
	wantIn(t, "my projects", r.say("dave", "/workload next"), "Workload · your projects · 2026-W40", "Dave: 0.7 / 3 days (T3 0.7)", "Carol: 3 / 3 days")
	wantIn(t, "week word first", r.say("carol", "/workload week P1"), "⚠️ Carol：7 / 3 天")
	wantIn(t, "admin", r.say("alice", "/workload"), "全部项目", "⚠️ Carol：7 / 3 天")
}

func TestWorkloadRefused(t *testing.T) {
	r := workloadRig(t)
	usage := "用法： /负荷 [<P>] [本周|下周]"
	for _, c := range []struct {
		who, text string
		want      []string
	}{
		{"erin", "/workload P1", []string{"你不是 P1 的成员"}},
		{"carol", "/workload P1 later", []string{"“later”既不是项目编号，也不是 本周 或 下周", usage}},
		{"carol", "/workload next week", []string{"周只需写一次", usage}},
		{"carol", "/workload P1 P2", []string{"请只写一个项目编号", usage}},
		{"carol", "/workload P9", []string{"没有项目 P9"}},
		{"carol", "/workload P1 due:fri", []string{"due: 不是 /workload 的选项"}},
	} {
		wantIn(t, c.text, r.say(c.who, c.text), c.want...)
	}
	// Erin takes part in nothing: her list is empty, not refused.
	wantIn(t, "nothing", r.say("erin", "/workload"), "这里没有人有未完成的任务")
}

// TestReviewAndSummaryShowRisksAndWorkload: the review card of the week
// lists the project's open risks, and Monday's summary of the week lists
// them with the workload of the week it is sent in.
func TestReviewAndSummaryShowRisksAndWorkload(t *testing.T) {
	r := workloadRig(t)
	r.say("carol", "/risk add P1 供应商可能延期交付 impact:high task:T1")
	r.say("dave", "/risk add P1 Test lab booked out impact:low")
	r.say("bob", "/risk add P1 已解决的风险")
	r.say("bob", "/risk close R3 已解决")
	ctx := context.Background()
	// The prompt goes out on Thursday 09-24, Friday being a holiday.
	r.at(2026, 9, 24, 16, 0)
	if err := r.svc.RunReviewPrompts(ctx, r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	prompts := cardsTo(r.drain(), "carol")
	if len(prompts) != 1 {
		t.Fatalf("carol got %d review cards", len(prompts))
	}
	var risks string
	for _, f := range prompts[0].Fields {
		if strings.HasPrefix(f.Label, "项目未关闭的风险") {
			risks = f.Label + "\n" + f.Value
		}
	}
	wantIn(t, "review card", risks, "项目未关闭的风险（2）", "🔴 R1 [高] 供应商可能延期交付 · 负责人 Carol · T1", "🔵 R2 [低] Test lab booked out · 负责人 Dave")
	if strings.Contains(risks, "R3") {
		t.Errorf("the closed risk is on the card: %q", risks)
	}
	r.at(2026, 9, 28, 9, 0)
	if err := r.svc.RunSummaries(ctx, r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	sums := cardsTo(r.drain(), "bob")
	if len(sums) != 1 {
		t.Fatalf("bob got %d summaries", len(sums))
	}
	// The week it is sent in, 09-28..10-04 (see TestWorkload).
	wantIn(t, "summary", sums[0].Text, "**未关闭的风险（2）**", "- 🔴 R1 [高] 供应商可能延期交付 · 负责人 Carol · T1",
		"**2026-W40 工作负荷（09-28 至 10-04），计划 / 可用工作日**", "- Carol：3 / 3 天", "- Dave：0.7 / 3 天")
	if sums[0].Color != "yellow" {
		t.Errorf("a high risk is open, the summary is %s", sums[0].Color)
	}
}

// TestWorkloadRules covers the edges of the rule (README "Workload") with
// tasks written straight to the store, with fields the commands of this
// version do not set yet (planned start, milestone, parent): in the week of
// 09-21 carol has T1 3 + T2 4 = 7 from workloadRig, and of these only T8
// (2) and T9 (1) add to it.
func TestWorkloadRules(t *testing.T) {
	r := workloadRig(t)
	d := func(m time.Month, day int) bot.Date { return bot.NewDate(2026, m, day) }
	carol := bot.PersonID("playground:carol")
	add := []bot.Task{
		// A milestone carries no work.
		{Title: "M1", Milestone: true, Due: d(9, 23), EstimateDays: 1},
		// A WBS parent (T7) carries none: its child T8 does, 2 days over
		// its planned span 09-23..09-24, both in the week.
		{Title: "Parent", Due: d(9, 24), EstimateDays: 4},
		{Title: "Child", Parent: 7, PlannedStart: d(9, 23), Due: d(9, 24), EstimateDays: 2},
		// A span with no working day (Saturday, in the holiday): at least
		// one day, on the due date, in this week.
		{Title: "Weekend", PlannedStart: d(9, 26), Due: d(9, 26)},
		// No due date; overdue (span over); planned after the week.
		{Title: "Someday", EstimateDays: 5},
		{Title: "Late", Due: d(9, 18), EstimateDays: 3},
		{Title: "October", PlannedStart: d(10, 8), Due: d(10, 9), EstimateDays: 1},
	}
	err := r.st.Update(context.Background(), func(tx bot.Tx) error {
		for _, task := range add {
			id, err := tx.NextTaskID()
			if err != nil {
				return err
			}
			task.ID, task.Project, task.Assignee, task.Assigner, task.Status = id, 1, carol, "playground:bob", bot.StatusAccepted
			task.Priority, task.CreatedAt, task.UpdatedAt = bot.PrioNormal, r.clock.Now(), r.clock.Now()
			if err := tx.PutTask(task); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, "rules", r.say("bob", "/workload P1"), "- ⚠️ Carol：10 / 3 天 (T1 3, T2 4, T8 2, T9 1)")
}
