package cards

import (
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// TaskLoad is the share of one task in a person's week, in working days.
type TaskLoad struct {
	Task bot.Task
	Days float64
}

// Load is one person's week: the working days their open tasks plan for
// it against the working days they have (the calendar's, less their
// leave).
type Load struct {
	Person    bot.Person
	Planned   float64
	Available int
	Tasks     []TaskLoad
}

// Over reports whether the person has more planned than available days
// (by more than rounding).
func (w Load) Over() bool { return w.Planned > float64(w.Available)+0.005 }

// Workload is the workload of one ISO week over a scope (a project, or
// all the projects a person sees).
type Workload struct {
	// Scope names what is counted, such as "P1 Alpha".
	Scope string
	// Week is the ISO week, such as "2026-W49", and Monday its first day.
	Week   string
	Monday bot.Date
	// Rows are the people, the over-allocated first.
	Rows []Load
}

// Days writes a number of working days rounded to a tenth, without a
// trailing .0.
func Days(d float64) string { return Hours(d) }

// loadLine is one person's row: "⚠️ Bob: 6.5 / 4 days".
func loadLine(l Lang, w Load) string {
	mark := ""
	if w.Over() {
		mark = "⚠️ "
	}
	return mark + l.F("%s: %s / %d days", "%s：%s / %d 天", w.Person.DisplayName(), Days(w.Planned), w.Available)
}

// WorkloadText is the answer to /workload, as card markdown: a title line,
// then one bullet per person (over-allocated ones first, marked ⚠️) with the
// tasks that fill their week.
func WorkloadText(l Lang, w Workload) string {
	var b strings.Builder
	b.WriteString("**" + l.M("Workload · %s · %s (%s – %s)", "工作负荷 · %s · %s（%s 至 %s）",
		w.Scope, w.Week, w.Monday.String()[5:], w.Monday.AddDays(6).String()[5:]) + "**\n")
	b.WriteString(l.T("Planned working days / available working days (holidays and leave taken off).",
		"计划工作日 / 可用工作日（已扣除节假日和请假）。") + "\n")
	if len(w.Rows) == 0 {
		b.WriteString(l.T("Nobody has open tasks here.", "这里没有人有未完成的任务。"))
		return b.String()
	}
	for _, row := range w.Rows {
		b.WriteString("- " + esc(loadLine(l, row)))
		var parts []string
		for _, t := range row.Tasks {
			if t.Days > 0 {
				parts = append(parts, t.Task.Code()+" "+Days(t.Days))
			}
		}
		if len(parts) > 0 {
			b.WriteString(esc(" (" + strings.Join(parts, ", ") + ")"))
		}
		b.WriteString("\n")
	}
	if n := overCount(w.Rows); n > 0 {
		b.WriteString(l.F("%d over-allocated.", "%d 人超负荷。", n))
	}
	return strings.TrimSpace(b.String())
}

// overCount counts the over-allocated people.
func overCount(rows []Load) int {
	n := 0
	for _, r := range rows {
		if r.Over() {
			n++
		}
	}
	return n
}
