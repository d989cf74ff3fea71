package cards

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// EscInfo is what an escalation card shows.
type EscInfo struct {
	Esc      bot.Escalation
	Task     TaskInfo
	DaysLate int
	// Downstream are the open tasks that wait for this one: after it, or
	// after a summary task it is part of.
	Downstream []bot.Task
	// Feeds is the nearest open milestone down the network that waits for
	// the task (nil: none), planned for FeedsOn.
	Feeds   *bot.Task
	FeedsOn bot.Date
	// Critical: the task is on its project's critical path (only in a
	// project whose tasks have dependencies).
	Critical bool
	// Projected is the project's projected finish (zero: the project has
	// no dependencies, so it is not planned).
	Projected bot.Date
	// Manager is the person the yellow card goes to.
	Manager bot.Person
	// Also are the other rules that apply to the task now, the worst
	// first: its one warning lists them after its own rule.
	Also []string
	// Loc is the time zone of the card's reader; nil keeps each time's own.
	Loc *time.Location
}

// at returns t in the reader's zone (t's own zone when Loc is nil).
func (in EscInfo) at(t time.Time) time.Time {
	if in.Loc == nil {
		return t
	}
	return t.In(in.Loc)
}

// RuleText says in one line of card markdown why an escalation fired.
func (l Lang) RuleText(in EscInfo) string {
	t := in.Task.Task
	switch in.Esc.Rule {
	case bot.RuleOverdue:
		if l == EN {
			return fmt.Sprintf("Overdue by %d working %s (due %s).", in.DaysLate, plural(in.DaysLate, "day", "days"), l.Date(t.Due))
		}
		return fmt.Sprintf("已逾期 %d 个工作日（截止 %s）。", in.DaysLate, l.Date(t.Due))
	case bot.RuleDueSoon:
		return l.F("Due %s and only %d%% done.", "将于 %s 到期，进度仅 %d%%。", l.Date(t.Due), t.Progress)
	case bot.RuleBlocked:
		return l.M("Blocked since %s: %s", "自 %s 起阻塞：%s", l.Stamp(in.at(t.StatusAt)), OneLine(t.BlockReason))
	case bot.RuleStale:
		return l.F("No progress since %s (%d%%).", "自 %s 起没有进度更新（%d%%）。", l.Stamp(in.at(t.ProgressAt)), t.Progress)
	case bot.RuleUnaccepted:
		return l.F("Assigned %s and not yet accepted.", "%s 指派，至今未接受。", l.Stamp(in.at(t.StatusAt)))
	case bot.RuleMissedCheckins:
		return l.T("Several check-ins in a row were not answered.", "连续多次未打卡。")
	}
	return in.Esc.Rule
}

// RuleLines says why an escalation fired, one line a rule: its own rule,
// then each rule in Also.
func (l Lang) RuleLines(in EscInfo) []string {
	lines := []string{l.RuleText(in)}
	for _, rule := range in.Also {
		x := in
		x.Esc.Rule = rule
		lines = append(lines, l.RuleText(x))
	}
	return lines
}

// Superseded is the state of a warning that a worse rule of its task
// overtook: "Now overdue".
func (l Lang) Superseded(rule string) string {
	if l == EN {
		return "Now " + strings.ToLower(l.RuleName(rule))
	}
	return "已转为" + l.RuleName(rule)
}

// RuleName names a rule.
func (l Lang) RuleName(rule string) string {
	switch rule {
	case bot.RuleOverdue:
		return l.T("Overdue", "逾期")
	case bot.RuleDueSoon:
		return l.T("Due soon", "即将到期")
	case bot.RuleBlocked:
		return l.T("Blocked", "阻塞")
	case bot.RuleStale:
		return l.T("No progress", "无进展")
	case bot.RuleUnaccepted:
		return l.T("Not accepted", "未接受")
	case bot.RuleMissedCheckins:
		return l.T("Missed check-ins", "未打卡")
	}
	return rule
}

func escRefs(in EscInfo) map[string]string {
	refs := map[string]string{"escalation": in.Esc.Code()}
	if in.Esc.Task != 0 {
		refs["task"] = bot.TaskCode(in.Esc.Task)
	}
	if in.Esc.Project != 0 {
		refs["project"] = bot.ProjectCode(in.Esc.Project)
	}
	return refs
}

func escTitle(l Lang, prefix string, in EscInfo) string {
	if in.Esc.Task == 0 {
		return prefix + " · " + l.RuleName(in.Esc.Rule) + " · " + in.Task.Assignee.DisplayName()
	}
	return prefix + " · " + l.RuleName(in.Esc.Rule) + " · " + Code(in.Task.Task) + " " + in.Task.Task.Title
}

// EscalationBlue is the level-0 card to the assignee: done, update
// progress, request an extension, or ask for help.
func EscalationBlue(l Lang, in EscInfo) bot.Card {
	c := bot.Card{
		Kind: bot.CardEscalation, Title: escTitle(l, l.T("Reminder", "督办提醒"), in), Color: bot.ColorBlue,
		Text: strings.Join(l.RuleLines(in), "\n"), Refs: escRefs(in), Actions: []bot.Action{},
	}
	if in.Esc.Task == 0 {
		c.Text += "\n" + l.T("Send /checkin to answer today's check-in.", "请发送 /打卡 完成今天的打卡。")
		return c
	}
	c.Fields = TaskFields(l, in.Task)
	c.Inputs = []bot.Input{
		{Name: "progress", Kind: bot.InputNumber, Label: l.T("Progress %", "进度 %"), Value: strconv.Itoa(in.Task.Task.Progress), For: "progress"},
		{Name: "due", Kind: bot.InputDate, Label: l.T("New due date", "新截止日期"), For: "extend"},
		{Name: "reason", Kind: bot.InputTextarea, Label: l.T("Reason for the extension", "延期理由"), For: "extend"},
	}
	c.Actions = []bot.Action{
		{Name: "done", Label: l.T("Done", "已完成")},
		{Name: "progress", Label: l.T("Update progress", "更新进度")},
		{Name: "extend", Label: l.T("Request extension", "申请延期")},
		{Name: "help", Label: l.T("Need help", "需要协助")},
	}
	return c
}

// EscalationYellow is the level-1 card to the manager: acknowledge, approve
// an extension that was asked for, reassign, or snooze.
func EscalationYellow(l Lang, in EscInfo) bot.Card {
	text := escLine(in.Task.Assignee.DisplayName()) + l.T(": ", "：") + strings.Join(l.RuleLines(in), "\n")
	if !in.Esc.Extension.IsZero() {
		text += "\n" + l.M("Asks to move the due date to %s: %s", "申请延期至 %s：%s", l.Date(in.Esc.Extension), OneLine(in.Esc.ExtensionReason))
	}
	if len(in.Downstream) > 0 {
		text += "\n" + l.T("Holds up: ", "影响后续：") + taskCodes(in.Downstream)
	}
	c := bot.Card{
		Kind: bot.CardEscalation, Title: escTitle(l, l.T("Escalated", "督办升级"), in), Color: bot.ColorYellow,
		Text: text, Refs: escRefs(in),
		Inputs: []bot.Input{
			{Name: "assignee", Kind: bot.InputText, Label: l.T("New assignee (@id)", "新负责人（@id）"), For: "reassign"},
			{Name: "duration", Kind: bot.InputSelect, Label: l.T("Snooze for", "暂缓"), For: "snooze", Value: "1d",
				Options: []bot.Option{{Value: "1d", Label: l.T("1 working day", "1 个工作日")}, {Value: "3d", Label: l.T("3 working days", "3 个工作日")}}},
		},
		Actions: []bot.Action{{Name: "ack", Label: l.T("Acknowledge", "知悉")}},
	}
	if in.Esc.Task != 0 {
		c.Fields = TaskFields(l, in.Task)
		if !in.Esc.Extension.IsZero() {
			c.Actions = append(c.Actions, bot.Action{Name: "approve", Label: l.T("Approve extension", "批准延期")})
		}
		c.Actions = append(c.Actions, bot.Action{Name: "reassign", Label: l.T("Reassign", "转派")})
	} else {
		c.Inputs = c.Inputs[1:]
	}
	c.Actions = append(c.Actions, bot.Action{Name: "snooze", Label: l.T("Snooze", "暂缓")})
	return c
}

// taskCodes lists tasks on one line of card markdown.
func taskCodes(ts []bot.Task) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = esc(Code(t)) + " " + escLine(t.Title)
	}
	return strings.Join(parts, ", ")
}

// GroupItem is one task of a group warning, with every rule that brought
// it there.
type GroupItem struct {
	Infos    []EscInfo
	Resolved bool
}

// GroupWarning is the red auto-warning in a project's group chat: one card
// for several tasks, one line a task.
func GroupWarning(l Lang, p bot.Project, items []GroupItem, deadline string) bot.Card {
	lines := make([]string, len(items))
	for i, it := range items {
		lines[i] = groupItemLine(l, it)
	}
	c := bot.Card{
		Kind: bot.CardGroupWarning, Title: l.F("⚠️ Warning · %s · %d %s", "⚠️ 督办预警 · %s · %d 项%s", p.Name, len(items), l.T(plural(len(items), "task", "tasks"), "")),
		Actions: []bot.Action{}, Refs: map[string]string{"project": p.Code()},
	}
	groupBody(l, &c, p, lines, projectedOf(items), deadline)
	return c
}

// groupResolved starts the line of a resolved task in a group warning.
const groupResolved = "- ✅ ~~"

// groupItemLine writes one task of a group warning: the task, its
// assignee, why (every rule) and what it holds up; struck through once
// resolved.
func groupItemLine(l Lang, it GroupItem) string {
	line := groupLine(l, it.Infos)
	if it.Resolved {
		line = groupResolved + strings.TrimPrefix(line, "- ") + "~~ " + l.T("resolved", "已解决")
	}
	return line
}

// GroupLinesOpen reports, for each line of a group warning c made by
// GroupWarning (one line a task, in order), whether its task is still
// open; nil when c's text does not have that shape.
func GroupLinesOpen(c bot.Card) []bool {
	lines, ok := groupLines(c)
	if !ok {
		return nil
	}
	open := make([]bool, len(lines))
	for i, line := range lines {
		open[i] = !strings.HasPrefix(line, groupResolved)
	}
	return open
}

// GroupFollowUp is what a chat is told of a change to group warning c
// (made by GroupWarning) where its message cannot be edited (a WeCom group
// robot, a DingTalk markdown message): the title, the lines of the tasks
// resolved that are not in told (line indexes already told of; a warning's
// lines keep their order), and how many are still open, in card markdown.
// fits, when not nil, reports whether a text fits one message: the lines
// that do not are left for the next call (at least one line goes in each).
// It returns told with the indexes of the lines in text added, and "" when
// no line is left to tell: a change to an open task's rules shows in the
// next warning. ok is false when c does not have GroupWarning's shape.
func GroupFollowUp(l Lang, c bot.Card, told []int, fits func(text string) bool) (text string, nowTold []int, ok bool) {
	lines, ok := groupLines(c)
	if !ok {
		return "", told, false
	}
	open := 0
	var fresh []int
	for i, line := range lines {
		switch {
		case !strings.HasPrefix(line, groupResolved):
			open++
		case !slices.Contains(told, i):
			fresh = append(fresh, i)
		}
	}
	if len(fresh) == 0 {
		return "", told, true
	}
	foot := l.T("All resolved.", "已全部解决。")
	if open > 0 {
		foot = l.F("%d still open.", "还有 %d 项未解决。", open)
	}
	head := "🔄 **" + escLine(c.Title) + "**\n"
	body := lines[fresh[0]]
	told = append(slices.Clip(told), fresh[0]) // never into the caller's array
	for _, i := range fresh[1:] {
		if fits != nil && !fits(head+body+"\n"+lines[i]+"\n"+foot) {
			break
		}
		body += "\n" + lines[i]
		told = append(told, i)
	}
	return head + body + "\n" + foot, told, true
}

// groupLines returns the task lines of a group warning c made by
// GroupWarning (card markdown, one line a task, in order: its text before
// the footer), and whether c has that shape.
func groupLines(c bot.Card) ([]string, bool) {
	body, _, _ := strings.Cut(c.Text, "\n\n")
	if c.Kind != bot.CardGroupWarning || body == "" {
		return nil, false
	}
	lines := strings.Split(body, "\n")
	for _, line := range lines {
		if !strings.HasPrefix(line, "- ") {
			return nil, false
		}
	}
	return lines, true
}

// RedrawGroupLines returns group warning c (made by GroupWarning) with its
// lines named in items (by index), and nothing else, drawn anew: an answer
// that resolves one task of many changes its line, not the others, which
// stay as the warning showed them; the card's text is split and joined
// once, however many lines change. The footer shows projected, the
// project's projected finish, when it is not zero: the caller passes it
// only while an open task of the card holds up other work (see
// GroupWarning). ok is false when c does not have GroupWarning's shape or
// has no line of one of the indexes; draw it whole again then.
func RedrawGroupLines(l Lang, c bot.Card, p bot.Project, items map[int]GroupItem, projected bot.Date, deadline string) (bot.Card, bool) {
	lines, ok := groupLines(c)
	if !ok {
		return c, false
	}
	for i := range items {
		if i < 0 || i >= len(lines) {
			return c, false
		}
	}
	for i, it := range items {
		lines[i] = groupItemLine(l, it)
	}
	c.Refs = maps.Clone(c.Refs)
	c.Actions = slices.Clone(c.Actions)
	groupBody(l, &c, p, lines, projected, deadline)
	return c, true
}

// groupBody writes a group warning's text from its lines and footer, and
// its colour: red while a task is open, green once all are resolved.
func groupBody(l Lang, c *bot.Card, p bot.Project, lines []string, projected bot.Date, deadline string) {
	text := strings.Join(lines, "\n")
	var foot []string
	if deadline != "" {
		foot = append(foot, l.T("Project deadline: ", "项目截止：")+deadline)
	}
	if !projected.IsZero() {
		line := l.T("Projected finish: ", "项目预计完工：") + l.Date(projected)
		if !p.Deadline.IsZero() && projected.After(p.Deadline) {
			line += l.T(", after the deadline", "，晚于截止日期")
		}
		foot = append(foot, line)
	}
	if len(foot) > 0 {
		text += "\n\n" + strings.Join(foot, "\n")
	}
	c.Text, c.Color = text, bot.ColorGreen
	for _, line := range lines {
		if !strings.HasPrefix(line, groupResolved) {
			c.Color = bot.ColorRed
			break
		}
	}
}

// groupLine writes one task of a group warning: the task, its assignee,
// why (every rule), and what it holds up.
func groupLine(l Lang, infos []EscInfo) string {
	in := infos[0]
	t := in.Task.Task
	var why []string
	for _, x := range infos {
		why = append(why, l.RuleLines(x)...)
	}
	sep := l.T(" ", "")
	line := "- **" + esc(Code(t)) + " " + escLine(t.Title) + "** · " + escLine(in.Task.Assignee.DisplayName()) + " · " + strings.Join(why, sep)
	if len(in.Downstream) > 0 {
		line += sep + l.T("Holds up: ", "影响后续：") + taskCodes(in.Downstream) + l.T(".", "。")
	}
	if m := in.Feeds; m != nil {
		line += sep + l.T("Milestone ", "里程碑 ") + m.Code() + " " + escLine(m.Title) + l.F(" (planned %s) waits for it.", "（计划 %s）受其影响。", l.Date(in.FeedsOn))
	}
	if in.Critical && holdsUp(in) {
		line += sep + l.T("It is on the critical path.", "位于关键路径上。")
	}
	if t.Milestone {
		line += sep + l.T("It is a milestone.", "这是里程碑。")
	}
	return line
}

// holdsUp reports whether other work waits for the task of in.
func holdsUp(in EscInfo) bool { return len(in.Downstream) > 0 || in.Feeds != nil }

// projectedOf returns the project's projected finish for a group warning
// in which an open task holds up other work; zero when none does or the
// project is not planned.
func projectedOf(items []GroupItem) bot.Date {
	for _, it := range items {
		if !it.Resolved && holdsUp(it.Infos[0]) && !it.Infos[0].Projected.IsZero() {
			return it.Infos[0].Projected
		}
	}
	return bot.Date{}
}

// plural picks the English singular or plural.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
