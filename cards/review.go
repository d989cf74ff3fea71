package cards

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// CauseOptions are the causes of delay a review asks for (SPEC §4.4).
func CauseOptions(l Lang) []bot.Option {
	names := map[string]string{
		"requirement_change": l.T("Requirement change", "需求变更"),
		"resources":          l.T("Not enough resources", "资源不足"),
		"technical":          l.T("Technical difficulty", "技术难点"),
		"external":           l.T("External dependency", "外部依赖"),
		"unrealistic_plan":   l.T("Unrealistic plan", "计划不合理"),
		"other":              l.T("Other", "其他"),
	}
	opts := make([]bot.Option, len(bot.Causes()))
	for i, c := range bot.Causes() {
		opts[i] = bot.Option{Value: c, Label: names[c]}
	}
	return opts
}

// CauseName names a cause of delay.
func (l Lang) CauseName(c string) string {
	for _, o := range CauseOptions(l) {
		if o.Value == c {
			return o.Label
		}
	}
	return c
}

// Week is a person's week in one project, for the review card.
type Week struct {
	Project bot.Project
	Week    string
	Done    []bot.Task
	Open    []bot.Task
	Overdue []bot.Task
	Hours   float64
	// Risks are the project's open risks, worst first.
	Risks []RiskItem
}

// ReviewPrompt is the weekly review card, pre-filled with the person's week.
func ReviewPrompt(l Lang, w Week) bot.Card {
	fields := []bot.Field{
		{Label: l.T("Done this week", "本周完成"), Value: taskList(w.Done, l)},
		{Label: l.T("Still open", "进行中"), Value: taskList(w.Open, l)},
		{Label: l.T("Overdue", "已逾期"), Value: taskList(w.Overdue, l)},
		{Label: l.T("Hours", "工时"), Value: Hours(w.Hours)},
	}
	if len(w.Risks) > 0 {
		fields = append(fields, bot.Field{Label: l.F("Open risks of the project (%d)", "项目未关闭的风险（%d）", len(w.Risks)), Value: riskField(l, capRisks(w.Risks))})
	}
	codes := make([]string, len(w.Done))
	for i, t := range w.Done {
		codes[i] = t.Code() + " " + t.Title
	}
	return bot.Card{
		Kind:   bot.CardReviewPrompt,
		Title:  l.F("Weekly review · %s · %s", "周复盘 · %s · %s", w.Project.Name, w.Week),
		Color:  bot.ColorBlue,
		Text:   l.T("A few minutes to close the week: what got done, what slipped and why, and what comes next.", "花几分钟复盘本周：完成了什么、哪些延误及原因、下周计划。"),
		Fields: fields,
		Inputs: []bot.Input{
			{Name: "done", Kind: bot.InputTextarea, Label: l.T("Done this week", "本周完成"), Value: strings.Join(codes, "\n")},
			{Name: "slipped", Kind: bot.InputTextarea, Label: l.T("What slipped, and why", "延误事项及原因")},
			{Name: "cause", Kind: bot.InputSelect, Label: l.T("Main cause of delay", "主要延误原因"), Options: CauseOptions(l)},
			{Name: "next_week", Kind: bot.InputTextarea, Label: l.T("Next week's plan", "下周计划")},
			{Name: "improvement", Kind: bot.InputText, Label: l.T("One improvement", "一项改进")},
		},
		Actions: []bot.Action{{Name: "submit", Label: l.T("Submit", "提交")}},
		Refs:    map[string]string{"project": w.Project.Code(), "week": w.Week},
	}
}

// taskBullets lists tasks as card-markdown bullets.
func taskBullets(ts []bot.Task, l Lang) string {
	if len(ts) == 0 {
		return l.T("none", "无")
	}
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = "- " + t.Code() + " " + escLine(t.Title)
	}
	return strings.Join(parts, "\n")
}

// taskList lists tasks as plain text, one a line, for a field.
func taskList(ts []bot.Task, l Lang) string {
	if len(ts) == 0 {
		return l.T("none", "无")
	}
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.Code() + " " + t.Title
	}
	return strings.Join(parts, "\n")
}

// KPIs are the figures of a weekly summary (SPEC §4.4).
type KPIs struct {
	Planned, PlannedDone   int
	Completed, OnTime      int
	Overdue, DaysLate      int
	Asked, Answered        int
	Hours                  float64
	EscOpened, EscResolved int
	MeanResolveHours       float64
}

// OnTimeRate returns the share of completed tasks done on time, in percent,
// or -1 when nothing was completed.
func (k KPIs) OnTimeRate() int {
	if k.Completed == 0 {
		return -1
	}
	return k.OnTime * 100 / k.Completed
}

// Participation returns the check-in participation in percent, or -1.
func (k KPIs) Participation() int {
	if k.Asked == 0 {
		return -1
	}
	return k.Answered * 100 / k.Asked
}

// Summary is what a weekly summary (or a /report) card shows.
type Summary struct {
	Project bot.Project
	// Period names the span: "2026-W48", or "2026-11" for a month.
	Period string
	// Month is true for a calendar month's report.
	Month bool
	// From and Through are the first and last day counted; SoFar is true
	// when the period goes on after Through.
	From, Through bot.Date
	SoFar         bool
	// Note is a plain-text line shown first, such as why the card shows
	// last week.
	Note      string
	This      KPIs
	Last      KPIs
	Causes    []CauseCount
	NextWeek  []bot.Task
	Projected bot.Date
	Chart     *bot.Chart
	// Risks are the project's open risks, worst first.
	Risks []RiskItem
	// Workload is the project's workload of the week after the period;
	// nil for none.
	Workload *Workload
}

// CauseCount is one bar of the Pareto list of causes.
type CauseCount struct {
	Cause string
	Count int
}

// WeeklySummary is the summary card for a project's owner and group.
func WeeklySummary(l Lang, s Summary) bot.Card {
	k, p := s.This, s.Last
	fields := []bot.Field{
		{Label: l.T("Planned → done", "计划 → 完成"), Value: fmt.Sprintf("%d → %d%s", k.Planned, k.PlannedDone, trend(k.PlannedDone-p.PlannedDone))},
		{Label: l.T("On-time rate", "按时完成率"), Value: pct(k.OnTimeRate()) + l.F(" (%d/%d)", "（%d/%d）", k.OnTime, k.Completed) + trendPct(k.OnTimeRate(), p.OnTimeRate())},
		{Label: l.T("Overdue", "逾期"), Value: l.F("%d tasks, %d working days late in total", "%d 项，共逾期 %d 个工作日", k.Overdue, k.DaysLate) + trend(k.Overdue-p.Overdue)},
		{Label: l.T("Check-ins", "打卡参与"), Value: pct(k.Participation()) + l.F(" (%d/%d)", "（%d/%d）", k.Answered, k.Asked) + trendPct(k.Participation(), p.Participation())},
		{Label: l.T("Hours", "工时"), Value: Hours(k.Hours) + trendF(k.Hours-p.Hours)},
		{Label: l.T("Warnings", "督办"), Value: warnings(l, k)},
	}
	if !s.From.IsZero() {
		span := l.Date(s.From) + " – " + l.Date(s.Through)
		if s.SoFar {
			span += l.T(" (so far)", "（截至目前）")
		}
		fields = append([]bot.Field{{Label: l.T("Period", "期间"), Value: span}}, fields...)
	}
	var b strings.Builder
	if s.Note != "" {
		b.WriteString(esc(s.Note) + "\n\n")
	}
	if len(s.Causes) > 0 {
		b.WriteString("**" + l.T("Causes of delay", "延误原因") + "**\n")
		for _, c := range s.Causes {
			fmt.Fprintf(&b, "- %s: %d\n", l.CauseName(c.Cause), c.Count)
		}
		b.WriteString("\n")
	}
	b.WriteString("**" + l.T("Due next week", "下周到期") + "**\n" + taskBullets(s.NextWeek, l) + "\n\n")
	writeRisks(&b, l, s.Risks)
	writeWorkload(&b, l, s.Workload)
	if !s.Projected.IsZero() {
		b.WriteString(l.T("Projected finish: ", "预计完成：") + l.Date(s.Projected))
		if !s.Project.Deadline.IsZero() {
			b.WriteString(l.T(" · deadline ", " · 截止 ") + l.Date(s.Project.Deadline))
			if s.Projected.After(s.Project.Deadline) {
				b.WriteString(l.T(" ⚠️ late", " ⚠️ 将延期"))
			}
		}
	}
	color := bot.ColorGreen
	if k.Overdue > 0 || hasHighRisk(s.Risks) || (!s.Project.Deadline.IsZero() && s.Projected.After(s.Project.Deadline)) {
		color = bot.ColorYellow
	}
	title, ref := l.F("Weekly summary · %s · %s", "周报 · %s · %s", s.Project.Name, s.Period), "week"
	if s.Month {
		title, ref = l.F("Monthly report · %s · %s", "月报 · %s · %s", s.Project.Name, s.Period), "month"
	}
	return bot.Card{
		Kind: bot.CardReviewSummary, Title: title,
		Color: color, Text: strings.TrimSpace(b.String()), Fields: fields, Chart: s.Chart, Actions: []bot.Action{},
		Refs: map[string]string{"project": s.Project.Code(), ref: s.Period},
	}
}

func pct(v int) string {
	if v < 0 {
		return "—"
	}
	return strconv.Itoa(v) + "%"
}

func trend(d int) string {
	switch {
	case d > 0:
		return " ↑" + strconv.Itoa(d)
	case d < 0:
		return " ↓" + strconv.Itoa(-d)
	}
	return ""
}

// trendPct is the trend between two percentages, where -1 means none.
func trendPct(now, before int) string {
	if now < 0 || before < 0 {
		return ""
	}
	return trend(now - before)
}

// trendF is the trend of hours; a change under 0.05 h is none.
func trendF(d float64) string {
	switch {
	case d >= 0.05:
		return " ↑" + Hours(d)
	case d <= -0.05:
		return " ↓" + Hours(-d)
	}
	return ""
}

// Hours writes a number of hours rounded to a tenth, without a trailing .0.
func Hours(h float64) string {
	return strconv.FormatFloat(math.Round(h*10)/10, 'f', -1, 64)
}

// warnings writes the escalation figures; the mean time to resolve is "—"
// when nothing was resolved.
func warnings(l Lang, k KPIs) string {
	mean := "—"
	if k.EscResolved > 0 {
		mean = strconv.FormatFloat(k.MeanResolveHours, 'f', 1, 64)
	}
	return l.F("%d opened, %d resolved, %s h to resolve on average", "新增 %d，解决 %d，平均 %s 小时解决", k.EscOpened, k.EscResolved, mean)
}

// maxCardRisks is the most risks a card lists; the count says how many
// there are.
const maxCardRisks = 10

// capRisks returns the first maxCardRisks risks.
func capRisks(rs []RiskItem) []RiskItem {
	return rs[:min(len(rs), maxCardRisks)]
}

// writeRisks adds the open risks to a summary's text, when there are any.
func writeRisks(b *strings.Builder, l Lang, rs []RiskItem) {
	if len(rs) == 0 {
		return
	}
	b.WriteString("**" + l.F("Open risks (%d)", "未关闭的风险（%d）", len(rs)) + "**\n" + riskBullets(l, capRisks(rs)) + "\n")
	if len(rs) > maxCardRisks {
		b.WriteString(l.M("… and %d more: /risks %s", "……另有 %d 条：/风险清单 %s", len(rs)-maxCardRisks, bot.ProjectCode(rs[0].Risk.Project)) + "\n")
	}
	b.WriteString("\n")
}

// writeWorkload adds a week's workload to a summary's text: each person's
// planned against available working days, the over-allocated first.
func writeWorkload(b *strings.Builder, l Lang, w *Workload) {
	if w == nil || len(w.Rows) == 0 {
		return
	}
	b.WriteString("**" + l.F("Workload %s (%s – %s), planned / available days", "%s 工作负荷（%s 至 %s），计划 / 可用工作日",
		w.Week, w.Monday.String()[5:], w.Monday.AddDays(6).String()[5:]) + "**\n")
	for i, row := range w.Rows {
		if i == maxCardRisks {
			break
		}
		b.WriteString("- " + esc(loadLine(l, row)) + "\n")
	}
	if n := overCount(w.Rows); n > 0 {
		b.WriteString(l.F("%d over-allocated.", "%d 人超负荷。", n) + "\n")
	}
	b.WriteString("\n")
}

// hasHighRisk reports whether a high-impact risk is open.
func hasHighRisk(rs []RiskItem) bool {
	for _, r := range rs {
		if r.Risk.Impact == bot.ImpactHigh {
			return true
		}
	}
	return false
}
