// Package cards builds the neutral bot.Card of each flow, and holds the
// zh/en strings people read.
package cards

import (
	"fmt"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// Lang is a display language: "zh" or "en".
type Lang string

// Languages.
const (
	ZH Lang = "zh"
	EN Lang = "en"
)

// ParseLang reads "zh" or "en" in any case (also cn, zh-CN, Chinese, 中文,
// English, en-US, en-GB, 英文). It returns a bilingual EINVALID error that
// names s otherwise.
func ParseLang(s string) (Lang, error) {
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-") {
	case "zh", "cn", "zh-cn", "zh-hans", "chinese", "中文", "汉语", "简体中文":
		return ZH, nil
	case "en", "english", "en-us", "en-gb", "英文", "英语":
		return EN, nil
	}
	return "", bot.Bilingual(bot.EINVALID, fmt.Sprintf("%q is not a language; use zh or en.", s), fmt.Sprintf("“%s”不是可用的语言，请用 zh 或 en。", s))
}

// Of returns the language of a person, or def when they have not chosen.
func Of(p bot.Person, def Lang) Lang {
	if p.Lang == "en" || p.Lang == "zh" {
		return Lang(p.Lang)
	}
	return def
}

// T picks the English or the Chinese text.
func (l Lang) T(en, zh string) string {
	if l == EN {
		return en
	}
	return zh
}

// F formats the English or the Chinese template with the same arguments,
// as plain text (titles, fields, labels, toasts, error messages).
func (l Lang) F(en, zh string, args ...any) string {
	return fmt.Sprintf(l.T(en, zh), args...)
}

// M formats the English or the Chinese card-markdown template (see
// bot.ParseMarkdown) with the same arguments, escaping every string
// argument with bot.EscapeMarkdown: arguments are text, shown literally,
// whoever typed them. Markup goes in the template, never in an argument.
func (l Lang) M(en, zh string, args ...any) string {
	esc := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			esc[i] = bot.EscapeMarkdown(v)
		case fmt.Stringer:
			esc[i] = bot.EscapeMarkdown(v.String())
		default:
			esc[i] = a
		}
	}
	return fmt.Sprintf(l.T(en, zh), esc...)
}

// esc is shorthand for bot.EscapeMarkdown: text put into card markdown.
// Line breaks in s stay line breaks.
func esc(s string) string { return bot.EscapeMarkdown(s) }

// escLine is esc for text put inside one line of card markdown (a bullet,
// a bold run): its line breaks become spaces, so that the line's markup
// stays on one line.
func escLine(s string) string { return esc(OneLine(s)) }

// OneLine replaces the line breaks of s with spaces.
func OneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), " ")
}

var zhWeekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// Weekday names a day of the week.
func (l Lang) Weekday(d time.Weekday) string {
	if l == EN {
		return d.String()[:3]
	}
	return zhWeekdays[d]
}

// Date writes a date with its weekday: "2026-11-27 周五" or "Fri 2026-11-27".
func (l Lang) Date(d bot.Date) string {
	if d.IsZero() {
		return l.T("none", "无")
	}
	if l == EN {
		return l.Weekday(d.Weekday()) + " " + d.String()
	}
	return d.String() + " " + l.Weekday(d.Weekday())
}

// Stamp writes a short moment for a card's state line: "11-21 10:02".
func (l Lang) Stamp(t time.Time) string {
	return t.Format("01-02 15:04")
}

// Status names a task status.
func (l Lang) Status(s bot.TaskStatus) string {
	switch s {
	case bot.StatusAssigned:
		return l.T("waiting for acceptance", "待接受")
	case bot.StatusAccepted:
		return l.T("in progress", "进行中")
	case bot.StatusBlocked:
		return l.T("blocked", "阻塞")
	case bot.StatusDone:
		return l.T("done", "已完成")
	case bot.StatusVerified:
		return l.T("verified", "验收通过")
	case bot.StatusDeclined:
		return l.T("declined", "已拒绝")
	case bot.StatusCancelled:
		return l.T("cancelled", "已取消")
	}
	return string(s)
}

// Priority names a priority.
func (l Lang) Priority(p string) string {
	switch p {
	case bot.PrioHigh:
		return l.T("high", "高")
	case bot.PrioLow:
		return l.T("low", "低")
	}
	return l.T("normal", "普通")
}

// Notice is a plain information card. text is card markdown.
func Notice(title, text string, color string) bot.Card {
	if color == "" {
		color = bot.ColorBlue
	}
	return bot.Card{Kind: bot.CardNotice, Title: title, Color: color, Text: text, Actions: []bot.Action{}}
}

// Finish turns a card into its read-only final state: the given colour, a
// state line at the top of its text, no inputs and no actions. state is
// card markdown (see State); its first line is shown in bold, and the lines
// after it, such as a reason, as they are.
func Finish(c bot.Card, color, state string) bot.Card {
	c.Color = color
	first, rest, more := strings.Cut(state, "\n")
	head := "**" + first + "**"
	if more {
		head += "\n" + rest
	}
	if c.Text != "" {
		c.Text = head + "\n\n" + c.Text
	} else {
		c.Text = head
	}
	c.Inputs = nil
	c.Actions = []bot.Action{}
	return c
}

// WithReason adds to a state line (see State) the reason a person gave, on
// a line of its own: "Reason: …". An empty reason adds nothing.
func (l Lang) WithReason(state, reason string) string {
	if reason == "" {
		return state
	}
	return state + "\n" + l.M("Reason: %s", "理由：%s", reason)
}

// State returns the state line of a finished card, written by Finish, as
// card markdown: "Accepted · 李博 Bob · 11-21 10:02". verb is the bot's
// own text; the person's name is escaped.
func State(l Lang, verb string, by bot.Person, at time.Time) string {
	return verb + " · " + esc(by.DisplayName()) + " · " + l.Stamp(at)
}

// PlatformName returns a platform's name as people know it: 飞书/Feishu,
// 钉钉/DingTalk, 企业微信/WeCom, Playground.
func PlatformName(l Lang, platform string) string {
	switch platform {
	case bot.Feishu:
		return l.T("Feishu", "飞书")
	case bot.DingTalk:
		return l.T("DingTalk", "钉钉")
	case bot.WeCom:
		return l.T("WeCom", "企业微信")
	case bot.Playground:
		return "Playground"
	}
	return platform
}
