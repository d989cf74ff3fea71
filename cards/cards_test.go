package cards_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The fixtures: two people, one project and a handful of tasks, on fixed
// dates around Friday 2026-11-27.
var (
	cst     = time.FixedZone("CST", 8*3600)
	alice   = bot.Person{ID: "playground:alice", Name: "王丽 Alice"}
	bob     = bot.Person{ID: "playground:bob", Name: "李博 Bob"}
	friday  = bot.NewDate(2026, time.November, 27)
	project = bot.Project{ID: 1, Name: "Alpha 官网改版", Owner: alice.ID, Deadline: bot.NewDate(2026, time.December, 18)}
)

func t2() bot.Task {
	return bot.Task{ID: 2, Project: 1, Title: "需求确认 Requirements sign-off", Assignee: alice.ID, Assigner: alice.ID,
		Due: bot.NewDate(2026, time.November, 20), BaselineDue: bot.NewDate(2026, time.November, 20),
		Priority: bot.PrioNormal, Status: bot.StatusDone, Progress: 100}
}

func t3() bot.Task {
	return bot.Task{ID: 3, Project: 1, Title: "首页设计稿 Homepage mockup",
		Description: "按新品牌规范出两版首页设计稿。Two homepage mockups in the new brand style.",
		Assignee:    bob.ID, Assigner: alice.ID,
		Due: friday, BaselineDue: bot.NewDate(2026, time.November, 25), EstimateDays: 2.5,
		Priority: bot.PrioHigh, DependsOn: []uint64{2}, Status: bot.StatusAccepted, Progress: 40, Hours: 6.5,
		ProgressAt: time.Date(2026, time.November, 24, 17, 5, 0, 0, cst),
		StatusAt:   time.Date(2026, time.November, 21, 10, 2, 0, 0, cst)}
}

func t5() bot.Task {
	return bot.Task{ID: 5, Project: 1, Title: "前端开发 Frontend build", Assignee: bob.ID, Assigner: alice.ID,
		Due: bot.NewDate(2026, time.December, 11), BaselineDue: bot.NewDate(2026, time.December, 11),
		Priority: bot.PrioNormal, DependsOn: []uint64{3}, Status: bot.StatusAccepted}
}

func t7() bot.Task {
	return bot.Task{ID: 7, Project: 1, Title: "接口联调 API integration", Assignee: bob.ID, Assigner: alice.ID,
		Due: bot.NewDate(2026, time.December, 2), BaselineDue: bot.NewDate(2026, time.December, 2),
		Priority: bot.PrioNormal, Status: bot.StatusBlocked, Progress: 20,
		BlockReason: "等待后端接口 waiting for the backend API",
		StatusAt:    time.Date(2026, time.November, 25, 14, 0, 0, 0, cst)}
}

func taskInfo() cards.TaskInfo {
	p := project
	return cards.TaskInfo{Task: t3(), Project: &p, Assignee: bob, Assigner: alice, Deps: []bot.Task{t2()}}
}

func overdueEsc(extension bool) cards.EscInfo {
	e := bot.Escalation{ID: 2, Rule: bot.RuleOverdue, Task: 3, Project: 1, Person: bob.ID, Level: bot.LevelManager,
		OpenedAt: time.Date(2026, time.November, 30, 9, 0, 0, 0, cst)}
	if extension {
		e.Extension = bot.NewDate(2026, time.December, 4)
		e.ExtensionReason = "设计评审推迟 the design review moved"
	}
	// No progress applies too: the one warning lists it.
	return cards.EscInfo{Esc: e, Task: taskInfo(), DaysLate: 2, Downstream: []bot.Task{t5()}, Manager: alice, Also: []string{bot.RuleStale}}
}

// changeInfo is Bob's request to move T3 from Friday 11-27 to Wednesday
// 12-02 (3 working days): T5, after it, moves 3 working days, and so do the
// milestone T8 and the project finish, past the deadline; the critical
// path changes.
func changeInfo() cards.ChangeInfo {
	p := project
	c := bot.ChangeRequest{ID: 4, Task: 3, Project: 1, Field: bot.ChangeFieldDue, Old: friday, New: bot.NewDate(2026, time.December, 2),
		Reason: "设计评审推迟 the design review moved", Requester: bob.ID, AskedOf: alice.ID, State: bot.ChangePending,
		Impact: bot.ChangeImpact{
			Moves: []bot.DateMove{
				{Task: 5, From: bot.NewDate(2026, time.December, 11), To: bot.NewDate(2026, time.December, 16), Days: 3},
				{Task: 8, From: bot.NewDate(2026, time.December, 18), To: bot.NewDate(2026, time.December, 23), Days: 3},
			},
			Milestones: []bot.DateMove{{Task: 8, From: bot.NewDate(2026, time.December, 18), To: bot.NewDate(2026, time.December, 23), Days: 3}},
			FinishFrom: bot.NewDate(2026, time.December, 18), FinishTo: bot.NewDate(2026, time.December, 23), FinishDays: 3,
			Deadline: project.Deadline, DeadlineMissed: true,
			CriticalBefore: []uint64{2, 7, 8}, CriticalAfter: []uint64{2, 3, 5, 8}, CriticalChanged: true,
		}}
	ms := bot.Task{ID: 8, Project: 1, Title: "上线 Launch", Milestone: true}
	return cards.ChangeInfo{Change: c, Task: cards.TaskInfo{Task: t3(), Project: &p, Assignee: bob, Assigner: alice}, Requester: bob,
		Slip: 3, Tasks: map[uint64]bot.Task{5: t5(), 8: ms}}
}

func blockedEsc() cards.EscInfo {
	p := project
	return cards.EscInfo{
		Esc:  bot.Escalation{ID: 4, Rule: bot.RuleBlocked, Task: 7, Project: 1, Person: bob.ID, Level: bot.LevelGroup},
		Task: cards.TaskInfo{Task: t7(), Project: &p, Assignee: bob, Assigner: alice},
	}
}

// missedEsc is an escalation about a person rather than a task.
func missedEsc() cards.EscInfo {
	return cards.EscInfo{
		Esc:  bot.Escalation{ID: 6, Rule: bot.RuleMissedCheckins, Project: 1, Person: bob.ID, Level: bot.LevelManager},
		Task: cards.TaskInfo{Assignee: bob, Assigner: alice}, Manager: alice,
	}
}

func checkinAnswer() bot.CheckIn {
	return bot.CheckIn{Person: bob.ID, Day: friday, Late: true,
		SubmittedAt: time.Date(2026, time.November, 27, 18, 40, 0, 0, cst),
		Answers: []bot.CheckInAnswer{
			{Task: 3, Progress: 60, Status: bot.OnTrack, Hours: 3.5, Note: "移动端完成 mobile done"},
			{Task: 7, Progress: 20, Status: bot.Blocked, Hours: 1},
		}}
}

func summary(l cards.Lang) cards.Summary {
	return cards.Summary{
		Project: project, Period: "2026-W48", From: bot.NewDate(2026, time.November, 23), Through: bot.NewDate(2026, time.November, 29),
		This: cards.KPIs{Planned: 8, PlannedDone: 6, Completed: 7, OnTime: 5, Overdue: 2, DaysLate: 3,
			Asked: 15, Answered: 13, Hours: 96.5, EscOpened: 3, EscResolved: 2, MeanResolveHours: 6.25},
		Last: cards.KPIs{Planned: 7, PlannedDone: 4, Completed: 5, OnTime: 4, Overdue: 1, DaysLate: 1,
			Asked: 15, Answered: 14, Hours: 88, EscOpened: 1, EscResolved: 1, MeanResolveHours: 4},
		Causes:    []cards.CauseCount{{Cause: "external", Count: 2}, {Cause: "technical", Count: 1}},
		NextWeek:  []bot.Task{t5(), t7()},
		Projected: bot.NewDate(2026, time.December, 22),
		Chart: &bot.Chart{Type: "line", Title: l.T("Burn-up", "燃起图"),
			Labels: []string{"11-23", "11-24", "11-25", "11-26", "11-27"},
			Series: []bot.Series{
				{Name: l.T("Planned", "计划"), Values: []float64{2, 4, 5, 7, 8}},
				{Name: l.T("Done", "完成"), Values: []float64{1, 2, 4, 5, 6}},
			}},
	}
}

// planInfo is the plan of the fixtures' project: T2 done, T3 → T5 critical
// and two days late, the milestone T9 after T5, and T7 with slack.
func planInfo() cards.PlanInfo {
	t9 := bot.Task{ID: 9, Project: 1, Title: "上线 Launch", Milestone: true, Due: project.Deadline, Status: bot.StatusAccepted}
	d := func(m time.Month, day int) bot.Date { return bot.NewDate(2026, m, day) }
	return cards.PlanInfo{
		Project:  project,
		Critical: []bot.Task{t3(), t5(), t9},
		Milestones: []cards.PlanMilestone{
			{Task: t9, Finish: project.Deadline, Projected: d(time.December, 22), Late: 2},
		},
		Slack:  []cards.PlanSlack{{Task: t3(), Critical: true}, {Task: t5(), Critical: true}, {Task: t9, Critical: true}, {Task: t7(), Slack: 7}},
		Finish: project.Deadline, Projected: d(time.December, 22), Deadline: project.Deadline, Late: 2,
		Bars: []bot.Bar{
			{Task: "T2", Label: t2().Title, Start: d(time.November, 16), Finish: d(time.November, 20), Progress: 100, Done: true},
			{Task: "T3", Label: t3().Title, Start: d(time.November, 23), Finish: d(time.November, 27), Progress: 40, Critical: true},
			{Task: "T7", Label: t7().Title, Start: d(time.November, 23), Finish: d(time.December, 2), Progress: 20},
			{Task: "T5", Label: t5().Title, Start: d(time.November, 30), Finish: d(time.December, 11), Critical: true},
			{Task: "T9", Label: "上线 Launch", Start: d(time.December, 18), Finish: d(time.December, 18), Critical: true, Milestone: true},
		},
	}
}

// TestPlanFinishAgainstDeadline checks the headline of the plan card: the
// projected finish against the deadline, in working days, and its colour.
func TestPlanFinishAgainstDeadline(t *testing.T) {
	for _, tc := range []struct {
		late          int
		projected     bot.Date
		color, zh, en string
	}{
		{2, bot.NewDate(2026, time.December, 22), bot.ColorRed, "预计完工 12-22 周二，比截止日晚 2 个工作日（截止 12-18 周五）",
			"Projected finish Tue 12-22, 2 working days after the deadline Fri 12-18"},
		{-3, bot.NewDate(2026, time.December, 15), bot.ColorGreen, "预计完工 12-15 周二，比截止日早 3 个工作日（截止 12-18 周五）",
			"Projected finish Tue 12-15, 3 working days before the deadline Fri 12-18"},
		{0, bot.NewDate(2026, time.December, 18), bot.ColorGreen, "预计完工 12-18 周五，正好赶上截止日", "Projected finish Fri 12-18, on the deadline"},
	} {
		in := planInfo()
		in.Late, in.Projected = tc.late, tc.projected
		zh, en := cards.Plan(cards.ZH, in), cards.Plan(cards.EN, in)
		if !strings.HasPrefix(zh.Text, "**"+tc.zh+"**") || !strings.HasPrefix(en.Text, "**"+tc.en+"**") {
			t.Errorf("late %d: headlines\n%s\n%s", tc.late, zh.Text, en.Text)
		}
		if zh.Color != tc.color {
			t.Errorf("late %d: colour %s, want %s", tc.late, zh.Color, tc.color)
		}
	}
	in := planInfo()
	in.Deadline = bot.Date{}
	if c := cards.Plan(cards.ZH, in); !strings.Contains(c.Text, "预计完工 12-22 周二（项目未设截止日）") || c.Color != bot.ColorBlue {
		t.Errorf("without a deadline: %s %s", c.Color, c.Text)
	}
}

// goldenCase is one card as a person receives it.
type goldenCase struct {
	name    string
	build   func(l cards.Lang) bot.Card
	kind    string
	color   string
	actions []string
}

func goldenCases() []goldenCase {
	return []goldenCase{
		{"assigned", func(l cards.Lang) bot.Card { return cards.Assigned(l, taskInfo()) },
			bot.CardTaskAssigned, bot.ColorBlue, []string{"accept", "decline", "ask"}},
		{"assigned_accepted", func(l cards.Lang) bot.Card {
			at := time.Date(2026, time.November, 21, 10, 2, 0, 0, cst)
			return cards.Finish(cards.Assigned(l, taskInfo()), bot.ColorGreen, cards.State(l, l.T("Accepted", "已接受"), bob, at))
		}, bot.CardTaskAssigned, bot.ColorGreen, []string{}},
		{"declined", func(l cards.Lang) bot.Card {
			return cards.Declined(l, taskInfo(), "本周在做发布 busy with the release this week")
		}, bot.CardTaskAssigned, bot.ColorYellow, []string{"reassign", "cancel"}},
		{"declined_finished", func(l cards.Lang) bot.Card {
			at := time.Date(2026, time.November, 21, 10, 2, 0, 0, cst)
			state := l.WithReason(cards.State(l, l.T("Declined", "已拒绝"), bob, at), "本周在做发布 busy with the release this week")
			return cards.Finish(cards.Assigned(l, taskInfo()), bot.ColorGrey, state)
		}, bot.CardTaskAssigned, bot.ColorGrey, []string{}},
		{"rework", func(l cards.Lang) bot.Card {
			at := time.Date(2026, time.November, 28, 9, 15, 0, 0, cst)
			state := l.WithReason(cards.State(l, l.T("Sent back for rework", "已退回"), alice, at), "移动端还没适配 mobile is missing")
			return cards.Finish(cards.Acceptance(l, taskInfo(), "两版设计稿已上传 both mockups uploaded"), bot.ColorYellow, state)
		}, bot.CardAcceptance, bot.ColorYellow, []string{}},
		// Text people typed that looks like markup stays text.
		{"markup_group_warning", func(l cards.Lang) bot.Card {
			items := []cards.GroupItem{{Infos: []cards.EscInfo{evilEsc(), evilBlocked()}}, {Infos: []cards.EscInfo{evilBlocked()}, Resolved: true}}
			return cards.GroupWarning(l, bot.Project{ID: 1, Name: evilProject}, items, "")
		}, bot.CardGroupWarning, bot.ColorRed, []string{}},
		{"markup_declined", func(l cards.Lang) bot.Card { return cards.Declined(l, evilInfo(), evilNote) },
			bot.CardTaskAssigned, bot.ColorYellow, []string{"reassign", "cancel"}},
		{"acceptance", func(l cards.Lang) bot.Card {
			return cards.Acceptance(l, taskInfo(), "两版设计稿已上传 both mockups uploaded")
		},
			bot.CardAcceptance, bot.ColorBlue, []string{"verify", "rework"}},
		{"question", func(l cards.Lang) bot.Card {
			return cards.Question(l, taskInfo(), "首页要放活动 banner 吗？Should the homepage carry the campaign banner?")
		}, bot.CardNotice, bot.ColorYellow, []string{}},
		{"detail", func(l cards.Lang) bot.Card {
			return cards.Detail(l, taskInfo(), []string{"11-20 09:00 王丽 Alice: created", "11-21 10:02 李博 Bob: accepted"})
		}, bot.CardNotice, bot.ColorBlue, []string{}},
		{"checkin", func(l cards.Lang) bot.Card { return cards.Checkin(l, friday, []bot.Task{t3(), t7()}, nil) },
			bot.CardCheckin, bot.ColorBlue, []string{"submit", "leave", "nochange"}},
		{"checkin_done", func(l cards.Lang) bot.Card {
			c := cards.Checkin(l, friday, []bot.Task{t3(), t7()}, nil)
			titles := map[uint64]string{3: t3().Title, 7: t7().Title}
			state := cards.State(l, l.T("Submitted", "已提交"), bob, time.Date(2026, time.November, 27, 18, 40, 0, 0, cst))
			return cards.CheckinDone(l, c, checkinAnswer(), titles, state)
		}, bot.CardCheckin, bot.ColorGreen, []string{}},
		{"reminder", func(l cards.Lang) bot.Card { return cards.Reminder(l, friday) },
			bot.CardCheckinReminder, bot.ColorYellow, []string{}},
		{"daily_digest", func(l cards.Lang) bot.Card {
			return cards.DailyDigest(l, cards.Digest{Project: project, Day: friday, Asked: 3, Answered: 2,
				Missing:  []string{alice.Name},
				Progress: []string{"T3 首页设计稿 Homepage mockup: 40% → 60%"},
				Blockers: []string{"T7 接口联调 API integration: 等待后端接口 waiting for the backend API"},
				AtRisk:   []string{"T5 前端开发 Frontend build (李博 Bob)"},
				Overdue:  []string{"T6 部署脚本 Deploy script (李博 Bob, due 11-18, 3 working days late)"}})
		}, bot.CardDailyDigest, bot.ColorYellow, []string{}},
		{"escalation_blue", func(l cards.Lang) bot.Card { return cards.EscalationBlue(l, overdueEsc(false)) },
			bot.CardEscalation, bot.ColorBlue, []string{"done", "progress", "extend", "help"}},
		{"escalation_yellow", func(l cards.Lang) bot.Card { return cards.EscalationYellow(l, overdueEsc(true)) },
			bot.CardEscalation, bot.ColorYellow, []string{"ack", "approve", "reassign", "snooze"}},
		{"group_warning", func(l cards.Lang) bot.Card {
			items := []cards.GroupItem{{Infos: []cards.EscInfo{overdueEsc(false)}}, {Infos: []cards.EscInfo{blockedEsc()}, Resolved: true}}
			return cards.GroupWarning(l, project, items, l.Date(project.Deadline))
		}, bot.CardGroupWarning, bot.ColorRed, []string{}},
		{"review_prompt", func(l cards.Lang) bot.Card {
			return cards.ReviewPrompt(l, cards.Week{Project: project, Week: "2026-W48",
				Done: []bot.Task{t2()}, Open: []bot.Task{t5(), t7()}, Overdue: []bot.Task{t3()}, Hours: 31.5})
		}, bot.CardReviewPrompt, bot.ColorBlue, []string{"submit"}},
		{"weekly_summary", func(l cards.Lang) bot.Card { return cards.WeeklySummary(l, summary(l)) },
			bot.CardReviewSummary, bot.ColorYellow, []string{}},
		{"monthly_report", func(l cards.Lang) bot.Card {
			s := summary(l)
			s.Month, s.Period, s.From, s.Through, s.SoFar = true, "2026-11", bot.NewDate(2026, time.November, 1), friday, true
			return cards.WeeklySummary(l, s)
		}, bot.CardReviewSummary, bot.ColorYellow, []string{}},
		{"change_request", func(l cards.Lang) bot.Card { return cards.ChangeRequestCard(l, changeInfo()) },
			bot.CardChangeRequest, bot.ColorRed, []string{"approve", "reject"}},
		{"change_request_slack", func(l cards.Lang) bot.Card {
			in := changeInfo()
			in.Change.Impact = bot.ChangeImpact{FinishFrom: project.Deadline, FinishTo: project.Deadline, Deadline: project.Deadline,
				CriticalBefore: []uint64{2, 5}, CriticalAfter: []uint64{2, 5}}
			return cards.ChangeRequestCard(l, in)
		}, bot.CardChangeRequest, bot.ColorYellow, []string{"approve", "reject"}},
		{"change_request_rejected", func(l cards.Lang) bot.Card {
			state := cards.State(l, l.T("Rejected", "已驳回"), alice, time.Date(2026, time.November, 27, 11, 5, 0, 0, cst))
			return cards.Finish(cards.ChangeRequestCard(l, changeInfo()), bot.ColorGrey, l.WithReason(state, "发布日期已对外公布 the launch date is public"))
		}, bot.CardChangeRequest, bot.ColorGrey, []string{}},
		{"weekly_summary_risks", func(l cards.Lang) bot.Card {
			s := summary(l)
			s.Risks = []cards.RiskItem{
				{Risk: bot.Risk{ID: 4, Project: 1, Text: "性能指标未明确 " + evilTitle, Owner: bob.ID, Impact: bot.ImpactHigh, Task: 5, State: bot.RiskOpen}, Owner: bob.Name},
				{Risk: bot.Risk{ID: 2, Project: 1, Text: "测试环境资源紧张\nshared lab", Owner: alice.ID, Impact: bot.ImpactLow, State: bot.RiskOpen}, Owner: alice.Name},
			}
			monday := bot.NewDate(2026, time.November, 30)
			s.Workload = &cards.Workload{Week: "2026-W49", Monday: monday, Rows: []cards.Load{
				{Person: bob, Planned: 4.667, Available: 3, Tasks: []cards.TaskLoad{{Task: t5(), Days: 4.667}}},
				{Person: alice, Planned: 0.857, Available: 4, Tasks: []cards.TaskLoad{{Task: t7(), Days: 0.857}}},
			}}
			return cards.WeeklySummary(l, s)
		}, bot.CardReviewSummary, bot.ColorYellow, []string{}},
		{"risk_stale", func(l cards.Lang) bot.Card {
			r := bot.Risk{ID: 2, Project: 1, Text: "测试环境资源紧张 shared lab", Owner: bob.ID, Impact: bot.ImpactMedium, Task: 3, State: bot.RiskOpen}
			return cards.RiskStale(l, r, "P1 "+project.Name, time.Date(2026, time.November, 23, 9, 5, 0, 0, cst))
		}, bot.CardNotice, bot.ColorYellow, []string{}},
		{"plan", func(l cards.Lang) bot.Card { return cards.Plan(l, planInfo()) },
			bot.CardPlan, bot.ColorRed, []string{}},
		{"report_last_week", func(l cards.Lang) bot.Card {
			s := summary(l)
			s.Note = l.T("This week has no data yet, so this is last week, 2026-W48.", "本周尚无数据，以下为上周（2026-W48）。")
			return cards.WeeklySummary(l, s)
		}, bot.CardReviewSummary, bot.ColorYellow, []string{}},
	}
}

// TestGolden renders every card in both languages and compares it with the
// JSON in testdata. Run with -update to rewrite the files, then read them.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		for _, l := range []cards.Lang{cards.ZH, cards.EN} {
			name := tc.name + "_" + string(l)
			t.Run(name, func(t *testing.T) {
				c := tc.build(l)
				if c.Kind != tc.kind || c.Color != tc.color {
					t.Errorf("kind, colour = %s, %s; want %s, %s", c.Kind, c.Color, tc.kind, tc.color)
				}
				if got := actionNames(c); !slices.Equal(got, tc.actions) {
					t.Errorf("actions = %v, want %v", got, tc.actions)
				}
				checkVocabulary(t, c)
				checkGolden(t, name, c)
			})
		}
	}
}

func checkGolden(t *testing.T, name string, c bot.Card) {
	t.Helper()
	got, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the card built now:\n%s", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first line where two texts differ.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + itoa(i+1) + ":\n  golden: " + wl + "\n  now:    " + gl
		}
	}
	return "(same lines)"
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func actionNames(c bot.Card) []string {
	names := []string{}
	for _, a := range c.Actions {
		names = append(names, a.Name)
	}
	return names
}

var (
	cardKinds = []string{"task_assigned", "acceptance", "checkin", "checkin_reminder", "daily_digest", "escalation",
		"group_warning", "review_prompt", "review_summary", "change_request", "report", "plan", "notice"}
	cardColors  = []string{"blue", "yellow", "red", "green", "grey"}
	actionVocab = strings.Fields("accept decline ask reassign cancel verify rework submit leave nochange done progress extend help ack approve reject snooze")
	inputVocab  = strings.Fields("reason question due assignee progress duration")
	// The review card's inputs are the answers SPEC §4.4 asks for; §11 does
	// not name them.
	reviewInputs = strings.Fields("done slipped cause next_week improvement")
	checkinInput = regexp.MustCompile(`^(progress|status|hours|note)\.T[0-9]+$`)
)

// checkVocabulary asserts that a card speaks the stable names of SPEC §11,
// which the playground API, the page and other clients act on.
func checkVocabulary(t *testing.T, c bot.Card) {
	t.Helper()
	if !slices.Contains(cardKinds, c.Kind) {
		t.Errorf("kind %q is not a SPEC card kind", c.Kind)
	}
	if !slices.Contains(cardColors, c.Color) {
		t.Errorf("color %q is not a SPEC colour", c.Color)
	}
	if c.Title == "" {
		t.Error("the card has no title")
	}
	if c.Actions == nil {
		t.Error(`actions is nil and renders as "actions": null; SPEC wants a list`)
	}
	seen := map[string]bool{}
	for _, a := range c.Actions {
		if !slices.Contains(actionVocab, a.Name) || seen[a.Name] || a.Label == "" {
			t.Errorf("action %+v: not a stable SPEC name, a duplicate, or without a label", a)
		}
		seen[a.Name] = true
	}
	for _, in := range c.Inputs {
		switch {
		case slices.Contains(inputVocab, in.Name), checkinInput.MatchString(in.Name):
		case c.Kind == bot.CardReviewPrompt && slices.Contains(reviewInputs, in.Name):
		default:
			t.Errorf("input %q is not named as SPEC §11 says", in.Name)
		}
		if in.For != "" && !seen[in.For] {
			t.Errorf("input %q belongs to action %q, which the card does not have", in.Name, in.For)
		}
		if in.Kind == bot.InputSelect && len(in.Options) == 0 {
			t.Errorf("select %q has no options", in.Name)
		}
		if in.Label == "" {
			t.Errorf("input %q has no label", in.Name)
		}
	}
}

func TestFinish(t *testing.T) {
	state := cards.State(cards.EN, "Accepted", bob, time.Date(2026, time.November, 21, 10, 2, 0, 0, cst))
	if state != "Accepted · 李博 Bob · 11-21 10:02" {
		t.Fatalf("state line = %q", state)
	}
	tests := []struct {
		name string
		card bot.Card
	}{
		{"assigned", cards.Assigned(cards.ZH, taskInfo())},
		{"checkin", cards.Checkin(cards.EN, friday, []bot.Task{t3(), t7()}, nil)},
		{"escalation yellow", cards.EscalationYellow(cards.ZH, overdueEsc(true))},
		{"review prompt", cards.ReviewPrompt(cards.EN, cards.Week{Project: project, Week: "2026-W48"})},
		{"no text", bot.Card{Kind: bot.CardNotice, Title: "x", Color: bot.ColorBlue, Actions: []bot.Action{{Name: "ack", Label: "OK"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.card.Text
			c := cards.Finish(tt.card, bot.ColorGreen, state)
			if !c.Finished() || len(c.Inputs) != 0 {
				t.Errorf("finished card still has actions %v and %d inputs", actionNames(c), len(c.Inputs))
			}
			if c.Color != bot.ColorGreen || c.Title != tt.card.Title || c.Kind != tt.card.Kind {
				t.Errorf("colour, title, kind = %s, %q, %s", c.Color, c.Title, c.Kind)
			}
			if !strings.HasPrefix(c.Text, "**"+state+"**") {
				t.Errorf("text does not start with the state line: %q", c.Text)
			}
			if !strings.HasSuffix(c.Text, before) {
				t.Errorf("text lost the card's body %q: %q", before, c.Text)
			}
			b, _ := json.Marshal(c)
			if !strings.Contains(string(b), `"actions":[]`) || strings.Contains(string(b), `"inputs"`) {
				t.Errorf("JSON of a finished card = %s; want an empty actions list and no inputs", b)
			}
		})
	}
}

func TestCheckinInputs(t *testing.T) {
	for _, l := range []cards.Lang{cards.ZH, cards.EN} {
		t.Run(string(l), func(t *testing.T) {
			c := cards.Checkin(l, friday, []bot.Task{t3(), t7()}, nil)
			type want struct{ name, kind, value string }
			wants := []want{
				{"progress.T3", bot.InputNumber, "40"}, {"status.T3", bot.InputSelect, bot.OnTrack},
				{"hours.T3", bot.InputNumber, ""}, {"note.T3", bot.InputTextarea, ""},
				{"progress.T7", bot.InputNumber, "20"}, {"status.T7", bot.InputSelect, bot.Blocked},
				{"hours.T7", bot.InputNumber, ""}, {"note.T7", bot.InputTextarea, ""},
			}
			if len(c.Inputs) != len(wants) {
				t.Fatalf("%d inputs, want %d", len(c.Inputs), len(wants))
			}
			for i, w := range wants {
				in := c.Inputs[i]
				if in.Name != w.name || in.Kind != w.kind || in.Value != w.value {
					t.Errorf("input %d = %s %s %q, want %s %s %q", i, in.Name, in.Kind, in.Value, w.name, w.kind, w.value)
				}
				if in.Kind == bot.InputSelect {
					var vals []string
					for _, o := range in.Options {
						vals = append(vals, o.Value)
					}
					if !slices.Equal(vals, []string{"on_track", "at_risk", "blocked"}) {
						t.Errorf("%s options = %v", in.Name, vals)
					}
				}
			}
			if got := actionNames(c); !slices.Equal(got, []string{"submit", "leave", "nochange"}) {
				t.Errorf("actions = %v", got)
			}
			for _, s := range []string{"T3", "T7", l.Date(friday), l.Date(t7().Due)} {
				if !strings.Contains(c.Title+c.Text, s) {
					t.Errorf("the card does not mention %q", s)
				}
			}
		})
	}
}

func TestEscalationYellowActions(t *testing.T) {
	tests := []struct {
		name    string
		in      cards.EscInfo
		actions []string
		inputs  []string
		mention string
	}{
		{"no extension asked", overdueEsc(false), []string{"ack", "reassign", "snooze"}, []string{"assignee", "duration"}, ""},
		{"extension asked", overdueEsc(true), []string{"ack", "approve", "reassign", "snooze"}, []string{"assignee", "duration"}, "Fri 2026-12-04"},
		{"missed check-ins of a person", missedEsc(), []string{"ack", "snooze"}, []string{"duration"}, "李博 Bob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cards.EscalationYellow(cards.EN, tt.in)
			if got := actionNames(c); !slices.Equal(got, tt.actions) {
				t.Errorf("actions = %v, want %v", got, tt.actions)
			}
			var inputs []string
			for _, in := range c.Inputs {
				inputs = append(inputs, in.Name)
			}
			if !slices.Equal(inputs, tt.inputs) {
				t.Errorf("inputs = %v, want %v", inputs, tt.inputs)
			}
			if !strings.Contains(c.Title+c.Text, tt.mention) {
				t.Errorf("card does not mention %q: %s / %s", tt.mention, c.Title, c.Text)
			}
			if c.Color != bot.ColorYellow {
				t.Errorf("colour = %s", c.Color)
			}
			checkVocabulary(t, c)
		})
	}
}

func TestWeeklySummaryTrends(t *testing.T) {
	sum := func(xs ...float64) float64 {
		var s float64
		for _, x := range xs {
			s += x
		}
		return s
	}
	base := cards.KPIs{Planned: 8, PlannedDone: 4, Completed: 7, OnTime: 5, Asked: 10, Answered: 8, Hours: 20}
	tests := []struct {
		name        string
		this, last  func(k *cards.KPIs)
		label, want string
	}{
		{"done up", func(k *cards.KPIs) { k.PlannedDone = 6 }, nil, "Planned → done", "8 → 6 ↑2"},
		{"done down", func(k *cards.KPIs) { k.PlannedDone = 3 }, nil, "Planned → done", "8 → 3 ↓1"},
		{"done unchanged", nil, nil, "Planned → done", "8 → 4"},
		{"on time up", nil, func(k *cards.KPIs) { k.OnTime = 4 }, "On-time rate", "71% (5/7) ↑14"},
		{"nothing completed", func(k *cards.KPIs) { k.Completed, k.OnTime = 0, 0 }, nil, "On-time rate", "— (0/0)"},
		{"nothing completed last week", nil, func(k *cards.KPIs) { k.Completed, k.OnTime = 0, 0 }, "On-time rate", "71% (5/7)"},
		{"participation down", func(k *cards.KPIs) { k.Answered = 6 }, nil, "Check-ins", "60% (6/10) ↓20"},
		{"nobody asked", func(k *cards.KPIs) { k.Asked, k.Answered = 0, 0 }, nil, "Check-ins", "— (0/0)"},
		{"hours up", func(k *cards.KPIs) { k.Hours = 96.5 }, func(k *cards.KPIs) { k.Hours = 88 }, "Hours", "96.5 ↑8.5"},
		{"hours down", func(k *cards.KPIs) { k.Hours = 12 }, func(k *cards.KPIs) { k.Hours = 12.5 }, "Hours", "12 ↓0.5"},
		{"overdue up", func(k *cards.KPIs) { k.Overdue, k.DaysLate = 2, 3 }, nil, "Overdue", "2 tasks, 3 working days late in total ↑2"},
		// Hours are sums of check-in answers; they must read as people wrote
		// them, not with float64 noise such as 2.200000000000001.
		{"hours change rounded", func(k *cards.KPIs) { k.Hours = 12.3 }, func(k *cards.KPIs) { k.Hours = 10.1 }, "Hours", "12.3 ↑2.2"},
		{"hours total rounded", func(k *cards.KPIs) { k.Hours = sum(1.1, 2.2) }, func(k *cards.KPIs) { k.Hours = 3.3 }, "Hours", "3.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			this, last := base, base
			if tt.this != nil {
				tt.this(&this)
			}
			if tt.last != nil {
				tt.last(&last)
			}
			c := cards.WeeklySummary(cards.EN, cards.Summary{Project: project, Period: "2026-W48", This: this, Last: last})
			if got := fieldValue(t, c, tt.label); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.label, got, tt.want)
			}
		})
	}
}

// With nothing resolved there is no mean time to resolve: the card must say
// "—", as it does for the other figures without data, and not claim that
// warnings were resolved in 0.0 hours.
func TestWeeklySummaryNoResolveTime(t *testing.T) {
	for _, l := range []cards.Lang{cards.ZH, cards.EN} {
		c := cards.WeeklySummary(l, cards.Summary{Project: project, Period: "2026-W48", This: cards.KPIs{EscOpened: 2}})
		got := fieldValue(t, c, l.T("Warnings", "督办"))
		if !strings.Contains(got, "—") || strings.Contains(got, "0.0") {
			t.Errorf("%s: Warnings = %q; want the mean time to resolve given as —", l, got)
		}
	}
}

func TestWeeklySummaryProjection(t *testing.T) {
	tests := []struct {
		name      string
		projected bot.Date
		overdue   int
		color     string
		late      bool
	}{
		{"on track", bot.NewDate(2026, time.December, 16), 0, bot.ColorGreen, false},
		{"projected after the deadline", bot.NewDate(2026, time.December, 22), 0, bot.ColorYellow, true},
		{"overdue tasks", bot.NewDate(2026, time.December, 16), 1, bot.ColorYellow, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := cards.Summary{Project: project, Period: "2026-W48", Projected: tt.projected, This: cards.KPIs{Overdue: tt.overdue}}
			c := cards.WeeklySummary(cards.EN, s)
			if c.Color != tt.color {
				t.Errorf("colour = %s, want %s", c.Color, tt.color)
			}
			if got := strings.Contains(c.Text, "⚠️ late"); got != tt.late {
				t.Errorf("text says late: %v, want %v: %q", got, tt.late, c.Text)
			}
			if !strings.Contains(c.Text, "Projected finish: "+cards.EN.Date(tt.projected)+" · deadline Fri 2026-12-18") {
				t.Errorf("text does not give the projection against the deadline: %q", c.Text)
			}
		})
	}
}

func fieldValue(t *testing.T, c bot.Card, label string) string {
	t.Helper()
	for _, f := range c.Fields {
		if f.Label == label {
			return f.Value
		}
	}
	t.Fatalf("no field %q in %+v", label, c.Fields)
	return ""
}

func TestLangDate(t *testing.T) {
	tests := []struct {
		d      bot.Date
		zh, en string
	}{
		{friday, "2026-11-27 周五", "Fri 2026-11-27"},
		{bot.NewDate(2026, time.November, 29), "2026-11-29 周日", "Sun 2026-11-29"},
		{bot.NewDate(2027, time.January, 4), "2027-01-04 周一", "Mon 2027-01-04"},
		{bot.Date{}, "无", "none"},
	}
	for _, tt := range tests {
		if got := cards.ZH.Date(tt.d); got != tt.zh {
			t.Errorf("ZH.Date(%v) = %q, want %q", tt.d, got, tt.zh)
		}
		if got := cards.EN.Date(tt.d); got != tt.en {
			t.Errorf("EN.Date(%v) = %q, want %q", tt.d, got, tt.en)
		}
	}
}

func TestGroupWarningResolved(t *testing.T) {
	open := cards.GroupItem{Infos: []cards.EscInfo{overdueEsc(false)}}
	done := cards.GroupItem{Infos: []cards.EscInfo{blockedEsc()}, Resolved: true}
	c := cards.GroupWarning(cards.EN, project, []cards.GroupItem{open, done}, "")
	if c.Color != bot.ColorRed {
		t.Errorf("with one task open, colour = %s, want red", c.Color)
	}
	lines := strings.Split(c.Text, "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "李博 Bob") || !strings.Contains(lines[0], "Holds up: T5") ||
		!strings.Contains(lines[1], "~~") || !strings.HasSuffix(lines[1], "resolved") {
		t.Errorf("text = %q; want the open task with its assignee and what it holds up, then the resolved one struck through", c.Text)
	}
	done.Resolved, open.Resolved = true, true
	if c := cards.GroupWarning(cards.EN, project, []cards.GroupItem{open, done}, ""); c.Color != bot.ColorGreen {
		t.Errorf("with every task resolved, colour = %s, want green", c.Color)
	}
}

// TestGroupWarningFromPlan: a task that holds up work names the milestone it
// feeds, says it is critical, and the card ends with the projected finish
// (after the deadline here); without the plan's figures nothing is added.
func TestGroupWarningFromPlan(t *testing.T) {
	in := overdueEsc(false)
	m := bot.Task{ID: 9, Title: "Launch *now*", Milestone: true}
	in.Feeds, in.FeedsOn, in.Critical, in.Projected = &m, bot.NewDate(2026, 12, 16), true, bot.NewDate(2026, 12, 21)
	c := cards.GroupWarning(cards.EN, project, []cards.GroupItem{{Infos: []cards.EscInfo{in}}}, cards.EN.Date(project.Deadline))
	for _, want := range []string{"Holds up: T5", `Milestone T9 Launch \*now\* (planned Wed 2026-12-16) waits for it.`, "It is on the critical path.",
		"\n\nProject deadline: Fri 2026-12-18\nProjected finish: Mon 2026-12-21, after the deadline"} {
		if !strings.Contains(c.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, c.Text)
		}
	}
	plain := cards.GroupWarning(cards.EN, project, []cards.GroupItem{{Infos: []cards.EscInfo{overdueEsc(false)}}}, "")
	if strings.Contains(plain.Text, "Projected") || strings.Contains(plain.Text, "critical") {
		t.Errorf("without a plan: %q", plain.Text)
	}
}

// TestRedrawGroupLine: redrawing one line of a group warning
// (RedrawGroupLines) changes that line only, turns the card green once
// every line is resolved, writes the footer it is given, and is refused for
// a card of another shape; two lines at once draw what one after the other
// does.
func TestRedrawGroupLine(t *testing.T) {
	open := cards.GroupItem{Infos: []cards.EscInfo{overdueEsc(false)}}
	blocked := cards.GroupItem{Infos: []cards.EscInfo{blockedEsc()}}
	deadline := cards.EN.Date(project.Deadline)
	c := cards.GroupWarning(cards.EN, project, []cards.GroupItem{open, blocked}, deadline)
	c.Refs["escalations"] = "2,4"
	if got := cards.GroupLinesOpen(c); !slices.Equal(got, []bool{true, true}) {
		t.Fatalf("GroupLinesOpen = %v, want both open", got)
	}
	blocked.Resolved = true
	one, ok := cards.RedrawGroupLines(cards.EN, c, project, map[int]cards.GroupItem{1: blocked}, bot.Date{}, deadline)
	if !ok {
		t.Fatal("RedrawGroupLines refused a group warning")
	}
	want := cards.GroupWarning(cards.EN, project, []cards.GroupItem{open, blocked}, deadline)
	if one.Text != want.Text || one.Color != bot.ColorRed || one.Title != c.Title || one.Refs["escalations"] != "2,4" {
		t.Errorf("after resolving line 1:\n%+v\nwant the text of the whole card drawn again:\n%+v", one, want)
	}
	if got := cards.GroupLinesOpen(one); !slices.Equal(got, []bool{true, false}) {
		t.Errorf("GroupLinesOpen = %v, want [true false]", got)
	}
	if c.Refs["escalations"] != "2,4" || !strings.Contains(c.Text, "Blocked since") || strings.Contains(c.Text, "~~") {
		t.Errorf("the card redrawn from was changed: %+v", c)
	}
	// The other line keeps what it showed, though its task changed since.
	later := open
	later.Infos = []cards.EscInfo{overdueEsc(false)}
	later.Infos[0].DaysLate = 9
	later.Resolved = true
	both, ok := cards.RedrawGroupLines(cards.EN, one, project, map[int]cards.GroupItem{0: later}, bot.NewDate(2026, time.December, 21), deadline)
	if !ok || both.Color != bot.ColorGreen || !strings.Contains(both.Text, "Overdue by 9 working days") ||
		!strings.HasSuffix(both.Text, "\n\nProject deadline: "+deadline+"\nProjected finish: Mon 2026-12-21, after the deadline") {
		t.Errorf("both resolved = %+v", both)
	}
	for _, bad := range []bot.Card{
		{Kind: bot.CardGroupWarning, Text: "someone's text"},
		{Kind: bot.CardEscalation, Text: c.Text},
		{Kind: bot.CardGroupWarning},
	} {
		if _, ok := cards.RedrawGroupLines(cards.EN, bad, project, map[int]cards.GroupItem{0: open}, bot.Date{}, ""); ok {
			t.Errorf("RedrawGroupLines accepted %+v", bad)
		}
	}
	if _, ok := cards.RedrawGroupLines(cards.EN, c, project, map[int]cards.GroupItem{2: open}, bot.Date{}, ""); ok {
		t.Error("RedrawGroupLines accepted line 2 of a card of 2 lines")
	}
	// Both lines at once draw what one line after the other does.
	at := bot.NewDate(2026, time.December, 21)
	together, ok := cards.RedrawGroupLines(cards.EN, c, project, map[int]cards.GroupItem{0: later, 1: blocked}, at, deadline)
	if !ok || together.Text != both.Text || together.Color != both.Color {
		t.Errorf("both lines at once = %+v, want %+v", together, both)
	}
	if _, ok := cards.RedrawGroupLines(cards.EN, c, project, map[int]cards.GroupItem{0: later, 2: open}, at, deadline); ok {
		t.Error("RedrawGroupLines accepted line 2 of a card of 2 lines")
	}
}

// TestGroupFollowUp: the follow-up of a group warning names the tasks
// resolved that were not told yet, with how many are still open; lines that
// do not fit wait for the next call; nothing is left once all are told, and
// a card of another shape is refused.
func TestGroupFollowUp(t *testing.T) {
	open := cards.GroupItem{Infos: []cards.EscInfo{overdueEsc(false)}}
	blocked := cards.GroupItem{Infos: []cards.EscInfo{blockedEsc()}, Resolved: true}
	done := cards.GroupItem{Infos: []cards.EscInfo{overdueEsc(true)}, Resolved: true}
	c := cards.GroupWarning(cards.EN, project, []cards.GroupItem{open, blocked, done}, "")
	lines := strings.Split(strings.SplitN(c.Text, "\n\n", 2)[0], "\n")
	oneLine := func(text string) bool { return strings.Count(text, "\n") <= 2 }
	text, told, ok := cards.GroupFollowUp(cards.EN, c, nil, oneLine)
	if !ok || !slices.Equal(told, []int{1}) || text != "🔄 **"+c.Title+"**\n"+lines[1]+"\n1 still open." {
		t.Fatalf("first: %q %v %v", text, told, ok)
	}
	text, told, _ = cards.GroupFollowUp(cards.EN, c, told, oneLine)
	if !slices.Equal(told, []int{1, 2}) || !strings.HasSuffix(text, "\n"+lines[2]+"\n1 still open.") {
		t.Fatalf("second: %q %v", text, told)
	}
	if text, told, ok = cards.GroupFollowUp(cards.EN, c, told, nil); text != "" || !ok || len(told) != 2 {
		t.Errorf("all told: %q %v %v", text, told, ok)
	}
	open.Resolved = true
	all := cards.GroupWarning(cards.ZH, project, []cards.GroupItem{open, blocked, done}, "")
	if text, _, _ := cards.GroupFollowUp(cards.ZH, all, []int{1, 2}, nil); !strings.HasSuffix(text, "已全部解决。") || strings.Count(text, "\n") != 2 {
		t.Errorf("the last one: %q", text)
	}
	if _, _, ok := cards.GroupFollowUp(cards.EN, bot.Card{Kind: bot.CardDailyDigest, Text: "- x"}, nil, nil); ok {
		t.Error("a digest taken for a group warning")
	}
}
