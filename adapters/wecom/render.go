package wecom

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/loopbot/loopbot/bot"
)

// Limits of template cards (模板卡片消息, path/90236; 更新模版卡片消息,
// path/94888).
const (
	maxKeyBytes      = 1024 // button_list.key, submit_button.key, question_key
	maxOptionIDBytes = 128  // option_list.id
	maxTaskIDBytes   = 128  // task_id: digits, letters and "_-@"
	maxButtons       = 6    // button_list
	maxSelects       = 3    // select_list
	maxOptions       = 10   // option_list
	maxFields        = 6    // horizontal_content_list
	maxTitleRunes    = 36   // main_title.title, suggested
	maxSubTitleRunes = 160  // sub_title_text, suggested
	maxValueRunes    = 30   // horizontal_content_list.value, suggested
	maxButtonRunes   = 10   // button text, suggested
	maxReplaceRunes  = 32   // button.replace_name: the state of a finished card
	maxMarkdownBytes = 2048 // app markdown content
	maxRobotBytes    = 4096 // group robot markdown content
	// maxCheckinCards is how many tasks of a check-in get a card of their
	// own; the others are answered by text command.
	maxCheckinCards = 3
)

// Template card types loopbot sends.
const (
	cardButton   = "button_interaction"
	cardMultiple = "multiple_interaction"
)

// TemplateCard is the template_card object of message/send.
type TemplateCard struct {
	CardType        string        `json:"card_type"`
	Source          *cardSource   `json:"source,omitempty"`
	MainTitle       cardTitle     `json:"main_title"`
	SubTitleText    string        `json:"sub_title_text,omitempty"`
	Horizontal      []cardField   `json:"horizontal_content_list,omitempty"`
	TaskID          string        `json:"task_id"`
	ButtonSelection *cardSelect   `json:"button_selection,omitempty"`
	ButtonList      []cardButtonT `json:"button_list,omitempty"`
	SelectList      []cardSelect  `json:"select_list,omitempty"`
	SubmitButton    *cardSubmit   `json:"submit_button,omitempty"`
	ReplaceText     string        `json:"replace_text,omitempty"`
}

type cardSource struct {
	Desc      string `json:"desc"`
	DescColor int    `json:"desc_color"`
}

type cardTitle struct {
	Title string `json:"title"`
	Desc  string `json:"desc,omitempty"`
}

type cardField struct {
	KeyName string `json:"keyname"`
	Value   string `json:"value"`
}

type cardSelect struct {
	QuestionKey string       `json:"question_key"`
	Title       string       `json:"title,omitempty"`
	SelectedID  string       `json:"selected_id,omitempty"`
	OptionList  []cardOption `json:"option_list"`
}

type cardOption struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

type cardButtonT struct {
	Text  string `json:"text"`
	Style int    `json:"style"`
	Key   string `json:"key"`
}

type cardSubmit struct {
	Text string `json:"text"`
	Key  string `json:"key"`
}

// part is one WeCom message of a neutral card: a template card, or, for a
// card without actions, markdown.
type part struct {
	Card     *TemplateCard
	Markdown string
}

// keyFunc turns a button key that may be longer than WeCom allows into one
// that fits (see Adapter.fitKey).
type keyFunc func(key string) (string, error)

// actionKey is the EventKey of an action button: "<action>|<signed token>".
func actionKey(a bot.Action) string { return a.Name + "|" + a.Value }

// checkinKey is the EventKey of a check-in task card's submit button.
func checkinKey(task string) string { return "checkin|" + task }

// taskID names the n-th WeCom message of a card sent by an outbox item. It
// is unique per app, as WeCom requires, and tells the card back on a click.
func taskID(cardID uint64, idem string, n int) string {
	return fmt.Sprintf("lb-%d-%s-%d", cardID, strings.TrimPrefix(idem, "loopbot-"), n)
}

// cardIDOf reads the card id from a task id.
func cardIDOf(tid string) (uint64, bool) {
	rest, ok := strings.CutPrefix(tid, "lb-")
	if !ok {
		return 0, false
	}
	id, _, _ := strings.Cut(rest, "-")
	n, err := strconv.ParseUint(id, 10, 64)
	return n, err == nil && n > 0
}

// colorDesc is the source line of a card: the 三色督办 colour as a word,
// and WeCom's desc_color (0 grey, 1 black, 2 red, 3 green).
func colorDesc(l lang, color string) cardSource {
	switch color {
	case bot.ColorRed:
		return cardSource{Desc: l.t("loopbot · 🔴 Red", "loopbot · 🔴 红色督办"), DescColor: 2}
	case bot.ColorYellow:
		return cardSource{Desc: l.t("loopbot · 🟡 Yellow", "loopbot · 🟡 黄色督办"), DescColor: 1}
	case bot.ColorGreen:
		return cardSource{Desc: "loopbot", DescColor: 3}
	case bot.ColorGrey:
		return cardSource{Desc: "loopbot", DescColor: 0}
	}
	return cardSource{Desc: "loopbot", DescColor: 1}
}

// cut shortens s to n runes, with an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// cutBytes shortens s to n bytes at a rune boundary, with an ellipsis.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n -= len("…")
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// renderCard turns a neutral card into the WeCom messages that show it.
// ids names each template card (task_id); key fits button keys.
func renderCard(l lang, c bot.Card, ids func(n int) string, key keyFunc) ([]part, error) {
	switch {
	case len(c.Actions) == 0:
		return []part{{Markdown: cardMarkdown(l, c, maxMarkdownBytes)}}, nil
	case c.Kind == bot.CardCheckin:
		return renderCheckin(l, c, ids, key)
	}
	tc, err := buttonCard(l, c, ids(0), key)
	if err != nil {
		return nil, err
	}
	return []part{{Card: tc}}, nil
}

// baseCard fills what every template card shows: source, title, text and
// fields.
func baseCard(l lang, c bot.Card, kind, id string) *TemplateCard {
	src := colorDesc(l, c.Color)
	tc := &TemplateCard{CardType: kind, Source: &src, TaskID: id,
		MainTitle:    cardTitle{Title: cut(c.Title, maxTitleRunes)},
		SubTitleText: cut(strings.TrimSpace(renderPlain(c.Text)), maxSubTitleRunes)}
	if utf8.RuneCountInString(c.Title) > maxTitleRunes {
		tc.MainTitle.Desc = cut(c.Title, 44)
	}
	for _, f := range c.Fields {
		if len(tc.Horizontal) == maxFields {
			break
		}
		tc.Horizontal = append(tc.Horizontal, cardField{KeyName: cut(f.Label, 12), Value: cut(f.Value, maxValueRunes)})
	}
	return tc
}

// buttonCard renders a card as button_interaction: one button per action
// (at most six), and its first select input as the button_selection.
func buttonCard(l lang, c bot.Card, id string, key keyFunc) (*TemplateCard, error) {
	tc := baseCard(l, c, cardButton, id)
	for i, a := range c.Actions {
		if i == maxButtons {
			break
		}
		k, err := key(actionKey(a))
		if err != nil {
			return nil, err
		}
		style := 2
		if i == 0 {
			style = 1
		}
		tc.ButtonList = append(tc.ButtonList, cardButtonT{Text: cut(a.Label, maxButtonRunes), Style: style, Key: k})
	}
	for _, in := range c.Inputs {
		if in.Kind == bot.InputSelect && len(in.Options) > 0 {
			tc.ButtonSelection = selectOf(in, in.Label)
			break
		}
	}
	return tc, nil
}

// selectOf renders a select input.
func selectOf(in bot.Input, title string) *cardSelect {
	s := &cardSelect{QuestionKey: in.Name, Title: cut(title, 16), SelectedID: in.Value}
	for _, o := range in.Options {
		if len(s.OptionList) == maxOptions {
			break
		}
		s.OptionList = append(s.OptionList, cardOption{ID: cutBytes(o.Value, maxOptionIDBytes), Text: cut(o.Label, 16)})
	}
	if s.SelectedID == "" && len(s.OptionList) > 0 {
		s.SelectedID = s.OptionList[0].ID
	}
	return s
}

// checkinTasks returns the task codes of a check-in card, in its order.
func checkinTasks(c bot.Card) []string {
	var codes []string
	for _, in := range c.Inputs {
		if code, ok := strings.CutPrefix(in.Name, "progress."); ok {
			codes = append(codes, code)
		}
	}
	return codes
}

func input(c bot.Card, name string) (bot.Input, bool) {
	for _, in := range c.Inputs {
		if in.Name == name {
			return in, true
		}
	}
	return bot.Input{}, false
}

// progressOptions are the progress choices of a check-in select: WeCom
// allows ten, so the steps are coarse, and the current value is kept.
func progressOptions(current string) []bot.Option {
	steps := []string{"0", "10", "25", "40", "50", "60", "75", "90", "100"}
	has := false
	for _, s := range steps {
		has = has || s == current
	}
	if !has && current != "" {
		steps = append([]string{current}, steps...)
	}
	out := make([]bot.Option, len(steps))
	for i, s := range steps {
		out[i] = bot.Option{Value: s, Label: s + "%"}
	}
	return out
}

// renderCheckin renders a check-in as one button_interaction card with the
// whole list and the No change / On leave buttons, then one
// multiple_interaction card for each of the first three tasks (progress and
// status as selects); the other tasks are answered by /checkin.
func renderCheckin(l lang, c bot.Card, ids func(n int) string, key keyFunc) ([]part, error) {
	tasks := checkinTasks(c)
	head := c
	var others []bot.Action
	for _, a := range c.Actions {
		if a.Name != "submit" {
			others = append(others, a)
		}
	}
	head.Actions, head.Inputs = others, nil
	head.Text += "\n\n" + checkinHint(l, tasks)
	var parts []part
	if len(head.Actions) > 0 {
		tc, err := buttonCard(l, head, ids(0), key)
		if err != nil {
			return nil, err
		}
		parts = append(parts, part{Card: tc})
	} else {
		parts = append(parts, part{Markdown: cardMarkdown(l, head, maxMarkdownBytes)})
	}
	for i, code := range tasks {
		if i == maxCheckinCards {
			break
		}
		tc, err := checkinTaskCard(l, c, code, ids(i+1), key)
		if err != nil {
			return nil, err
		}
		parts = append(parts, part{Card: tc})
	}
	return parts, nil
}

// checkinHint tells how to answer by text.
func checkinHint(l lang, tasks []string) string {
	ex := "T1"
	if len(tasks) > 0 {
		ex = tasks[0]
	}
	s := l.f("Answer each task on its card below, or by text: /checkin %s 60 on\\_track 2h note", "可在下方卡片逐项填写，或回复文字：/打卡 %s 60 on\\_track 2h 备注", ex)
	if len(tasks) > maxCheckinCards {
		s += "\n" + l.f("Tasks %s: answer by text command.", "任务 %s 请用文字命令填写。", strings.Join(tasks[maxCheckinCards:], ", "))
	}
	return s
}

// checkinTaskCard is the multiple_interaction card of one check-in task.
func checkinTaskCard(l lang, c bot.Card, code, id string, key keyFunc) (*TemplateCard, error) {
	title := code
	for _, b := range bot.ParseMarkdown(c.Text) {
		if line := lineText(b); strings.HasPrefix(line, code+" ") {
			title = line
			break
		}
	}
	tc := baseCard(l, bot.Card{Title: c.Title, Color: c.Color}, cardMultiple, id)
	tc.MainTitle.Desc = cut(title, 44)
	tc.SubTitleText = ""
	prog, _ := input(c, "progress."+code)
	prog.Kind, prog.Options = bot.InputSelect, progressOptions(prog.Value)
	tc.SelectList = append(tc.SelectList, *selectOf(prog, l.t("Progress", "进度")))
	if st, ok := input(c, "status."+code); ok {
		tc.SelectList = append(tc.SelectList, *selectOf(st, l.t("Status", "状态")))
	}
	k, err := key(checkinKey(code))
	if err != nil {
		return nil, err
	}
	tc.SubmitButton = &cardSubmit{Text: l.t("Submit", "提交"), Key: k}
	return tc, nil
}

// safeLinkURL reports whether u is an http(s) URL that needs no escaping
// in a markdown link: the signed links loopbot makes are.
func safeLinkURL(u string) bool {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return false
	}
	return !strings.ContainsAny(u, " ()[]<>\"\n\r\t")
}

// cardMarkdown renders a whole card as WeCom markdown, within limit bytes:
// the title in the card's colour, its text, its fields, and for each action
// the text command that does the same.
func cardMarkdown(l lang, c bot.Card, limit int) string {
	var b strings.Builder
	title := escapeMD(c.Title)
	switch c.Color {
	case bot.ColorRed:
		title = `<font color="warning">🔴 ` + title + `</font>`
	case bot.ColorYellow:
		title = `<font color="warning">🟡 ` + title + `</font>`
	case bot.ColorGreen:
		title = `<font color="info">` + title + `</font>`
	case bot.ColorGrey:
		title = `<font color="comment">` + title + `</font>`
	}
	b.WriteString("**" + title + "**")
	if c.Chart != nil && safeLinkURL(c.Chart.Image) {
		// WeCom cannot draw the chart: a link to its PNG, first, so that a
		// long text cut to the limit keeps it.
		b.WriteString("\n[" + l.t("📈 Chart (image)", "📈 图表（图片）") + "](" + c.Chart.Image + ")")
	}
	if t := strings.TrimSpace(c.Text); t != "" {
		b.WriteString("\n" + renderMarkdown(t))
	}
	for _, f := range c.Fields {
		b.WriteString("\n> " + escapeMD(f.Label) + "：" + escapeMD(f.Value))
	}
	// WeCom markdown cannot draw a Gantt chart: its bars go as text.
	if c.Chart != nil {
		for _, line := range c.Chart.GanttLines() {
			b.WriteString("\n" + escapeMD(line))
		}
	}
	return cutBytes(b.String(), limit)
}
