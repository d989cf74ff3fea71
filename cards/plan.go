package cards

import (
	"fmt"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// maxPlanLines is the most tasks a list of the plan card shows.
const maxPlanLines = 20

// PlanInfo is what the plan card (/plan) shows: the project's schedule over
// the working-day calendar, computed by the plan package.
type PlanInfo struct {
	Project bot.Project
	// Critical are the open tasks of the critical path, in order.
	Critical []bot.Task
	// Milestones are the project's milestones, by date.
	Milestones []PlanMilestone
	// Slack lists each open task with its total slack, least first.
	Slack []PlanSlack
	// Finish is the committed finish of the plan, Projected the finish
	// from progress and pace; Deadline the project's (zero: none).
	Finish, Projected, Deadline bot.Date
	// Late is the working days from Deadline to Projected: positive when
	// the projected finish is after the deadline, negative before it.
	Late int
	// Bars are the Gantt chart's bars, in plan order.
	Bars []bot.Bar
}

// PlanMilestone is a milestone with its committed (Finish) and projected
// dates; Late is the working days Projected is after Finish.
type PlanMilestone struct {
	Task              bot.Task
	Finish, Projected bot.Date
	Late              int
	Done              bool
}

// PlanSlack is an open task and its total slack in working days.
type PlanSlack struct {
	Task     bot.Task
	Slack    int
	Critical bool
}

// Short writes a date briefly with its weekday: "12-18 周五", "Fri 12-18".
func (l Lang) Short(d bot.Date) string {
	if d.IsZero() {
		return l.T("none", "无")
	}
	md := fmt.Sprintf("%02d-%02d", int(d.Month), d.Day)
	if l == EN {
		return l.Weekday(d.Weekday()) + " " + md
	}
	return md + " " + l.Weekday(d.Weekday())
}

// Plan is the card of /plan: the projected finish against the deadline,
// the critical path, the milestones, each open task's slack, and a Gantt
// chart of the plan.
func Plan(l Lang, in PlanInfo) bot.Card {
	var b strings.Builder
	b.WriteString("**" + finishLine(l, in) + "**")
	section(&b, l.T("Critical path", "关键路径"), criticalLines(l, in.Critical))
	section(&b, l.T("Milestones", "里程碑"), milestoneLines(l, in.Milestones))
	section(&b, l.T("Slack of open tasks (working days)", "未完成任务的浮动时间（工作日）"), slackLines(l, in.Slack))
	fields := []bot.Field{
		{Label: l.T("Deadline", "截止日期"), Value: l.Date(in.Deadline)},
		{Label: l.T("Planned finish", "计划完工"), Value: l.Date(in.Finish)},
		{Label: l.T("Projected finish", "预计完工"), Value: l.Date(in.Projected)},
	}
	c := Notice(l.F("Plan · %s %s", "计划 · %s %s", in.Project.Code(), in.Project.Name), strings.TrimSpace(b.String()), planColor(in))
	c.Kind = bot.CardPlan
	c.Fields = fields
	c.Refs = map[string]string{"project": in.Project.Code()}
	if len(in.Bars) > 0 {
		c.Chart = &bot.Chart{Type: bot.ChartGantt, Title: l.T("Gantt chart", "甘特图"), Labels: []string{}, Series: []bot.Series{}, Bars: in.Bars}
	}
	return c
}

// finishLine says where the projected finish falls against the deadline:
// "预计完工 12-18 周五，比截止日晚 2 个工作日".
func finishLine(l Lang, in PlanInfo) string {
	p := l.Short(in.Projected)
	switch {
	case in.Projected.IsZero():
		return l.T("Nothing is planned yet.", "尚无计划内容。")
	case in.Deadline.IsZero():
		return l.F("Projected finish %s (the project has no deadline)", "预计完工 %s（项目未设截止日）", p)
	case in.Late > 0:
		return l.F("Projected finish %s, %d working days after the deadline %s", "预计完工 %s，比截止日晚 %d 个工作日（截止 %s）", p, in.Late, l.Short(in.Deadline))
	case in.Late < 0:
		return l.F("Projected finish %s, %d working days before the deadline %s", "预计完工 %s，比截止日早 %d 个工作日（截止 %s）", p, -in.Late, l.Short(in.Deadline))
	}
	if in.Projected.After(in.Deadline) {
		// Only non-working days lie between them.
		return l.F("Projected finish %s, after the deadline %s", "预计完工 %s，晚于截止日 %s", p, l.Short(in.Deadline))
	}
	return l.F("Projected finish %s, on the deadline", "预计完工 %s，正好赶上截止日", p)
}

func planColor(in PlanInfo) string {
	switch {
	case in.Deadline.IsZero() || in.Projected.IsZero():
		return bot.ColorBlue
	case in.Projected.After(in.Deadline):
		return bot.ColorRed
	case in.Finish.After(in.Deadline):
		return bot.ColorYellow
	}
	return bot.ColorGreen
}

// section adds a titled list to a card's text; an empty list adds nothing.
func section(b *strings.Builder, title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	b.WriteString("\n\n**" + title + "**\n" + strings.Join(lines, "\n"))
}

func criticalLines(l Lang, tasks []bot.Task) []string {
	if len(tasks) == 0 {
		return []string{l.T("None: every open task has slack.", "无：每个未完成任务都有浮动时间。")}
	}
	codes := make([]string, len(tasks))
	for i, t := range tasks {
		codes[i] = t.Code()
	}
	lines := []string{esc(strings.Join(codes, " → "))}
	for i, t := range tasks {
		if i == maxPlanLines {
			lines = append(lines, l.F("…and %d more.", "……还有 %d 个。", len(tasks)-maxPlanLines))
			break
		}
		lines = append(lines, "- "+esc(Code(t))+" "+escLine(t.Title)+" · "+l.T("due ", "截止 ")+l.Short(t.Due))
	}
	return lines
}

func milestoneLines(l Lang, ms []PlanMilestone) []string {
	var lines []string
	for i, m := range ms {
		if i == maxPlanLines {
			lines = append(lines, l.F("…and %d more.", "……还有 %d 个。", len(ms)-maxPlanLines))
			break
		}
		line := "- ◆ " + m.Task.Code() + " " + escLine(m.Task.Title) + " · "
		switch {
		case m.Done:
			line += l.F("reached %s", "已达成 %s", l.Short(m.Projected))
		case m.Late > 0:
			line += l.F("projected %s, planned %s: %d working days late", "预计 %s，比计划 %s 晚 %d 个工作日", l.Short(m.Projected), l.Short(m.Finish), m.Late)
		default:
			line += l.F("projected %s (planned %s)", "预计 %s（计划 %s）", l.Short(m.Projected), l.Short(m.Finish))
		}
		lines = append(lines, line)
	}
	return lines
}

func slackLines(l Lang, slack []PlanSlack) []string {
	var lines []string
	for i, s := range slack {
		if i == maxPlanLines {
			lines = append(lines, l.F("…and %d more.", "……还有 %d 个。", len(slack)-maxPlanLines))
			break
		}
		line := "- " + esc(Code(s.Task)) + " " + escLine(s.Task.Title) + l.T(": ", "：") + fmt.Sprint(s.Slack)
		if s.Critical {
			line += l.T(" (critical)", "（关键）")
		}
		lines = append(lines, line)
	}
	return lines
}
