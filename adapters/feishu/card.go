package feishu

import (
	"encoding/json"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// This file renders the neutral bot.Card as a Feishu card in JSON 2.0
// ("schema": "2.0"), following the official component docs
// (open.feishu.cn/document/feishu-cards/card-json-v2-structure and
// card-json-v2-components): header with a colour template, markdown, chart,
// buttons with callback behaviors, and form containers holding input,
// select_static and date_picker components with a submit button.

// fcard is the JSON 2.0 card.
type fcard struct {
	Schema string   `json:"schema"`
	Config fconfig  `json:"config"`
	Header *fheader `json:"header,omitempty"`
	Body   fbody    `json:"body"`
}

type fconfig struct {
	// UpdateMulti makes the card shared, so that PATCH updates it for
	// everyone (the PATCH API needs it before and after).
	UpdateMulti bool `json:"update_multi"`
}

type fheader struct {
	Title    ftext  `json:"title"`
	Template string `json:"template"`
}

type ftext struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

type fbody struct {
	Elements []any `json:"elements"`
}

func plain(s string) ftext { return ftext{Tag: "plain_text", Content: s} }

// element is one component; fields are left out when empty.
type element map[string]any

// headerTemplates maps card colours to Feishu header templates.
var headerTemplates = map[string]string{
	bot.ColorBlue: "blue", bot.ColorYellow: "yellow", bot.ColorRed: "red",
	bot.ColorGreen: "green", bot.ColorGrey: "grey",
}

// renderCard returns the Feishu JSON 2.0 card of c.
func renderCard(c bot.Card) fcard {
	out := fcard{Schema: "2.0", Config: fconfig{UpdateMulti: true}}
	if c.Title != "" {
		tpl := headerTemplates[c.Color]
		if tpl == "" {
			tpl = "blue"
		}
		out.Header = &fheader{Title: plain(c.Title), Template: tpl}
	}
	var els []any
	if c.Text != "" {
		els = append(els, markdownElement(renderMarkdown(c.Text)))
	}
	if len(c.Fields) > 0 {
		els = append(els, markdownElement(renderFields(c.Fields)))
	}
	switch {
	case c.Chart != nil && c.Chart.Type == bot.ChartGantt && len(c.Chart.Bars) > 0:
		// The chart component has no Gantt chart: its bars go as text.
		els = append(els, markdownElement(ganttText(*c.Chart)))
	case c.Chart != nil && len(c.Chart.Series) > 0:
		els = append(els, renderChart(*c.Chart))
	}
	els = append(els, renderActions(c)...)
	if els == nil {
		els = []any{}
	}
	out.Body.Elements = els
	return out
}

// textCard is the card a text message goes out as, so that its card
// markdown (bold, bullets) renders as it does on cards.
func textCard(text string) fcard {
	return fcard{Schema: "2.0", Config: fconfig{UpdateMulti: true},
		Body: fbody{Elements: []any{markdownElement(renderMarkdown(text))}}}
}

func markdownElement(content string) element {
	return element{"tag": "markdown", "content": content}
}

// renderFields lists label and value, one per line, the label in bold. A
// value of several lines keeps them, each shown as typed.
func renderFields(fields []bot.Field) string {
	lines := make([]string, 0, len(fields))
	for _, f := range fields {
		lines = append(lines, "**"+escapeLiteral(f.Label)+"**："+literalLines(f.Value))
	}
	return strings.Join(lines, "\n")
}

// literalLines escapes plain text that follows other text on its first
// line: every line after the first also gets guardLineStart, since it
// starts a line of the markdown.
func literalLines(s string) string {
	lines := strings.Split(escapeLiteral(s), "\n")
	for i := 1; i < len(lines); i++ {
		lines[i] = guardLineStart(lines[i])
	}
	return strings.Join(lines, "\n")
}

// ganttText writes a Gantt chart's bars as markdown, one literal line a bar
// (bot.Chart.GanttLines).
func ganttText(ch bot.Chart) string {
	lines := ch.GanttLines()
	for i, l := range lines {
		lines[i] = guardLineStart(escapeLiteral(l))
	}
	return strings.Join(lines, "\n")
}

// renderChart renders a chart as the chart component: a VChart spec with
// one series per line, in the shape of the official line chart sample.
func renderChart(ch bot.Chart) element {
	typ := ch.Type
	if typ == "" {
		typ = "line"
	}
	values := []map[string]any{}
	for _, s := range ch.Series {
		for i, v := range s.Values {
			x := ""
			if i < len(ch.Labels) {
				x = ch.Labels[i]
			}
			values = append(values, map[string]any{"x": x, "y": v, "series": s.Name})
		}
	}
	spec := map[string]any{
		"type":        typ,
		"data":        map[string]any{"values": values},
		"xField":      "x",
		"yField":      "y",
		"seriesField": "series",
		"legends":     map[string]any{"visible": true, "orient": "bottom"},
	}
	if ch.Title != "" {
		spec["title"] = map[string]any{"text": ch.Title}
	}
	return element{"tag": "chart", "aspect_ratio": "16:9", "chart_spec": spec}
}

// renderActions lays out the buttons and the inputs. The inputs shared by
// the card's actions (Input.For empty) go in one form with every action
// that takes no inputs of its own as a submit button (the check-in, the
// review). An action with inputs of its own (decline's reason, extend's date
// and reason) gets its own form with its submit button. The remaining
// actions are plain buttons in one row.
func renderActions(c bot.Card) []any {
	var shared []bot.Input
	own := map[string][]bot.Input{}
	for _, in := range c.Inputs {
		if in.For == "" {
			shared = append(shared, in)
		} else {
			own[in.For] = append(own[in.For], in)
		}
	}
	var plainButtons, sharedButtons []element
	var forms []any
	for i, a := range c.Actions {
		switch {
		case len(own[a.Name]) > 0:
			forms = append(forms, form("form_"+a.Name, own[a.Name], []element{button(a, i, true)}))
		case len(shared) > 0:
			sharedButtons = append(sharedButtons, button(a, i, true))
		default:
			plainButtons = append(plainButtons, button(a, i, false))
		}
	}
	var out []any
	if len(shared) > 0 && len(sharedButtons) > 0 {
		out = append(out, form("form_main", shared, sharedButtons))
	}
	if len(plainButtons) > 0 {
		out = append(out, buttonRow(plainButtons))
	}
	return append(out, forms...)
}

// button renders an action. Its callback value carries the action name and
// the signed token; inside a form it submits the form.
func button(a bot.Action, index int, submit bool) element {
	typ := "default"
	switch {
	case dangerous[a.Name]:
		typ = "danger"
	case index == 0:
		typ = "primary"
	}
	b := element{
		"tag":  "button",
		"text": plain(a.Label),
		"type": typ,
		"behaviors": []any{map[string]any{
			"type":  "callback",
			"value": map[string]string{valueAction: a.Name, valueToken: a.Value},
		}},
	}
	if submit {
		b["name"] = "btn_" + a.Name
		b["form_action_type"] = "submit"
	}
	return b
}

// dangerous lists the actions shown as red buttons.
var dangerous = map[string]bool{"decline": true, "reject": true, "rework": true, "cancel": true}

// buttonRow puts buttons side by side: a column_set with one auto-width
// column per button, flowing onto more lines on narrow screens.
func buttonRow(buttons []element) element {
	cols := make([]any, 0, len(buttons))
	for _, b := range buttons {
		cols = append(cols, element{"tag": "column", "width": "auto", "elements": []any{b}})
	}
	return element{"tag": "column_set", "flex_mode": "flow", "horizontal_spacing": "8px", "columns": cols}
}

// form renders a form container with its inputs and submit buttons.
func form(name string, inputs []bot.Input, buttons []element) element {
	els := make([]any, 0, len(inputs)*2+1)
	for _, in := range inputs {
		els = append(els, inputElements(in)...)
	}
	els = append(els, buttonRow(buttons))
	return element{"tag": "form", "name": name, "elements": els}
}

// inputElements renders one input. Text, textarea and number are the input
// component (Feishu has no number input: a number is typed as text and
// checked by the bot); select is select_static and date is date_picker,
// which have no label of their own, so a markdown line carries it.
func inputElements(in bot.Input) []any {
	switch in.Kind {
	case bot.InputSelect:
		opts := make([]any, 0, len(in.Options))
		for _, o := range in.Options {
			opts = append(opts, map[string]any{"text": plain(o.Label), "value": o.Value})
		}
		sel := element{"tag": "select_static", "name": in.Name, "required": in.Required,
			"placeholder": plain(in.Label), "options": opts, "width": "fill"}
		if in.Value != "" {
			sel["initial_option"] = in.Value
		}
		return []any{label(in.Label), sel}
	case bot.InputDate:
		dp := element{"tag": "date_picker", "name": in.Name, "required": in.Required,
			"placeholder": plain(in.Label), "width": "fill"}
		if isISODate(in.Value) {
			dp["initial_date"] = in.Value
		}
		return []any{label(in.Label), dp}
	}
	el := element{"tag": "input", "name": in.Name, "required": in.Required,
		"label": plain(in.Label), "placeholder": plain(in.Label), "width": "fill"}
	switch in.Kind {
	case bot.InputTextarea:
		el["input_type"] = "multiline_text"
		el["rows"] = 3
		el["max_length"] = 1000
	case bot.InputNumber:
		el["max_length"] = 10
	default:
		el["max_length"] = 1000
	}
	if in.Value != "" {
		el["default_value"] = in.Value
	}
	return []any{el}
}

func label(text string) element {
	return element{"tag": "markdown", "content": "**" + escapeLiteral(text) + "**"}
}

// cardJSON returns the card as the string im/v1/messages takes in content.
func cardJSON(c fcard) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(c)
	return strings.TrimSuffix(b.String(), "\n")
}
