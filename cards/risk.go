package cards

import (
	"fmt"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// Impact names a risk's impact.
func (l Lang) Impact(impact string) string {
	switch impact {
	case bot.ImpactHigh:
		return l.T("high", "高")
	case bot.ImpactLow:
		return l.T("low", "低")
	}
	return l.T("medium", "中")
}

// impactIcon marks a risk's impact: red, yellow or blue.
func impactIcon(impact string) string {
	switch impact {
	case bot.ImpactHigh:
		return "🔴"
	case bot.ImpactLow:
		return "🔵"
	}
	return "🟡"
}

// RiskLine is one risk as a line of plain text: "🔴 R2 [high] Vendor late ·
// owner Bob · T3". names gives the owner's display name.
func RiskLine(l Lang, r bot.Risk, owner string) string {
	line := fmt.Sprintf("%s %s [%s] %s · %s", impactIcon(r.Impact), r.Code(), l.Impact(r.Impact), OneLine(r.Text),
		l.F("owner %s", "负责人 %s", owner))
	if r.Task != 0 {
		line += " · " + bot.TaskCode(r.Task)
	}
	return line
}

// RiskItem is a risk of a card or list, with its owner's name.
type RiskItem struct {
	Risk  bot.Risk
	Owner string
}

// riskBullets lists risks as card-markdown bullets.
func riskBullets(l Lang, rs []RiskItem) string {
	if len(rs) == 0 {
		return l.T("none", "无")
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = "- " + esc(RiskLine(l, r.Risk, r.Owner))
	}
	return strings.Join(parts, "\n")
}

// riskField lists risks as plain text, one a line, for a field.
func riskField(l Lang, rs []RiskItem) string {
	if len(rs) == 0 {
		return l.T("none", "无")
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = RiskLine(l, r.Risk, r.Owner)
	}
	return strings.Join(parts, "\n")
}

// RiskStale is the notice that asks a risk's owner about a risk nobody
// reviewed for two weeks. project names the project; since is when the
// risk was last reviewed, in the owner's zone.
func RiskStale(l Lang, r bot.Risk, project string, since time.Time) bot.Card {
	text := l.M("**%s** has not been reviewed since %s:\n%s\n\n", "**%s** 自 %s 起未复核：\n%s\n\n",
		r.Code(), since.Format("2006-01-02"), r.Text) +
		l.M("If it still stands, confirm it with /risk update %s (a new text, owner:, impact: or task: change it); if it is over, close it with /risk close %s <note>.",
			"如风险仍然存在，请发送 /风险 更新 %s 确认（可附新描述、负责人:、影响:、任务:）；如已解除，请发送 /风险 关闭 %s <说明>。",
			r.Code(), r.Code())
	c := Notice(l.F("Risk to review · %s · %s", "风险待复核 · %s · %s", r.Code(), project), text, bot.ColorYellow)
	c.Fields = []bot.Field{
		{Label: l.T("Impact", "影响"), Value: l.Impact(r.Impact)},
	}
	if r.Task != 0 {
		c.Fields = append(c.Fields, bot.Field{Label: l.T("Task", "任务"), Value: bot.TaskCode(r.Task)})
	}
	c.Refs = map[string]string{"risk": r.Code(), "project": bot.ProjectCode(r.Project)}
	return c
}
