package dingtalk

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"github.com/loopbot/loopbot/bot"
)

// DingTalk's robot markdown (sampleMarkdown, and the session webhook's
// markdown) knows headings, bold, italics, links, images, quotes and
// lists, and some HTML such as <font>. Card markdown (bot.ParseMarkdown) is
// rendered into it with every literal escaped, so that text people typed is
// shown as typed.

// mdEscape escapes a literal for DingTalk markdown: the characters that
// open inline markup (emphasis, links, code) get a backslash, and "<", ">"
// and "&" become entities so that no HTML tag is formed. Other punctuation
// stays as typed, so that dates and ids read normally.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '*', '_', '`', '[', ']', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// leadingMarkup matches what starts a block at the beginning of a line: a
// heading, a list item or a numbered item.
var leadingMarkup = regexp.MustCompile(`^(#|[-+] |[0-9]+\. )`)

// lineStart escapes a block marker at the start of a rendered line.
func lineStart(s string) string {
	if leadingMarkup.MatchString(s) {
		return "\\" + s
	}
	return s
}

// markdown renders card markdown into DingTalk markdown: one paragraph per
// line (DingTalk joins single newlines), bullets as list items, bold as
// bold. DingTalk has no strikethrough, so struck text is shown plain.
func markdown(text string) string {
	var lines []string
	for _, blk := range bot.ParseMarkdown(text) {
		var b strings.Builder
		for _, in := range blk.Inlines {
			if in.Text == "" {
				continue
			}
			if in.Bold {
				b.WriteString("**" + mdEscape(in.Text) + "**")
			} else {
				b.WriteString(mdEscape(in.Text))
			}
		}
		line := lineStart(b.String())
		if blk.Bullet {
			line = "- " + line
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n\n")
}

// colorMark is the 三色 mark shown before a markdown card's title.
var colorMark = map[string]string{
	bot.ColorBlue: "🔵", bot.ColorYellow: "🟡", bot.ColorRed: "🔴", bot.ColorGreen: "🟢", bot.ColorGrey: "⚪",
}

// chinese reports whether a card is written in Chinese, to word the reply
// hints in the reader's language.
func chinese(c bot.Card) bool {
	for _, r := range c.Title + c.Text {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// textCommand is the text command that does what one button does (SPEC §3
// "Card actions as text"), and whether it is complete as written (no
// placeholder), so that it can be a quick-reply link.
type textCommand struct {
	Text     string
	Complete bool
	Label    string
}

// commandsOf lists the text command of each of a card's actions.
func commandsOf(c bot.Card) []textCommand {
	zh := chinese(c)
	t, e, ch := c.Refs["task"], c.Refs["escalation"], c.Refs["change"]
	ph := func(en, cn string) string {
		if zh {
			return "<" + cn + ">"
		}
		return "<" + en + ">"
	}
	var out []textCommand
	add := func(label, cmd string, complete bool) {
		out = append(out, textCommand{Text: cmd, Complete: complete, Label: label})
	}
	for _, a := range c.Actions {
		switch c.Kind + "/" + a.Name {
		case bot.CardTaskAssigned + "/accept":
			add(a.Label, "/accept "+t, true)
		case bot.CardTaskAssigned + "/decline":
			add(a.Label, "/decline "+t+" "+ph("reason", "理由"), false)
		case bot.CardTaskAssigned + "/ask":
			add(a.Label, "/ask "+t+" "+ph("question", "问题"), false)
		case bot.CardTaskAssigned + "/reassign", bot.CardEscalation + "/reassign":
			add(a.Label, "/reassign "+t+" @"+ph("person", "某人"), false)
		case bot.CardTaskAssigned + "/cancel":
			add(a.Label, "/cancel "+t, true)
		case bot.CardAcceptance + "/verify":
			add(a.Label, "/verify "+t, true)
		case bot.CardAcceptance + "/rework":
			add(a.Label, "/rework "+t+" "+ph("reason", "理由"), false)
		case bot.CardCheckin + "/submit":
			for _, in := range c.Inputs {
				if code, ok := strings.CutPrefix(in.Name, "progress."); ok {
					add(a.Label+" "+code, "/checkin "+code+" <0-100> [on_track|at_risk|blocked] [<n>h] ["+ph("note", "备注")+"]", false)
				}
			}
		case bot.CardCheckin + "/leave":
			add(a.Label, "/leave today", true)
		case bot.CardEscalation + "/done":
			add(a.Label, "/done "+t, true)
		case bot.CardEscalation + "/progress":
			add(a.Label, "/progress "+t+" "+ph("0-100", "0-100"), false)
		case bot.CardEscalation + "/extend":
			add(a.Label, "/extend "+t+" "+ph("date", "日期")+" "+ph("reason", "理由"), false)
		case bot.CardEscalation + "/ack":
			add(a.Label, "/ack "+e, true)
		case bot.CardEscalation + "/approve":
			add(a.Label, "/approve "+e, true)
		case bot.CardChangeRequest + "/approve":
			add(a.Label, "/approve "+ch, true)
		case bot.CardChangeRequest + "/reject":
			add(a.Label, "/reject "+ch+" "+ph("reason", "理由"), false)
		case bot.CardEscalation + "/snooze":
			add(a.Label, "/snooze "+e+" 1d", true)
			add(a.Label, "/snooze "+e+" 3d", true)
		}
	}
	return out
}

// quickReply is DingTalk's link that sends content as the reader's own
// message in a direct chat with the robot. content is percent-encoded as
// encodeURIComponent does (a space is %20, never "+", which the client
// would send as a literal plus).
func quickReply(content string) string {
	return "dtmd://dingtalkclient/sendMessage?content=" + strings.ReplaceAll(url.QueryEscape(content), "+", "%20")
}

// cardMarkdown renders a card as a markdown message: its title, fields and
// text, and the text command of each action (as quick-reply links in a
// direct chat). It returns the message's title (the notification preview)
// and its text.
func cardMarkdown(c bot.Card, dm bool) (title, text string) {
	var parts []string
	head := lineStart(mdEscape(c.Title))
	if m := colorMark[c.Color]; m != "" {
		head = m + " " + head
	}
	parts = append(parts, "### "+head)
	for _, f := range c.Fields {
		parts = append(parts, "**"+mdEscape(f.Label)+"**: "+mdEscape(f.Value))
	}
	if c.Text != "" {
		parts = append(parts, markdown(c.Text))
	}
	if cmds := commandsOf(c); len(cmds) > 0 {
		reply := "Reply"
		if chinese(c) {
			reply = "回复"
		}
		var lines []string
		for _, cmd := range cmds {
			shown := mdEscape(cmd.Text)
			if dm && cmd.Complete {
				shown = "[" + shown + "](" + quickReply(cmd.Text) + ")"
			}
			lines = append(lines, "- "+reply+" "+shown+" "+mdEscape(cmd.Label))
		}
		parts = append(parts, strings.Join(lines, "\n"))
	}
	return c.Title, strings.Join(parts, "\n\n")
}

// textMarkdown renders a reply text: its first line (plain) is the title
// of the notification.
func textMarkdown(text string) (title, body string) {
	first, _, _ := strings.Cut(bot.MarkdownPlain(text), "\n")
	if r := []rune(first); len(r) > 40 {
		first = string(r[:40]) + "…"
	}
	if first == "" {
		first = "loopbot"
	}
	return first, markdown(text)
}

// updateMarkdown is the short follow-up sent when a markdown card changes
// (markdown messages cannot be edited): the title and its new state.
func updateMarkdown(c bot.Card, dm bool) (title, text string) {
	t, body := cardMarkdown(c, dm)
	note := "Updated: "
	if chinese(c) {
		note = "已更新："
	}
	return note + t, "**" + mdEscape(note) + "**\n\n" + body
}

// templateParams are the variables loopbot fills in an interactive card
// template (docs/dingtalk.md lists them): title, color, text (DingTalk
// markdown), fields, finished, and for each action <name>_label,
// <name>_token and <name>_show, plus inputs as JSON for templates that
// loop over them.
func templateParams(c bot.Card) map[string]string {
	var fields []string
	for _, f := range c.Fields {
		fields = append(fields, "**"+mdEscape(f.Label)+"**: "+mdEscape(f.Value))
	}
	p := map[string]string{
		"kind": c.Kind, "title": c.Title, "color": c.Color, "text": markdown(c.Text),
		"fields": strings.Join(fields, "\n\n"), "finished": boolString(c.Finished()),
	}
	for _, name := range allActions {
		p[name+"_show"] = "false"
		p[name+"_token"] = ""
	}
	for _, a := range c.Actions {
		p[a.Name+"_label"], p[a.Name+"_token"], p[a.Name+"_show"] = a.Label, a.Value, "true"
	}
	inputs, _ := json.Marshal(c.Inputs)
	p["inputs"] = string(inputs)
	for k, v := range c.Refs {
		p["ref_"+k] = v
	}
	return p
}

// allActions are the action names of every card, so that an updated card
// hides the buttons it no longer has.
var allActions = []string{"accept", "decline", "ask", "reassign", "cancel", "verify", "rework", "submit",
	"leave", "nochange", "done", "progress", "extend", "help", "ack", "approve", "reject", "snooze"}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
