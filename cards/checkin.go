package cards

import (
	"strconv"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// MaxCheckinTasks is the most tasks a check-in card lists.
const MaxCheckinTasks = 10

// StatusOptions are the choices of a check-in's status field.
func StatusOptions(l Lang) []bot.Option {
	return []bot.Option{
		{Value: bot.OnTrack, Label: l.T("On track", "正常")},
		{Value: bot.AtRisk, Label: l.T("At risk", "有风险")},
		{Value: bot.Blocked, Label: l.T("Blocked", "阻塞")},
	}
}

// CheckinStatus names a check-in status.
func (l Lang) CheckinStatus(s string) string {
	for _, o := range StatusOptions(l) {
		if o.Value == s {
			return o.Label
		}
	}
	return s
}

// CheckinDefault is the answer a check-in row stands at before the person
// edits it: the task's progress and status, and, when the day was answered
// already (earlier, ok), that answer's hours and note, and its "at risk"
// while the task is not blocked. A re-sent card shows it, and a field sent
// back empty keeps it.
func CheckinDefault(t bot.Task, earlier bot.CheckInAnswer, ok bool) bot.CheckInAnswer {
	a := bot.CheckInAnswer{Task: t.ID, Progress: t.Progress, Status: bot.OnTrack}
	if t.Status == bot.StatusBlocked {
		a.Status = bot.Blocked
	}
	if ok {
		a.Hours, a.Note = earlier.Hours, earlier.Note
		if earlier.Status == bot.AtRisk && a.Status == bot.OnTrack {
			a.Status = bot.AtRisk
		}
	}
	return a
}

// Checkin is the daily check-in card: for each open task, progress, status,
// hours and a note, named <field>.<task id>. A card sent again on a day
// already answered is filled in with that answer (earlier, by task id;
// CheckinDefault), so that sending it back changes only what was edited.
func Checkin(l Lang, day bot.Date, tasks []bot.Task, earlier map[uint64]bot.CheckInAnswer) bot.Card {
	var inputs []bot.Input
	var lines []string
	for _, t := range tasks {
		code := t.Code()
		prev, ok := earlier[t.ID]
		def := CheckinDefault(t, prev, ok)
		hours := ""
		if def.Hours > 0 {
			hours = strconv.FormatFloat(def.Hours, 'f', -1, 64)
		}
		line := "- **" + esc(Code(t)) + "** " + escLine(t.Title)
		if !t.Due.IsZero() {
			line += l.T(" · due ", " · 截止 ") + l.Date(t.Due)
		}
		lines = append(lines, line)
		inputs = append(inputs,
			bot.Input{Name: "progress." + code, Kind: bot.InputNumber, Label: code + l.T(" progress %", " 进度 %"), Value: strconv.Itoa(def.Progress)},
			bot.Input{Name: "status." + code, Kind: bot.InputSelect, Label: code + l.T(" status", " 状态"), Options: StatusOptions(l), Value: def.Status},
			bot.Input{Name: "hours." + code, Kind: bot.InputNumber, Label: code + l.T(" hours today", " 今日工时"), Value: hours},
			bot.Input{Name: "note." + code, Kind: bot.InputTextarea, Label: code + l.T(" note", " 备注"), Value: def.Note},
		)
	}
	return bot.Card{
		Kind:   bot.CardCheckin,
		Title:  l.F("Daily check-in · %s", "今日打卡 · %s", l.Date(day)),
		Color:  bot.ColorBlue,
		Text:   l.T("How did your tasks move today?", "今天的任务进展如何？") + "\n" + strings.Join(lines, "\n"),
		Inputs: inputs,
		Actions: []bot.Action{
			{Name: "submit", Label: l.T("Submit", "提交")},
			{Name: "leave", Label: l.T("On leave today", "今天请假")},
			{Name: "nochange", Label: l.T("No change", "无变化")},
		},
		Refs: map[string]string{"checkin": day.String()},
	}
}

// CheckinDone is the read-only summary a check-in card becomes once
// answered.
func CheckinDone(l Lang, c bot.Card, ci bot.CheckIn, titles map[uint64]string, state string) bot.Card {
	out := Finish(c, bot.ColorGreen, state)
	out.Text = "**" + state + "**"
	out.Fields = nil
	for _, a := range ci.Answers {
		v := strconv.Itoa(a.Progress) + "% · " + l.CheckinStatus(a.Status)
		if a.Hours > 0 {
			v += " · " + Hours(a.Hours) + "h"
		}
		if a.Note != "" {
			v += " · " + a.Note
		}
		out.Fields = append(out.Fields, bot.Field{Label: bot.TaskCode(a.Task) + " " + titles[a.Task], Value: v})
	}
	if ci.Late {
		out.Text += "\n" + l.T("Sent after the cut-off: counted as late.", "截止后提交，记为迟交。")
	}
	return out
}

// Reminder is the one reminder of a day's check-in.
func Reminder(l Lang, day bot.Date) bot.Card {
	c := Notice(l.F("Reminder: check-in of %s", "提醒：%s 的打卡", l.Date(day)),
		l.T("You have not sent today's check-in yet. Answer the check-in card above, or send /checkin for a new one.",
			"你还没有提交今天的打卡。请填写上面的打卡卡片，或发送 /打卡 获取新卡片。"), bot.ColorYellow)
	c.Kind = bot.CardCheckinReminder
	c.Refs = map[string]string{"checkin": day.String()}
	return c
}

// Digest is what the daily digest of a project's group reports. Its
// strings are plain text.
type Digest struct {
	Project  bot.Project
	Day      bot.Date
	Asked    int
	Answered int
	Missing  []string // names of who did not answer
	Progress []string // "T3 title: 40% → 60%"
	Blockers []string // "T4 title: reason"
	AtRisk   []string // "T5 title (Bob)"
	Overdue  []string // "T6 title (Bob, due …, 3 working days late)"
}

// DailyDigest is the card of the daily digest in a project's group.
func DailyDigest(l Lang, d Digest) bot.Card {
	fields := []bot.Field{{Label: l.T("Answered", "已打卡"), Value: strconv.Itoa(d.Answered) + "/" + strconv.Itoa(d.Asked)}}
	if len(d.Missing) > 0 {
		fields = append(fields, bot.Field{Label: l.T("Not answered", "未打卡"), Value: strings.Join(d.Missing, l.T(", ", "、"))})
	}
	var b strings.Builder
	section := func(title string, items []string) {
		if len(items) > 0 {
			b.WriteString("**" + title + "**\n")
			for _, it := range items {
				b.WriteString("- " + escLine(it) + "\n")
			}
			b.WriteString("\n")
		}
	}
	section(l.T("Progress today", "今日进展"), d.Progress)
	section(l.T("New blockers", "新增阻塞"), d.Blockers)
	section(l.T("At risk", "有风险"), d.AtRisk)
	section(l.T("Overdue", "已逾期"), d.Overdue)
	if b.Len() == 0 {
		b.WriteString(l.T("No progress changes, blockers, risks or overdue tasks today.", "今天没有进度变化、阻塞、风险或逾期任务。"))
	}
	color := bot.ColorGreen
	if len(d.Blockers) > 0 || len(d.AtRisk) > 0 || len(d.Overdue) > 0 || d.Answered < d.Asked {
		color = bot.ColorYellow
	}
	return bot.Card{
		Kind: bot.CardDailyDigest, Title: l.F("Daily digest · %s · %s", "日报 · %s · %s", d.Project.Name, l.Date(d.Day)),
		Color: color, Text: strings.TrimSpace(b.String()), Fields: fields, Actions: []bot.Action{},
		Refs: map[string]string{"project": d.Project.Code()},
	}
}
