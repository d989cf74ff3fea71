package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Card kinds (SPEC §11).
const (
	CardTaskAssigned    = "task_assigned"
	CardAcceptance      = "acceptance"
	CardCheckin         = "checkin"
	CardCheckinReminder = "checkin_reminder"
	CardDailyDigest     = "daily_digest"
	CardEscalation      = "escalation"
	CardGroupWarning    = "group_warning"
	CardReviewPrompt    = "review_prompt"
	CardReviewSummary   = "review_summary"
	CardChangeRequest   = "change_request"
	CardReport          = "report"
	CardPlan            = "plan"
	CardNotice          = "notice"
)

// Card colours: the 三色督办 blue, yellow and red, plus green for success and
// grey for finished or neutral cards.
const (
	ColorBlue   = "blue"
	ColorYellow = "yellow"
	ColorRed    = "red"
	ColorGreen  = "green"
	ColorGrey   = "grey"
)

// Card is the neutral interactive card that flows build and adapters render
// into each platform's own card format.
type Card struct {
	Kind    string            `json:"kind"`
	Title   string            `json:"title"`
	Color   string            `json:"color"`
	Text    string            `json:"text,omitempty"`
	Fields  []Field           `json:"fields,omitempty"`
	Inputs  []Input           `json:"inputs,omitempty"`
	Chart   *Chart            `json:"chart,omitempty"`
	Actions []Action          `json:"actions"`
	Refs    map[string]string `json:"refs,omitempty"`
}

// Finished reports whether the card takes no more actions.
func (c Card) Finished() bool { return len(c.Actions) == 0 }

// Action returns the card's action with the given name.
func (c Card) Action(name string) (Action, bool) {
	for _, a := range c.Actions {
		if a.Name == name {
			return a, true
		}
	}
	return Action{}, false
}

// Field is a label and a value shown on a card.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Input kinds.
const (
	InputText     = "text"
	InputTextarea = "textarea"
	InputNumber   = "number"
	InputSelect   = "select"
	InputDate     = "date"
)

// Input is a form field of a card.
type Input struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Label    string   `json:"label"`
	Options  []Option `json:"options,omitempty"`
	Required bool     `json:"required,omitempty"`
	// Value pre-fills the field.
	Value string `json:"value,omitempty"`
	// For names the action the input belongs to where a card has several
	// (the reason of decline, the question of ask); "" for all.
	For string `json:"for,omitempty"`
}

// Option is one choice of a select input.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Action is a button. Value is the signed token that the platform sends back
// when the button is clicked; adapters put it in the platform's button value.
type Action struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Value string `json:"value,omitempty"`
}

// Chart types.
const (
	// ChartGantt is a Gantt chart: Bars, one per task, over dates; Labels
	// and Series are empty.
	ChartGantt = "gantt"
)

// Chart is a small chart on a card, such as a burn-up of planned against done
// (Type "burnup" or "line", one value per label in each series), a bar chart
// ("bar") or a Gantt overview ("gantt", drawn from Bars).
type Chart struct {
	Type   string   `json:"type"`
	Title  string   `json:"title,omitempty"`
	Labels []string `json:"labels"`
	Series []Series `json:"series"`
	Bars   []Bar    `json:"bars,omitempty"`
	// Image is the URL of the chart as a PNG image (a signed, expiring
	// /files/<token> link), for platforms that cannot draw a chart; "" when
	// the service makes no links.
	Image string `json:"image,omitempty"`
}

// Bar is one task of a Gantt chart: its short id ("T3"), label, scheduled
// start and finish (inclusive), progress 0-100, and whether it is on the
// critical path, a milestone (drawn as a diamond at Finish) or done.
type Bar struct {
	Task      string `json:"task"`
	Label     string `json:"label"`
	Start     Date   `json:"start"`
	Finish    Date   `json:"finish"`
	Progress  int    `json:"progress,omitempty"`
	Critical  bool   `json:"critical,omitempty"`
	Milestone bool   `json:"milestone,omitempty"`
	Done      bool   `json:"done,omitempty"`
}

// GanttLines writes a Gantt chart's bars as plain-text lines, one a bar,
// for messengers that cannot draw it: "T3 设计 11-20→11-27 ■■□□□ 40% !",
// where "◆" marks a milestone ("◆ T9 上线 12-18"), a trailing "!" a
// critical task, and the label is cut to 20 characters.
// It returns nil for any other chart.
func (c Chart) GanttLines() []string {
	if c.Type != ChartGantt {
		return nil
	}
	lines := make([]string, 0, len(c.Bars))
	for _, b := range c.Bars {
		lines = append(lines, b.Line())
	}
	return lines
}

// Line writes one bar as plain text (see Chart.GanttLines).
func (b Bar) Line() string {
	name := b.Task
	if label := strings.Join(strings.Fields(b.Label), " "); label != "" {
		if r := []rune(label); len(r) > 20 {
			label = string(r[:20]) + "…"
		}
		name += " " + label
	}
	span := shortDate(b.Start) + "→" + shortDate(b.Finish)
	if b.Milestone {
		line := "◆ " + name + " " + shortDate(b.Finish)
		if b.Critical {
			line += " !"
		}
		return line
	}
	p := min(max(b.Progress, 0), 100)
	filled := (p + 10) / 20 // five cells, rounded
	line := name + " " + span + " " + strings.Repeat("■", filled) + strings.Repeat("□", 5-filled) + " " + strconv.Itoa(p) + "%"
	if b.Critical {
		line += " !"
	}
	return line
}

// shortDate writes a date as "11-20", or "?" when there is none.
func shortDate(d Date) string {
	if d.IsZero() {
		return "?"
	}
	return fmt.Sprintf("%02d-%02d", int(d.Month), d.Day)
}

// Series is one line of a chart.
type Series struct {
	Name   string    `json:"name"`
	Values []float64 `json:"values"`
}

// CardRecord is a card as sent: where it went, the platform's message id
// once delivered, and its current content. Updates change Card and are
// delivered through the outbox.
type CardRecord struct {
	ID uint64 `json:"id"`
	// Key groups the cards of one subject, such as "assign/T3", so that a
	// flow can find and update them later.
	Key        string    `json:"key,omitempty"`
	Target     Target    `json:"target"`
	To         PersonID  `json:"to,omitempty"`
	Card       Card      `json:"card"`
	MessageRef string    `json:"message_ref,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}
