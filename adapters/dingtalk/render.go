package dingtalk

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
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
	if img := chartImage(c); img != "" {
		parts = append(parts, img)
	}
	if g := ganttMarkdown(c.Chart); g != "" {
		parts = append(parts, g)
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

// chartImage shows a card's chart, which DingTalk cannot draw, as its PNG
// image: markdown "![chart](url)" (DingTalk markdown messages show images),
// or "" without a chart or its image URL.
func chartImage(c bot.Card) string {
	if c.Chart == nil || !safeImageURL(c.Chart.Image) {
		return ""
	}
	alt := "Chart"
	if chinese(c) {
		alt = "图表"
	}
	return "![" + alt + "](" + c.Chart.Image + ")"
}

// safeImageURL reports whether u is an http(s) URL that needs no escaping
// in a markdown link: the signed links loopbot makes are.
func safeImageURL(u string) bool {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return false
	}
	return !strings.ContainsAny(u, " ()[]<>\"\n\r\t")
}

// ganttMarkdown writes a Gantt chart, which DingTalk markdown cannot draw,
// as its text fallback (bot.Chart.GanttLines), one paragraph a bar; "" for
// no chart or another kind of chart.
func ganttMarkdown(ch *bot.Chart) string {
	if ch == nil {
		return ""
	}
	lines := ch.GanttLines()
	for i, l := range lines {
		lines[i] = lineStart(mdEscape(l))
	}
	return strings.Join(lines, "\n\n")
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
// template (cardParamMap; docs/dingtalk.md and docs/dingtalk/<template>.json
// list them). Every value is a string, and every card of a template gets
// the same keys, so that an update overwrites each of them:
//   - kind, title, color, text (DingTalk markdown), fields (DingTalk
//     markdown), finished ("true"/"false"), inputs (the form as JSON);
//   - ref_task, ref_escalation, ref_project, ref_checkin, ref_week,
//     ref_month: the ids the card is about, "" when it has none;
//   - for each button of the template: <action>_label, <action>_token (its
//     signed value, sent back in the callback's params) and <action>_show;
//   - for each form input with a plain name: value_<input>, its default;
//   - in the checkin template, checkinSlots task slots: task_<n>,
//     task_<n>_show, and the defaults progress_<n>, status_<n>, hours_<n>,
//     note_<n>, plus checkin_tasks ("T1,T3"), which the submit button sends
//     back as the param "tasks" (see slotForm).
func templateParams(c bot.Card) map[string]string {
	var fields []string
	for _, f := range c.Fields {
		fields = append(fields, "**"+mdEscape(f.Label)+"**: "+mdEscape(f.Value))
	}
	text := markdown(c.Text)
	if g := ganttMarkdown(c.Chart); g != "" {
		text = strings.TrimPrefix(text+"\n\n"+g, "\n\n")
	}
	p := map[string]string{
		"kind": c.Kind, "title": c.Title, "color": c.Color, "text": text, "chart_image": chartImage(c),
		"fields": strings.Join(fields, "\n\n"), "finished": boolString(c.Finished()),
	}
	tpl := TemplateOf(c.Kind)
	for _, name := range templateActions[tpl] {
		p[name+"_label"], p[name+"_token"], p[name+"_show"] = "", "", "false"
	}
	for _, a := range c.Actions {
		p[a.Name+"_label"], p[a.Name+"_token"], p[a.Name+"_show"] = a.Label, a.Value, "true"
	}
	for _, name := range templateInputs[tpl] {
		p["value_"+name] = ""
	}
	for _, in := range c.Inputs {
		if !strings.Contains(in.Name, ".") {
			p["value_"+in.Name] = in.Value
		}
	}
	inputs, _ := json.Marshal(c.Inputs)
	p["inputs"] = string(inputs)
	for _, k := range refKeys {
		p["ref_"+k] = ""
	}
	for k, v := range c.Refs {
		p["ref_"+k] = v
	}
	if tpl == "checkin" {
		checkinSlotParams(c, p)
	}
	return p
}

// refKeys are the card references every template gets, "" when a card
// has none.
var refKeys = []string{"task", "escalation", "project", "checkin", "week", "month"}

// templateActions are the buttons of each template, in the order of
// docs/dingtalk/<template>.json.
var templateActions = map[string][]string{
	"task":       {"accept", "decline", "ask", "reassign", "cancel", "verify", "rework"},
	"checkin":    {"submit", "leave", "nochange"},
	"escalation": {"done", "progress", "extend", "help", "ack", "approve", "reassign", "snooze"},
	"review":     {"submit"},
	"report":     {},
}

// templateInputs are the form inputs of each template that have fixed
// names; the check-in's per-task inputs are slots (checkinSlotParams).
var templateInputs = map[string][]string{
	"task":       {"reason", "question", "assignee"},
	"checkin":    {},
	"escalation": {"progress", "due", "reason", "assignee", "duration"},
	"review":     {"done", "slipped", "cause", "next_week", "improvement"},
	"report":     {},
}

// checkinSlots is how many tasks the checkin template's form has room
// for. A card with more tasks shows them all in its text; the others are
// answered with /checkin T<n> … (their earlier answers stay).
const checkinSlots = 5

// slotFields are the per-task inputs of a check-in: progress.T3 on the
// card is the template's progress_<n>.
var slotFields = []string{"progress", "status", "hours", "note"}

// checkinSlotParams fills the check-in template's task slots: a template
// cannot name an input after a task, so the form has numbered inputs
// (progress_1 …) and the submit button sends checkin_tasks back as
// "tasks", which slotForm turns into progress.T3 and so on.
func checkinSlotParams(c bot.Card, p map[string]string) {
	values := map[string]string{}
	var codes []string
	for _, in := range c.Inputs {
		values[in.Name] = in.Value
		if code, ok := strings.CutPrefix(in.Name, "progress."); ok {
			codes = append(codes, code)
		}
	}
	codes = codes[:min(len(codes), checkinSlots)]
	p["checkin_tasks"] = strings.Join(codes, ",")
	for n := 1; n <= checkinSlots; n++ {
		code := ""
		if n <= len(codes) {
			code = codes[n-1]
		}
		slot := strconv.Itoa(n)
		p["task_"+slot], p["task_"+slot+"_show"] = code, boolString(code != "")
		for _, f := range slotFields {
			p[f+"_"+slot] = ""
			if code != "" {
				p[f+"_"+slot] = values[f+"."+code]
			}
		}
	}
}

// slotForm turns the numbered inputs of the checkin template's form back
// into the card's own names: with tasks "T1,T3", progress_2 is
// progress.T3. Slots without a task are dropped; anything else is kept as
// sent, and the flows refuse a name the card does not have.
func slotForm(form map[string]string) {
	list, ok := form["tasks"]
	if !ok {
		return
	}
	delete(form, "tasks")
	codes := strings.Split(list, ",")
	for k, v := range form {
		field, slot, ok := strings.Cut(k, "_")
		n, err := strconv.Atoi(slot)
		if !ok || err != nil || !slices.Contains(slotFields, field) || n < 1 || n > checkinSlots {
			continue
		}
		delete(form, k)
		if n <= len(codes) && codes[n-1] != "" {
			form[field+"."+codes[n-1]] = v
		}
	}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
