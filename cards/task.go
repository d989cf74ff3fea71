package cards

import (
	"strconv"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// TaskInfo is what a task card shows besides the task itself.
type TaskInfo struct {
	Task     bot.Task
	Project  *bot.Project
	Assignee bot.Person
	Assigner bot.Person
	// Deps are the tasks this one waits for.
	Deps []bot.Task
	// DueOff is true when the due date is not a working day.
	DueOff bool
	// Parent is the WBS summary task this one belongs to, if any.
	Parent *bot.Task
	// Rollup is the figures of a task with sub-tasks, rolled up from them;
	// nil for a task without any.
	Rollup *Rollup
}

// Rollup is what a WBS summary task shows, rolled up from its sub-tasks:
// Children counts them (cancelled ones left out), Progress is their
// progress weighted by estimate (0-100), and Start and Finish span their
// dates (zero when unknown).
type Rollup struct {
	Children      int
	Progress      int
	Start, Finish bot.Date
}

// Code returns a task's short id as lists and cards show it: "T3", or
// "◆ T3" for a milestone.
func Code(t bot.Task) string {
	if t.Milestone {
		return "◆ " + t.Code()
	}
	return t.Code()
}

func taskRefs(t bot.Task) map[string]string {
	refs := map[string]string{"task": t.Code()}
	if t.Project != 0 {
		refs["project"] = bot.ProjectCode(t.Project)
	}
	return refs
}

// TaskFields returns the fields that describe a task on every task card.
func TaskFields(l Lang, in TaskInfo) []bot.Field {
	t := in.Task
	fields := []bot.Field{}
	if in.Project != nil {
		fields = append(fields, bot.Field{Label: l.T("Project", "项目"), Value: in.Project.Code() + " " + in.Project.Name})
	}
	due := l.Date(t.Due)
	if in.DueOff {
		due += l.T(" (not a working day)", "（非工作日）")
	}
	if in.Parent != nil {
		fields = append(fields, bot.Field{Label: l.T("Part of", "父任务"), Value: Code(*in.Parent) + " " + in.Parent.Title})
	}
	if t.Milestone {
		fields = append(fields, bot.Field{Label: l.T("Milestone", "里程碑"), Value: "◆ " + l.T("yes", "是")})
	}
	if !t.PlannedStart.IsZero() {
		fields = append(fields, bot.Field{Label: l.T("Planned start", "计划开始"), Value: l.Date(t.PlannedStart)})
	}
	fields = append(fields,
		bot.Field{Label: l.T("Due", "截止"), Value: due},
		bot.Field{Label: l.T("Priority", "优先级"), Value: l.Priority(t.Priority)},
		bot.Field{Label: l.T("Assigner", "指派人"), Value: in.Assigner.DisplayName()},
		bot.Field{Label: l.T("Assignee", "负责人"), Value: in.Assignee.DisplayName()},
	)
	if t.EstimateDays > 0 {
		fields = append(fields, bot.Field{Label: l.T("Estimate", "估时"), Value: l.F("%s working days", "%s 个工作日", trimFloat(t.EstimateDays))})
	}
	if len(in.Deps) > 0 {
		fields = append(fields, bot.Field{Label: l.T("After", "依赖"), Value: depList(l, in.Deps)})
	}
	return fields
}

func depList(l Lang, deps []bot.Task) string {
	parts := make([]string, len(deps))
	for i, d := range deps {
		parts[i] = d.Code() + " " + d.Title + l.F(" (%s)", "（%s）", l.Status(d.Status))
	}
	return strings.Join(parts, "\n")
}

func trimFloat(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// Assigned is the card an assignee gets for a new task: accept, decline
// (with a reason) or ask a question.
func Assigned(l Lang, in TaskInfo) bot.Card {
	return bot.Card{
		Kind:   bot.CardTaskAssigned,
		Title:  l.F("New task %s · %s", "新任务 %s · %s", Code(in.Task), in.Task.Title),
		Color:  bot.ColorBlue,
		Text:   esc(in.Task.Description),
		Fields: TaskFields(l, in),
		Inputs: []bot.Input{
			{Name: "reason", Kind: bot.InputTextarea, Label: l.T("Reason (to decline)", "拒绝理由"), For: "decline"},
			{Name: "question", Kind: bot.InputTextarea, Label: l.T("Question (to ask)", "问题（需澄清）"), For: "ask"},
		},
		Actions: []bot.Action{
			{Name: "accept", Label: l.T("Accept", "接受")},
			{Name: "decline", Label: l.T("Decline", "拒绝")},
			{Name: "ask", Label: l.T("Ask", "需澄清")},
		},
		Refs: taskRefs(in.Task),
	}
}

// Declined is the card an assigner gets when a task was declined: reassign
// it to someone else, or cancel it.
func Declined(l Lang, in TaskInfo, reason string) bot.Card {
	text := l.M("%s declined the task.", "%s 拒绝了该任务。", in.Assignee.DisplayName())
	if reason != "" {
		text += "\n" + l.M("Reason: %s", "理由：%s", reason)
	}
	return bot.Card{
		Kind:   bot.CardTaskAssigned,
		Title:  l.F("Declined: %s · %s", "任务被拒绝：%s · %s", Code(in.Task), in.Task.Title),
		Color:  bot.ColorYellow,
		Text:   text,
		Fields: TaskFields(l, in),
		Inputs: []bot.Input{
			{Name: "assignee", Kind: bot.InputText, Label: l.T("New assignee (@id)", "新负责人（@id）"), For: "reassign"},
			{Name: "reason", Kind: bot.InputText, Label: l.T("Reason to cancel", "取消理由"), For: "cancel"},
		},
		Actions: []bot.Action{
			{Name: "reassign", Label: l.T("Reassign", "转派")},
			{Name: "cancel", Label: l.T("Cancel task", "取消任务")},
		},
		Refs: taskRefs(in.Task),
	}
}

// Acceptance is the card a manager gets when a task is done in a project
// that requires acceptance (验收): verify, or send it back for rework.
func Acceptance(l Lang, in TaskInfo, note string) bot.Card {
	text := l.M("%s marked the task done.", "%s 已完成该任务，请验收。", in.Assignee.DisplayName())
	if note != "" {
		text += "\n" + l.M("Note: %s", "说明：%s", note)
	}
	return bot.Card{
		Kind:   bot.CardAcceptance,
		Title:  l.F("Acceptance: %s · %s", "待验收：%s · %s", Code(in.Task), in.Task.Title),
		Color:  bot.ColorBlue,
		Text:   text,
		Fields: TaskFields(l, in),
		Inputs: []bot.Input{
			{Name: "reason", Kind: bot.InputTextarea, Label: l.T("Reason (for rework)", "退回理由"), For: "rework"},
		},
		Actions: []bot.Action{
			{Name: "verify", Label: l.T("Verify", "验收通过")},
			{Name: "rework", Label: l.T("Rework", "退回")},
		},
		Refs: taskRefs(in.Task),
	}
}

// Question is the card an assigner gets when the assignee asks about a task.
func Question(l Lang, in TaskInfo, question string) bot.Card {
	c := Notice(l.F("Question about %s · %s", "任务需澄清：%s · %s", Code(in.Task), in.Task.Title),
		l.M("%s asks:\n%s\n\nAnswer in a direct message, or edit the task.", "%s 提问：\n%s\n\n请直接回复对方，或修改任务。", in.Assignee.DisplayName(), question),
		bot.ColorYellow)
	c.Fields = TaskFields(l, in)
	c.Refs = taskRefs(in.Task)
	return c
}

// Detail is the card of /task show: the task's fields, status and history,
// one plain-text line per event.
func Detail(l Lang, in TaskInfo, history []string) bot.Card {
	t := in.Task
	fields := TaskFields(l, in)
	fields = append(fields, bot.Field{Label: l.T("Status", "状态"), Value: l.Status(t.Status)})
	if ru := in.Rollup; ru != nil {
		fields = append(fields, bot.Field{Label: l.T("Progress", "进度"),
			Value: l.F("%d%% (rolled up from %d sub-tasks, weighted by estimate)", "%d%%（由 %d 个子任务按估时加权汇总）", ru.Progress, ru.Children)})
		if !ru.Start.IsZero() && !ru.Finish.IsZero() {
			fields = append(fields, bot.Field{Label: l.T("Sub-tasks span", "子任务跨度"), Value: l.Date(ru.Start) + " → " + l.Date(ru.Finish)})
		}
	} else {
		fields = append(fields, bot.Field{Label: l.T("Progress", "进度"), Value: strconv.Itoa(t.Progress) + "%"})
	}
	if t.BaselineDue != t.Due {
		fields = append(fields, bot.Field{Label: l.T("Baseline due", "基线截止"), Value: l.Date(t.BaselineDue)})
	}
	if t.Hours > 0 {
		fields = append(fields, bot.Field{Label: l.T("Hours", "工时"), Value: Hours(t.Hours)})
	}
	if t.Status == bot.StatusBlocked && t.BlockReason != "" {
		fields = append(fields, bot.Field{Label: l.T("Blocked by", "阻塞原因"), Value: t.BlockReason})
	}
	text := esc(t.Description)
	if len(history) > 0 {
		lines := make([]string, len(history))
		for i, h := range history {
			lines[i] = "- " + escLine(h)
		}
		text = strings.TrimSpace(text + "\n\n**" + l.T("History", "历史") + "**\n" + strings.Join(lines, "\n"))
	}
	c := Notice(Code(t)+" · "+t.Title, text, statusColor(t.Status))
	c.Fields = fields
	c.Refs = taskRefs(t)
	return c
}

func statusColor(s bot.TaskStatus) string {
	switch s {
	case bot.StatusBlocked:
		return bot.ColorRed
	case bot.StatusDone, bot.StatusVerified:
		return bot.ColorGreen
	case bot.StatusCancelled, bot.StatusDeclined:
		return bot.ColorGrey
	}
	return bot.ColorBlue
}
