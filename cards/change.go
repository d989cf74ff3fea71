package cards

import (
	"fmt"
	"slices"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// ChangeInfo is what a change request card, reply or list line shows.
type ChangeInfo struct {
	Change    bot.ChangeRequest
	Task      TaskInfo
	Requester bot.Person
	// Decider is who decided the request, once decided.
	Decider bot.Person
	// Slip is the task's own move in working days (+ later, - earlier).
	Slip int
	// Tasks are the tasks the impact names, by id, for their titles.
	Tasks map[uint64]bot.Task
}

func changeRefs(in ChangeInfo) map[string]string {
	refs := taskRefs(in.Task.Task)
	refs["change"] = in.Change.Code()
	return refs
}

// WorkdayCount writes a signed count of working days: "+3 working days",
// "-1 个工作日", "0 working days".
func (l Lang) WorkdayCount(n int) string {
	sign := ""
	if n > 0 {
		sign = "+"
	}
	if l == EN {
		return fmt.Sprintf("%s%d working %s", sign, n, plural(n, "day", "days"))
	}
	return fmt.Sprintf("%s%d 个工作日", sign, n)
}

// DueChange writes a due date moving: "Fri 2026-12-04 → Wed 2026-12-09 (+3
// working days)", as plain text.
func (l Lang) DueChange(c bot.ChangeRequest, slip int) string {
	return l.Date(c.Old) + " → " + l.Date(c.New) + l.F(" (%s)", "（%s）", l.WorkdayCount(slip))
}

// ChangeRequestCard is the card the task's manager gets for a change
// request: the task, the due date asked for, the reason and the impact,
// with Approve and Reject (a reason is needed to reject).
func ChangeRequestCard(l Lang, in ChangeInfo) bot.Card {
	c := in.Change
	color := bot.ColorYellow
	if c.Impact.DeadlineMissed {
		color = bot.ColorRed
	}
	return bot.Card{
		Kind:   bot.CardChangeRequest,
		Title:  l.F("Change request %s · %s %s", "变更申请 %s · %s %s", c.Code(), in.Task.Task.Code(), in.Task.Task.Title),
		Color:  color,
		Text:   l.M("%s asks to move the due date of %s.", "%s 申请调整 %s 的截止日期。", in.Requester.DisplayName(), in.Task.Task.Code()) + "\n\n" + ImpactText(l, in),
		Fields: changeFields(l, in),
		Inputs: []bot.Input{
			{Name: "reason", Kind: bot.InputTextarea, Label: l.T("Reason (to reject)", "驳回理由"), For: "reject"},
		},
		Actions: []bot.Action{
			{Name: "approve", Label: l.T("Approve", "批准")},
			{Name: "reject", Label: l.T("Reject", "驳回")},
		},
		Refs: changeRefs(in),
	}
}

// changeFields are the fields of a change request card: the project, the
// due date before and after, who asks, and why.
func changeFields(l Lang, in ChangeInfo) []bot.Field {
	var fields []bot.Field
	if in.Task.Project != nil {
		fields = append(fields, bot.Field{Label: l.T("Project", "项目"), Value: in.Task.Project.Code() + " " + in.Task.Project.Name})
	}
	return append(fields,
		bot.Field{Label: l.T("Task", "任务"), Value: in.Task.Task.Code() + " " + in.Task.Task.Title},
		bot.Field{Label: l.T("Assignee", "负责人"), Value: in.Task.Assignee.DisplayName()},
		bot.Field{Label: l.T("Due date", "截止日期"), Value: l.DueChange(in.Change, in.Slip)},
		bot.Field{Label: l.T("Requested by", "申请人"), Value: in.Requester.DisplayName()},
		bot.Field{Label: l.T("Reason", "理由"), Value: in.Change.Reason},
	)
}

// ImpactText writes the impact of a change as card markdown: a heading,
// each task that moves and by how many working days (milestones marked
// ◆), the project finish against the deadline, and the critical path.
func ImpactText(l Lang, in ChangeInfo) string {
	im := in.Change.Impact
	lines := []string{"**" + l.T("Impact", "影响分析") + "**"}
	if im.Unplanned != "" {
		return strings.Join(append(lines, l.M("The impact could not be computed: %s", "无法计算影响：%s", im.Unplanned)), "\n")
	}
	if len(im.Moves) == 0 {
		lines = append(lines, l.T("- No other task moves.", "- 没有其他任务受影响。"))
	}
	for _, m := range im.Moves {
		lines = append(lines, moveLine(l, in, m))
	}
	if !im.FinishFrom.IsZero() || !im.FinishTo.IsZero() {
		lines = append(lines, finishLines(l, im)...)
	}
	if line := criticalLine(l, im); line != "" {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// moveLine is one task moving, as a bullet.
func moveLine(l Lang, in ChangeInfo, m bot.DateMove) string {
	mark := ""
	if slices.ContainsFunc(in.Change.Impact.Milestones, func(x bot.DateMove) bool { return x.Task == m.Task }) {
		mark = "◆ "
	}
	name := bot.TaskCode(m.Task)
	if t, ok := in.Tasks[m.Task]; ok {
		name += " " + OneLine(t.Title)
	}
	return "- " + mark + l.M("%s: %s → %s (%s)", "%s：%s → %s（%s）", name, l.Date(m.From), l.Date(m.To), l.WorkdayCount(m.Days))
}

// finishLines say whether the project finish moves, and what that does to
// the deadline.
func finishLines(l Lang, im bot.ChangeImpact) []string {
	var lines []string
	if im.FinishDays == 0 && im.FinishFrom == im.FinishTo {
		line := l.F("✅ The project finish does not move (%s)", "✅ 项目完成日期不变（%s）", l.Date(im.FinishTo))
		if !im.Deadline.IsZero() && !im.DeadlineMissed {
			line += l.F("; the deadline %s is not affected.", "，不影响截止日期 %s。", l.Date(im.Deadline))
		} else {
			line += l.T(".", "。")
		}
		lines = append(lines, line)
	} else {
		lines = append(lines, l.F("📅 Project finish: %s → %s (%s).", "📅 项目完成日期：%s → %s（%s）。",
			l.Date(im.FinishFrom), l.Date(im.FinishTo), l.WorkdayCount(im.FinishDays)))
		if !im.Deadline.IsZero() && !im.DeadlineMissed {
			lines = append(lines, l.F("✅ The deadline %s still holds.", "✅ 仍能赶上截止日期 %s。", l.Date(im.Deadline)))
		}
	}
	if im.DeadlineMissed {
		lines = append(lines, l.F("⚠️ The project would miss its deadline %s.", "⚠️ 项目将错过截止日期 %s。", l.Date(im.Deadline)))
	}
	return lines
}

// criticalLine says whether the critical path changes.
func criticalLine(l Lang, im bot.ChangeImpact) string {
	switch {
	case im.CriticalChanged:
		return l.F("🔀 The critical path changes: %s (was %s).", "🔀 关键路径改变：%s（原为 %s）。",
			pathText(l, im.CriticalAfter), pathText(l, im.CriticalBefore))
	case len(im.CriticalBefore) > 0:
		return l.F("The critical path does not change: %s.", "关键路径不变：%s。", pathText(l, im.CriticalAfter))
	}
	return ""
}

func pathText(l Lang, ids []uint64) string {
	if len(ids) == 0 {
		return l.T("none", "无")
	}
	codes := make([]string, len(ids))
	for i, id := range ids {
		codes[i] = bot.TaskCode(id)
	}
	return strings.Join(codes, " → ")
}

// ChangeState names the state of a change request.
func (l Lang) ChangeState(s bot.ChangeState) string {
	switch s {
	case bot.ChangePending:
		return l.T("waiting for a decision", "待审批")
	case bot.ChangeApproved:
		return l.T("approved", "已批准")
	case bot.ChangeRejected:
		return l.T("rejected", "已驳回")
	case bot.ChangeApplied:
		return l.T("applied", "已生效")
	case bot.ChangeWithdrawn:
		return l.T("withdrawn", "已撤回")
	}
	return string(s)
}

// ImpactSummary is the impact on one line of plain text, for lists: what
// moves, the finish, the deadline and the critical path.
func ImpactSummary(l Lang, im bot.ChangeImpact) string {
	if im.Unplanned != "" {
		return l.T("impact not computed", "未能计算影响")
	}
	var parts []string
	if len(im.Moves) == 0 {
		parts = append(parts, l.T("nothing else moves", "无其他任务受影响"))
	} else {
		codes := make([]string, len(im.Moves))
		for i, m := range im.Moves {
			codes[i] = bot.TaskCode(m.Task)
		}
		parts = append(parts, l.F("moves %s", "顺延 %s", strings.Join(codes, ", ")))
	}
	if im.FinishDays != 0 {
		parts = append(parts, l.F("finish %s", "完成日期 %s", l.WorkdayCount(im.FinishDays)))
	} else if !im.FinishTo.IsZero() {
		parts = append(parts, l.T("finish unchanged", "完成日期不变"))
	}
	if im.DeadlineMissed {
		parts = append(parts, l.T("⚠️ misses the deadline", "⚠️ 错过截止日期"))
	}
	if im.CriticalChanged {
		parts = append(parts, l.T("critical path changes", "关键路径改变"))
	}
	return strings.Join(parts, l.T("; ", "；"))
}

// ChangeLine is one change request in a list, as a bullet of card
// markdown: its id, task, dates, requester, state and impact.
func ChangeLine(l Lang, in ChangeInfo) string {
	c := in.Change
	line := l.M("- %s %s %s: %s · %s · %s", "- %s %s %s：%s · %s · %s", c.Code(), in.Task.Task.Code(), OneLine(in.Task.Task.Title),
		l.DueChange(c, in.Slip), in.Requester.DisplayName(), l.ChangeState(c.State))
	if in.Decider.ID != "" && c.State != bot.ChangePending {
		line += l.M(" (%s)", "（%s）", in.Decider.DisplayName())
	}
	line += "\n  " + l.M("%s", "%s", ImpactSummary(l, c.Impact))
	if c.Reason != "" {
		line += "\n  " + l.M("Reason: %s", "理由：%s", OneLine(c.Reason))
	}
	if c.DecisionReason != "" {
		line += "\n  " + l.M("Decision: %s", "审批意见：%s", OneLine(c.DecisionReason))
	}
	return line
}
